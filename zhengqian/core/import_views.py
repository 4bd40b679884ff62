"""The pages of every module's Excel import (see zhengqian.core.imports): a module declares its
pages as an ImportPages, around its ImportFlow, and keeps only what is its own (its workbook's
template or export, the texts of its pages, its counts).

Upload → check (within the request for small files, by the worker with a progress bar for large
ones) → the report: what would be imported and every fault, downloadable → the user confirms →
the valid households are written in one transaction.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tasks.base import Task

from zhengqian.accounts.permissions import OutOfScope
from zhengqian.core import imports
from zhengqian.core.excel import XLSX_CONTENT_TYPE, write_problems
from zhengqian.core.forms import StyledForm, attach_errors
from zhengqian.core.http import is_htmx
from zhengqian.projects.selectors import get_project_for_user

if TYPE_CHECKING:
    from zhengqian.projects.models import Project

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


def export_download(
    export: Callable[..., object], *, actor: Any, project: Project, name: str
) -> FileResponse:
    """A module's export of the project (``export(actor=, project=, out=)``) downloaded as
    ``name``-(project code)-(today).xlsx."""
    # Spooled: a large project's workbook goes to a temporary file, not into memory.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (the response closes it)
    export(actor=actor, project=project, out=out)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return download(out, f"{name}-{project.code}-{stamp}.xlsx")


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


def _no_context(request: HttpRequest, project: Project) -> dict[str, Any]:
    return {}


def _url_or_nothing(view: str, *args: Any) -> str:
    try:
        return reverse(view, args=args)
    except NoReverseMatch:
        return ""


@dataclass(frozen=True, kw_only=True)
class ImportPages:
    """The pages of one module's import, its views bound methods (as an admin site's are):
    the start page (the upload and the user's recent imports), an import's page (its report
    or its progress bar), the progress bar polled by HTMX, the download of the faults, and the
    confirmation. urls() gives their URL patterns, named import_start, import_detail,
    import_progress, import_errors_xlsx and import_confirm in the module's namespace.

    The module's templates (``templates``/start.html and detail.html) extend the skeletons in
    core/import/ with their own texts; ``links`` names the module's pages they link to.
    """

    flow: imports.ImportFlow[Any]
    namespace: str  # the module's URL namespace
    templates: str  # the folder of the module's start.html and detail.html
    form: type[WorkbookUploadForm]
    title: Promise | str  # of an import's page ("Survey import")
    start_title: Promise | str  # of the start page
    imported: Promise | str  # the message once households are imported: "%(count)d households …"
    # The columns of the report's counts (key in the summary, label), and its row of the file.
    counts: tuple[tuple[str, Promise | str], ...]
    in_file_label: Promise | str
    # The module's background tasks: check (import id, language), import (…, digest, language).
    check_task: Task[[int, str], dict[str, object]]
    import_task: Task[[int, str, str], dict[str, object]]
    # Context name → URL name of a page of the project ("" where that page is not installed).
    links: dict[str, str]
    start_context: Callable[[HttpRequest, Project], dict[str, Any]] = field(default=_no_context)

    def urls(self) -> list[URLPattern]:
        prefix = "projects/<int:project_id>/import"
        return [
            path(f"{prefix}/", self.start, name="import_start"),
            path(f"{prefix}/<int:pk>/", self.detail, name="import_detail"),
            path(f"{prefix}/<int:pk>/progress/", self.progress, name="import_progress"),
            path(f"{prefix}/<int:pk>/errors.xlsx", self.errors, name="import_errors_xlsx"),
            path(f"{prefix}/<int:pk>/confirm/", self.confirm, name="import_confirm"),
        ]

    def _url(self, name: str, *args: Any) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)

    def project(self, request: HttpRequest, project_id: int) -> Project:
        """The project (404 outside the user's projects) and the right to import into it
        (403)."""
        project = get_project_for_user(request.user, project_id)
        self.flow.authorise(request.user, project)
        return project

    def _job(self, request: HttpRequest, project: Project, pk: int) -> Any:
        try:
            return self.flow.jobs_for_user(request.user, project).get(pk=pk)
        except ObjectDoesNotExist:
            raise OutOfScope(self.flow.model._meta.label_lower, pk) from None

    def _context(self, project: Project, **context: Any) -> dict[str, Any]:
        """What both pages show: the project, the module's links, the names of its views."""
        return {
            "project": project,
            "url_names": {
                name: f"{self.namespace}:import_{name}" for name in ("start", "detail", "confirm")
            },
            **{name: _url_or_nothing(view, project.pk) for name, view in self.links.items()},
            **context,
        }

    @method_decorator(login_required)
    @method_decorator(require_http_methods(["GET", "POST"]))
    def start(self, request: HttpRequest, project_id: int) -> HttpResponse:
        project = self.project(request, project_id)
        form = self.form(
            request.POST or None, request.FILES or None, max_bytes=self.flow.max_upload_bytes()
        )
        if request.method == "POST" and form.is_valid():
            try:
                job = self.flow.upload(
                    actor=request.user, project=project, upload=form.cleaned_data["file"]
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                if self.flow.runs_in_background(job):
                    enqueue(job, self.check_task, job.pk, translation.get_language())
                else:
                    self.flow.run_validation(job)
                return redirect(self._url("import_detail", project.pk, job.pk))
        context = self._context(
            project,
            title=self.start_title,
            form=form,
            recent=self.flow.jobs_for_user(request.user, project)[:RECENT_IMPORTS],
            sync_max=self.flow.sync_max_households(),
            **self.start_context(request, project),
        )
        return render(
            request,
            f"{self.templates}/start.html",
            context,
            status=400 if form.errors else 200,
        )

    @method_decorator(login_required)
    @method_decorator(require_GET)
    def detail(self, request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
        project = self.project(request, project_id)
        job = self._job(request, project, pk)
        context = self._context(
            project,
            **report_context(job),
            title=self.title,
            count_columns=self.counts,
            in_file_label=self.in_file_label,
            progress_url=self._url("import_progress", project.pk, job.pk),
            errors_url=self._url("import_errors_xlsx", project.pk, job.pk),
        )
        return render(request, f"{self.templates}/detail.html", context)

    @method_decorator(login_required)
    @method_decorator(require_GET)
    def progress(self, request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
        """The progress bar, polled by HTMX every second while the worker runs; once the job
        is finished, the page is reloaded to show the report."""
        project = self.project(request, project_id)
        job = self._job(request, project, pk)
        context = {
            "project": project,
            "job": job,
            "progress_url": self._url("import_progress", project.pk, job.pk),
        }
        response = render(request, "core/import/_progress.html", context)
        if not job.is_running and is_htmx(request):
            response["HX-Refresh"] = "true"
        return response

    @method_decorator(login_required)
    @method_decorator(require_GET)
    def errors(self, request: HttpRequest, project_id: int, pk: int) -> FileResponse:
        project = self.project(request, project_id)
        return errors_download(self._job(request, project, pk))

    @method_decorator(login_required)
    @method_decorator(require_POST)
    def confirm(self, request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
        project = self.project(request, project_id)
        job = self._job(request, project, pk)
        detail = self._url("import_detail", project.pk, job.pk)
        digest = request.POST.get("digest", "")
        if not self.flow.confirm(actor=request.user, job=job):
            messages.warning(request, _("This import is not waiting for confirmation."))
            return redirect(detail)
        households = (job.summary or {}).get("valid", {}).get("households", 0)
        if households > self.flow.sync_max_households():
            enqueue(job, self.import_task, job.pk, digest, translation.get_language())
        else:
            job = self.flow.run_import(job, expected_digest=digest)
            if job.status == imports.ImportStatus.DONE:
                count = job.summary.get("imported", {}).get("households", 0)
                messages.success(request, str(self.imported) % {"count": count})
        return redirect(detail)
