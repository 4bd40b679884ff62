"""The daily report, the monthly bulletin, the pivot (pages and workbooks) and the streamed
household export."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from zhengqian.accounts.permissions import OutOfScope, project_ids_with, require_anywhere
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.models import EventKind
from zhengqian.audit.services import record
from zhengqian.core.excel import XLSX_CONTENT_TYPE
from zhengqian.core.import_views import download
from zhengqian.dashboard import reports
from zhengqian.dashboard.exports import HouseholdExport, TooManyRows
from zhengqian.dashboard.lists import BadFilter, Filters
from zhengqian.projects.models import Project


class DayForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), required=False)

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_day(self) -> dt.date:
        day = self.cleaned_data.get("day") or self.today
        if day > self.today:
            raise forms.ValidationError(_("A daily report can be made for today or a past day."))
        return day


class MonthForm(forms.Form):
    month = forms.CharField(label=gettext_lazy("Month"), required=False, max_length=7)

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_month(self) -> tuple[int, int]:
        raw = (self.cleaned_data.get("month") or "").strip()
        if not raw:
            return self.today.year, self.today.month
        try:
            year, month = (int(part) for part in raw.split("-"))
            dt.date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-06.")) from None
        if (year, month) > (self.today.year, self.today.month):
            raise forms.ValidationError(_("A bulletin can be made for this month or a past one."))
        return year, month


class PivotForm(forms.Form):
    rows = forms.MultipleChoiceField(
        label=gettext_lazy("Rows"), choices=list(reports.PIVOT_DIMENSIONS.items())
    )
    measures = forms.MultipleChoiceField(
        label=gettext_lazy("Measures"),
        choices=[(k, m.title) for k, m in reports.PIVOT_MEASURES.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, data: Any) -> None:
        # The order of the rows is the order the user picked them in; blanks (an unused level)
        # are dropped.
        if data is not None:
            data = data.copy()
            data.setlist("rows", [r for r in data.getlist("rows") if r])
        super().__init__(data)

    def clean_rows(self) -> list[str]:
        rows = self.cleaned_data["rows"]
        if len(set(rows)) != len(rows):
            raise forms.ValidationError(_("Pick each dimension once."))
        return list(rows)


def _project_ids(request: HttpRequest) -> list[int] | None:
    """The projects asked for (?project=…), each within the user's reach, or None for all."""
    raw = [p for p in request.GET.getlist("project") if p.strip()]
    if not raw:
        return None
    try:
        ids = [int(p) for p in raw]
    except ValueError:
        raise OutOfScope("project", raw) from None
    allowed = project_ids_with(request.user, Module.DASHBOARD, Action.VIEW)
    for pk in ids:
        if allowed is not None and pk not in allowed:
            raise OutOfScope("project", pk)
    return ids


def _projects(ids: Sequence[int] | None) -> list[Project]:
    return list(Project.objects.filter(pk__in=ids)) if ids else []


def _project_choices(request: HttpRequest) -> list[tuple[int, str]]:
    """The projects the user may pick a report of (the report of all of them is the default)."""
    allowed = project_ids_with(request.user, Module.DASHBOARD, Action.VIEW)
    qs = Project.objects.order_by("code")
    if allowed is not None:
        qs = qs.filter(pk__in=allowed)
    return [(pk, f"{code} {name}") for pk, code, name in qs.values_list("pk", "code", "name")]


