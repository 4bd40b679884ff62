"""Reads of the dashboards: a project's dashboard, the leader's dashboard across projects and the
links from every figure to the households behind it.

Every count, area, amount and rate comes from zhengqian.dashboard.figures (the progress counters),
so that the dashboards, the reports and the exports agree. The leader's dashboard reads counters
and days only: a handful of queries whatever the number of households.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqian.accounts.permissions import (
    OutOfScope,
    has_perm,
    has_perm_anywhere,
    require_anywhere,
    work_group_ids_with,
)
from zhengqian.accounts.roles import Action, Module
from zhengqian.core.masking import mask_name
from zhengqian.dashboard import lists
from zhengqian.dashboard.figures import (
    Figures,
    by_day,
    cells_for_user,
    cumulative,
    days_for_user,
    grouped,
    percent,
    totals,
)
from zhengqian.dashboard.lists import FLAGS, Filters, NameVisibility
from zhengqian.dashboard.models import (
    HouseholdProgress,
    PlanMeasure,
    PlanPoint,
    ProgressCell,
    ProgressDay,
)
from zhengqian.payments import selectors as payments
from zhengqian.projects.models import District, Project, ProjectKind, WorkGroup
from zhengqian.projects.selectors import get_project_for_user as _get_project
from zhengqian.projects.selectors import projects_for_user
from zhengqian.resettlement.reports import MODES, mode_label, shares

ZERO = Decimal("0.00")
WEEK = 7
# Beyond this many work groups the leader's page lists them only for one district: a table of
# every group of 200 projects is unreadable and would weigh more than everything else on it.
GROUP_ROWS = 100

STAGE_LABELS: dict[str, Any] = {
    "households": _("Households"),
    "surveyed": _("Surveyed"),
    "confirmed": _("Ownership confirmed"),
    "valued": _("Valued"),
    "calculated": _("Calculated"),
    "approved": _("Approved"),
    "signed": _("Signed"),
    "paid": _("Paid"),
    "vacated": _("Vacated"),
    "demolished": _("Demolished"),
    "holdout": _("Holdouts"),
}
# The stages with an area of their own in the counters.
STAGE_AREAS = {"households": "area", "signed": "area_signed", "demolished": "area_demolished"}


# --- scope ---------------------------------------------------------------------------------


def get_project_for_user(user: Any, pk: Any) -> Project:
    """The project when the user may view its dashboard; 404 otherwise."""
    return _get_project(user, pk, module=Module.DASHBOARD, action=Action.VIEW)


def require_dashboard(user: Any) -> None:
    """Anyone with dashboard rights in some project may open the leader's dashboard; it shows
    what their scope holds."""
    require_anywhere(user, Module.DASHBOARD, Action.VIEW)


def households_link(filters: Filters) -> str:
    """The drill-down list behind a figure."""
    query = filters.as_query()
    url = reverse("dashboard:households")
    return f"{url}?{urlencode(query)}" if query else url


# --- the plan ------------------------------------------------------------------------------


def plan_line(
    points: Iterable[tuple[dt.date, Decimal]], start: dt.date | None
) -> list[tuple[dt.date, Decimal]]:
    """The plan as a line: its points in date order, starting from 0 % on the project's planned
    start when that comes before the first point."""
    line = sorted(points)
    if start is not None and line and start < line[0][0]:
        line.insert(0, (start, ZERO))
    return line


def due_date(line: Sequence[tuple[dt.date, Decimal]], rate: Decimal) -> dt.date | None:
    """The day by which the plan wanted `rate` reached, linear between the points; None without
    a plan. A rate beyond the plan's last point was due on that point's day."""
    if not line:
        return None
    if rate <= line[0][1]:
        return line[0][0]
    for (d0, p0), (d1, p1) in pairwise(line):
        if rate <= p1:
            if p1 == p0:
                return d0
            days = (Decimal((d1 - d0).days) * (rate - p0) / (p1 - p0)).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
            return d0 + dt.timedelta(days=int(days))
    return line[-1][0]


def days_behind(
    line: Sequence[tuple[dt.date, Decimal]], rate: Decimal, today: dt.date
) -> int | None:
    """How many days the present rate is behind the plan (0 when on or ahead of it); None
    without a plan."""
    due = due_date(line, rate)
    if due is None:
        return None
    if rate >= line[-1][1]:
        # The whole plan is reached: never behind, however long ago its last point was.
        return 0
    return max((today - due).days, 0)


def plan_lines(project_ids: Iterable[int]) -> dict[tuple[int, str], list[tuple[dt.date, Decimal]]]:
    """The plan lines of the projects, per (project, measure), in one query for the points and
    one for the projects' planned starts."""
    ids = list(project_ids)
    raw: dict[tuple[int, str], list[tuple[dt.date, Decimal]]] = {}
    for project_id, measure, due_on, pct in PlanPoint.objects.filter(
        project_id__in=ids
    ).values_list("project_id", "measure", "due_on", "percent"):
        raw.setdefault((project_id, measure), []).append((due_on, pct))
    starts = dict(Project.objects.filter(pk__in=ids).values_list("pk", "planned_start"))
    return {key: plan_line(points, starts.get(key[0])) for key, points in raw.items()}


