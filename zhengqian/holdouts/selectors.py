"""Reads of the holdout pages, scoped to the user.

The holdout list is a query, not stored rows: a household is on it when the signing period has
ended and it has no signed main agreement, or when its main agreement has been effective for
more than the policy's vacate_within_days days and its vacating has not been accepted. It leaves
the list by itself when it signs or is vacated. A household is reached as in the survey: the
user's role in its project (and work group) must allow holdouts/view, else 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case as Choose
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqian.accounts.permissions import OutOfScope, has_perm
from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements.models import Agreement, AgreementStatus
from zhengqian.core.masking import mask_name, mask_phone
from zhengqian.demolition.models import Demolition, Vacating
from zhengqian.holdouts.models import (
    Case,
    CaseStatus,
    Negotiation,
    NegotiationFile,
    Outcome,
    Reason,
)
from zhengqian.projects import selectors as project_selectors
from zhengqian.projects.models import Project
from zhengqian.survey import selectors as survey_selectors
from zhengqian.survey.models import Household

PAGE_SIZE = 50
# Policy.vacate_within_days when the project has no published policy yet.
DEFAULT_VACATE_DAYS = 30
SIGNED = (AgreementStatus.PENDING, AgreementStatus.EFFECTIVE)
LIST_REASONS = [
    (Reason.UNSIGNED.value, Reason.UNSIGNED.label),
    (Reason.NOT_VACATED.value, Reason.NOT_VACATED.label),
]


# --- scope -----------------------------------------------------------------------------------


def get_project_for_user(user: Any, pk: Any) -> Project:
    return project_selectors.get_project_for_user(
        user, pk, module=Module.HOLDOUTS, action=Action.VIEW
    )


def get_household_for_user(user: Any, pk: Any) -> Household:
    return survey_selectors.get_household_for_user(
        user, pk, module=Module.HOLDOUTS, action=Action.VIEW
    )


def get_case_for_user(user: Any, pk: Any) -> Case:
    try:
        found = Case.objects.select_related("leader", "opened_by", "closed_by").get(pk=int(pk))
    except (Case.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("holdouts.case", pk) from None
    found.household = get_household_for_user(user, found.household_id)
    return found


def get_file_for_user(user: Any, pk: Any) -> NegotiationFile:
    try:
        found = NegotiationFile.objects.get(pk=int(pk))
    except (NegotiationFile.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("holdouts.negotiationfile", pk) from None
    found.household = get_household_for_user(user, found.household_id)
    return found


def may(user: Any, household: Household, action: Action) -> bool:
    return has_perm(
        user,
        Module.HOLDOUTS,
        action,
        project=household.project_id,
        work_group=household.work_group_id,
    )


def open_case(household: Household) -> Case | None:
    """The household's open case, or None (for the legal module's link to the case page)."""
    return Case.objects.filter(household_id=household.pk, status=CaseStatus.OPEN).first()


# --- the holdout list ------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    """What the list of a project is measured against on a given day."""

    today: dt.date
    signing_end: dt.date | None
    vacate_days: int

    @property
    def signing_ended(self) -> bool:
        return self.signing_end is not None and self.today > self.signing_end

    @property
    def vacate_cutoff(self) -> dt.date:
        """Agreements effective before this day are past the vacating deadline."""
        return self.today - dt.timedelta(days=self.vacate_days)

    def since(self, reason: str, effective_on: dt.date | None) -> dt.date | None:
        """The first day the household is a holdout: the day after the deadline."""
        if reason == Reason.UNSIGNED and self.signing_end is not None:
            return self.signing_end + dt.timedelta(days=1)
        if reason == Reason.NOT_VACATED and effective_on is not None:
            return effective_on + dt.timedelta(days=self.vacate_days + 1)
        return None


def deadlines(project: Project | int, today: dt.date | None = None) -> Deadlines:
    """The end of the signing period (the published policy's, else the project's plan) and the
    days allowed to vacate after an agreement takes effect."""
    from zhengqian.compensation.services import current_policy

    policy = current_policy(project)
    end = policy.signing_period_end if policy is not None else None
    if end is None:
        project_id = project if isinstance(project, int) else project.pk
        end = (
            Project.objects.filter(pk=project_id)
            .values_list("planned_signing_end", flat=True)
            .first()
        )
    days = policy.vacate_within_days if policy is not None else DEFAULT_VACATE_DAYS
    return Deadlines(today=today or timezone.localdate(), signing_end=end, vacate_days=days)


def _signed() -> Exists:
    return Exists(
        Agreement.objects.filter(
            household_id=OuterRef("pk"), parent__isnull=True, status__in=SIGNED
        )
    )


def holdouts(households: QuerySet[Household], limits: Deadlines) -> QuerySet[Household]:
    """The holdouts among these households, annotated with holdout_reason and
    holdout_effective_on; one query (the agreement's household index and the vacating's unique
    household index)."""
    effective = Agreement.objects.filter(
        household_id=OuterRef("pk"), parent__isnull=True, status=AgreementStatus.EFFECTIVE
    )
    # A household whose case was closed as enforced by the court is cleared (拔钉清零), though
    # it has neither an agreement nor a vacating acceptance.
    enforced = Case.objects.filter(
        household_id=OuterRef("pk"), status=CaseStatus.CLEARED, outcome=Outcome.COURT
    )
    qs = households.annotate(
        holdout_signed=_signed(),
        holdout_effective_on=Subquery(effective.values("effective_on")[:1]),
        holdout_vacated=Exists(Vacating.objects.filter(household_id=OuterRef("pk"))),
    ).exclude(Exists(enforced))
    late_vacating = Q(holdout_effective_on__lt=limits.vacate_cutoff, holdout_vacated=False)
    condition = late_vacating
    if limits.signing_ended:
        condition = Q(holdout_signed=False) | late_vacating
    return qs.filter(condition).annotate(
        holdout_reason=Choose(
            When(holdout_signed=False, then=Value(Reason.UNSIGNED.value)),
            default=Value(Reason.NOT_VACATED.value),
        )
    )


def holdouts_for_user(
    user: Any,
    project: Project,
    *,
    reason: str = "",
    work_group: int | None = None,
    limits: Deadlines | None = None,
) -> QuerySet[Household]:
    """The project's holdouts the user reaches, with their open case, by code."""
    limits = limits or deadlines(project)
    households = survey_selectors.households_for_user(
        user, project, module=Module.HOLDOUTS, action=Action.VIEW
    )
    if work_group is not None:
        households = households.filter(work_group_id=work_group)
    qs = holdouts(households, limits).select_related("work_group")
    if reason:
        qs = qs.filter(holdout_reason=reason)  # type: ignore[misc]
    open_cases = Case.objects.filter(household_id=OuterRef("pk"), status=CaseStatus.OPEN)
    return qs.annotate(open_case_id=Subquery(open_cases.values("pk")[:1])).order_by("code")


