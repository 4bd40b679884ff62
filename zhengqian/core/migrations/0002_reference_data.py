from django.db import migrations


def load(apps, schema_editor):
    from zhengqian.core.reference import load_calendar, load_dictionaries

    load_dictionaries(apps.get_model("core", "DictionaryEntry"))
    load_calendar(apps.get_model("core", "CalendarDay"), apps.get_model("core", "CalendarYear"))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