# --- the project's dashboard -------------------------------------------------------------


@dataclass
class StageRow:
    stage: str
    label: Any
    count: int
    rate: Decimal
    area: Decimal | None
    link: str


@dataclass
class ModeShare:
    mode: str
    label: Any
    households: int
    amount: Decimal
    household_share: Decimal = ZERO
    amount_share: Decimal = ZERO
    link: str = ""


@dataclass
class Money:
    budget: Decimal | None  # None: the user sees only some work groups, not the project's funds
    received: Decimal | None
    agreed: Decimal
    paid: Decimal
    owed: Decimal  # agreed and not yet paid
    # What the agreements agreed beyond the money that has arrived (zero when covered).
    gap: Decimal | None


@dataclass
class Supervision:
    key: str
    label: Any
    count: int
    link: str


@dataclass
class ProjectDashboard:
    project: Project
    today: dt.date
    figures: Figures
    funnel: list[StageRow]
    money: Money
    modes: list[ModeShare]
    supervision: list[Supervision]
    holdouts: int
    holdouts_link: str
    signing_rate: Decimal
    demolition_rate: Decimal
    signing_behind: int | None
    demolition_behind: int | None
    plan_points: list[PlanPoint]
    chart: dict[str, Any] = field(default_factory=dict)


def _funnel(figures: Figures, base: Filters) -> list[StageRow]:
    rows = [
        StageRow(
            "households",
            STAGE_LABELS["households"],
            figures.households,
            percent(figures.households, figures.households),
            figures.area,
            households_link(base),
        )
    ]
    for stage in (
        "surveyed",
        "confirmed",
        "valued",
        "calculated",
        "approved",
        "signed",
        "paid",
        "vacated",
        "demolished",
    ):
        area_field = STAGE_AREAS.get(stage)
        rows.append(
            StageRow(
                stage,
                STAGE_LABELS[stage],
                getattr(figures, stage),
                figures.rate(stage),
                getattr(figures, area_field) if area_field else None,
                households_link(_with(base, stage=stage)),
            )
        )
    return rows


def _with(base: Filters, **changes: Any) -> Filters:
    values = {name: getattr(base, name) for name in Filters.__dataclass_fields__}
    values.update(changes)
    return Filters(**values)


def mode_shares(cells: QuerySet[ProgressCell], base: Filters) -> list[ModeShare]:
    """Households and amounts agreed by resettlement mode among the signed households, with
    shares to two decimals that add up to 100.00 (largest remainder)."""
    per_mode = {
        key[0]: figures
        for key, figures in grouped(cells.filter(signed__gt=0), ["mode"])
        if key[0] in MODES
    }
    # The cells count every household of a cell; among a cell's households only the signed
    # ones have an amount agreed, so the count is the cell's signed counter.
    rows = [
        ModeShare(
            mode=str(mode),
            label=mode_label(mode),
            households=per_mode[mode].signed if mode in per_mode else 0,
            amount=per_mode[mode].amount_agreed if mode in per_mode else ZERO,
            link=households_link(_with(base, stage="signed", mode=str(mode))),
        )
        for mode in MODES
    ]
    for row, share in zip(rows, shares([r.households for r in rows]), strict=True):
        row.household_share = share
    for row, share in zip(rows, shares([r.amount for r in rows]), strict=True):
        row.amount_share = share
    return rows


