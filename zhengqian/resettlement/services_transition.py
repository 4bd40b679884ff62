"""Transition fees (过渡费): a monthly fee for a household that has moved out and waits for its
resettlement flats, generated month by month as payable items of the payments module.

Who receives it: a household whose main agreement is an effective property exchange and whose
vacating has been accepted (the acceptance date is the day it moved out).

The estate that decides the dates, in this order: the estate of the household's live choices
(the one handed over last, when its flats lie in several estates); else the estate of the flats
offered in the household's latest selection round; else the project's estate with the latest
planned handover (an assumption, shown as such on the pages).

Months (each is the calendar month, named by its first day):
- the first month is the month of moving out, paid in full whatever the day;
- while the estate is not handed over, months keep coming, up to the current month;
- once handed over, the last month paid is the month in which the period of
  `transition_after_handover_months` after the actual handover ends: handover 2027-03-15 and six
  months → the period ends on 2027-09-15 → 2027-09 is the last month paid (handover 2027-03-31
  with one month → 2027-04-30 → 2027-04). With no months after handover, the month of the
  handover is the last.

Amount of a month: base = max(transition_rate × entitled area, transition_minimum), rounded to
the fen once; a month is late when it starts after the promised (planned) handover date of an
estate that was not handed over by that date (not handed over yet, or handed over later); a late
month is paid at base × transition_late_factor (rounded to the fen), the others at base. So an
estate handed over on time pays no month at the factor, even the months after the handover,
and an estate handed over late pays every month after its promised date at the factor, the
months after the handover included (they too are owed to the delay).

Generating is idempotent: a month is recorded once per household (a unique constraint, and the
months already recorded are skipped) and scheduled once in the payments module (an item of kind
"transition" with the month "YYYY-MM" as its reference). Each household is generated in its own
transaction: a household that fails is reported and the others are kept.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements.models import Agreement, AgreementKind, AgreementStatus
from zhengqian.audit.services import record
from zhengqian.compensation.engine import fen
from zhengqian.compensation.models import Policy
from zhengqian.demolition.models import Vacating
from zhengqian.payments import services as payments
from zhengqian.payments.models import PlanKind
from zhengqian.projects.models import Project
from zhengqian.resettlement import entitlement as entitlements
from zhengqian.resettlement.models import (
    Choice,
    Estate,
    RoundEntry,
    SelectionRound,
    TransitionMonth,
)
from zhengqian.survey.models import Household

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
ONE = Decimal("1")


# --- months ------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), kept within the month: 01-31 + 1 → 02-28."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def months_from(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from `first`'s through `last`'s (none when last is earlier)."""
    out: list[dt.date] = []
    current, end = month_start(first), month_start(last)
    while current <= end:
        out.append(current)
        current = add_months(current, 1)
    return out


def last_paid_month(handover: dt.date, after_months: int) -> dt.date:
    """The last month paid for a handover: the month in which the period after it ends."""
    return month_start(add_months(handover, after_months))


def is_late(month: dt.date, planned: dt.date, handover: dt.date | None) -> bool:
    """Whether the month is paid at the late factor (see the module's docstring)."""
    return month > planned and (handover is None or handover > planned)


def months_late(planned: dt.date, until: dt.date) -> int:
    """How many months starting after the promised date have begun by `until`."""
    return sum(1 for m in months_from(planned, until) if m > planned)


# --- the fee of a month ------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """What a household's fees depend on: its moving out, its estate's dates, its policy."""

    moved_out: dt.date
    planned: dt.date
    handover: dt.date | None
    after_months: int
    base: Decimal
    factor: Decimal


@dataclass(frozen=True)
class MonthFee:
    month: dt.date
    base: Decimal
    factor: Decimal
    amount: Decimal
    late: bool


def base_fee(policy: Policy, area: Decimal) -> Decimal:
    return fen(max(policy.transition_rate * area, policy.transition_minimum))


