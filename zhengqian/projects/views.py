from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.models import User
from zhengqian.accounts.permissions import (
    OutOfScope,
    has_perm,
    has_perm_anywhere,
    require,
    require_anywhere,
)
from zhengqian.accounts.roles import Action, Module
from zhengqian.core.calendar import office_calendar
from zhengqian.core.forms import attach_errors
from zhengqian.projects import selectors, services
from zhengqian.projects.forms import (
    DistrictForm,
    MilestonePlanForm,
    MilestoneRecordForm,
    ProjectEditForm,
    ProjectForm,
    WorkGroupForm,
)
from zhengqian.projects.models import Milestone, Project
from zhengqian.projects.rules import evaluate


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.projects_for_user(request.user).order_by("code")
    q = request.GET.get("q", "").strip()
    if q:
        projects = projects.filter(name__icontains=q) | projects.filter(code__icontains=q)
    return render(
        request,
        "projects/list.html",
        {
            "projects": projects,
            "q": q,
            "can_create": has_perm_anywhere(request.user, Module.PROJECTS, Action.CREATE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    require_anywhere(request.user, Module.PROJECTS, Action.CREATE)
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Project %(name)s created.") % {"name": project.name})
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "projects/form.html",
        {"form": form, "district_form": DistrictForm()},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def district_create(request: HttpRequest) -> HttpResponse:
    form = DistrictForm(request.POST)
    if form.is_valid():
        try:
            district = services.district_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("District %(name)s added.") % {"name": district.name})
            return redirect("projects:create")
    else:
        require_anywhere(request.user, Module.PROJECTS, Action.CREATE)
    return render(
        request, "projects/form.html", {"form": ProjectForm(), "district_form": form}, status=400
    )


def _milestone_rows(project: Project) -> list[dict[str, Any]]:
    milestones = list(selectors.milestones_of(project))
    siblings = {m.code: m for m in milestones}
    calendar = office_calendar()
    today = timezone.localdate()
    rows = []
    for m in milestones:
        verdict = (
            evaluate(m, today, siblings=siblings, calendar=calendar)
            if m.actual_date is None
            else None
        )
        rows.append({"m": m, "verdict": verdict, "rules": m.step.rules})
    return rows


def _detail_context(request: HttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    can_change = has_perm(request.user, Module.PROJECTS, Action.CHANGE, project=project)
    return {
        "project": project,
        "work_groups": selectors.work_groups_of(project),
        "milestone_rows": _milestone_rows(project),
        "can_change": can_change,
        "work_group_form": extra.get("work_group_form") or WorkGroupForm(leaders=_leaders(project)),
        "record_form": MilestoneRecordForm(),
        "error_milestone": extra.get("error_milestone"),
        "error_form": extra.get("error_form"),
    }


def _leaders(project: Project) -> Any:
    return (
        User.objects.filter(memberships__project=project, is_active=True)
        .distinct()
        .order_by("username")
    )


@login_required
@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for_user(request.user, pk)
    return render(request, "projects/detail.html", _detail_context(request, project))


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for_write(request.user, pk)
    require(request.user, Module.PROJECTS, Action.CHANGE, project=project)
    initial = {f: getattr(project, f) for f in services.PROJECT_FIELDS}
    form = ProjectEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("kind", None)
        try:
            services.project_update(actor=request.user, project=project, **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "projects/edit.html",
        {"form": form, "project": project},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def work_group_create(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for_write(request.user, pk)
    form = WorkGroupForm(request.POST, leaders=_leaders(project))
    if form.is_valid():
        try:
            services.work_group_create(actor=request.user, project=project, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Work group added."))
            return redirect("projects:detail", pk=project.pk)
    else:
        require(request.user, Module.PROJECTS, Action.CHANGE, project=project)
    return render(
        request,
        "projects/detail.html",
        _detail_context(request, project, work_group_form=form),
        status=400,
    )


def _milestone(project: Project, milestone_pk: Any) -> Milestone:
    try:
        return project.milestones.select_related("project").get(pk=int(milestone_pk))
    except (Milestone.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("projects.milestone", milestone_pk) from None


@login_required
@require_POST
def milestone_record(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    project = selectors.get_project_for_write(request.user, pk)
    milestone = _milestone(project, milestone_pk)
    form = MilestoneRecordForm(request.POST)
    if form.is_valid():
        try:
            services.milestone_record(actor=request.user, milestone=milestone, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("“%(step)s” recorded.") % {"step": milestone.name})
            return redirect("projects:detail", pk=project.pk)
    else:
        require(request.user, Module.PROJECTS, Action.CHANGE, project=project)
    return render(
        request,
        "projects/detail.html",
        _detail_context(request, project, error_milestone=milestone.pk, error_form=form),
        status=400,
    )


@login_required
@require_POST
def milestone_plan(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    project = selectors.get_project_for_write(request.user, pk)
    milestone = _milestone(project, milestone_pk)
    form = MilestonePlanForm(request.POST)
    if form.is_valid():
        services.milestone_plan(actor=request.user, milestone=milestone, **form.cleaned_data)
        messages.success(request, _("Planned date saved."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("projects:detail", pk=project.pk)