def _curve(
    days: QuerySet[ProgressDay],
    stage: str,
    households: int,
    line: Sequence[tuple[dt.date, Decimal]],
) -> dict[str, Any]:
    actual = cumulative(by_day(days), stage)
    return {
        "actual": [[d.isoformat(), str(percent(n, households))] for d, n in actual],
        "plan": [[d.isoformat(), str(p)] for d, p in line],
    }


def _supervision(user: Any, project: Project, today: dt.date) -> list[Supervision]:
    if not has_perm(user, Module.PAYMENTS, Action.VIEW, project=project):
        return []
    found = payments.counts(project, today, payments.groups_of(user, project))
    labels = {
        payments.Rule.PAID_NOT_DEMOLISHED: _("Paid but not demolished"),
        payments.Rule.DEMOLISHED_NOT_PAID: _("Demolished but not paid in full"),
        payments.Rule.DOUBLE: _("Paid twice (double compensation)"),
        payments.Rule.OVERDUE: _("Instalments overdue"),
    }
    return [
        Supervision(
            rule,
            labels[rule],
            found[rule],
            reverse("payments:rule", args=[project.pk, rule]),
        )
        for rule in payments.Rule.ALL
    ]


def project_dashboard(
    user: Any, project: Project, today: dt.date | None = None
) -> ProjectDashboard:
    """A project's figures within the user's reach (the whole project, or the user's work
    groups of it)."""
    today = today or timezone.localdate()
    cells = cells_for_user(user, project_ids=[project.pk])
    days = days_for_user(user, project_ids=[project.pk])
    figures = totals(cells)
    base = Filters(project_ids=(project.pk,))
    whole = work_group_ids_with(user, Module.DASHBOARD, Action.VIEW, project.pk) is None
    budget = received = gap = None
    if whole:
        funds = payments.funds(project.pk)
        budget, received = funds.budget, funds.received
        gap = max(figures.amount_agreed - funds.received, ZERO)
    money = Money(
        budget=budget,
        received=received,
        agreed=figures.amount_agreed,
        paid=figures.amount_paid,
        owed=figures.amount_owed,
        gap=gap,
    )
    lines = plan_lines([project.pk])
    signing_line = lines.get((project.pk, PlanMeasure.SIGNED), [])
    demolition_line = lines.get((project.pk, PlanMeasure.DEMOLISHED), [])
    dashboard = ProjectDashboard(
        project=project,
        today=today,
        figures=figures,
        funnel=_funnel(figures, base),
        money=money,
        modes=mode_shares(cells, base),
        supervision=_supervision(user, project, today),
        holdouts=figures.holdouts,
        holdouts_link=households_link(_with(base, stage="holdout")),
        signing_rate=figures.signing_rate,
        demolition_rate=figures.demolition_rate,
        signing_behind=days_behind(signing_line, figures.signing_rate, today),
        demolition_behind=days_behind(demolition_line, figures.demolition_rate, today),
        plan_points=list(PlanPoint.objects.filter(project=project).order_by("measure", "due_on")),
    )
    dashboard.chart = {
        "signed": _curve(days, "signed", figures.households, signing_line),
        "demolished": _curve(days, "demolished", figures.households, demolition_line),
        "modes": [
            {"name": str(m.label), "value": m.households, "share": str(m.household_share)}
            for m in dashboard.modes
        ],
    }
    return dashboard


# --- the leader's dashboard --------------------------------------------------------------


@dataclass
class Row:
    """The figures of a district, a work group or a project, with its place in the rankings."""

    key: int
    name: str
    figures: Figures
    link: Filters
    project_id: int | None = None  # of a work group or a project
    parent: str = ""  # a work group's project (groups of several projects share names)
    signed_week_ago: int = 0
    demolished_week_ago: int = 0
    behind: int | None = None
    links: dict[str, str] = field(default_factory=dict)

    @property
    def signing_rate(self) -> Decimal:
        return self.figures.signing_rate

    @property
    def demolition_rate(self) -> Decimal:
        return self.figures.demolition_rate

    @property
    def signing_trend(self) -> Decimal:
        """Points of percent gained since a week ago."""
        return self.signing_rate - percent(self.signed_week_ago, self.figures.households)

    @property
    def demolition_trend(self) -> Decimal:
        return self.demolition_rate - percent(self.demolished_week_ago, self.figures.households)


@dataclass
class Ranking:
    key: str
    label: Any
    rows: list[Row]


