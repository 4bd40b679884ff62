"""Reads of the transition fees: the project's page (households, estates, what is owed now and
what a further delay would add), the section of the project overview and the household's part.
The rules (who, which months, how much) are in services_transition."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from zhengqian.accounts.roles import Action
from zhengqian.core.masking import mask_name
from zhengqian.payments.models import LIVE, Payment
from zhengqian.projects.models import Project
from zhengqian.resettlement import services_transition as rules
from zhengqian.resettlement.models import Estate, TransitionMonth
from zhengqian.resettlement.selectors import may
from zhengqian.survey.models import Household

ZERO = Decimal("0.00")


def payment_state(month: TransitionMonth) -> str:
    """paid, approved, requested (a live payment) or open; from the month's instalment."""
    instalment = month.instalment
    if instalment.paid_on is not None:
        return "paid"
    live = [p for p in instalment.payments.all() if p.status in LIVE]
    return live[0].status if live else "open"


def _months(**filters: Any) -> list[TransitionMonth]:
    return list(
        TransitionMonth.objects.filter(**filters)
        .select_related("instalment", "estate")
        .prefetch_related(
            Prefetch("instalment__payments", queryset=Payment.objects.filter(status__in=LIVE))
        )
        .order_by("household_id", "month")
    )


def _owed(month: TransitionMonth) -> Decimal:
    i = month.instalment
    return ZERO if i.paid_on is not None else i.amount - i.reduction


@dataclass
class HouseholdRow:
    waiting: rules.Waiting
    name: str
    months: list[TransitionMonth] = field(default_factory=list)
    pending: list[rules.MonthFee] = field(default_factory=list)
    ended: bool = False

    @property
    def generated(self) -> int:
        return len(self.months)

    @property
    def paid(self) -> Decimal:
        return sum((m.amount for m in self.months if m.instalment.paid_on), ZERO)

    @property
    def unpaid(self) -> Decimal:
        return sum((_owed(m) for m in self.months), ZERO)

    @property
    def pending_amount(self) -> Decimal:
        return rules.total(self.pending)

    @property
    def owed_now(self) -> Decimal:
        return self.unpaid + self.pending_amount

    @property
    def late_months(self) -> int:
        return sum(1 for m in self.months if m.late) + sum(1 for f in self.pending if f.late)


@dataclass
class EstateRow:
    estate: Estate
    late_by: int
    waiting: int

    @property
    def handed_over(self) -> bool:
        return self.estate.actual_handover is not None


@dataclass
class Overview:
    project: Project
    today: dt.date
    households: list[HouseholdRow]
    estates: list[EstateRow]
    unassigned: int

    @property
    def months_generated(self) -> int:
        return sum(r.generated for r in self.households)

    @property
    def paid(self) -> Decimal:
        return sum((r.paid for r in self.households), ZERO)

    @property
    def unpaid(self) -> Decimal:
        return sum((r.unpaid for r in self.households), ZERO)

    @property
    def pending(self) -> int:
        return sum(len(r.pending) for r in self.households)

    @property
    def pending_amount(self) -> Decimal:
        return sum((r.pending_amount for r in self.households), ZERO)

    @property
    def owed_now(self) -> Decimal:
        return self.unpaid + self.pending_amount

    @property
    def receiving(self) -> int:
        return sum(1 for r in self.households if not r.ended)


def late_by(estate: Estate, today: dt.date) -> int:
    """The months of delay: those starting after the promise, up to the handover or today."""
    until = estate.actual_handover or today
    if estate.actual_handover is not None and estate.actual_handover <= estate.planned_handover:
        return 0
    return rules.months_late(estate.planned_handover, until)


def overview(project: Project, *, today: dt.date | None = None) -> Overview:
    """The transition fees of the project (the caller has checked the right to view them)."""
    today = today or timezone.localdate()
    waiting = rules.waiting_households(project)
    by_household: dict[int, list[TransitionMonth]] = defaultdict(list)
    for m in _months(project=project):
        by_household[m.household_id].append(m)
    rows: list[HouseholdRow] = []
    for w in waiting:
        months = by_household.get(w.household.pk, [])
        have = {m.month for m in months}
        pending: list[rules.MonthFee] = []
        ended = False
        if w.terms is not None:
            pending = [f for f in rules.fees(w.terms, through=today) if f.month not in have]
            if w.terms.handover is not None:
                end = rules.last_paid_month(w.terms.handover, w.terms.after_months)
                ended = end < rules.month_start(today)
        rows.append(
            HouseholdRow(
                waiting=w,
                name=mask_name(w.household.head_name),
                months=months,
                pending=pending,
                ended=ended,
            )
        )
    counts: dict[int, int] = defaultdict(int)
    for w in waiting:
        if w.estate is not None:
            counts[w.estate.pk] += 1
    estates = [
        EstateRow(estate=e, late_by=late_by(e, today), waiting=counts[e.pk])
        for e in Estate.objects.filter(project=project).order_by("planned_handover", "name")
    ]
    return Overview(
        project=project,
        today=today,
        households=rows,
        estates=estates,
        unassigned=sum(1 for w in waiting if w.estate is None),
    )


@dataclass
class EstateProjection:
    estate: Estate
    households: int
    months: int
    amount: Decimal


def projection(
    waiting: list[rules.Waiting], *, more: int, today: dt.date | None = None
) -> list[EstateProjection]:
    """What `more` further months of delay of each estate not handed over would add to the
    fees of the households waiting for it."""
    today = today or timezone.localdate()
    out: dict[int, EstateProjection] = {}
    for w in waiting:
        if w.terms is None or w.estate is None or w.estate.actual_handover is not None:
            continue
        added = rules.added_by_delay(w.terms, today=today, more=more)
        row = out.setdefault(w.estate.pk, EstateProjection(w.estate, 0, 0, ZERO))
        row.households += 1
        row.months += added.months
        row.amount += added.amount
    return sorted(out.values(), key=lambda r: (r.estate.planned_handover, r.estate.name))


def project_section(user: Any, project: Project) -> dict[str, Any] | None:
    """The transition fees' summary on the project's overview page."""
    if not may(user, project, Action.VIEW):
        return None
    o = overview(project)
    if not o.households and not o.estates:
        return None
    return {
        "households": len(o.households),
        "receiving": o.receiving,
        "months_generated": o.months_generated,
        "paid": o.paid,
        "owed_now": o.owed_now,
        "late_estates": sum(1 for e in o.estates if e.late_by and not e.handed_over),
    }


def household_part(user: Any, household: Household) -> dict[str, Any] | None:
    """The household's months of transition fee (and those still to generate)."""
    if not may(user, household.project_id, Action.VIEW):
        return None
    months = _months(household=household)
    found = rules.waiting_households(household.project, household_ids=[household.pk])
    w = found[0] if found else None
    if not months and w is None:
        return None
    today = timezone.localdate()
    have = {m.month for m in months}
    pending = (
        [f for f in rules.fees(w.terms, through=today) if f.month not in have]
        if w is not None and w.terms is not None
        else []
    )
    return {
        "waiting": w,
        "months": [(m, payment_state(m)) for m in months],
        "pending": pending,
        "paid": sum((m.amount for m in months if m.instalment.paid_on), ZERO),
        "unpaid": sum((_owed(m) for m in months), ZERO),
        "pending_amount": rules.total(pending),
    }
