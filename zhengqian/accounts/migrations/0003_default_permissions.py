from django.db import migrations


def load(apps, schema_editor):
    from zhengqian.accounts.roles import build_default_matrix

    RolePermission = apps.get_model("accounts", "RolePermission")
    rows = [
        RolePermission(role=role, module=module, action=action)
        for role, modules in build_default_matrix().items()
        for module, actions in modules.items()
        for action in sorted(actions)
    ]
    RolePermission.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
