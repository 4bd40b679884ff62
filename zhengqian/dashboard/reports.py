"""The daily report (日报), the monthly bulletin (月度通报) and the pivot (多维度分析), with their
workbooks.

Every figure comes from the progress counters through zhengqian.dashboard.figures, scoped to the
user, so that these reports agree with the dashboards and the household export.

What a report for a past day can say: the counters hold how things stand now, and the counters per
day hold when a household reached a dated stage (signed, paid, vacated, demolished). So, for a day
D in the past, the number of households signed, paid, vacated and demolished by the end of D is
the count as it stands minus those that reached the stage after D, and so are their rates. Every
other figure (the number of households, the other stages, areas, amounts, holdouts) is known only
as it stands now, and a past day's report shows it as of now (the reports say so).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from zhengqian.dashboard import figures as fig
from zhengqian.dashboard.figures import Figures, percent
from zhengqian.dashboard.models import DAY_STAGES, PlanMeasure, PlanPoint, ProgressCell, ProgressDay
from zhengqian.projects.models import District, Project, WorkGroup
from zhengqian.projects.procedures import ProjectKind
from zhengqian.survey.models import HouseholdKind

# ---------------------------------------------------------------------------------------------
# Lines: one district's or project's figures over a period
# ---------------------------------------------------------------------------------------------


@dataclass
class Line:
    """The figures of one district, project (or all of them) for a period [start, end].

    `now`: the counters as they stand; `new`: households that reached each dated stage within
    the period; `after`: those that reached it after the period's end.
    """

    key: Any
    label: str
    now: Figures
    new: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DAY_STAGES, 0))
    after: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DAY_STAGES, 0))
    code: str = ""

    @property
    def households(self) -> int:
        return self.now.households

    def cumulative(self, stage: str) -> int:
        """Households at a dated stage by the end of the period."""
        return getattr(self.now, stage) - self.after[stage]

    def cumulative_before(self, stage: str) -> int:
        """Households at a dated stage by the day before the period began."""
        return self.cumulative(stage) - self.new[stage]

    def rate(self, stage: str) -> Decimal:
        return percent(self.cumulative(stage), self.households)

    def rate_before(self, stage: str) -> Decimal:
        return percent(self.cumulative_before(stage), self.households)

    def change(self, stage: str) -> Decimal:
        """The change of the stage's rate over the period, in percentage points."""
        return self.rate(stage) - self.rate_before(stage)

    # Short names for templates.
    @property
    def signed(self) -> int:
        return self.cumulative("signed")

    @property
    def paid(self) -> int:
        return self.cumulative("paid")

    @property
    def vacated(self) -> int:
        return self.cumulative("vacated")

    @property
    def demolished(self) -> int:
        return self.cumulative("demolished")

    @property
    def signing_rate(self) -> Decimal:
        return self.rate("signed")

    @property
    def demolition_rate(self) -> Decimal:
        return self.rate("demolished")

    @property
    def vacating_rate(self) -> Decimal:
        return self.rate("vacated")

    @property
    def payment_rate(self) -> Decimal:
        return self.rate("paid")

    @property
    def signing_change(self) -> Decimal:
        return self.change("signed")

    @property
    def demolition_change(self) -> Decimal:
        return self.change("demolished")


def _day_sums(
    days: QuerySet[ProgressDay], by: str | None, start: dt.date, end: dt.date
) -> dict[Any, tuple[dict[str, int], dict[str, int]]]:
    """Per value of `by` (or for all, key None): households reaching each dated stage within
    [start, end] and after end, in one query."""
    aggregates: dict[str, Any] = {}
    for stage in DAY_STAGES:
        aggregates[f"new_{stage}"] = Sum(stage, filter=Q(day__gte=start, day__lte=end))
        aggregates[f"after_{stage}"] = Sum(stage, filter=Q(day__gt=end))
    qs = days.filter(day__gte=start)
    rows: Iterable[dict[str, Any]]
    if by is None:
        rows = [qs.aggregate(**aggregates)]
    else:
        rows = qs.values(by).annotate(**aggregates).order_by(by)
    out = {}
    for row in rows:
        new = {s: int(row[f"new_{s}"] or 0) for s in DAY_STAGES}
        after = {s: int(row[f"after_{s}"] or 0) for s in DAY_STAGES}
        out[row[by] if by else None] = (new, after)
    return out


