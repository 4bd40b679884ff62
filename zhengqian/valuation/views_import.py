"""Pages of the valuations' Excel import and export (see zhengqian.valuation.imports); what they
share with the other modules' imports is in zhengqian.core.import_views.

Download the workbook (the export: the project's households with the figures entered so far) →
fill it in → upload → check (within the request for small files, by the worker with a progress
bar for large ones) → the report: what would be written and every fault, downloadable → the
valuer confirms → the valid households are written in one transaction.
"""

from __future__ import annotations

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

from zhengqian.accounts.permissions import OutOfScope
from zhengqian.core import import_views as pages
from zhengqian.core.forms import attach_errors
from zhengqian.core.imports import ImportStatus
from zhengqian.projects.models import Project
from zhengqian.projects.selectors import get_project_for_user
from zhengqian.valuation import imports
from zhengqian.valuation.models_import import ValuationImport
from zhengqian.valuation.tasks import import_valuations, validate_valuation_import


class UploadForm(pages.WorkbookUploadForm):
    file = forms.FileField(
        label=gettext_lazy("Valuation workbook (.xlsx)"),
        help_text=gettext_lazy("The downloaded workbook, filled in; at most 20 MB."),
    )


def _project(request: HttpRequest, project_id: int) -> Project:
    """The project (404 outside the user's projects) and the right to import into it (403):
    a valuer of the firm chosen for it."""
    project = get_project_for_user(request.user, project_id)
    imports.require_project_valuer(request.user, project)
    return project


def _job(request: HttpRequest, project: Project, pk: int) -> ValuationImport:
    try:
        return imports.imports_for_user(request.user, project).get(pk=pk)
    except ValuationImport.DoesNotExist:
        raise OutOfScope("valuation.valuationimport", pk) from None


def _project_page_url(project: Project) -> str:
    try:
        return reverse("valuation:project", args=[project.pk])
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
                pages.enqueue(job, validate_valuation_import, job.pk, translation.get_language())
            else:
                imports.run_validation(job)
            return redirect("valuation:import_detail", project_id=project.pk, pk=job.pk)
    return render(
        request,
        "valuation/import/start.html",
        {
            "project": project,
            "form": form,
            "recent": imports.imports_for_user(request.user, project)[: pages.RECENT_IMPORTS],
            "project_page_url": _project_page_url(project),
            "sync_max": imports.SYNC_MAX_HOUSEHOLDS,
        },
        status=400 if form.errors else 200,
    )


def _detail_context(project: Project, job: ValuationImport) -> dict[str, Any]:
    return {
        **pages.report_context(job),
        "project": project,
        "progress_url": reverse("valuation:import_progress", args=[project.pk, job.pk]),
        "errors_url": reverse("valuation:import_errors_xlsx", args=[project.pk, job.pk]),
        "project_page_url": _project_page_url(project),
    }


@login_required
@require_GET
def import_detail(request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
    project = _project(request, project_id)
    job = _job(request, project, pk)
    return render(request, "valuation/import/detail.html", _detail_context(project, job))


@login_required
@require_GET
def import_progress(request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
    """The progress bar, polled by HTMX every second while the worker runs."""
    project = _project(request, project_id)
    job = _job(request, project, pk)
    url = reverse("valuation:import_progress", args=[project.pk, job.pk])
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
        return redirect("valuation:import_detail", project_id=project.pk, pk=job.pk)
    households = (job.summary or {}).get("valid", {}).get("households", 0)
    if households > imports.SYNC_MAX_HOUSEHOLDS:
        pages.enqueue(job, import_valuations, job.pk, digest, translation.get_language())
    else:
        job = imports.run_import(job, expected_digest=digest)
        if job.status == ImportStatus.DONE:
            messages.success(
                request,
                _("The valuations of %(count)d households imported.")
                % {"count": job.summary.get("imported", {}).get("households", 0)},
            )
    return redirect("valuation:import_detail", project_id=project.pk, pk=job.pk)


@login_required
@require_GET
def export(request: HttpRequest, project_id: int) -> FileResponse:
    """The project's valuations as a workbook, which is also the template to fill in."""
    project = get_project_for_user(request.user, project_id)
    # Spooled: a large project's workbook goes to a temporary file, not into memory.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (the response closes it)
    imports.valuation_export(actor=request.user, project=project, out=out)  # type: ignore[arg-type]
    stamp = timezone.localdate().strftime("%Y%m%d")
    return pages.download(out, f"评估数据-{project.code}-{stamp}.xlsx")