def fees(terms: Terms, *, through: dt.date | None = None) -> list[MonthFee]:
    """The household's months up to `through`'s month (and never past the end point once the
    estate is handed over). Without `through` the estate must be handed over (or assumed so)."""
    if terms.handover is not None:
        last = last_paid_month(terms.handover, terms.after_months)
        if through is not None:
            last = min(last, month_start(through))
    elif through is not None:
        last = month_start(through)
    else:
        raise ValueError("An estate not handed over needs a month to stop at.")
    rows = []
    for month in months_from(terms.moved_out, last):
        late = is_late(month, terms.planned, terms.handover)
        factor = terms.factor if late else ONE
        rows.append(MonthFee(month, terms.base, factor, fen(terms.base * factor), late))
    return rows


def total(rows: Iterable[MonthFee]) -> Decimal:
    return sum((r.amount for r in rows), ZERO)


def expected_handover(planned: dt.date, today: dt.date) -> dt.date:
    """When an estate not handed over is expected now: its promise, or today once it is late."""
    return max(planned, today)


@dataclass(frozen=True)
class Added:
    months: int
    amount: Decimal


def added_by_delay(terms: Terms, *, today: dt.date, more: int) -> Added:
    """What it adds to a household's fees if its estate, not handed over, is handed over `more`
    months after it is expected now (the promise, or today once late): the months of waiting
    added, at the late factor, and the months after the handover shifted past the promise."""
    if terms.handover is not None or more <= 0:
        return Added(0, ZERO)
    expected = expected_handover(terms.planned, today)
    now = fees(replace(terms, handover=expected))
    later = fees(replace(terms, handover=add_months(expected, more)))
    return Added(len(later) - len(now), total(later) - total(now))


# --- who receives it ---------------------------------------------------------------------------


class EstateSource:
    CHOICE = "choice"
    ROUND = "round"
    PROJECT = "project"


@dataclass
class Waiting:
    """A household receiving transition fees, with the estate that decides its dates."""

    household: Household
    entitlement: entitlements.Entitlement
    moved_out: dt.date
    estate: Estate | None
    source: str
    base: Decimal = ZERO
    terms: Terms | None = None

    @property
    def assumed(self) -> bool:
        return self.source == EstateSource.PROJECT


def _handover_key(estate: Estate) -> tuple[dt.date, dt.date]:
    # The household waits for the estate handed over last; one not handed over yet, longest.
    return (estate.actual_handover or dt.date.max, estate.planned_handover)


def waiting_households(
    project: Project, *, household_ids: Iterable[int] | None = None
) -> list[Waiting]:
    """The households of the project that receive transition fees (see the module's docstring),
    ordered by code."""
    agreements = Agreement.objects.filter(
        project=project,
        parent__isnull=True,
        kind=AgreementKind.EXCHANGE,
        status=AgreementStatus.EFFECTIVE,
    )
    vacatings = Vacating.objects.filter(
        project=project, household_id__in=agreements.values("household_id")
    ).select_related("household")
    if household_ids is not None:
        vacatings = vacatings.filter(household_id__in=list(household_ids))
    moved = {v.household_id: v for v in vacatings.order_by("household__code")}
    if not moved:
        return []
    estates = {e.pk: e for e in Estate.objects.filter(project=project)}
    by_choice: dict[int, set[int]] = {}
    for hid, eid in Choice.objects.filter(
        household_id__in=moved, cancelled_at__isnull=True
    ).values_list("household_id", "flat__estate_id"):
        by_choice.setdefault(hid, set()).add(eid)
    latest_round: dict[int, int] = {}
    for hid, rid in (
        RoundEntry.objects.filter(household_id__in=moved)
        .order_by("household_id", "-round__scheduled_on", "-round_id")
        .values_list("household_id", "round_id")
    ):
        latest_round.setdefault(hid, rid)
    offered: dict[int, set[int]] = {}
    for rid, eid in SelectionRound.flats.through.objects.filter(
        selectionround_id__in=set(latest_round.values())
    ).values_list("selectionround_id", "flat__estate_id"):
        offered.setdefault(rid, set()).add(eid)
    fallback = max(estates.values(), key=lambda e: (e.planned_handover, e.pk), default=None)
    out: list[Waiting] = []
    for hid, vacating in moved.items():
        right = entitlements.for_household(hid)
        if right is None:  # pragma: no cover - filtered above; a race with a voiding
            continue
        candidates = by_choice.get(hid) or offered.get(latest_round.get(hid, 0)) or set()
        source = EstateSource.CHOICE if by_choice.get(hid) else EstateSource.ROUND
        chosen = [estates[e] for e in candidates if e in estates]
        if chosen:
            estate: Estate | None = max(chosen, key=_handover_key)
        else:
            estate, source = fallback, EstateSource.PROJECT
        w = Waiting(
            household=vacating.household,
            entitlement=right,
            moved_out=vacating.accepted_on,
            estate=estate,
            source=source,
            base=base_fee(right.policy, right.area),
        )
        if estate is not None:
            w.terms = Terms(
                moved_out=vacating.accepted_on,
                planned=estate.planned_handover,
                handover=estate.actual_handover,
                after_months=right.policy.transition_after_handover_months,
                base=w.base,
                factor=right.policy.transition_late_factor,
            )
        out.append(w)
    return out