def _lines(
    cells: QuerySet[ProgressCell],
    days: QuerySet[ProgressDay],
    dimension: str,
    start: dt.date,
    end: dt.date,
    labels: dict[Any, tuple[str, str]],
) -> list[Line]:
    lookup = fig.DIMENSIONS[dimension]
    sums = _day_sums(days, lookup, start, end)
    lines = []
    for (key,), now in fig.grouped(cells, [dimension]):
        code, label = labels.get(key, ("", str(key)))
        line = Line(key=key, label=label, code=code, now=now)
        if key in sums:
            line.new, line.after = sums[key]
        lines.append(line)
    lines.sort(key=lambda line: (line.code, line.label))
    return lines


def _total(
    cells: QuerySet[ProgressCell], days: QuerySet[ProgressDay], start: dt.date, end: dt.date
) -> Line:
    line = Line(key=None, label=_("Total"), now=fig.totals(cells))
    line.new, line.after = _day_sums(days, None, start, end)[None]
    return line


def _project_labels(ids: Iterable[int]) -> dict[Any, tuple[str, str]]:
    return {
        pk: (code, f"{code} {name}")
        for pk, code, name in Project.objects.filter(pk__in=list(ids)).values_list(
            "pk", "code", "name"
        )
    }


def _district_labels(ids: Iterable[int]) -> dict[Any, tuple[str, str]]:
    return {
        pk: (code, name)
        for pk, code, name in District.objects.filter(pk__in=list(ids)).values_list(
            "pk", "code", "name"
        )
    }


def _scope(
    user: Any, project_ids: Sequence[int] | None
) -> tuple[QuerySet[ProgressCell], QuerySet[ProgressDay]]:
    return (
        fig.cells_for_user(user, project_ids=project_ids),
        fig.days_for_user(user, project_ids=project_ids),
    )


def _labels_for(
    cells: QuerySet[ProgressCell],
) -> tuple[dict[Any, tuple[str, str]], dict[Any, tuple[str, str]]]:
    ids = cells.values_list("project_id", "district_id").distinct()
    project_ids = {p for p, _d in ids}
    district_ids = {d for _p, d in ids}
    return _district_labels(district_ids), _project_labels(project_ids)


# ---------------------------------------------------------------------------------------------
# The daily report
# ---------------------------------------------------------------------------------------------


@dataclass
class DailyReport:
    day: dt.date
    today: dt.date
    districts: list[Line]
    projects: list[Line]
    total: Line

    @property
    def is_past(self) -> bool:
        return self.day < self.today


def daily(
    user: Any, day: dt.date, *, today: dt.date, project_ids: Sequence[int] | None = None
) -> DailyReport:
    """The daily report of `day` over the user's projects (or the ones given, within reach)."""
    cells, days = _scope(user, project_ids)
    districts, projects = _labels_for(cells)
    return DailyReport(
        day=day,
        today=today,
        districts=_lines(cells, days, "district", day, day, districts),
        projects=_lines(cells, days, "project", day, day, projects),
        total=_total(cells, days, day, day),
    )


# ---------------------------------------------------------------------------------------------
# The monthly bulletin
# ---------------------------------------------------------------------------------------------


@dataclass
class Ranked:
    line: Line
    rate: Decimal
    rank: int
    previous_rate: Decimal
    previous_rank: int

    @property
    def moved(self) -> int:
        """Places gained since the previous month end (negative: lost)."""
        return self.previous_rank - self.rank


@dataclass
class Behind:
    line: Line
    measure: str
    due_on: dt.date
    planned: Decimal
    actual: Decimal

    @property
    def measure_label(self) -> str:
        return str(PlanMeasure(self.measure).label)

    @property
    def gap(self) -> Decimal:
        return self.planned - self.actual


