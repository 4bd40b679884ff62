"""What the pages of every module's Excel import share (see zhengqian.core.imports): the upload
form, the report of a check, the progress bar polled while the worker runs, the error download.

Upload → check (within the request for small files, by the worker with a progress bar for large
ones) → the report: what would be imported and every fault, downloadable → the user confirms →
the valid households are written in one transaction.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from zhengqian.core import imports
from zhengqian.core.excel import XLSX_CONTENT_TYPE, write_problems
from zhengqian.core.forms import StyledForm
from zhengqian.core.http import is_htmx

logger = logging.getLogger(__name__)

# Faults shown on the page; all of them (up to imports.MAX_STORED_PROBLEMS) are in the download.
PAGE_PROBLEMS = 200
# Household codes listed on the page per list (kept / skipped); the download has them all.
PAGE_CODES = 300
RECENT_IMPORTS = 10


class WorkbookUploadForm(StyledForm):
    """The upload of a workbook; a module's form gives the field its label."""

    file = forms.FileField()

    def __init__(self, *args: Any, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise ValidationError(imports.too_large_message(self.max_bytes), code="too_large")
        return upload


def download(content: Any, filename: str) -> FileResponse:
    """A workbook (in memory or a spooled file) as an attachment."""
    content.seek(0)
    return FileResponse(
        content, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


def enqueue(job: imports.ImportJob, task: Any, *args: Any) -> None:
    """Hand the job to the worker; if the queue refuses it, the import says so instead of
    waiting for ever."""
    try:
        task.enqueue(*args)
    except Exception:
        logger.exception("The import %s %s could not be queued", job._meta.label, job.pk)
        imports.mark_failed(job, _("The background worker could not be reached; try again."))


def report_context(job: imports.ImportJob) -> dict[str, Any]:
    """What the report of a check shows: the counts, a page of faults and of household codes
    (kept and skipped), and whether the import waits for the user's confirmation."""
    summary = job.summary or {}
    skipped = summary.get("skipped", [])
    kept = summary.get("kept_codes", [])
    return {
        "job": job,
        "summary": summary,
        "valid": summary.get("valid", {}),
        "in_file": summary.get("in_file", {}),
        "imported": summary.get("imported"),
        "problems": imports.problems_of(job)[:PAGE_PROBLEMS],
        "more_problems": max(0, job.error_count - PAGE_PROBLEMS),
        "skipped": skipped[:PAGE_CODES],
        "more_skipped": max(0, len(skipped) - PAGE_CODES),
        "kept": kept[:PAGE_CODES],
        "more_kept": max(0, len(kept) - PAGE_CODES),
        "can_confirm": job.status == imports.ImportStatus.VALIDATED and bool(kept),
    }


def progress(request: HttpRequest, job: imports.ImportJob, context: dict[str, Any]) -> HttpResponse:
    """The progress bar (context: ``progress_url``), polled by HTMX every second while the
    worker runs; once the job is finished, the page is reloaded to show the report."""
    response = render(request, "core/import/_progress.html", {**context, "job": job})
    if not job.is_running and is_htmx(request):
        response["HX-Refresh"] = "true"
    return response


def outcomes(job: imports.ImportJob) -> list[tuple[str, bool | str, str]]:
    """Per household of the file: imported (True), skipped (False) with its first fault, or
    what else the module's report says became of it (``other_outcomes``: [code, text, why])."""
    summary = job.summary or {}
    result: list[tuple[str, bool | str, str]] = [
        (code, True, "") for code in summary.get("kept_codes", [])
    ]
    result += [(code, False, why) for code, why in summary.get("skipped", [])]
    result += [(code, str(text), why) for code, text, why in summary.get("other_outcomes", [])]
    return result


def errors_download(job: imports.ImportJob) -> FileResponse:
    """The faults of a check, and what becomes of each household, as a workbook."""
    out = io.BytesIO()
    write_problems(out, imports.problems_of(job), outcomes(job))
    stem = job.original_name.rsplit(".", 1)[0]
    return download(out, f"{stem}-{_('errors')}.xlsx")
