"""The village or community cadre, who co-signs agreements (四方签字), and the project manager's
reading of agreements (they carry unmasked personal data): the cells added to an existing
permission matrix (a new database gets them from the default matrix)."""

from django.db import migrations

BUSINESS = [
    "survey",
    "ownership",
    "valuation",
    "compensation",
    "agreements",
    "payments",
    "demolition",
    "resettlement",
    "holdouts",
    "archives",
]
CELLS = [
    ("community_cadre", "projects", "view"),
    ("community_cadre", "dashboard", "view"),
    *[("community_cadre", module, "view") for module in BUSINESS],
    ("project_manager", "agreements", "view_personal"),
]


def forwards(apps, schema_editor):
    role_permission = apps.get_model("accounts", "RolePermission")
    role_permission.objects.bulk_create(
        [role_permission(role=r, module=m, action=a) for r, m, a in CELLS],
        ignore_conflicts=True,
    )


def backwards(apps, schema_editor):
    role_permission = apps.get_model("accounts", "RolePermission")
    role_permission.objects.filter(role="community_cadre").delete()
    role_permission.objects.filter(
        role="project_manager", module="agreements", action="view_personal"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("agreements", "0001_initial"), ("accounts", "0004_community_cadre")]
    operations = [migrations.RunPython(forwards, backwards)]
