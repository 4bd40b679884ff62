"""Holdout clearance, the legal path, petitions and lawsuits (module "holdouts"): the project
manager leads them, signing officers keep the case files and answer petitions. The cells added
to an existing permission matrix (a new database gets them from the default matrix)."""

from django.db import migrations

CELLS = [
    ("project_manager", "holdouts", "create"),
    ("project_manager", "holdouts", "change"),
    ("project_manager", "holdouts", "approve"),
    ("project_manager", "holdouts", "view_personal"),
    ("signing_officer", "holdouts", "create"),
    ("signing_officer", "holdouts", "change"),
    ("signing_officer", "holdouts", "view_personal"),
]


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
    dependencies = [("accounts", "0004_community_cadre")]
    operations = [migrations.RunPython(forwards, backwards)]
