"""The compensation module's entry page: the user's projects, their policy and what waits."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhengqian.accounts.roles import Action, Module
from zhengqian.compensation.models import Calculation, CalculationStatus, Policy, PolicyStatus
from zhengqian.projects.selectors import projects_for_user

_WAITING = [
    CalculationStatus.POLICY_REVIEW,
    CalculationStatus.ACCOUNTING_REVIEW,
    CalculationStatus.LEADER_REVIEW,
]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    projects = list(
        projects_for_user(request.user, module=Module.COMPENSATION, action=Action.VIEW).order_by(
            "code"
        )
    )
    ids = [p.pk for p in projects]
    versions: dict[int, int] = {}
    for project_id, version in Policy.objects.filter(
        project_id__in=ids, status=PolicyStatus.PUBLISHED
    ).values_list("project_id", "version"):
        versions[project_id] = max(version, versions.get(project_id, 0))
    counts = {
        row["household__project_id"]: row
        for row in Calculation.objects.filter(household__project_id__in=ids)
        .values("household__project_id")
        .annotate(
            waiting=Count("id", filter=Q(status__in=_WAITING)),
            approved=Count("id", filter=Q(status=CalculationStatus.APPROVED)),
        )
    }
    rows = [
        {
            "project": p,
            "version": versions.get(p.pk),
            "waiting": counts.get(p.pk, {}).get("waiting", 0),
            "approved": counts.get(p.pk, {}).get("approved", 0),
        }
        for p in projects
    ]
    return render(request, "compensation/index.html", {"rows": rows})