@dataclass
class MonthlyBulletin:
    year: int
    month: int
    start: dt.date
    end: dt.date
    today: dt.date
    districts: list[Line]
    projects: list[Line]
    total: Line
    signing_ranking: list[Ranked]
    demolition_ranking: list[Ranked]
    district_signing_ranking: list[Ranked]
    behind: list[Behind]


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _ranks(values: Sequence[Decimal]) -> list[int]:
    """Standard competition ranks (1, 2, 2, 4) of values, the highest first."""
    return [1 + sum(1 for other in values if other > value) for value in values]


def ranking(lines: Sequence[Line], stage: str) -> list[Ranked]:
    """Lines ranked by the stage's rate at the period's end, with their rank at the day before
    the period began; ties share a rank and are listed by code."""
    now = [line.rate(stage) for line in lines]
    before = [line.rate_before(stage) for line in lines]
    rows = [
        Ranked(line=line, rate=rate, rank=rank, previous_rate=prev, previous_rank=prev_rank)
        for line, rate, rank, prev, prev_rank in zip(
            lines, now, _ranks(now), before, _ranks(before), strict=True
        )
    ]
    rows.sort(key=lambda r: (r.rank, r.line.code, r.line.label))
    return rows


def _behind(projects: Sequence[Line], end: dt.date) -> list[Behind]:
    """Projects whose latest plan point due by `end` asks for more than they reached by `end`."""
    by_pk = {line.key: line for line in projects}
    latest: dict[tuple[int, str], PlanPoint] = {}
    points = PlanPoint.objects.filter(project_id__in=list(by_pk), due_on__lte=end).order_by(
        "project_id", "measure", "due_on"
    )
    for point in points:
        latest[(point.project_id, point.measure)] = point
    out = []
    for (project_id, measure), point in sorted(latest.items()):
        line = by_pk[project_id]
        actual = line.rate(measure)
        if actual < point.percent:
            out.append(
                Behind(
                    line=line,
                    measure=measure,
                    due_on=point.due_on,
                    planned=point.percent,
                    actual=actual,
                )
            )
    out.sort(key=lambda b: (-b.gap, b.line.code, b.measure))
    return out


def monthly(
    user: Any,
    year: int,
    month: int,
    *,
    today: dt.date,
    project_ids: Sequence[int] | None = None,
) -> MonthlyBulletin:
    """The bulletin of a month over the user's projects (or the ones given, within reach)."""
    start, end = month_bounds(year, month)
    cells, days = _scope(user, project_ids)
    districts_labels, project_labels = _labels_for(cells)
    districts = _lines(cells, days, "district", start, end, districts_labels)
    projects = _lines(cells, days, "project", start, end, project_labels)
    return MonthlyBulletin(
        year=year,
        month=month,
        start=start,
        end=end,
        today=today,
        districts=districts,
        projects=projects,
        total=_total(cells, days, start, end),
        signing_ranking=ranking(projects, "signed"),
        demolition_ranking=ranking(projects, "demolished"),
        district_signing_ranking=ranking(districts, "signed"),
        behind=_behind(projects, end),
    )


# ---------------------------------------------------------------------------------------------
# The pivot
# ---------------------------------------------------------------------------------------------

# The dimensions a user may pick (in the order offered) and their titles.
PIVOT_DIMENSIONS: dict[str, Any] = {
    "district": gettext_lazy("District"),
    "group": gettext_lazy("Work group"),
    "project_kind": gettext_lazy("Project type"),
    "kind": gettext_lazy("Household kind"),
    "mode": gettext_lazy("Resettlement mode"),
}


@dataclass(frozen=True)
class Measure:
    title: Any
    value: Callable[[Figures], Any]
    kind: str  # "count", "area", "money" or "rate"


def _stage(name: str) -> Callable[[Figures], Any]:
    return lambda f: getattr(f, name)


