"""The agreements module's entry page: the user's projects with their agreements by status and
their signing rate against the policy's condition."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhengqian.agreements import selectors


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "agreements/index.html", {"rows": selectors.project_rows(request.user)})