def _table(columns: Sequence[reports.Col], rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows as (value, kind) pairs for the page, from the very values the workbook gets."""
    return [list(zip(row, [c.kind for c in columns], strict=True)) for row in rows]


def _recorded(request: HttpRequest, event_type: str, details: dict[str, Any]) -> None:
    with transaction.atomic():
        record(actor=request.user, event_type=event_type, kind=EventKind.READ, details=details)


def _daily(request: HttpRequest) -> tuple[DayForm, reports.DailyReport | None, list[int] | None]:
    require_anywhere(request.user, Module.DASHBOARD, Action.VIEW)
    today = timezone.localdate()
    form = DayForm(request.GET or None, today=today)
    ids = _project_ids(request)
    day = today
    if request.GET:
        if not form.is_valid():
            return form, None, ids
        day = form.cleaned_data["day"]
    return form, reports.daily(request.user, day, today=today, project_ids=ids), ids


@login_required
@require_GET
def daily(request: HttpRequest) -> HttpResponse:
    form, report, ids = _daily(request)
    context: dict[str, Any] = {
        "form": form,
        "report": report,
        "projects": _projects(ids),
        "project_choices": _project_choices(request),
    }
    if report is not None:
        context["sections"] = [
            (
                _("By project"),
                "projects",
                _table(
                    reports.daily_columns(""),
                    [reports.daily_values(line) for line in report.projects],
                ),
            ),
            (
                _("By district"),
                "districts",
                _table(
                    reports.daily_columns(""),
                    [reports.daily_values(line) for line in report.districts],
                ),
            ),
        ]
        context["columns"] = reports.daily_columns(_("Name"))
        context["total"] = _table(reports.daily_columns(""), [reports.daily_values(report.total)])[
            0
        ]
        context["query"] = request.GET.urlencode()
    return render(request, "dashboard/report_daily.html", context)


@login_required
@require_GET
def daily_xlsx(request: HttpRequest) -> HttpResponseBase:
    form, report, ids = _daily(request)
    if report is None:
        return render(request, "dashboard/report_daily.html", {"form": form}, status=400)
    out = io.BytesIO()
    reports.write_daily(report, out)
    _recorded(
        request, "dashboard.daily_export", {"day": report.day.isoformat(), "projects": ids or []}
    )
    return download(out, f"{_('daily report')}-{report.day:%Y%m%d}.xlsx")


def _monthly(
    request: HttpRequest,
) -> tuple[MonthForm, reports.MonthlyBulletin | None, list[int] | None]:
    require_anywhere(request.user, Module.DASHBOARD, Action.VIEW)
    today = timezone.localdate()
    form = MonthForm(request.GET or None, today=today)
    ids = _project_ids(request)
    year, month = today.year, today.month
    if request.GET:
        if not form.is_valid():
            return form, None, ids
        year, month = form.cleaned_data["month"]
    return form, reports.monthly(request.user, year, month, today=today, project_ids=ids), ids


@login_required
@require_GET
def monthly(request: HttpRequest) -> HttpResponse:
    form, bulletin, ids = _monthly(request)
    context: dict[str, Any] = {
        "form": form,
        "bulletin": bulletin,
        "projects": _projects(ids),
        "project_choices": _project_choices(request),
    }
    if bulletin is not None:
        columns = reports.monthly_columns(_("Name"))
        context["columns"] = columns
        context["sections"] = [
            (
                _("By project"),
                "projects",
                _table(columns, [reports.monthly_values(line) for line in bulletin.projects]),
            ),
            (
                _("By district"),
                "districts",
                _table(columns, [reports.monthly_values(line) for line in bulletin.districts]),
            ),
        ]
        context["total"] = _table(columns, [reports.monthly_values(bulletin.total)])[0]
        context["rankings"] = [
            (_("Ranking by signing rate"), "signing", bulletin.signing_ranking),
            (_("Ranking by demolition rate"), "demolition", bulletin.demolition_ranking),
            (_("Districts by signing rate"), "district-signing", bulletin.district_signing_ranking),
        ]
        context["month"] = f"{bulletin.year}-{bulletin.month:02d}"
        context["query"] = request.GET.urlencode()
    return render(request, "dashboard/report_monthly.html", context)


@login_required
@require_GET
def monthly_xlsx(request: HttpRequest) -> HttpResponseBase:
    form, bulletin, ids = _monthly(request)
    if bulletin is None:
        return render(request, "dashboard/report_monthly.html", {"form": form}, status=400)
    out = io.BytesIO()
    reports.write_monthly(bulletin, out)
    month = f"{bulletin.year}-{bulletin.month:02d}"
    _recorded(request, "dashboard.monthly_export", {"month": month, "projects": ids or []})
    return download(out, f"{_('monthly bulletin')}-{month}.xlsx")


def _pivot(request: HttpRequest) -> tuple[PivotForm, reports.Pivot | None, list[int] | None]:
    require_anywhere(request.user, Module.DASHBOARD, Action.VIEW)
    ids = _project_ids(request)
    if "rows" not in request.GET and "measures" not in request.GET:
        form = PivotForm(None)
        form.initial = {"rows": list(reports.DEFAULT_ROWS), "measures": reports.DEFAULT_MEASURES}
        rows, measures = list(reports.DEFAULT_ROWS), list(reports.DEFAULT_MEASURES)
    else:
        form = PivotForm(request.GET)
        if not form.is_valid():
            return form, None, ids
        rows, measures = form.cleaned_data["rows"], form.cleaned_data["measures"]
    # The measures in the order they are offered, whatever order the query names them.
    measures = [m for m in reports.PIVOT_MEASURES if m in measures]
    return form, reports.pivot(request.user, rows, measures, project_ids=ids), ids


@login_required
@require_GET
def pivot(request: HttpRequest) -> HttpResponse:
    form, result, _ids = _pivot(request)
    picked = form.cleaned_data["rows"] if form.is_bound and result else list(reports.DEFAULT_ROWS)
    levels = [
        (i, picked[i] if i < len(picked) else "") for i in range(len(reports.PIVOT_DIMENSIONS))
    ]
    context: dict[str, Any] = {
        "form": form,
        "pivot": result,
        "levels": levels,
        "dimensions": list(reports.PIVOT_DIMENSIONS.items()),
        "chosen_measures": result.measures if result else reports.DEFAULT_MEASURES,
        "measure_choices": [(k, m.title) for k, m in reports.PIVOT_MEASURES.items()],
        "query": request.GET.urlencode(),
    }
    if result is not None:
        context["lines"] = [
            (line, list(zip(result.values(line.figures), result.kinds(), strict=True)))
            for line in result.lines
        ]
        context["width"] = len(result.rows) + len(result.measures)
        context["grand"] = list(zip(result.values(result.total), result.kinds(), strict=True))
    if request.headers.get("HX-Request"):
        # htmx swaps only successful answers: the refusal comes as a 200 with its errors.
        context["htmx"] = True
        return render(request, "dashboard/pivot_table.html", context)
    return render(request, "dashboard/pivot.html", context, status=200 if result else 400)


@login_required
@require_GET
def pivot_xlsx(request: HttpRequest) -> HttpResponseBase:
    form, result, ids = _pivot(request)
    if result is None:
        return render(request, "dashboard/pivot.html", {"form": form}, status=400)
    out = io.BytesIO()
    today = timezone.localdate()
    reports.write_pivot(result, out, today=today)
    _recorded(
        request,
        "dashboard.pivot_export",
        {"rows": list(result.rows), "measures": list(result.measures), "projects": ids or []},
    )
    return download(out, f"{_('analysis')}-{today:%Y%m%d}.xlsx")


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponseBase:
    """The households behind a figure (the drill-down's filters) as a workbook, streamed."""
    try:
        filters = Filters.from_query(request.GET)
    except BadFilter as exc:
        return HttpResponse(
            _("Unknown filter: %(name)s.") % {"name": exc.args[0]},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    try:
        export = HouseholdExport(request.user, filters)
    except TooManyRows as exc:
        return HttpResponse(
            _(
                "The list holds more than %(limit)s households, more than one Excel sheet can "
                "hold: narrow it (by project, district or work group) and download again."
            )
            % {"limit": f"{exc.args[0]:,}"},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(iter(export), content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localdate().strftime("%Y%m%d")
    name = f"{_('households')}-{stamp}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    return response
