import csv
import datetime as dt
from pathlib import Path

from django.db import migrations

CALENDAR = Path(__file__).resolve().parent.parent / "data" / "holidays-cn.csv"


def load(apps, schema_editor):
    from zhengqian.core.dictionaries import DEFAULT_ENTRIES

    DictionaryEntry = apps.get_model("core", "DictionaryEntry")
    DictionaryEntry.objects.bulk_create(
        [
            DictionaryEntry(kind=kind, code=code, label_zh=zh, label_en=en, sort_order=i)
            for kind, entries in DEFAULT_ENTRIES.items()
            for i, (code, zh, en) in enumerate(entries, start=1)
        ],
        ignore_conflicts=True,
    )
    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarYear = apps.get_model("core", "CalendarYear")
    with CALENDAR.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=dt.date.fromisoformat(r["date"]), kind=r["kind"], name=r["name"])
            for r in rows
        ],
        ignore_conflicts=True,
    )
    sources = {
        2025: "国办发明电〔2024〕12号",
        2026: "国务院办公厅关于2026年部分节假日安排的通知（2025-11-04）",
    }
    for year in sorted({dt.date.fromisoformat(r["date"]).year for r in rows}):
        CalendarYear.objects.get_or_create(year=year, defaults={"source": sources.get(year, "")})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