PIVOT_MEASURES: dict[str, Measure] = {
    "households": Measure(gettext_lazy("Households"), _stage("households"), "count"),
    "area": Measure(gettext_lazy("Area (m²)"), _stage("area"), "area"),
    "amount_agreed": Measure(
        gettext_lazy("Amount agreed (yuan)"), _stage("amount_agreed"), "money"
    ),
    "amount_paid": Measure(gettext_lazy("Amount paid (yuan)"), _stage("amount_paid"), "money"),
    "signing_rate": Measure(gettext_lazy("Signing rate (%)"), lambda f: f.signing_rate, "rate"),
    "demolition_rate": Measure(
        gettext_lazy("Demolition rate (%)"), lambda f: f.demolition_rate, "rate"
    ),
    "surveyed": Measure(gettext_lazy("Surveyed"), _stage("surveyed"), "count"),
    "confirmed": Measure(gettext_lazy("Confirmed"), _stage("confirmed"), "count"),
    "valued": Measure(gettext_lazy("Valued"), _stage("valued"), "count"),
    "calculated": Measure(gettext_lazy("Calculated"), _stage("calculated"), "count"),
    "approved": Measure(gettext_lazy("Approved"), _stage("approved"), "count"),
    "signed": Measure(gettext_lazy("Signed"), _stage("signed"), "count"),
    "paid": Measure(gettext_lazy("Paid"), _stage("paid"), "count"),
    "vacated": Measure(gettext_lazy("Vacated"), _stage("vacated"), "count"),
    "demolished": Measure(gettext_lazy("Demolished"), _stage("demolished"), "count"),
    "holdouts": Measure(gettext_lazy("Holdouts"), _stage("holdouts"), "count"),
}
DEFAULT_ROWS = ("district",)
DEFAULT_MEASURES = ("households", "area", "amount_agreed", "signing_rate", "demolition_rate")

MODE_LABELS: dict[str, Any] = {
    "cash": gettext_lazy("Cash compensation"),
    "exchange": gettext_lazy("Property exchange"),
    "voucher": gettext_lazy("Housing voucher"),
    "": gettext_lazy("No mode yet"),
}


def mode_label(value: str) -> str:
    return str(MODE_LABELS.get(value, value))


def kind_label(value: str) -> str:
    return str(HouseholdKind(value).label) if value in HouseholdKind.values else value


def dimension_labels(dimension: str, values: Iterable[Any]) -> dict[Any, str]:
    """The labels of a dimension's values: one query for districts and for work groups, none
    for the choices."""
    values = set(values)
    if dimension == "district":
        return {k: name for k, (_code, name) in _district_labels(values).items()}
    if dimension == "project":
        return {k: label for k, (_code, label) in _project_labels(values).items()}
    if dimension == "group":
        labels: dict[Any, str] = {0: _("No work group")}
        rows = WorkGroup.objects.filter(pk__in=[v for v in values if v]).values_list(
            "pk", "name", "project__code"
        )
        for pk, name, code in rows:
            labels[pk] = f"{name} ({code})"
        return labels
    if dimension == "project_kind":
        return {v: str(ProjectKind(v).label) if v in ProjectKind.values else v for v in values}
    if dimension == "kind":
        return {v: kind_label(v) for v in values}
    if dimension == "mode":
        return {v: mode_label(v) for v in values}
    raise ValueError(dimension)


@dataclass
class PivotRow:
    labels: tuple[str, ...]  # one per dimension; "" under a subtotal's level
    level: int  # depth: len(rows) for a leaf, less for a subtotal, 0 for the grand total
    figures: Figures
    keys: tuple[Any, ...] = ()

    @property
    def is_total(self) -> bool:
        return self.level < len(self.labels)


@dataclass
class Pivot:
    rows: tuple[str, ...]
    measures: tuple[str, ...]
    lines: list[PivotRow]
    total: Figures

    @property
    def row_titles(self) -> list[str]:
        return [str(PIVOT_DIMENSIONS[d]) for d in self.rows]

    @property
    def measure_titles(self) -> list[str]:
        return [str(PIVOT_MEASURES[m].title) for m in self.measures]

    def values(self, figures: Figures) -> list[Any]:
        return [PIVOT_MEASURES[m].value(figures) for m in self.measures]

    def kinds(self) -> list[str]:
        return [PIVOT_MEASURES[m].kind for m in self.measures]


