from django.db import migrations


def load(apps, schema_editor):
    from zhengqian.core.reference import load_permissions

    load_permissions(apps.get_model("accounts", "RolePermission"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