# --- generating the months ---------------------------------------------------------------------


@dataclass
class Outcome:
    created: int = 0
    households: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def description(month: dt.date) -> str:
    """The item's text as the household and the finance office read it (the office language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Transition fee %(month)s") % {"month": f"{month:%Y-%m}"}


def _generate_household(actor: Any, waiting: Waiting, through: dt.date) -> int:
    """The missing months of one household up to `through`, in one transaction."""
    assert waiting.terms is not None and waiting.estate is not None
    with transaction.atomic():
        # Two runs at once: the second waits here and then finds the first one's months.
        household = Household.objects.select_for_update().get(pk=waiting.household.pk)
        have = set(
            TransitionMonth.objects.filter(household=household).values_list("month", flat=True)
        )
        created: list[TransitionMonth] = []
        for fee in fees(waiting.terms, through=through):
            if fee.month in have:
                continue
            instalment = payments.schedule_item(
                actor=actor,
                household=household,
                kind=PlanKind.TRANSITION,
                reference=f"{fee.month:%Y-%m}",
                description=description(fee.month),
                amount=fee.amount,
                on=fee.month,
            )
            created.append(
                TransitionMonth.objects.create(
                    project_id=household.project_id,
                    household=household,
                    estate=waiting.estate,
                    month=fee.month,
                    area=waiting.entitlement.area,
                    base=fee.base,
                    factor=fee.factor,
                    amount=fee.amount,
                    late=fee.late,
                    instalment=instalment,
                )
            )
        if created:
            record(
                actor=actor,
                actor_name="" if actor is not None else "system",
                event_type="resettlement.transition",
                target=household,
                project=household.project_id,
                details={
                    "estate": waiting.estate.name,
                    "months": [f"{m.month:%Y-%m}" for m in created],
                    "amount": total(
                        MonthFee(m.month, m.base, m.factor, m.amount, m.late) for m in created
                    ),
                    "late": sum(1 for m in created if m.late),
                },
            )
        return len(created)


def generate_all(
    *,
    actor: Any = None,
    project: Project,
    through: dt.date,
    household_ids: Iterable[int] | None = None,
) -> Outcome:
    """Generate the missing months of every waiting household of the project up to the month of
    `through` (never beyond the current month). A household that fails is reported in
    `failed` (its code and the reason) and the others are kept."""
    if actor is not None:
        require(actor, Module.RESETTLEMENT, Action.CREATE, project=project)
    through = min(through, timezone.localdate())
    outcome = Outcome()
    for waiting in waiting_households(project, household_ids=household_ids):
        if waiting.terms is None:
            outcome.failed.append(
                (waiting.household.code, _("The project has no resettlement estate."))
            )
            continue
        try:
            made = _generate_household(actor, waiting, through)
        except (ValidationError, DatabaseError) as exc:
            reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            logger.warning(
                "Transition fees of %s not generated: %s", waiting.household.code, reason
            )
            outcome.failed.append((waiting.household.code, reason))
            continue
        outcome.created += made
        outcome.households += 1 if made else 0
    return outcome


def generate(*, actor: Any = None, project: Project, through: dt.date) -> int:
    """The number of months generated (see generate_all; failures are logged)."""
    return generate_all(actor=actor, project=project, through=through).created
