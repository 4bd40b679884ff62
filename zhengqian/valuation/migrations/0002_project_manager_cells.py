"""The project manager records objections (review) and publishes results (approve) in valuation:
the two cells added to an existing permission matrix."""

from django.db import migrations

CELLS = [
    ("project_manager", "valuation", "review"),
    ("project_manager", "valuation", "approve"),
]


def forwards(apps, schema_editor):
    role_permission = apps.get_model("accounts", "RolePermission")
    role_permission.objects.bulk_create(
        [role_permission(role=r, module=m, action=a) for r, m, a in CELLS],
        ignore_conflicts=True,
    )


def backwards(apps, schema_editor):
    role_permission = apps.get_model("accounts", "RolePermission")
    for r, m, a in CELLS:
        role_permission.objects.filter(role=r, module=m, action=a).delete()


class Migration(migrations.Migration):
    dependencies = [("valuation", "0001_initial"), ("accounts", "0003_default_permissions")]
    operations = [migrations.RunPython(forwards, backwards)]
