"""The resettlement entry page (the user's projects) and a project's overview page, which shows
each part's summary (housing stock, selection rounds, vouchers, transition fees) with links to
its pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhengqian.resettlement import sections as parts
from zhengqian.resettlement import selectors


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "resettlement/index.html",
        {"projects": list(selectors.projects_for_user(request.user))},
    )


@login_required
@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_project_for_user(request.user, pk)
    sections = parts.project_sections(request.user, found)
    return render(
        request,
        "resettlement/project.html",
        {"project": found, "sections": sections, "active": "project"},
    )
