"""The figures of dashboards, reports and the pivot, from the progress counters only.

Every page and every file that shows a count, an area, an amount or a rate takes it from here, so
that the dashboard, the daily report, the bulletin, the pivot and the exports agree to the unit
and the fen. Reads are scoped to the user: the projects where the user may view dashboards and,
within a project, the work groups the user's memberships reach.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Q, QuerySet, Sum

from zhengqian.accounts.permissions import project_ids_with, work_group_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.dashboard.models import COUNTS, DAY_STAGES, SUMS, ProgressCell, ProgressDay

HUNDRED = Decimal("100")
CENT = Decimal("0.01")

# Dimensions the cells can be grouped by: name -> the cell's field (or lookup).
DIMENSIONS = {
    "district": "district_id",
    "project": "project_id",
    "group": "group_id",
    "project_kind": "project__kind",
    "kind": "kind",
    "mode": "mode",
}


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal:
    """part / whole in percent, rounded half up to two decimals; 0.00 when whole is 0."""
    if not whole:
        return Decimal("0.00")
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    households: int = 0
    surveyed: int = 0
    confirmed: int = 0
    valued: int = 0
    calculated: int = 0
    approved: int = 0
    signed: int = 0
    paid: int = 0
    vacated: int = 0
    demolished: int = 0
    holdouts: int = 0
    area: Decimal = Decimal("0.00")
    area_signed: Decimal = Decimal("0.00")
    area_demolished: Decimal = Decimal("0.00")
    amount_agreed: Decimal = Decimal("0.00")
    amount_paid: Decimal = Decimal("0.00")

    def rate(self, stage: str) -> Decimal:
        """Households at `stage` in percent of all households (two decimals)."""
        return percent(getattr(self, stage), self.households)

    @property
    def signing_rate(self) -> Decimal:
        return self.rate("signed")

    @property
    def demolition_rate(self) -> Decimal:
        return self.rate("demolished")

    @property
    def amount_owed(self) -> Decimal:
        """Agreed and not yet paid."""
        return self.amount_agreed - self.amount_paid

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Figures:
        values: dict[str, Any] = {}
        for name in COUNTS:
            values[name] = int(row.get(name) or 0)
        for name in SUMS:
            values[name] = Decimal(row.get(name) or 0).quantize(CENT)
        return cls(**values)


def _aggregates() -> dict[str, Sum]:
    return {name: Sum(name) for name in (*COUNTS, *SUMS)}


def scope_q(user: Any, *, prefix: str = "") -> Q | None:
    """The condition on project and work group that keeps a user's reads of progress within the
    user's reach; None: everything; Q(pk__in=[]) when nothing is within reach."""
    ids = project_ids_with(user, Module.DASHBOARD, Action.VIEW)
    if ids is None:
        return None
    if not ids:
        return Q(pk__in=[])
    condition = Q()
    whole: list[int] = []
    for project_id in sorted(ids):
        groups = work_group_ids_with(user, Module.DASHBOARD, Action.VIEW, project_id)
        if groups is None:
            whole.append(project_id)
        elif groups:
            condition |= Q(**{f"{prefix}project_id": project_id, f"{prefix}group_id__in": groups})
    if whole:
        condition |= Q(**{f"{prefix}project_id__in": whole})
    return condition if condition else Q(pk__in=[])


def cells_for_user(
    user: Any, *, project_ids: Sequence[int] | None = None
) -> QuerySet[ProgressCell]:
    qs = ProgressCell.objects.all()
    condition = scope_q(user)
    if condition is not None:
        qs = qs.filter(condition)
    if project_ids is not None:
        qs = qs.filter(project_id__in=list(project_ids))
    return qs


def days_for_user(user: Any, *, project_ids: Sequence[int] | None = None) -> QuerySet[ProgressDay]:
    qs = ProgressDay.objects.all()
    condition = scope_q(user)
    if condition is not None:
        qs = qs.filter(condition)
    if project_ids is not None:
        qs = qs.filter(project_id__in=list(project_ids))
    return qs


def totals(cells: QuerySet[ProgressCell]) -> Figures:
    """All the cells added up, in one query."""
    return Figures.from_row(cells.aggregate(**_aggregates()))


def grouped(
    cells: QuerySet[ProgressCell], by: Sequence[str]
) -> list[tuple[tuple[Any, ...], Figures]]:
    """The cells added up per combination of the dimensions `by` (names of DIMENSIONS), in
    the order of the dimensions' values."""
    lookups = [DIMENSIONS[name] for name in by]
    rows = cells.values(*lookups).annotate(**_aggregates()).order_by(*lookups)
    return [(tuple(row[k] for k in lookups), Figures.from_row(row)) for row in rows]


def by_day(
    days: QuerySet[ProgressDay],
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[tuple[dt.date, dict[str, int]]]:
    """Households reaching each dated stage per day, in date order (days without any left out)."""
    qs = days
    if since is not None:
        qs = qs.filter(day__gte=since)
    if until is not None:
        qs = qs.filter(day__lte=until)
    rows = qs.values("day").annotate(**{s: Sum(s) for s in DAY_STAGES}).order_by("day")
    return [(row["day"], {s: int(row[s] or 0) for s in DAY_STAGES}) for row in rows]


def reached_since(days: QuerySet[ProgressDay], stage: str, since: dt.date) -> int:
    """Households that reached a dated stage on `since` or later."""
    if stage not in DAY_STAGES:
        raise ValueError(stage)
    value = days.filter(day__gte=since).aggregate(n=Sum(F(stage)))["n"]
    return int(value or 0)


def cumulative(
    points: Iterable[tuple[dt.date, dict[str, int]]], stage: str
) -> list[tuple[dt.date, int]]:
    """Running totals of a stage over the days given (in order)."""
    total = 0
    out = []
    for day, counts in points:
        total += counts[stage]
        out.append((day, total))
    return out
