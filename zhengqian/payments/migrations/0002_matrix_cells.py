"""The signing officer, as the household's handler, asks for the payment of instalments: the
cell added to an existing permission matrix (a new database gets it from the default matrix)."""

from django.db import migrations

CELLS = [("signing_officer", "payments", "create")]


def forwards(apps, schema_editor):
    role_permission = apps.get_model("accounts", "RolePermission")
    role_permission.objects.bulk_create(
        [role_permission(role=r, module=m, action=a) for r, m, a in CELLS],
        ignore_conflicts=True,
    )


def backwards(apps, schema_editor):
    role_permission = apps.get_model("accounts", "RolePermission")
    for role, module, action in CELLS:
        role_permission.objects.filter(role=role, module=module, action=action).delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial"), ("accounts", "0004_community_cadre")]
    operations = [migrations.RunPython(forwards, backwards)]
