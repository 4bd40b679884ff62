"""The housing stock pages: a project's stock (estates and the filtered flat list), an estate's
page (buildings, flats, the handover), the forms of estates, buildings and flats, and the
Excel import of flats (template, upload and its check, import, the faults as a workbook).

Thin views: the rules are in services_stock and imports_stock. A project, estate or flat
outside the user's scope is 404; a refused write is 403 (AccessDenied); a refused form comes
back with its errors (400).
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read
from zhengqian.core import imports
from zhengqian.core.excel import write_problems
from zhengqian.core.forms import submit
from zhengqian.core.http import is_htmx, next_url
from zhengqian.core.import_views import download
from zhengqian.projects.models import Project
from zhengqian.resettlement import forms_stock as forms
from zhengqian.resettlement import imports_stock, selectors_stock, services_stock
from zhengqian.resettlement.models import Estate, Flat, FlatStatus
from zhengqian.resettlement.selectors import get_project_for_user, may, sees_personal


def _require(request: HttpRequest, project: Project | int, action: Action) -> None:
    require(request.user, Module.RESETTLEMENT, action, project=project)


def _estate_url(estate: Estate | int) -> str:
    return reverse("resettlement:estate", args=[estate if isinstance(estate, int) else estate.pk])


def _audit_personal(request: HttpRequest, project: Project, rows: list[dict[str, Any]]) -> None:
    """Unmasked heads of household on the page are an audited read."""
    households = [r["household_code"] for r in rows if r["household_code"]]
    if households and sees_personal(request.user, project):
        record_read(
            actor=request.user,
            event_type="resettlement.stock_read",
            target=project,
            project=project.pk,
            details={"households": households},
        )


# --- the stock page ------------------------------------------------------------------------------


@login_required
@require_GET
def stock(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    form = forms.FilterForm(
        request.GET or None, project=project, layouts=selectors_stock.layouts(project)
    )
    flats = selectors_stock.flats(project, form.filters())
    page = Paginator(flats, selectors_stock.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors_stock.flat_rows(request.user, project, list(page.object_list))
    _audit_personal(request, project, rows)
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "project": project,
        "form": form,
        "page_obj": page,
        "rows": rows,
        "query_string": query.urlencode(),
        "may_create": may(request.user, project, Action.CREATE),
    }
    if is_htmx(request):
        return render(request, "resettlement/stock/_flats.html", context)
    context.update(
        estates=selectors_stock.estates(project),
        counts=selectors_stock.status_counts(project),
        statuses=FlatStatus.choices,
        active="stock",
    )
    return render(request, "resettlement/stock/stock.html", context)


# --- estates -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def estate_create(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    _require(request, project, Action.CREATE)
    form = forms.EstateForm(request.POST or None)
    created: list[Estate] = []
    if request.method == "POST" and submit(
        form,
        lambda d: created.append(
            services_stock.estate_create(actor=request.user, project=project, **d)
        ),
    ):
        messages.success(request, _("The estate was recorded."))
        return redirect(_estate_url(created[0]))
    return render(
        request,
        "resettlement/stock/estate_form.html",
        {"project": project, "form": form, "active": "stock"},
        status=400 if form.errors else 200,
    )


def _estate_page(
    request: HttpRequest, estate: Estate, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    project = estate.project
    user = request.user
    flats = list(selectors_stock.flats(project, selectors_stock.Filters(estate=estate.pk)))
    rows = selectors_stock.flat_rows(user, project, flats)
    _audit_personal(request, project, rows)
    bound = bound or {}
    context = {
        "project": project,
        "estate": estate,
        "buildings": estate.buildings.all(),
        "rows": rows,
        "counts": selectors_stock.status_counts(project, estate),
        "statuses": FlatStatus.choices,
        "may_create": may(user, project, Action.CREATE),
        "may_change": may(user, project, Action.CHANGE),
        "may_delete": may(user, project, Action.DELETE),
        "building_form": bound.get("building_form") or forms.BuildingForm(),
        "handover_form": bound.get("handover_form") or forms.HandoverForm(),
        "status_form": forms.FlatStatusForm(),
        "status_errors": bound.get("status_errors"),
        "active": "stock",
    }
    return render(request, "resettlement/stock/estate.html", context, status=status)


@login_required
@require_GET
def estate(request: HttpRequest, pk: int) -> HttpResponse:
    return _estate_page(request, selectors_stock.get_estate_for_user(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def estate_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors_stock.get_estate_for_user(request.user, pk)
    _require(request, found.project_id, Action.CHANGE)
    form = forms.EstateForm.for_estate(found, request.POST or None)
    if request.method == "POST" and submit(
        form, lambda d: services_stock.estate_update(actor=request.user, estate=found, **d)
    ):
        messages.success(request, _("The estate was saved."))
        return redirect(_estate_url(found))
    return render(
        request,
        "resettlement/stock/estate_form.html",
        {"project": found.project, "estate": found, "form": form, "active": "stock"},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def estate_handover(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors_stock.get_estate_for_user(request.user, pk)
    _require(request, found.project_id, Action.CHANGE)
    form = forms.HandoverForm(request.POST)
    if submit(
        form, lambda d: services_stock.estate_handover(actor=request.user, estate=found, **d)
    ):
        messages.success(request, _("The handover was recorded."))
        return redirect(_estate_url(found))
    return _estate_page(request, found, bound={"handover_form": form}, status=400)


@login_required
@require_POST
def building_create(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors_stock.get_estate_for_user(request.user, pk)
    _require(request, found.project_id, Action.CREATE)
    form = forms.BuildingForm(request.POST)
    if submit(
        form, lambda d: services_stock.building_create(actor=request.user, estate=found, **d)
    ):
        messages.success(request, _("The building was recorded."))
        return redirect(_estate_url(found))
    return _estate_page(request, found, bound={"building_form": form}, status=400)


# --- flats ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def flat_create(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors_stock.get_estate_for_user(request.user, pk)
    _require(request, found.project_id, Action.CREATE)
    form = forms.FlatForm(request.POST or None, estate=found)
    if request.method == "POST" and submit(
        form, lambda d: services_stock.flat_create(actor=request.user, **d)
    ):
        messages.success(request, _("The flat was recorded."))
        return redirect(_estate_url(found))
    return render(
        request,
        "resettlement/stock/flat_form.html",
        {"project": found.project, "estate": found, "form": form, "active": "stock"},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def flat_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors_stock.get_flat_for_user(request.user, pk)
    _require(request, found.project_id, Action.CHANGE)
    form = forms.FlatForm.for_flat(found, request.POST or None)
    if request.method == "POST" and submit(
        form, lambda d: services_stock.flat_update(actor=request.user, flat=found, **d)
    ):
        messages.success(request, _("The flat was saved."))
        return redirect(_estate_url(found.estate_id))
    return render(
        request,
        "resettlement/stock/flat_form.html",
        {
            "project": found.estate.project,
            "estate": found.estate,
            "flat": found,
            "form": form,
            "active": "stock",
        },
        status=400 if form.errors else 200,
    )


def _flat_refused(request: HttpRequest, flat: Flat, exc: ValidationError) -> HttpResponse:
    """A refused status change or deletion: the estate's page with the reason."""
    return _estate_page(
        request,
        flat.estate,
        bound={"status_errors": {"flat": flat.pk, "messages": exc.messages}},
        status=400,
    )