class BadPivot(ValueError):
    """A dimension or measure the pivot does not know, or none picked."""


def pivot(
    user: Any,
    rows: Sequence[str],
    measures: Sequence[str],
    *,
    project_ids: Sequence[int] | None = None,
) -> Pivot:
    """The user's cells added up per combination of the row dimensions (in the order given),
    with a subtotal after each group of every level but the last, and the grand total."""
    if not rows or any(r not in PIVOT_DIMENSIONS for r in rows) or len(set(rows)) != len(rows):
        raise BadPivot("rows")
    if not measures or any(m not in PIVOT_MEASURES for m in measures):
        raise BadPivot("measures")
    cells = fig.cells_for_user(user, project_ids=project_ids)
    leaves = fig.grouped(cells, rows)
    labels = [dimension_labels(dim, {key[i] for key, _f in leaves}) for i, dim in enumerate(rows)]
    named = [
        (tuple(labels[i].get(k, str(k)) for i, k in enumerate(key)), key, figures)
        for key, figures in leaves
    ]
    # In the order of the dimensions' values (grouped() orders by them), so that the rows of one
    # group are together and work groups keep the order they were created in.
    depth = len(rows)
    lines: list[PivotRow] = []
    open_totals: list[tuple[tuple[str, ...], Figures]] = []  # per level 1..depth-1

    def close(down_to: int) -> None:
        while len(open_totals) > down_to:
            level = len(open_totals)
            prefix, figures = open_totals.pop()
            blanks = ("",) * (depth - level)
            lines.append(PivotRow(labels=prefix + blanks, level=level, figures=figures))

    for names, key, figures in named:
        # How many leading labels this leaf shares with the open subtotals.
        shared = 0
        while shared < len(open_totals) and open_totals[shared][0] == names[: shared + 1]:
            shared += 1
        close(shared)
        while len(open_totals) < depth - 1:
            open_totals.append((names[: len(open_totals) + 1], Figures()))
        for _prefix, total in open_totals:
            total.add(figures)
        lines.append(PivotRow(labels=names, level=depth, figures=figures, keys=key))
    close(0)
    return Pivot(rows=tuple(rows), measures=tuple(measures), lines=lines, total=fig.totals(cells))


# ---------------------------------------------------------------------------------------------
# Workbooks
# ---------------------------------------------------------------------------------------------

TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FONT = Font(bold=True)
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
FORMATS = {
    "count": "#,##0",
    "area": "#,##0.00",
    "money": "#,##0.00",
    "rate": "0.00",
    "change": "+0.00;-0.00;0.00",
    "text": "@",
    "date": "yyyy-mm-dd",
}


@dataclass(frozen=True)
class Col:
    title: str
    kind: str
    width: int = 12


def _table(
    ws: Any,
    *,
    title: str,
    subtitle: str,
    columns: Sequence[Col],
    rows: Iterable[Sequence[Any]],
    totals: Sequence[Sequence[Any]] = (),
) -> None:
    """A title row (merged across the table), a subtitle with the unit and the date, a header
    row frozen in place, the rows with their number formats, and total rows in bold."""
    ws.append([title])
    ws.cell(row=1, column=1).font = TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    ws.append([subtitle])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(columns))
    ws.append([c.title for c in columns])
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=3, column=i)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A4"

    def put(values: Sequence[Any], total: bool) -> None:
        ws.append([_cell_text(v) for v in values])
        row = ws.max_row
        for i, col in enumerate(columns, start=1):
            cell = ws.cell(row=row, column=i)
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a name is text, never a formula
            cell.number_format = FORMATS[col.kind]
            if total:
                cell.font = TOTAL_FONT
                cell.fill = TOTAL_FILL

    for values in rows:
        put(values, False)
    for values in totals:
        put(values, True)


