"""Background jobs of the valuation module (run by the task worker): checking and importing large
valuation workbooks. Small files go through the same functions within the request
(zhengqian.core.imports.ImportFlow)."""

from __future__ import annotations

from django_tasks import task

from zhengqian.valuation.imports import FLOW


@task()
def validate_valuation_import(import_id: int, language: str) -> dict[str, object]:
    """Check an uploaded workbook; the report (in the uploader's language) goes on the import."""
    return FLOW.validate_in_worker(import_id, language)


@task()
def import_valuations(import_id: int, expected_digest: str, language: str) -> dict[str, object]:
    """Write a confirmed import; nothing is written if the check no longer matches the digest
    the valuer confirmed, and a failure leaves nothing half-written (one transaction)."""
    return FLOW.import_in_worker(import_id, expected_digest, language)
