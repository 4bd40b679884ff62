"""Demo data of the compensation module, written by seed_demo for the first demo project.

Everything goes through the real services, as the office would do it: the project manager drafts
and publishes the policy; the accountant calculates the households whose ownership confirmation
is locked and whose valuation is confirmed (in batches, as the batch page does, and the property
exchanges one by one with the area of the new flats); then the review chain runs — the policy
reviewer, a second accountant, and the leader above the policy's threshold. About 70 % of the
calculations end approved; of the others some wait at each step, one or two were returned with a
reason (one of them already recalculated), and some are still being prepared, so that every
state of a calculation appears.

The policy is a usual one for a state-owned or collective expropriation: the house by the
valuation's unit prices over the legal area (licensed and recognised unlicensed: a building not
recognised as legal is not compensated), decoration, ancillaries and the business loss from the
valuation, the moving fee twice (moving out, moving in) per m² of licensed area, the transition
fee monthly (six months for cash, thirty-six for a flat still being built), and an incentive for
early signing tiered by the days since the decision (or its equivalent step) was announced.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from zhengqian.accounts.models import User
from zhengqian.compensation import batch, services
from zhengqian.compensation.engine import Mode
from zhengqian.compensation.models import (
    Calculation,
    CalculationStatus,
    EntitlementBasis,
    Policy,
)
from zhengqian.ownership.models import BuildingConfirmation, Confirmation, ConfirmationStatus
from zhengqian.projects.models import Milestone, Project
from zhengqian.projects.procedures import ProjectKind
from zhengqian.survey.models import Household, HouseholdKind
from zhengqian.valuation.models import Objection, Valuation, ValuationStatus

__all__ = ["APPROVED_SHARE", "INCENTIVE_FROM", "CompensationCounts", "seed_compensation"]

#: The step of the procedure the early-signing incentive counts its days from, by kind of
#: project: the expropriation decision, or where there is none the step that opens the signing.
INCENTIVE_FROM: Final = {
    ProjectKind.STATE_OWNED: "decision_announced",
    ProjectKind.SHANTYTOWN: "decision_announced",
    ProjectKind.COLLECTIVE: "plan_comment_closed",
    ProjectKind.AGREEMENT: "signing_started",
}
#: Share of the calculations approved at the end of the review chain.
APPROVED_SHARE: Final = Decimal("0.7")
# Share of the households ready for a calculation that the demo calculates: the rest wait for
# the accountant, so that the batch page has households to offer.
_CALCULATED_SHARE: Final = Decimal("0.9")
# Flat sizes (m²) of the resettlement housing, for households choosing property exchange.
_FLAT_SIZES: Final = (60, 75, 90, 105, 120, 135)
# Why the policy reviewer returned a calculation: one waits for the valuer's check, the other
# was recalculated at once.
_RETURNED_REASON: Final = "附属物评估明细中围墙长度与入户调查记录不一致，请核实后重新核算。"
_RECALCULATED_REASON: Final = "核算所用预计签约日期与签约安排不一致，请按安排的签约日期重新核算。"

_LEGAL = {"type": "area_rate", "area": "legal", "valuation_price": True}


def _items(incentive_from: str | None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [
        {
            "code": "house",
            "name": "被征收房屋价值补偿",
            "category": "house_value",
            "rule": _LEGAL,
        },
        {
            "code": "decoration",
            "name": "室内装饰装修价值补偿",
            "category": "decoration",
            "rule": {"type": "valuation", "line": "decoration"},
        },
        {
            "code": "ancillaries",
            "name": "附属物及构筑物补偿",
            "category": "ancillaries",
            "rule": {"type": "valuation", "line": "ancillaries"},
        },
        {
            "code": "business_loss",
            "name": "停产停业损失补偿",
            "category": "business_loss",
            "rule": {"type": "valuation", "line": "business_loss"},
            "kinds": [HouseholdKind.NON_RESIDENTIAL.value],
        },
        {
            "code": "moving",
            "name": "搬迁费（两次）",
            "category": "moving",
            "rule": {"type": "area_rate", "area": "licensed", "rate": "15", "coefficient": "2"},
            "minimum": Decimal("1000.00"),
        },
        {
            "code": "transition",
            "name": "临时安置费（货币补偿、房票，6个月）",
            "category": "transition",
            "rule": {
                "type": "monthly",
                "basis": "area",
                "area": "legal",
                "rate": "12",
                "monthly_minimum": "1200",
                "months": "6",
            },
            "modes": [Mode.CASH, Mode.VOUCHER],
            "kinds": [HouseholdKind.RESIDENTIAL.value],
        },
        {
            "code": "transition_exchange",
            "name": "临时安置费（产权调换期房过渡，36个月）",
            "category": "transition",
            "rule": {
                "type": "monthly",
                "basis": "area",
                "area": "legal",
                "rate": "12",
                "monthly_minimum": "1200",
                "months": "36",
            },
            "modes": [Mode.EXCHANGE],
            "kinds": [HouseholdKind.RESIDENTIAL.value],
        },
    ]
    if incentive_from is not None:
        items.append(
            {
                "code": "early_signing",
                "name": "按期签约奖励",
                "category": "incentive",
                "rule": {
                    "type": "tiers",
                    "from": incentive_from,
                    "to": "signing",
                    "tiers": [
                        {"up_to_days": 30, "percent": "5", "of": ["house"]},
                        {"up_to_days": 60, "percent": "3", "of": ["house"]},
                        {"up_to_days": 90, "percent": "1", "of": ["house"]},
                        {"amount": "0"},
                    ],
                },
                "maximum": Decimal("150000.00"),
            }
        )
    return items


@dataclass
class CompensationCounts:
    policies: int = 0
    calculations: int = 0
    approved: int = 0
    in_review: int = 0
    returned: int = 0


def seed_compensation(
    *, project: Project, users: dict[str, User], rng: random.Random, signing_on: dt.date
) -> CompensationCounts:
    """The published policy of the project, the calculations and their review; see the module's
    docstring. ``signing_on`` is the expected signing date the calculations assume (the
    incentive depends on it): the day the demo signs its agreements."""
    counts = CompensationCounts()
    _publish_policy(project, users["pm"])
    counts.policies = 1
    ready = _ready(project)
    ready = ready[: int(len(ready) * _CALCULATED_SHARE) or len(ready)]
    if not ready:
        return counts
    accountant = users["accountant"]
    modes = _modes(ready, rng)
    for mode in (Mode.CASH, Mode.VOUCHER):
        ids = [h.pk for h in ready if modes[h.pk] == mode]
        if ids:
            run = batch.batch_start(
                actor=accountant,
                project=project,
                mode=mode,
                household_ids=ids,
                signing_on=signing_on,
            )
            batch.run_batch(run)
    for household in ready:
        if modes[household.pk] == Mode.EXCHANGE:
            services.calculate(
                actor=accountant,
                household=household,
                mode=Mode.EXCHANGE,
                signing_on=signing_on,
                exchange_area=_flats(household),
            )
    calculations = list(
        Calculation.objects.filter(household__in=ready)
        .select_related("household")
        .order_by("household__code")
    )
    _review(calculations, users, rng, signing_on)
    rows = Calculation.objects.filter(household__project=project)
    counts.calculations = rows.count()
    counts.approved = rows.filter(status=CalculationStatus.APPROVED).count()
    counts.in_review = rows.filter(status__in=[s for s in CalculationStatus if s.in_review]).count()
    counts.returned = rows.filter(status=CalculationStatus.RETURNED).count()
    return counts


def _publish_policy(project: Project, manager: User) -> Policy:
    policy = services.policy_draft(
        actor=manager, project=project, title=f"{project.name}征收补偿方案"
    )
    services.policy_update(
        actor=manager,
        policy=policy,
        notes="经公开征求意见并修改完善后公布施行。",
        entitlement_basis=EntitlementBasis.LEGAL,
        entitled_price=Decimal("6800.00"),
        above_price=Decimal("11800.00"),
        below_price=Decimal("9800.00"),
        voucher_premium=Decimal("8.00"),
        voucher_validity_months=24,
        leader_threshold=Decimal("4000000.00"),
        # Each agreement takes effect when it is signed.
        effect_threshold=Decimal("0.00"),
        signing_period_end=project.planned_signing_end,
        # 70 % within 15 days of the agreement taking effect, the rest after vacating.
        payment_first_percent=Decimal("70.00"),
        payment_due_days=15,
    )
    recorded = set(
        Milestone.objects.filter(project=project, actual_date__isnull=False).values_list(
            "code", flat=True
        )
    )
    start = INCENTIVE_FROM.get(ProjectKind(project.kind))
    # Without the step's date no household could be calculated: no incentive then.
    for item in _items(start if start in recorded else None):
        services.policy_item_save(actor=manager, policy=policy, **item)
    return services.policy_publish(actor=manager, policy=policy)


def _ready(project: Project) -> list[Household]:
    """Households with a locked confirmation and a confirmed valuation without an objection
    waiting for its answer, in code order."""
    locked = Confirmation.objects.filter(
        household__project=project, status=ConfirmationStatus.LOCKED
    ).values_list("household_id", flat=True)
    valued = Valuation.objects.filter(
        household__project=project,
        status__in=[ValuationStatus.CONFIRMED, ValuationStatus.ISSUED],
    ).values_list("household_id", flat=True)
    objecting = Objection.objects.filter(
        valuation__household__project=project, answered_on__isnull=True
    ).values_list("valuation__household_id", flat=True)
    return list(
        Household.objects.filter(pk__in=locked)
        .filter(pk__in=valued)
        .exclude(pk__in=objecting)
        .order_by("code")
    )


def _modes(households: Sequence[Household], rng: random.Random) -> dict[int, str]:
    """Businesses take cash; families mostly cash, a quarter a new flat, some a voucher."""
    modes = {}
    for h in households:
        if h.kind == HouseholdKind.NON_RESIDENTIAL:
            modes[h.pk] = Mode.CASH
        else:
            modes[h.pk] = rng.choices(
                (Mode.CASH, Mode.EXCHANGE, Mode.VOUCHER), weights=(60, 25, 15)
            )[0]
    return modes


def _flats(household: Household) -> Decimal:
    """The area of the flats chosen: one or two of the usual sizes, nearest the legal area."""
    legal = sum(
        (
            c.licensed_area + (c.unlicensed_area if c.unlicensed_treatment == "recognised" else 0)
            for c in BuildingConfirmation.objects.filter(building__household=household)
        ),
        Decimal("0.00"),
    )
    choices = [*_FLAT_SIZES, *(a + b for a, b in itertools.combinations(_FLAT_SIZES, 2))]
    best = min(choices, key=lambda size: (abs(size - legal), size))
    return Decimal(best).quantize(Decimal("0.01"))


def _review(
    calculations: list[Calculation],
    users: dict[str, User],
    rng: random.Random,
    signing_on: dt.date,
) -> None:
    accountant, reviewer = users["accountant"], users["reviewer"]
    checker, leader = users["checker"], users["leader"]
    order = list(calculations)
    rng.shuffle(order)
    approved = int(len(order) * APPROVED_SHARE)
    rest = order[approved:]
    # What the rest shows: first a large one waiting for the leader, if there is one, then two
    # returned (one of them recalculated and submitted again), then one at each step, and the
    # others not yet submitted.
    rest.sort(key=lambda c: not c.needs_leader)
    plan = (
        (["leader"] if rest and rest[0].needs_leader else [])
        + ["returned", "resubmitted", "policy", "accounting"]
        + ["draft"] * len(rest)
    )
    for calculation in order[:approved]:
        services.submit(actor=accountant, calculation=calculation)
        services.review(actor=reviewer, calculation=calculation, approve=True)
        calculation = services.review(actor=checker, calculation=calculation, approve=True)
        if calculation.status == CalculationStatus.LEADER_REVIEW:
            services.review(actor=leader, calculation=calculation, approve=True)
    for calculation, state in zip(rest, plan, strict=False):
        if state == "draft":
            continue
        services.submit(actor=accountant, calculation=calculation)
        if state in ("returned", "resubmitted"):
            reason = _RETURNED_REASON if state == "returned" else _RECALCULATED_REASON
            services.review(actor=reviewer, calculation=calculation, approve=False, reason=reason)
            if state == "returned":
                continue
            # Recalculated after checking: version 2 supersedes the returned one.
            household = calculation.household
            calculation = services.calculate(
                actor=accountant,
                household=household,
                mode=calculation.mode,
                signing_on=signing_on,
                exchange_area=calculation.exchange_area,
            )
            services.submit(actor=accountant, calculation=calculation)
            continue
        if state == "policy":
            continue
        services.review(actor=reviewer, calculation=calculation, approve=True)
        if state == "accounting":
            continue
        services.review(actor=checker, calculation=calculation, approve=True)
