"""Pages of the survey's Excel import and export (see zhengqian.survey.imports); what they share
with the other modules' imports is in zhengqian.core.import_views.

Upload → check (within the request for small files, by the worker with a progress bar for large
ones) → the report: what would be imported and every fault, downloadable → the user confirms →
the valid households are written in one transaction.
"""

from __future__ import annotations

import io
import tempfile
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.permissions import OutOfScope, has_perm, require
from zhengqian.accounts.roles import Action, Module
from zhengqian.core import import_views as pages
from zhengqian.core.forms import attach_errors
from zhengqian.core.import_views import RECENT_IMPORTS
from zhengqian.projects.models import Project
from zhengqian.projects.selectors import get_project_for_user
from zhengqian.survey import imports
from zhengqian.survey.models import SurveyImport, SurveyImportStatus
from zhengqian.survey.tasks import import_survey, validate_survey_import


class UploadForm(pages.WorkbookUploadForm):
    file = forms.FileField(
        label=gettext_lazy("Survey workbook (.xlsx)"),
        help_text=gettext_lazy("Filled in from the template; at most 20 MB."),
    )


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


def _household_list_url(project: Project) -> str:
    try:
        return reverse("survey:household_list", args=[project.pk])
    except NoReverseMatch:
        return ""


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    form = UploadForm(
        request.POST or None, request.FILES or None, max_bytes=imports.MAX_UPLOAD_BYTES
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_upload(
                actor=request.user, project=project, upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if imports.runs_in_background(job):
                pages.enqueue(job, validate_survey_import, job.pk, translation.get_language())
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
    return pages.download(out, f"调查数据导入模板-{project.code}.xlsx")


def _detail_context(project: Project, job: SurveyImport) -> dict[str, Any]:
    return {
        **pages.report_context(job),
        "project": project,
        "progress_url": reverse("survey:import_progress", args=[project.pk, job.pk]),
        "errors_url": reverse("survey:import_errors_xlsx", args=[project.pk, job.pk]),
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
    url = reverse("survey:import_progress", args=[project.pk, job.pk])
    return pages.progress(request, job, {"project": project, "progress_url": url})


@login_required
@require_GET
def import_errors_xlsx(request: HttpRequest, project_id: int, pk: int) -> FileResponse:
    project = _project(request, project_id)
    return pages.errors_download(_job(request, project, pk))


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
        pages.enqueue(job, import_survey, job.pk, digest, translation.get_language())
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
    return pages.download(out, f"调查数据-{project.code}-{stamp}.xlsx")