def _cell_text(value: Any) -> Any:
    """Text as a sheet can hold it: without the control characters a workbook refuses."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _unit_line(when: str) -> str:
    return _("Unit: households, m², yuan, %%; %(when)s") % {"when": when}


def daily_columns(first: str) -> list[Col]:
    return [
        Col(first, "text", 26),
        Col(_("Households"), "count", 10),
        Col(_("Signed on the day"), "count", 10),
        Col(_("Paid on the day"), "count", 10),
        Col(_("Vacated on the day"), "count", 10),
        Col(_("Demolished on the day"), "count", 10),
        Col(_("Signed"), "count", 10),
        Col(_("Signing rate (%)"), "rate", 10),
        Col(_("Change (points)"), "change", 10),
        Col(_("Paid"), "count", 10),
        Col(_("Payment rate (%)"), "rate", 10),
        Col(_("Vacated"), "count", 10),
        Col(_("Vacating rate (%)"), "rate", 10),
        Col(_("Demolished"), "count", 10),
        Col(_("Demolition rate (%)"), "rate", 10),
        Col(_("Change (points)"), "change", 10),
        Col(_("Area signed (m²)"), "area", 14),
        Col(_("Amount agreed (yuan)"), "money", 16),
        Col(_("Amount paid (yuan)"), "money", 16),
        Col(_("Holdouts"), "count", 10),
    ]


def daily_values(line: Line) -> list[Any]:
    """One line of the daily report as the page and the workbook show it."""
    return [
        line.label,
        line.households,
        line.new["signed"],
        line.new["paid"],
        line.new["vacated"],
        line.new["demolished"],
        line.signed,
        line.signing_rate,
        line.signing_change,
        line.paid,
        line.payment_rate,
        line.vacated,
        line.vacating_rate,
        line.demolished,
        line.demolition_rate,
        line.demolition_change,
        line.now.area_signed,
        line.now.amount_agreed,
        line.now.amount_paid,
        line.now.holdouts,
    ]


def write_daily(report: DailyReport, out: IO[bytes]) -> None:
    wb = Workbook()
    when = _("report of %(day)s") % {"day": report.day.isoformat()}
    if report.is_past:
        when += "; " + _("areas, amounts and holdouts as of %(today)s") % {
            "today": report.today.isoformat()
        }
    sheets = [
        (_("By project"), _("Project"), report.projects),
        (_("By district"), _("District"), report.districts),
    ]
    ws = wb.active
    for i, (name, first, lines) in enumerate(sheets):
        if i:
            ws = wb.create_sheet()
        ws.title = name
        _table(
            ws,
            title=_("Daily report of expropriation progress, %(day)s")
            % {"day": report.day.isoformat()},
            subtitle=_unit_line(when),
            columns=daily_columns(first),
            rows=(daily_values(line) for line in lines),
            totals=[daily_values(report.total)],
        )
    wb.save(out)


def monthly_values(line: Line) -> list[Any]:
    """One line of the bulletin's table as the page and the workbook show it."""
    return [
        line.label,
        line.households,
        line.new["signed"],
        line.new["paid"],
        line.new["vacated"],
        line.new["demolished"],
        line.signed,
        line.signing_rate,
        line.signing_change,
        line.paid,
        line.vacated,
        line.demolished,
        line.demolition_rate,
        line.demolition_change,
        line.now.area_signed,
        line.now.amount_agreed,
        line.now.amount_paid,
        line.now.amount_owed,
        line.now.holdouts,
    ]


def monthly_columns(first: str) -> list[Col]:
    return [
        Col(first, "text", 26),
        Col(_("Households"), "count", 10),
        Col(_("Signed in the month"), "count", 10),
        Col(_("Paid in the month"), "count", 10),
        Col(_("Vacated in the month"), "count", 10),
        Col(_("Demolished in the month"), "count", 10),
        Col(_("Signed"), "count", 10),
        Col(_("Signing rate (%)"), "rate", 10),
        Col(_("Change (points)"), "change", 10),
        Col(_("Paid"), "count", 10),
        Col(_("Vacated"), "count", 10),
        Col(_("Demolished"), "count", 10),
        Col(_("Demolition rate (%)"), "rate", 10),
        Col(_("Change (points)"), "change", 10),
        Col(_("Area signed (m²)"), "area", 14),
        Col(_("Amount agreed (yuan)"), "money", 16),
        Col(_("Amount paid (yuan)"), "money", 16),
        Col(_("Amount owed (yuan)"), "money", 16),
        Col(_("Holdouts"), "count", 10),
    ]


