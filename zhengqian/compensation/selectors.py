"""Reads of the compensation module's calculation pages, scoped to the user.

A household is reached here as in the survey: the user's role in its project (and work group)
must allow compensation/view, else 404. What a user may do to a calculation is worked out by
the rules services.submit and services.review apply, so that a form is shown only to whom it
would not be refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengqian.accounts.permissions import OutOfScope, has_perm, holds_role
from zhengqian.accounts.roles import Action, Module
from zhengqian.compensation import services
from zhengqian.compensation.models import (
    CATEGORY_CHOICES,
    Calculation,
    CalculationLine,
    CalculationStatus,
    CalculationTransition,
)
from zhengqian.core.models import StaleMark
from zhengqian.projects.models import Project
from zhengqian.survey import selectors as survey_selectors
from zhengqian.survey.forms import dictionary_labels
from zhengqian.survey.models import Household
from zhengqian.valuation import selectors as valuation_selectors
from zhengqian.valuation.selectors import StaleChange

# Where an input of a line comes from, as its badge names it.
SOURCE_LABELS = {
    "survey": gettext_lazy("survey"),
    "confirmation": gettext_lazy("confirmation"),
    "valuation": gettext_lazy("valuation"),
    "policy": gettext_lazy("policy"),
    "project": gettext_lazy("project"),
    "calculation": gettext_lazy("calculation"),
    "signing": gettext_lazy("signing date"),
    "vacating": gettext_lazy("vacating date"),
    "resettlement": gettext_lazy("resettlement"),
}
# Upstream records the valuation's stale warning does not name.
_STALE_SOURCES = {
    "valuation.valuation": gettext_lazy("Valuation"),
    "ownership.personconfirmation": gettext_lazy("Confirmation of a person"),
}
REVIEW_STEPS = (
    CalculationStatus.POLICY_REVIEW,
    CalculationStatus.ACCOUNTING_REVIEW,
    CalculationStatus.LEADER_REVIEW,
)
QUEUE_STEPS = (*REVIEW_STEPS, CalculationStatus.RETURNED)


# --- scope -------------------------------------------------------------------------------


def get_household_for_user(user: Any, pk: Any, *, action: Action | str = Action.VIEW) -> Household:
    """The household if the user may reach it in the compensation module; 404 otherwise."""
    return survey_selectors.get_household_for_user(
        user, pk, module=Module.COMPENSATION, action=action
    )


def get_calculation_for_user(user: Any, pk: Any) -> Calculation:
    """A calculation of a household the user reaches in the compensation module, else 404."""
    try:
        calculation = Calculation.objects.select_related(
            "policy", "prepared_by", "household__project", "household__work_group"
        ).get(pk=int(pk))
    except (Calculation.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("compensation.calculation", pk) from None
    household = get_household_for_user(user, calculation.household_id)
    calculation.household = household
    return calculation


def get_project_for_user(user: Any, pk: Any) -> Project:
    """A project where the user may view calculations, else 404."""
    try:
        project = Project.objects.get(pk=int(pk))
    except (Project.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("projects.project", pk) from None
    if not has_perm(user, Module.COMPENSATION, Action.VIEW, project=project.pk):
        raise OutOfScope("projects.project", pk)
    return project


def _may(user: Any, household: Household, action: Action) -> bool:
    return has_perm(
        user,
        Module.COMPENSATION,
        action,
        project=household.project_id,
        work_group=household.work_group_id,
    )


def may_calculate(user: Any, household: Household) -> bool:
    return _may(user, household, Action.CREATE)


def _stale_marks() -> QuerySet[StaleMark]:
    return StaleMark.objects.filter(
        target_type=services.STALE_TARGET, target_id=OuterRef("pk"), resolved_at__isnull=True
    )


# --- what a user may do to one calculation -----------------------------------------------


@dataclass(frozen=True)
class Actions:
    submit: bool = False
    approve: bool = False
    give_back: bool = False

    @property
    def review(self) -> bool:
        return self.approve or self.give_back


def actions_for(user: Any, calculation: Calculation) -> Actions:
    """What services.submit and services.review would let this user do (the same rules)."""
    household = calculation.household
    status = CalculationStatus(calculation.status)
    if status.editable:
        return Actions(
            submit=_may(user, household, Action.CHANGE) and calculation.prepared_by_id == user.pk
        )
    if not status.in_review or calculation.prepared_by_id == user.pk:
        return Actions()
    action = Action.APPROVE if status == CalculationStatus.LEADER_REVIEW else Action.REVIEW
    if not _may(user, household, action) or not holds_role(
        user, services.REVIEWER_ROLE[status], household.project_id, household.work_group_id
    ):
        return Actions()
    chain_start = (
        calculation.transitions.filter(to_status=CalculationStatus.POLICY_REVIEW)
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    approved_before = (
        calculation.transitions.filter(
            actor=user, created_at__gte=chain_start, from_status__in=list(REVIEW_STEPS)
        )
        .exclude(to_status=CalculationStatus.RETURNED)
        .exists()
    )
    return Actions(approve=not approved_before, give_back=True)


# --- the household page ------------------------------------------------------------------


def history(household: Household) -> list[Calculation]:
    """Every version of the household's calculation, newest first, with its stale flag."""
    return list(
        Calculation.objects.filter(household_id=household.pk)
        .select_related("policy", "prepared_by")
        .annotate(is_stale=Exists(_stale_marks()))
        .order_by("-number")
    )


# --- the calculation sheet ---------------------------------------------------------------


@dataclass(frozen=True)
class InputRow:
    name: str
    value: str
    source: str

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS.get(self.source, self.source))