@dataclass
class LeaderDashboard:
    today: dt.date
    figures: Figures
    districts: list[Row]
    groups: list[Row]
    projects: list[Row]
    rankings: dict[str, list[Ranking]]
    # Whether the work groups are few enough to list them all (the rankings always cover them).
    groups_listed: bool = True
    chart: dict[str, Any] = field(default_factory=dict)


def _links(row: Row, url: str) -> dict[str, str]:
    """The drill-down links of a row's figures: one encoding of the row's filters, the stage
    added to it (a leader's page has a thousand rows; reversing and encoding each link alone
    would cost more than the figures)."""
    query = urlencode(row.link.as_query())
    base = f"{url}?{query}&" if query else f"{url}?"
    out = {"households": base.rstrip("?&")}
    for stage in ("signed", "paid", "vacated", "demolished"):
        out[stage] = f"{base}stage={stage}"
    out["unsigned"] = f"{base}stage=signed&without=1"
    return out


def leader_dashboard(
    user: Any,
    *,
    district_id: int | None = None,
    project_kind: str = "",
    today: dt.date | None = None,
) -> LeaderDashboard:
    """Districts, work groups and projects of the user's scope with their rankings: reads only
    counters and days (a constant number of queries)."""
    today = today or timezone.localdate()
    cells = cells_for_user(user)
    days = days_for_user(user)
    if district_id is not None:
        cells = cells.filter(district_id=district_id)
        days = days.filter(district_id=district_id)
    if project_kind:
        cells = cells.filter(project__kind=project_kind)
        days = days.filter(project__kind=project_kind)
    base = Filters(district_id=district_id, project_kind=project_kind)
    rows = grouped(cells, ["district", "project", "group"])
    # Households that reached a stage in the last seven days (today included): the rates a week
    # ago are today's minus these.
    since = today - dt.timedelta(days=WEEK - 1)
    recent = {
        (r["project_id"], r["group_id"]): (int(r["s"] or 0), int(r["d"] or 0))
        for r in days.filter(day__gte=since)
        .values("project_id", "group_id")
        .annotate(s=Sum("signed"), d=Sum("demolished"))
        .order_by()
    }
    project_ids = sorted({key[1] for key, _f in rows})
    names = dict(Project.objects.filter(pk__in=project_ids).values_list("pk", "name"))
    group_names = dict(
        WorkGroup.objects.filter(project_id__in=project_ids).values_list("pk", "name")
    )
    district_names = dict(District.objects.values_list("pk", "name"))
    lines = plan_lines(project_ids)

    total = Figures()
    districts: dict[int, Row] = {}
    projects: dict[int, Row] = {}
    groups: dict[tuple[int, int], Row] = {}
    for (district, project_id, group_id), figures in rows:
        total.add(figures)
        s, d = recent.get((project_id, group_id), (0, 0))
        for row in (
            districts.setdefault(
                district,
                Row(
                    district,
                    district_names.get(district, str(district)),
                    Figures(),
                    _with(base, district_id=district),
                ),
            ),
            projects.setdefault(
                project_id,
                Row(
                    project_id,
                    names.get(project_id, str(project_id)),
                    Figures(),
                    _with(base, project_ids=(project_id,)),
                    project_id=project_id,
                ),
            ),
            groups.setdefault(
                (project_id, group_id),
                Row(
                    group_id,
                    group_names.get(group_id, "") or str(_("No work group")),
                    Figures(),
                    _with(base, project_ids=(project_id,), group_id=group_id),
                    project_id=project_id,
                    parent=names.get(project_id, ""),
                ),
            ),
        ):
            row.figures.add(figures)
            row.signed_week_ago += figures.signed - s
            row.demolished_week_ago += figures.demolished - d

    def behind(row: Row) -> int | None:
        assert row.project_id is not None
        return days_behind(
            lines.get((row.project_id, PlanMeasure.SIGNED), []), row.signing_rate, today
        )

    for row in [*projects.values(), *groups.values()]:
        row.behind = behind(row)
    # A district is as far behind as its furthest project (the worst, not an average: a
    # project far behind is what a leader must see).
    project_district = {key[1]: key[0] for key, _f in rows}
    for project_id, prow in projects.items():
        drow = districts[project_district[project_id]]
        if prow.behind is not None:
            drow.behind = max(drow.behind or 0, prow.behind)
    all_rows = [*districts.values(), *projects.values(), *groups.values()]
    url = reverse("dashboard:households")
    for row in all_rows:
        row.links = _links(row, url)

    district_rows = sorted(districts.values(), key=lambda r: r.name)
    project_rows = sorted(projects.values(), key=lambda r: r.name)
    group_rows = sorted(groups.values(), key=lambda r: (names.get(r.project_id or 0, ""), r.name))
    rankings = {
        level: rank(level_rows)
        for level, level_rows in (
            ("district", district_rows),
            ("group", group_rows),
            ("project", project_rows),
        )
    }
    dashboard = LeaderDashboard(
        today=today,
        figures=total,
        districts=district_rows,
        groups=group_rows,
        projects=project_rows,
        rankings=rankings,
        groups_listed=len(group_rows) <= GROUP_ROWS,
    )
    dashboard.chart = {
        "rates": {
            "names": [r.name for r in district_rows],
            "signed": [str(r.signing_rate) for r in district_rows],
            "demolished": [str(r.demolition_rate) for r in district_rows],
        }
    }
    return dashboard


