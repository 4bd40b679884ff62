"""The resettlement reports of a project: the page and the same figures as a workbook."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.models import EventKind
from zhengqian.audit.services import record
from zhengqian.core.import_views import download
from zhengqian.resettlement import reports
from zhengqian.resettlement.selectors import get_project_for_user


@login_required
@require_GET
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    return render(
        request,
        "resettlement/reports/page.html",
        {"project": project, "report": reports.build(project), "active": "reports"},
    )


@login_required
@require_GET
def report_export(request: HttpRequest, pk: int) -> FileResponse:
    project = get_project_for_user(request.user, pk)
    require(request.user, Module.RESETTLEMENT, Action.EXPORT, project=project)
    report = reports.build(project)
    out = io.BytesIO()
    reports.write(report, out)
    record(
        actor=request.user,
        event_type="resettlement.reports_export",
        kind=EventKind.READ,
        target=project,
        project=project.pk,
        details={"day": report.today.isoformat()},
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    return download(out, f"{_('resettlement reports')}-{project.code}-{stamp}.xlsx")
