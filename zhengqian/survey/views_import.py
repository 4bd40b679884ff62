"""Pages of the survey's Excel import and export (see zhengqian.survey.imports).

Upload → check (within the request for small files, by the worker with a progress bar for large
ones) → the report: what would be imported and every fault, downloadable → the user confirms →
the valid households are written in one transaction.
"""

from __future__ import annotations

import io
import logging
import tempfile
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.permissions import OutOfScope, has_perm, require
from zhengqian.accounts.roles import Action, Module
from zhengqian.core.forms import StyledForm, attach_errors
from zhengqian.core.http import is_htmx
from zhengqian.projects.models import Project
from zhengqian.projects.selectors import get_project_for_user
from zhengqian.survey import excel, imports
from zhengqian.survey.models import SurveyImport, SurveyImportStatus
from zhengqian.survey.tasks import import_survey, validate_survey_import

logger = logging.getLogger(__name__)

# Faults shown on the page; all of them (up to imports.MAX_STORED_PROBLEMS) are in the download.
PAGE_PROBLEMS = 200
# Household codes listed on the page per list (kept / skipped); the download has them all.
PAGE_CODES = 300
RECENT_IMPORTS = 10


class UploadForm(StyledForm):
    file = forms.FileField(
        label=gettext_lazy("Survey workbook (.xlsx)"),
        help_text=gettext_lazy("Filled in from the template; at most 20 MB."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is larger than %(max)d MB; split it into several files.")
                % {"max": imports.MAX_UPLOAD_BYTES // (1024 * 1024)},
                code="too_large",
            )
        return upload


def _project(request: HttpRequest, project_id: int) -> Project:
    """The project (404 outside the user's projects) and the right to import into it (403)."""
    project = get_project_for_user(request.user, project_id)
    require(request.user, Module.SURVEY, Action.CREATE, project=project)
    return project


def _job(request: HttpRequest, project: Project, pk: int) -> SurveyImport:
    try:
        return imports.imports_for_user(request.user, project).get(pk=pk)
    except SurveyImport.DoesNotExist:
        raise OutOfScope("survey.surveyimport", pk) from None


def _download(content: io.BytesIO | Any, filename: str) -> FileResponse:
    content.seek(0)
    return FileResponse(
        content, as_attachment=True, filename=filename, content_type=excel.XLSX_CONTENT_TYPE
    )


def _household_list_url(project: Project) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("survey:household_list", args=[project.pk])
    except NoReverseMatch:
        return ""


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_upload(
                actor=request.user, project=project, upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if imports.runs_in_background(job):
                _enqueue(job, validate_survey_import, job.pk, translation.get_language())
            else:
                imports.run_validation(job)
            return redirect("survey:import_detail", project_id=project.pk, pk=job.pk)
    return render(
        request,
        "survey/import/start.html",
        {
            "project": project,
            "form": form,
            "recent": imports.imports_for_user(request.user, project)[:RECENT_IMPORTS],
            "can_export": _can_export(request.user, project),
            "household_list_url": _household_list_url(project),
            "sync_max": imports.SYNC_MAX_HOUSEHOLDS,
        },
        status=400 if form.errors else 200,
    )


def _enqueue(job: SurveyImport, task: Any, *args: Any) -> None:
    """Hand the job to the worker; if the queue refuses it, the import says so instead of
    waiting for ever."""
    try:
        task.enqueue(*args)
    except Exception:
        logger.exception("Survey import %s could not be queued", job.pk)
        imports.mark_failed(job, _("The background worker could not be reached; try again."))


def _can_export(user: Any, project: Project) -> bool:
    return has_perm(user, Module.SURVEY, Action.EXPORT, project=project) and has_perm(
        user, Module.SURVEY, Action.VIEW_PERSONAL, project=project
    )


@login_required
@require_GET
def import_template(request: HttpRequest, project_id: int) -> FileResponse:
    project = _project(request, project_id)
    out = io.BytesIO()
    imports.template_for(actor=request.user, project=project, out=out)
    return _download(out, f"调查数据导入模板-{project.code}.xlsx")


def _detail_context(project: Project, job: SurveyImport) -> dict[str, Any]:
    summary = job.summary or {}
    skipped = summary.get("skipped", [])
    kept = summary.get("kept_codes", [])
    return {
        "project": project,
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
        "can_confirm": job.status == SurveyImportStatus.VALIDATED and bool(kept),
        "household_list_url": _household_list_url(project),
    }


@login_required
@require_GET
def import_detail(request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
    project = _project(request, project_id)
    job = _job(request, project, pk)
    return render(request, "survey/import/detail.html", _detail_context(project, job))


@login_required
@require_GET
def import_progress(request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
    """The progress bar, polled by HTMX every second while the worker runs."""
    project = _project(request, project_id)
    job = _job(request, project, pk)
    response = render(request, "survey/import/_progress.html", {"project": project, "job": job})
    if not job.is_running and is_htmx(request):
        # Finished: the whole page is reloaded to show the report instead of the bar.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def import_errors_xlsx(request: HttpRequest, project_id: int, pk: int) -> FileResponse:
    project = _project(request, project_id)
    job = _job(request, project, pk)
    summary = job.summary or {}
    skipped = dict(summary.get("skipped", []))
    outcomes = [(code, True, "") for code in summary.get("kept_codes", [])]
    outcomes += [(code, False, why) for code, why in skipped.items()]
    out = io.BytesIO()
    excel.write_problems(out, imports.problems_of(job), outcomes)
    stem = job.original_name.rsplit(".", 1)[0]
    return _download(out, f"{stem}-{_('errors')}.xlsx")


@login_required
@require_POST
def import_confirm(request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
    project = _project(request, project_id)
    job = _job(request, project, pk)
    digest = request.POST.get("digest", "")
    if not imports.confirm_import(actor=request.user, job=job):
        messages.warning(request, _("This import is not waiting for confirmation."))
        return redirect("survey:import_detail", project_id=project.pk, pk=job.pk)
    households = (job.summary or {}).get("valid", {}).get("households", 0)
    if households > imports.SYNC_MAX_HOUSEHOLDS:
        _enqueue(job, import_survey, job.pk, digest, translation.get_language())
    else:
        job = imports.run_import(job, expected_digest=digest)
        if job.status == SurveyImportStatus.DONE:
            messages.success(
                request,
                _("%(count)d households imported.")
                % {"count": job.summary.get("imported", {}).get("households", 0)},
            )
    return redirect("survey:import_detail", project_id=project.pk, pk=job.pk)


@login_required
@require_GET
def export(request: HttpRequest, project_id: int) -> FileResponse:
    project = get_project_for_user(request.user, project_id)
    # Spooled: a large project's workbook goes to a temporary file, not into memory.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (the response closes it)
    imports.survey_export(actor=request.user, project=project, out=out)  # type: ignore[arg-type]
    stamp = timezone.localdate().strftime("%Y%m%d")
    return _download(out, f"调查数据-{project.code}-{stamp}.xlsx")