def filter_choices(user: Any) -> tuple[list[tuple[int, str]], list[tuple[str, Any]]]:
    """The districts of the user's projects and the project types, for the leader's filters."""
    visible = projects_for_user(user, module=Module.DASHBOARD, action=Action.VIEW)
    districts = sorted(
        set(visible.values_list("district_id", "district__name")), key=lambda c: c[1]
    )
    return districts, list(ProjectKind.choices)


def get_plan_point_for_user(user: Any, project: Project, pk: Any) -> PlanPoint:
    try:
        return PlanPoint.objects.select_related("project").get(project=project, pk=int(pk))
    except (PlanPoint.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("dashboard.planpoint", pk) from None


def rank(rows: Sequence[Row]) -> list[Ranking]:
    """The rows ordered three ways (晒一晒、比一比): by signing rate and by demolition rate,
    highest first, and by days behind plan, fewest first (rows without a plan last); ties by
    name."""
    return [
        Ranking(
            "signing",
            _("Signing rate"),
            sorted(rows, key=lambda r: (-r.signing_rate, r.name)),
        ),
        Ranking(
            "demolition",
            _("Demolition rate"),
            sorted(rows, key=lambda r: (-r.demolition_rate, r.name)),
        ),
        Ranking(
            "behind",
            _("Days behind plan"),
            sorted(rows, key=lambda r: (r.behind is None, r.behind or 0, r.name)),
        ),
    ]


def may_see_leader(user: Any) -> bool:
    return has_perm_anywhere(user, Module.DASHBOARD, Action.VIEW)


# --- the households behind a figure ------------------------------------------------------

PAGE_SIZE = 50


@dataclass
class HouseholdRow:
    household_id: int
    code: str
    head_name: str
    project: str
    group: str
    flags: dict[str, bool]
    area: Decimal
    amount_agreed: Decimal
    amount_paid: Decimal
    link: str


def household_rows(user: Any, progress: Sequence[HouseholdProgress]) -> list[HouseholdRow]:
    """A page of the drill-down list, ready to print: the head's name masked unless the user
    may see personal data in the household's project (as on the survey's list)."""
    names = NameVisibility(user)
    group_names = dict(
        WorkGroup.objects.filter(pk__in={p.group_id for p in progress}).values_list("pk", "name")
    )
    # One reverse() for the page: the household's pk is the last part of its URL.
    link = reverse("survey:household_detail", args=[0]).removesuffix("0/")
    rows = []
    for p in progress:
        household = p.household
        rows.append(
            HouseholdRow(
                household_id=p.household_id,
                code=household.code,
                head_name=(
                    household.head_name
                    if names.shows(p.project_id, p.group_id)
                    else mask_name(household.head_name)
                ),
                project=p.project.name,
                group=group_names.get(p.group_id, ""),
                flags={name: getattr(p, name) for name in FLAGS},
                area=p.area,
                amount_agreed=p.amount_agreed,
                amount_paid=p.amount_paid,
                link=f"{link}{p.household_id}/",
            )
        )
    return rows


def households_query(user: Any, filters: Filters) -> QuerySet[HouseholdProgress]:
    return lists.households(user, filters).select_related("household", "project")
