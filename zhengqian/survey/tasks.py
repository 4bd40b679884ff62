"""Background jobs of the survey module (run by the task worker): checking and importing large
survey workbooks. Small files go through the same functions within the request
(zhengqian.core.imports.ImportFlow)."""

from __future__ import annotations

from django_tasks import task

from zhengqian.survey.imports import FLOW


@task()
def validate_survey_import(import_id: int, language: str) -> dict[str, object]:
    """Check an uploaded workbook; the report (in the uploader's language) goes on the import."""
    return FLOW.validate_in_worker(import_id, language)


@task()
def import_survey(import_id: int, expected_digest: str, language: str) -> dict[str, object]:
    """Write a confirmed import; nothing is written if the check no longer matches the digest
    the user confirmed, and a failure leaves nothing half-written (one transaction)."""
    return FLOW.import_in_worker(import_id, expected_digest, language)
