"""The batch calculation pages (批量核算): a project's form to start a batch with its recent
batches, a batch's page, and its progress bar polled by HTMX while the worker runs.

Thin views: the rules are in compensation.batch. A refused start raises AccessDenied (403); a
project or batch outside the user's scope is 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhengqian.accounts.permissions import OutOfScope, has_perm, require
from zhengqian.accounts.roles import Action, Module
from zhengqian.compensation import batch as batches
from zhengqian.compensation import selectors, tasks
from zhengqian.compensation.forms_batch import BATCH_MODE_CHOICES, BatchForm
from zhengqian.compensation.models import BatchStatus, CalculationBatch
from zhengqian.core.forms import attach_errors
from zhengqian.core.http import is_htmx
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household

RECENT = 20
RUNNING = {BatchStatus.QUEUED, BatchStatus.RUNNING}


def _may_start(user: Any, project: Project) -> bool:
    return has_perm(user, Module.COMPENSATION, Action.CREATE, project=project.pk)


def _household_ids(form: BatchForm, project: Project) -> list[int] | None:
    """The households named by code (None: all); unknown codes are put on the field."""
    codes: list[str] = form.cleaned_data["households"]
    if not codes:
        return None
    found = dict(
        Household.objects.filter(project=project, code__in=codes).values_list("code", "pk")
    )
    unknown = [c for c in codes if c not in found]
    if unknown:
        form.add_error(
            "households",
            _("Unknown household codes: %(codes)s.") % {"codes": ", ".join(unknown)},
        )
        return None
    return list(found.values())


def _start(request: HttpRequest, project: Project, form: BatchForm) -> CalculationBatch | None:
    if not form.is_valid():
        return None
    ids = _household_ids(form, project)
    if form.errors:
        return None
    data = form.cleaned_data
    try:
        batch = batches.batch_start(
            actor=request.user,
            project=project,
            mode=data["mode"],
            household_ids=ids,
            signing_on=data["signing_on"],
            vacating_on=data["vacating_on"],
        )
    except ValidationError as exc:
        attach_errors(form, exc)
        return None
    if batch.total <= batches.SYNC_MAX:
        batches.run_batch(batch)
    else:
        tasks.calculate_batch.enqueue(batch.pk)
    return batch


@login_required
@require_http_methods(["GET", "POST"])
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for_user(request.user, pk)
    may_start = _may_start(request.user, project)
    form: BatchForm | None = BatchForm() if may_start else None
    status = 200
    if request.method == "POST":
        require(request.user, Module.COMPENSATION, Action.CREATE, project=project)
        form = BatchForm(request.POST)
        started = _start(request, project, form)
        if started is not None:
            return redirect(reverse("compensation:batch_detail", args=[started.pk]))
        status = 400
    recent = list(
        CalculationBatch.objects.filter(project=project)
        .select_related("created_by")
        .order_by("-created_at")[:RECENT]
    )
    context = {
        "project": project,
        "form": form,
        "batches": [(b, _mode_label(b.mode)) for b in recent],
    }
    return render(request, "compensation/batch/batch.html", context, status=status)


def _mode_label(mode: str) -> str:
    return str(dict(BATCH_MODE_CHOICES).get(mode, mode))


def _get_batch(user: Any, pk: int) -> CalculationBatch:
    try:
        found = CalculationBatch.objects.select_related("project", "created_by").get(pk=pk)
    except CalculationBatch.DoesNotExist:
        raise OutOfScope("compensation.calculationbatch", pk) from None
    selectors.get_project_for_user(user, found.project_id)
    return found


def _context(found: CalculationBatch) -> dict[str, Any]:
    return {
        "project": found.project,
        "batch": found,
        "mode": _mode_label(found.mode),
        "running": found.status in RUNNING,
        "percent": round(100 * found.done / found.total) if found.total else 100,
        "skipped": sorted(found.skipped.items()),
        "progress_url": reverse("compensation:batch_progress", args=[found.pk]),
    }


@login_required
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = _get_batch(request.user, pk)
    return render(request, "compensation/batch/detail.html", _context(found))


@login_required
@require_GET
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by HTMX every 2 s while the batch runs; once it is finished,
    the page is reloaded to show the households left out."""
    found = _get_batch(request.user, pk)
    context = _context(found)
    response = render(request, "compensation/batch/_progress.html", context)
    if not context["running"] and is_htmx(request):
        response["HX-Refresh"] = "true"
    return response