@dataclass(frozen=True)
class LineRow:
    line: CalculationLine

    @property
    def inputs(self) -> list[InputRow]:
        return [InputRow(*map(str, row)) for row in self.line.inputs]

    @property
    def departs(self) -> bool:
        return self.line.amount != self.line.policy_amount


@dataclass(frozen=True)
class DiffRow:
    item: str
    name: str
    old: Decimal | None
    new: Decimal | None

    @property
    def difference(self) -> Decimal:
        return (self.new or Decimal("0.00")) - (self.old or Decimal("0.00"))


@dataclass
class Sheet:
    calculation: Calculation
    lines: list[LineRow]
    totals: list[tuple[str, Decimal]]
    transitions: list[CalculationTransition]
    stale: list[StaleChange]
    previous: Calculation | None
    diff: list[DiffRow]
    actions: Actions
    returned_reason: str = ""

    @property
    def is_stale(self) -> bool:
        return bool(self.stale)

    @property
    def pays(self) -> bool:
        balance = self.calculation.exchange_balance
        return balance is not None and balance > 0

    @property
    def balance_abs(self) -> Decimal | None:
        balance = self.calculation.exchange_balance
        return abs(balance) if balance is not None else None


def stale_changes(calculation: Calculation) -> list[StaleChange]:
    """The upstream changes behind the calculation's open stale marks, old → new."""
    marks = list(
        StaleMark.objects.filter(
            target_type=services.STALE_TARGET, target_id=calculation.pk, resolved_at__isnull=True
        ).order_by("created_at", "pk")
    )
    if not marks:
        return []
    household = calculation.household
    labels = dictionary_labels(
        valuation_selectors.STRUCTURE_KIND,
        valuation_selectors.USE_KIND,
        valuation_selectors.ANCILLARY_KIND,
    )
    changes = valuation_selectors.stale_changes(
        marks,
        valuation_selectors.building_rows(household, labels),
        valuation_selectors.ancillary_rows(household, labels),
        labels,
    )
    return [
        replace(c, source=str(_STALE_SOURCES[c.source])) if c.source in _STALE_SOURCES else c
        for c in changes
    ]


def _diff(lines: list[CalculationLine], previous: Calculation) -> list[DiffRow]:
    old = {line.item: line for line in previous.lines.order_by("position")}
    rows = [
        DiffRow(
            item=line.item,
            name=line.name,
            old=old[line.item].amount if line.item in old else None,
            new=line.amount,
        )
        for line in lines
    ]
    seen = {line.item for line in lines}
    rows += [
        DiffRow(item=item, name=line.name, old=line.amount, new=None)
        for item, line in old.items()
        if item not in seen
    ]
    return rows


def sheet(user: Any, calculation: Calculation) -> Sheet:
    """Everything the calculation sheet shows, with what this user may do there."""
    lines = list(calculation.lines.select_related("exception").order_by("position"))
    labels = dict(CATEGORY_CHOICES)
    totals = [
        (str(labels.get(category, category)), Decimal(amount))
        for category, amount in (calculation.totals or {}).items()
    ]
    transitions = list(calculation.transitions.select_related("actor").order_by("created_at", "id"))
    previous = (
        Calculation.objects.filter(
            household_id=calculation.household_id, number__lt=calculation.number
        )
        .order_by("-number")
        .first()
    )
    returned = [t for t in transitions if t.to_status == CalculationStatus.RETURNED]
    return Sheet(
        calculation=calculation,
        lines=[LineRow(line) for line in lines],
        totals=totals,
        transitions=transitions,
        stale=stale_changes(calculation),
        previous=previous,
        diff=_diff(lines, previous) if previous is not None else [],
        actions=actions_for(user, calculation),
        returned_reason=returned[-1].reason
        if returned and calculation.status == CalculationStatus.RETURNED
        else "",
    )


# --- the review queue --------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    calculation: Calculation
    since: dt.datetime
    now: dt.datetime

    @property
    def waited(self) -> dt.timedelta:
        return self.now - self.since

    @property
    def waited_days(self) -> int:
        return self.waited.days

    @property
    def waited_hours(self) -> int:
        return self.waited.seconds // 3600


def queue(user: Any, project: Project, *, step: str = "") -> list[QueueRow]:
    """The project's calculations waiting at a review step or returned to their preparer, with
    when they got there, oldest first; only households the user reaches."""
    steps = [step] if step in {s.value for s in QUEUE_STEPS} else [s.value for s in QUEUE_STEPS]
    households = survey_selectors.households_for_user(
        user, project, module=Module.COMPENSATION, action=Action.VIEW
    )
    arrived = (
        CalculationTransition.objects.filter(calculation=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    rows = (
        Calculation.objects.filter(household__in=households, status__in=steps)
        .select_related("household", "prepared_by", "policy")
        .annotate(since=Subquery(arrived), is_stale=Exists(_stale_marks()))
        .order_by("since", "pk")
    )
    now = timezone.now()
    return [QueueRow(calculation=c, since=c.since or c.created_at, now=now) for c in rows]


# --- the card on the survey household page -----------------------------------------------


def household_section(user: Any, household: Household) -> dict[str, Any]:
    """The compensation card of the household page: the latest calculation's status, total
    and stale flag. Include it as {% include "compensation/_household_section.html" with
    section=... %}; a user without compensation/view of the household gets {"visible": False}."""
    if not _may(user, household, Action.VIEW):
        return {"visible": False, "household": household}
    latest = (
        Calculation.objects.filter(household_id=household.pk)
        .annotate(is_stale=Exists(_stale_marks()))
        .order_by("-number")
        .first()
    )
    return {
        "visible": True,
        "household": household,
        "calculation": latest,
        "stale": bool(latest is not None and latest.is_stale),
        "status_label": latest.get_status_display() if latest is not None else _("Not calculated"),
    }
