"""The job of an Excel import of valuations (see zhengqian.valuation.imports); the job itself is
shared with the other modules' imports (zhengqian.core.imports.ImportJob)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengqian.core.imports import ImportJob


def valuation_import_path(instance: ValuationImport, filename: str) -> str:
    # The stored name never comes from the user; the original name is kept in a field.
    return f"valuation/imports/{instance.project_id}/{uuid.uuid4().hex}.xlsx"


class ValuationImport(ImportJob):
    """One uploaded valuation workbook: its check, and its import once the valuer confirms it.

    The report (errors and what would be imported) is kept here so that the page, the error
    download and the confirmation all see the same check; the confirmation checks the stored
    file again against the project as it is then.
    """

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="valuation_imports",
        db_index=False,
        verbose_name=_("project"),
    )
    file = models.FileField(_("file"), upload_to=valuation_import_path, max_length=200)

    class Meta(ImportJob.Meta):
        verbose_name = _("valuation import")
        verbose_name_plural = _("valuation imports")
        indexes = [
            # The import page lists a user's recent imports of a project.
            models.Index(
                fields=["project", "created_by", "-created_at"], name="valuation_import_recent"
            ),
        ]
