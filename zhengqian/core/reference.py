"""The starting reference data: the permission matrix, the dictionaries and the holiday calendar.

Loaded by data migrations (with their historical models) and by the test suite after a
transactional test has flushed the database. Loading is idempotent.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

CALENDAR_CSV = Path(__file__).resolve().parent / "data" / "holidays-cn.csv"
CALENDAR_SOURCES = {
    2025: "国办发明电〔2024〕12号",
    2026: "国务院办公厅关于2026年部分节假日安排的通知（2025-11-04）",
}


def load_permissions(role_permission: Any) -> None:
    from zhengqian.accounts.roles import build_default_matrix

    role_permission.objects.bulk_create(
        [
            role_permission(role=role, module=module, action=action)
            for role, modules in build_default_matrix().items()
            for module, actions in modules.items()
            for action in sorted(actions)
        ],
        ignore_conflicts=True,
    )


def load_dictionaries(dictionary_entry: Any) -> None:
    from zhengqian.core.dictionaries import DEFAULT_ENTRIES

    dictionary_entry.objects.bulk_create(
        [
            dictionary_entry(kind=kind, code=code, label_zh=zh, label_en=en, sort_order=i)
            for kind, entries in DEFAULT_ENTRIES.items()
            for i, (code, zh, en) in enumerate(entries, start=1)
        ],
        ignore_conflicts=True,
    )


def load_calendar(calendar_day: Any, calendar_year: Any) -> None:
    with CALENDAR_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    calendar_day.objects.bulk_create(
        [
            calendar_day(date=dt.date.fromisoformat(r["date"]), kind=r["kind"], name=r["name"])
            for r in rows
        ],
        ignore_conflicts=True,
    )
    for year in sorted({dt.date.fromisoformat(r["date"]).year for r in rows}):
        calendar_year.objects.get_or_create(
            year=year, defaults={"source": CALENDAR_SOURCES.get(year, "")}
        )


def load_all() -> None:
    """With the current models: what a freshly migrated database holds."""
    from zhengqian.accounts.models import RolePermission
    from zhengqian.core.models import CalendarDay, CalendarYear, DictionaryEntry

    load_permissions(RolePermission)
    load_dictionaries(DictionaryEntry)
    load_calendar(CalendarDay, CalendarYear)