@login_required
@require_POST
def flat_status(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors_stock.get_flat_for_user(request.user, pk)
    _require(request, found.project_id, Action.CHANGE)
    form = forms.FlatStatusForm(request.POST)
    if not form.is_valid():
        return _flat_refused(request, found, ValidationError(list(form.errors.values())))
    try:
        services_stock.flat_set_status(actor=request.user, flat=found, **form.cleaned_data)
    except ValidationError as exc:
        return _flat_refused(request, found, exc)
    messages.success(request, _("The status of flat %(flat)s was changed.") % {"flat": found})
    return redirect(next_url(request, _estate_url(found.estate_id)))


@login_required
@require_POST
def flat_delete(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors_stock.get_flat_for_user(request.user, pk)
    _require(request, found.project_id, Action.DELETE)
    try:
        services_stock.flat_delete(actor=request.user, flat=found)
    except ValidationError as exc:
        return _flat_refused(request, found, exc)
    messages.success(request, _("The flat %(flat)s was deleted.") % {"flat": found})
    return redirect(_estate_url(found.estate_id))


# --- the import ----------------------------------------------------------------------------------


def _import_project(request: HttpRequest, pk: int) -> Project:
    project = get_project_for_user(request.user, pk)
    _require(request, project, Action.CREATE)
    return project


@login_required
@require_GET
def import_template(request: HttpRequest, pk: int) -> FileResponse:
    _import_project(request, pk)
    out = io.BytesIO()
    imports_stock.write_template(out)
    return download(out, f"{_('resettlement flats')}.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest, pk: int) -> HttpResponse:
    project = _import_project(request, pk)
    form = forms.StockUploadForm(request.POST or None, request.FILES or None)
    job: list[Any] = []
    if request.method == "POST" and submit(
        form,
        lambda d: job.append(
            imports_stock.stock_upload(actor=request.user, project=project, upload=d["file"])
        ),
    ):
        return redirect("resettlement:import_detail", project.pk, job[0].pk)
    return render(
        request,
        "resettlement/stock/import_start.html",
        {
            "project": project,
            "form": form,
            "recent": selectors_stock.recent_imports(project, request.user),
            "active": "stock",
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int, import_id: int) -> HttpResponse:
    project = _import_project(request, pk)
    job = selectors_stock.get_import_for_user(request.user, project, import_id)
    problems = [imports.Problem.from_json(p) for p in job.errors]
    return render(
        request,
        "resettlement/stock/import_detail.html",
        {"project": project, "job": job, "problems": problems[:200], "active": "stock"},
    )


@login_required
@require_GET
def import_errors(request: HttpRequest, pk: int, import_id: int) -> FileResponse:
    project = _import_project(request, pk)
    job = selectors_stock.get_import_for_user(request.user, project, import_id)
    out = io.BytesIO()
    write_problems(out, [imports.Problem.from_json(p) for p in job.errors], [])
    stem = job.file_name.rsplit(".", 1)[0]
    return download(out, f"{stem}-{_('errors')}.xlsx")


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int, import_id: int) -> HttpResponse:
    project = _import_project(request, pk)
    job = selectors_stock.get_import_for_user(request.user, project, import_id)
    try:
        count = imports_stock.stock_import(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("resettlement:import_detail", project.pk, job.pk)
    messages.success(request, _("%(count)d flats were imported.") % {"count": count})
    return redirect("resettlement:stock", project.pk)