@dataclass(frozen=True)
class Row:
    household: Household
    head: str
    reason: str
    reason_label: str
    since: dt.date | None


def list_rows(households: list[Household], limits: Deadlines) -> list[Row]:
    """The rows of one page of the list, names masked."""
    labels = dict(Reason.choices)
    rows = []
    for h in households:
        reason = h.holdout_reason  # type: ignore[attr-defined]
        rows.append(
            Row(
                household=h,
                head=mask_name(h.head_name),
                reason=reason,
                reason_label=str(labels[reason]),
                since=limits.since(reason, h.holdout_effective_on),  # type: ignore[attr-defined]
            )
        )
    return rows


def early_cases(user: Any, project: Project) -> QuerySet[Case]:
    """Open cases of households at risk, opened before a deadline (the holdout_case_status
    index)."""
    households = survey_selectors.households_for_user(
        user, project, module=Module.HOLDOUTS, action=Action.VIEW
    )
    return (
        Case.objects.filter(
            project=project,
            status=CaseStatus.OPEN,
            reason=Reason.AT_RISK,
            household__in=households,
        )
        .select_related("household", "leader")
        .order_by("household__code")
    )


# --- clearance rates -------------------------------------------------------------------------


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Rates:
    households: int = 0
    signed: int = 0
    demolished: int = 0
    holdouts: int = 0

    @property
    def by_agreements(self) -> Decimal | None:
        return _rate(self.signed, self.households)

    @property
    def by_demolition(self) -> Decimal | None:
        return _rate(self.demolished, self.households)

    def add(self, other: Rates) -> None:
        self.households += other.households
        self.signed += other.signed
        self.demolished += other.demolished
        self.holdouts += other.holdouts


@dataclass
class ProjectRates:
    project: Project
    rates: Rates


@dataclass
class DistrictRates:
    name: str
    projects: list[ProjectRates] = field(default_factory=list)
    total: Rates = field(default_factory=Rates)


