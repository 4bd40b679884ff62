"""Background jobs of the valuation module (run by the task worker): checking and importing large
valuation workbooks. Small files go through the same functions within the request."""

from __future__ import annotations

from django.utils import translation
from django_tasks import task

from zhengqian.valuation.imports import run_import, run_validation
from zhengqian.valuation.models_import import ValuationImport


def _job(import_id: int) -> ValuationImport:
    return ValuationImport.objects.select_related("project", "created_by").get(pk=import_id)


@task()
def validate_valuation_import(import_id: int, language: str) -> dict[str, object]:
    """Check an uploaded workbook; the report (in the uploader's language) goes on the import."""
    with translation.override(language):
        job = run_validation(_job(import_id))
    return {"status": job.status, "errors": job.error_count}


@task()
def import_valuations(import_id: int, expected_digest: str, language: str) -> dict[str, object]:
    """Write a confirmed import; nothing is written if the check no longer matches the digest
    the valuer confirmed, and a failure leaves nothing half-written (one transaction)."""
    with translation.override(language):
        job = run_import(_job(import_id), expected_digest=expected_digest)
    return {"status": job.status, "imported": job.summary.get("imported", {})}
