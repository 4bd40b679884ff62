"""The payments module's entry page: the user's projects with their funds summary."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhengqian.payments import selectors


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/index.html", {"rows": selectors.project_rows(request.user)})