def project_rates(project: Project, limits: Deadlines | None = None) -> Rates:
    """The clearance rates (清零率) of one project: by agreements and by demolition, and the
    holdouts now."""
    households = Household.objects.filter(project=project)
    found = households.aggregate(
        households=Count("pk"),
        signed=Count("pk", filter=Q(_signed())),
        demolished=Count("demolition"),
    )
    return Rates(
        households=found["households"],
        signed=found["signed"],
        demolished=found["demolished"],
        holdouts=holdouts(households, limits or deadlines(project)).count(),
    )


def district_rates(user: Any, today: dt.date | None = None) -> list[DistrictRates]:
    """The user's projects grouped by district, each with its rates, and each district's total
    row: grouped queries for the counts, one count of the holdouts per project (each project
    has its own deadlines)."""
    projects = list(
        project_selectors.projects_for_user(
            user, module=Module.HOLDOUTS, action=Action.VIEW
        ).order_by("district__code", "code")
    )
    ids = [p.pk for p in projects]

    def grouped(qs: QuerySet[Any], key: str = "project_id") -> dict[int, int]:
        return dict(
            qs.filter(**{f"{key}__in": ids})
            .values(key)
            .annotate(n=Count("pk"))
            .values_list(key, "n")
        )

    households = grouped(Household.objects.all())
    signed = grouped(Agreement.objects.filter(parent__isnull=True, status__in=SIGNED))
    demolished = grouped(Demolition.objects.all())
    districts: dict[Any, DistrictRates] = {}
    for p in projects:
        rates = Rates(
            households=households.get(p.pk, 0),
            signed=signed.get(p.pk, 0),
            demolished=demolished.get(p.pk, 0),
            holdouts=holdouts(Household.objects.filter(project=p), deadlines(p, today)).count(),
        )
        name = str(p.district) if p.district_id else str(_("No district"))
        group = districts.setdefault(p.district_id, DistrictRates(name=name))
        group.projects.append(ProjectRates(project=p, rates=rates))
        group.total.add(rates)
    return list(districts.values())


# --- the case page ---------------------------------------------------------------------------


@dataclass
class CaseView:
    case: Case
    household: Household
    head: str
    phone: str
    unmasked: bool
    members: list[Any]
    negotiations: list[Negotiation]
    policy_total: Decimal | None
    may_change: bool
    may_create: bool
    may_close: bool


def case_view(user: Any, case: Case) -> CaseView:
    """The case with its team and log; names unmasked for holdouts/view_personal (the view
    records that read)."""
    household = case.household
    unmasked = may(user, household, Action.VIEW_PERSONAL)
    from zhengqian.holdouts.services import policy_total

    negotiations = list(
        case.negotiations.select_related("decision", "recorded_by")
        .prefetch_related("office_participants", "files")
        .order_by("-held_on", "-pk")
    )
    is_open = case.status == CaseStatus.OPEN
    return CaseView(
        case=case,
        household=household,
        head=household.head_name if unmasked else mask_name(household.head_name),
        phone=household.phone if unmasked else mask_phone(household.phone),
        unmasked=unmasked,
        members=list(case.members.order_by("username")),
        negotiations=negotiations,
        policy_total=policy_total(household),
        may_change=is_open and may(user, household, Action.CHANGE),
        may_create=is_open and may(user, household, Action.CREATE),
        may_close=is_open and may(user, household, Action.APPROVE),
    )


# --- the household section -------------------------------------------------------------------


def household_section(user: Any, household: Household) -> dict[str, Any] | None:
    """The holdout card of the household page (registered in HoldoutsConfig.ready): its latest
    case with the latest negotiation, or that it is on the list; None when there is nothing to
    show or the user may not view holdouts."""
    if not may(user, household, Action.VIEW):
        return None
    case = (
        Case.objects.filter(household_id=household.pk)
        .select_related("leader")
        .order_by("-opened_on", "-pk")
        .first()
    )
    row = (
        holdouts(Household.objects.filter(pk=household.pk), deadlines(household.project_id))
        .values("holdout_reason")  # type: ignore[misc]
        .first()
    )
    may_create = may(user, household, Action.CREATE)
    # A household at risk may have its case opened before the deadline, until it vacates.
    if (
        case is None
        and row is None
        and (not may_create or Vacating.objects.filter(household_id=household.pk).exists())
    ):
        return None
    latest = (
        Negotiation.objects.filter(case=case).order_by("-held_on", "-pk").first()
        if case is not None
        else None
    )
    may_open = (case is None or not case.is_open) and may_create
    return {
        "household": household,
        "case": case,
        "latest": latest,
        "reason_label": dict(Reason.choices)[row["holdout_reason"]] if row else "",
        "may_open": may_open,
    }
