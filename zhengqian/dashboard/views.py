"""The dashboards: the leader's across the user's projects, a project's own, the households
behind any figure (an audited read: it names people) and the project's plan points."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.permissions import has_perm, has_perm_anywhere
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_search
from zhengqian.core.forms import submit
from zhengqian.core.http import is_htmx
from zhengqian.dashboard import selectors, services
from zhengqian.dashboard.forms import LeaderFilterForm, PlanPointChangeForm, PlanPointForm
from zhengqian.dashboard.lists import BadFilter, Filters
from zhengqian.projects.models import Project


@login_required
@require_GET
def leader(request: HttpRequest) -> HttpResponse:
    user = request.user
    selectors.require_dashboard(user)
    districts, kinds = selectors.filter_choices(user)
    form = LeaderFilterForm(request.GET or None, districts=districts, kinds=kinds)
    district_id: int | None = None
    project_kind = ""
    valid = form.is_valid() if form.is_bound else True
    if form.is_bound and valid:
        district_id = form.cleaned_data["district"] or None
        project_kind = form.cleaned_data["project_kind"]
    data = selectors.leader_dashboard(user, district_id=district_id, project_kind=project_kind)
    context = {"form": form, "data": data}
    return render(request, "dashboard/dashboard_leader.html", context, status=200 if valid else 400)


def _project_context(
    request: HttpRequest,
    project: Project,
    form: PlanPointForm | None = None,
    failed: PlanPointChangeForm | None = None,
) -> dict[str, Any]:
    """The page's context; `form` / `failed`: a refused form to show again with its errors."""
    user = request.user
    may_plan = has_perm(user, Module.PROJECTS, Action.CHANGE, project=project)
    data = selectors.project_dashboard(user, project)
    return {
        "project": project,
        "data": data,
        "may_plan": may_plan,
        "plan_form": form or (PlanPointForm() if may_plan else None),
        "change_forms": [
            (
                point,
                failed
                if failed is not None and failed.point_pk == point.pk
                else PlanPointChangeForm(
                    initial={"due_on": point.due_on, "percent": point.percent},
                    auto_id=f"id_point{point.pk}_%s",
                ),
            )
            for point in data.plan_points
        ]
        if may_plan
        else [],
    }


@login_required
@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for_user(request.user, pk)
    return render(request, "dashboard/dashboard_project.html", _project_context(request, project))


@login_required
@require_GET
def households(request: HttpRequest) -> HttpResponse:
    user = request.user
    selectors.require_dashboard(user)
    try:
        filters = Filters.from_query(request.GET)
    except BadFilter as exc:
        context: dict[str, Any] = {
            "error": _("The list cannot be filtered by “%(name)s”.") % {"name": exc}
        }
        return render(request, "dashboard/households.html", context, status=400)
    rows_qs = selectors.households_query(user, filters)
    page = Paginator(rows_qs, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.household_rows(user, list(page.object_list))
    query = dict(filters.as_query())
    if filters.project_ids:
        query["project"] = ",".join(str(p) for p in filters.project_ids)
    # The list names people (masked or not): who looked at which households is recorded.
    record_search(
        actor=user,
        event_type="dashboard.households",
        project=filters.project_ids[0]
        if filters.project_ids and len(filters.project_ids) == 1
        else None,
        query=query,
        results=page.paginator.count,
    )
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filters": filters,
        "page_obj": page,
        "rows": rows,
        "query_string": params.urlencode(),
        "stage_label": selectors.STAGE_LABELS.get(filters.stage, ""),
        "stage_labels": selectors.STAGE_LABELS,
        # The Excel link is offered only where the user holds the export right somewhere.
        "may_export": has_perm_anywhere(user, Module.DASHBOARD, Action.EXPORT),
    }
    if is_htmx(request):
        return render(request, "dashboard/households_rows.html", context)
    return render(request, "dashboard/households.html", context)


def _plan_answer(
    request: HttpRequest, project: Project, wrote: bool, form: Any, message: str
) -> HttpResponse:
    if wrote:
        messages.success(request, message)
        return redirect(f"{project_url(project)}#plan")
    if isinstance(form, PlanPointForm):
        context = _project_context(request, project, form=form)
    else:
        context = _project_context(request, project, failed=form)
    template = "dashboard/_plan.html" if is_htmx(request) else "dashboard/dashboard_project.html"
    return render(request, template, context, status=400)


def project_url(project: Project) -> str:
    return reverse("dashboard:project", args=[project.pk])


@login_required
@require_POST
def plan_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for_user(request.user, pk)
    form = PlanPointForm(request.POST)
    wrote = submit(
        form,
        lambda d: services.plan_point_add(actor=request.user, project=project, **d),
    )
    return _plan_answer(request, project, wrote, form, _("The plan point was added."))


@login_required
@require_POST
def plan_change(request: HttpRequest, pk: int, point_pk: int) -> HttpResponse:
    project = selectors.get_project_for_user(request.user, pk)
    point = selectors.get_plan_point_for_user(request.user, project, point_pk)
    form = PlanPointChangeForm(request.POST, auto_id=f"id_point{point.pk}_%s", point_pk=point.pk)
    wrote = submit(
        form,
        lambda d: services.plan_point_change(actor=request.user, point=point, **d),
    )
    return _plan_answer(request, project, wrote, form, _("The plan point was changed."))


@login_required
@require_POST
def plan_remove(request: HttpRequest, pk: int, point_pk: int) -> HttpResponse:
    project = selectors.get_project_for_user(request.user, pk)
    point = selectors.get_plan_point_for_user(request.user, project, point_pk)
    services.plan_point_remove(actor=request.user, point=point)
    messages.success(request, _("The plan point was removed."))
    return redirect(f"{project_url(project)}#plan")