def ranking_values(row: Ranked) -> list[Any]:
    return [row.rank, row.line.label, row.rate, row.previous_rank, row.previous_rate, row.moved]


def write_monthly(bulletin: MonthlyBulletin, out: IO[bytes]) -> None:
    wb = Workbook()
    month = f"{bulletin.year}-{bulletin.month:02d}"
    title = _("Monthly bulletin of expropriation progress, %(month)s") % {"month": month}
    when = _("month %(month)s; counts at %(end)s") % {"month": month, "end": bulletin.end}
    when += "; " + _("areas, amounts and holdouts as of %(today)s") % {
        "today": bulletin.today.isoformat()
    }
    subtitle = _unit_line(when)
    ws = wb.active
    ws.title = _("By project")
    _table(
        ws,
        title=title,
        subtitle=subtitle,
        columns=monthly_columns(_("Project")),
        rows=(monthly_values(line) for line in bulletin.projects),
        totals=[monthly_values(bulletin.total)],
    )
    ws = wb.create_sheet(_("By district"))
    _table(
        ws,
        title=title,
        subtitle=subtitle,
        columns=monthly_columns(_("District")),
        rows=(monthly_values(line) for line in bulletin.districts),
        totals=[monthly_values(bulletin.total)],
    )
    rank_columns = [
        Col(_("Rank"), "count", 8),
        Col(_("Project"), "text", 26),
        Col(_("Rate (%)"), "rate", 10),
        Col(_("Rank at the previous month end"), "count", 12),
        Col(_("Rate at the previous month end (%)"), "rate", 12),
        Col(_("Places gained"), "change", 10),
    ]
    for name, rows in (
        (_("Signing ranking"), bulletin.signing_ranking),
        (_("Demolition ranking"), bulletin.demolition_ranking),
    ):
        ws = wb.create_sheet(name)
        _table(
            ws,
            title=f"{title} · {name}",
            subtitle=subtitle,
            columns=rank_columns,
            rows=(ranking_values(r) for r in rows),
        )
    ws = wb.create_sheet(_("Behind plan"))
    _table(
        ws,
        title=f"{title} · {_('Projects behind their plan')}",
        subtitle=subtitle,
        columns=[
            Col(_("Project"), "text", 26),
            Col(_("Measure"), "text", 12),
            Col(_("Due by"), "date", 12),
            Col(_("Planned (%)"), "rate", 10),
            Col(_("Reached (%)"), "rate", 10),
            Col(_("Gap (points)"), "rate", 10),
        ],
        rows=(
            [b.line.label, b.measure_label, b.due_on, b.planned, b.actual, b.gap]
            for b in bulletin.behind
        ),
    )
    wb.save(out)


def write_pivot(result: Pivot, out: IO[bytes], *, today: dt.date) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Pivot")
    columns = [Col(t, "text", 20) for t in result.row_titles] + [
        Col(t, k, 14) for t, k in zip(result.measure_titles, result.kinds(), strict=True)
    ]
    depth = len(result.rows)

    def values(row: PivotRow) -> list[Any]:
        labels = list(row.labels)
        if row.is_total:
            labels[row.level] = _("Subtotal")
        return labels + result.values(row.figures)

    grand = [_("Grand total")] + [""] * (depth - 1) + result.values(result.total)
    _table(
        ws,
        title=_("Analysis by %(rows)s") % {"rows": " / ".join(result.row_titles)},
        subtitle=_unit_line(_("as of %(today)s") % {"today": today.isoformat()}),
        columns=columns,
        rows=(values(row) for row in result.lines),
        totals=[grand],
    )
    wb.save(out)
