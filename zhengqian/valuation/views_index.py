"""The valuation module's entry page: the user's projects with their firm and progress."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhengqian.accounts.permissions import has_perm_anywhere
from zhengqian.accounts.roles import Action, Module
from zhengqian.projects.selectors import projects_for_user
from zhengqian.valuation.models import FirmSelection, SelectionStatus, ValuationStatus


@login_required
def index(request: HttpRequest) -> HttpResponse:
    projects = list(
        projects_for_user(request.user, module=Module.VALUATION, action=Action.VIEW)
        .annotate(
            n_households=Count("households", distinct=True),
            n_valued=Count(
                "households__valuation",
                filter=Q(
                    households__valuation__status__in=[
                        ValuationStatus.CONFIRMED,
                        ValuationStatus.ISSUED,
                    ]
                ),
                distinct=True,
            ),
            n_issued=Count(
                "households__valuation",
                filter=Q(households__valuation__status=ValuationStatus.ISSUED),
                distinct=True,
            ),
        )
        .order_by("code")
    )
    firms = dict(
        FirmSelection.objects.filter(
            project__in=[p.pk for p in projects], status=SelectionStatus.DECIDED
        ).values_list("project_id", "firm__name")
    )
    for project in projects:
        project.firm_name = firms.get(project.pk, "")  # type: ignore[attr-defined]
    return render(
        request,
        "valuation/index.html",
        {
            "projects": projects,
            "can_keep_register": has_perm_anywhere(request.user, Module.PROJECTS, Action.CHANGE),
        },
    )
