"""Reads of the petitions pages, scoped to the user (holdouts/view in the project, else 404).

The petitioner's name, ID number and phone and a case's applicant are personal data: masked
unless the user holds holdouts/view_personal; the views record every unmasked view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from zhengqian.accounts.permissions import OutOfScope, has_perm
from zhengqian.accounts.roles import Action, Module
from zhengqian.compensation.models import CalculationLine, CollectiveDecision
from zhengqian.core.masking import mask_id_number, mask_name, mask_phone
from zhengqian.petitions import services
from zhengqian.petitions.models import (
    Channel,
    Hearing,
    LawCase,
    Petition,
    PetitionStatus,
)
from zhengqian.projects import selectors as project_selectors
from zhengqian.projects.models import Project
from zhengqian.survey import selectors as survey_selectors
from zhengqian.survey.models import Household

PAGE_SIZE = 50


def may(user: Any, project: Project | int, action: Action) -> bool:
    return has_perm(user, Module.HOLDOUTS, action, project=project)


def sees_personal(user: Any, project: Project | int) -> bool:
    return may(user, project, Action.VIEW_PERSONAL)


# --- scope -------------------------------------------------------------------------------------


def get_project_for_user(user: Any, pk: Any) -> Project:
    return project_selectors.get_project_for_user(
        user, pk, module=Module.HOLDOUTS, action=Action.VIEW
    )


def _household_reached(user: Any, household_id: int | None, label: str, pk: Any) -> None:
    if household_id is None:
        return
    try:
        survey_selectors.get_household_for_user(
            user, household_id, module=Module.HOLDOUTS, action=Action.VIEW
        )
    except OutOfScope:
        raise OutOfScope(label, pk) from None


def get_petition_for_user(user: Any, pk: Any) -> Petition:
    try:
        found = Petition.objects.select_related(
            "project", "household", "assigned_to", "escalated_to", "repeat_of"
        ).get(pk=int(pk))
    except (Petition.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("petitions.petition", pk) from None
    if not may(user, found.project_id, Action.VIEW):
        raise OutOfScope("petitions.petition", pk)
    _household_reached(user, found.household_id, "petitions.petition", pk)
    return found


def get_case_for_user(user: Any, pk: Any) -> LawCase:
    try:
        found = LawCase.objects.select_related(
            "project", "household", "agreement", "valuation", "decision"
        ).get(pk=int(pk))
    except (LawCase.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("petitions.lawcase", pk) from None
    if not may(user, found.project_id, Action.VIEW):
        raise OutOfScope("petitions.lawcase", pk)
    _household_reached(user, found.household_id, "petitions.lawcase", pk)
    return found


def get_decision_for_user(user: Any, pk: Any) -> CollectiveDecision:
    try:
        found = CollectiveDecision.objects.select_related("project").get(pk=int(pk))
    except (CollectiveDecision.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("compensation.collectivedecision", pk) from None
    if not may(user, found.project_id, Action.VIEW):
        raise OutOfScope("compensation.collectivedecision", pk)
    return found


def households_of(user: Any, project: Project) -> QuerySet[Household]:
    return survey_selectors.households_for_user(
        user, project, module=Module.HOLDOUTS, action=Action.VIEW
    ).order_by("code")


def _scoped(user: Any, project: Project, qs: QuerySet[Any]) -> QuerySet[Any]:
    """Rows of no household, or of a household the user reaches."""
    return qs.filter(project=project).filter(
        Q(household__isnull=True) | Q(household__in=households_of(user, project))
    )


# --- petitions ---------------------------------------------------------------------------------


class Filter:
    OVERDUE = "overdue"
    ESCALATED = "escalated"


def petitions_for_user(
    user: Any,
    project: Project,
    *,
    status: str = "",
    channel: str = "",
    overdue: bool = False,
    today: dt.date | None = None,
) -> QuerySet[Petition]:
    qs = _scoped(user, project, Petition.objects.all()).select_related("household", "assigned_to")
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if overdue:
        qs = qs.filter(services.overdue_filter(today or timezone.localdate()))
    return qs.order_by("-received_on", "-pk")


@dataclass(frozen=True)
class PetitionRow:
    petition: Petition
    name: str
    phone: str
    overdue: tuple[str, int] | None
    repeats: int


def petition_rows(
    petitions: list[Petition], *, personal: bool, today: dt.date | None = None
) -> list[PetitionRow]:
    today = today or timezone.localdate()
    return [
        PetitionRow(
            petition=p,
            name=p.petitioner_name if personal else mask_name(p.petitioner_name),
            phone=p.phone if personal else mask_phone(p.phone),
            overdue=services.overdue_for(p, today),
            repeats=p.earlier_count,
        )
        for p in petitions
    ]


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    phone: str


def person(petition: Petition, *, personal: bool) -> Person:
    if personal:
        return Person(petition.petitioner_name, petition.id_number, petition.phone)
    return Person(
        mask_name(petition.petitioner_name),
        mask_id_number(petition.id_number),
        mask_phone(petition.phone),
    )


def same_person(petition: Petition) -> QuerySet[Petition]:
    """Every other petition of the same person in the project, earlier and later."""
    return services.earlier_petitions(
        petition.project_id,
        id_number=petition.id_number,
        name=petition.petitioner_name,
        phone=petition.phone,
        exclude=petition.pk,
    )


def counts(user: Any, project: Project) -> dict[str, Any]:
    """Petitions by channel and by status, with the totals and the overdue ones."""
    qs = _scoped(user, project, Petition.objects.all())
    by_channel = dict(qs.values_list("channel").annotate(n=Count("pk")).order_by())
    by_status = dict(qs.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "channels": [(c.value, c.label, by_channel.get(c.value, 0)) for c in Channel],
        "statuses": [(s.value, s.label, by_status.get(s.value, 0)) for s in PetitionStatus],
        "total": sum(by_channel.values()),
        "overdue": qs.filter(services.overdue_filter(timezone.localdate())).count(),
    }


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    total: int
    open: int
    overdue: int
    cases: int


def project_rows(user: Any) -> list[ProjectRow]:
    """The user's projects with their petition counts (petitions of households outside the
    user's work groups are counted too: the numbers say nothing of anyone)."""
    projects = list(
        project_selectors.projects_for_user(user, module=Module.HOLDOUTS).order_by("code")
    )
    ids = [p.pk for p in projects]
    today = timezone.localdate()
    petitions = Petition.objects.filter(project_id__in=ids)
    totals = dict(petitions.values_list("project_id").annotate(n=Count("pk")).order_by())
    open_ = dict(
        petitions.exclude(status=PetitionStatus.CLOSED)
        .values_list("project_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    overdue = dict(
        petitions.filter(services.overdue_filter(today))
        .values_list("project_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    cases = dict(
        LawCase.objects.filter(project_id__in=ids)
        .values_list("project_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        ProjectRow(
            project=p,
            total=totals.get(p.pk, 0),
            open=open_.get(p.pk, 0),
            overdue=overdue.get(p.pk, 0),
            cases=cases.get(p.pk, 0),
        )
        for p in projects
    ]


# --- cases and decisions -----------------------------------------------------------------------


def cases_for_user(user: Any, project: Project) -> QuerySet[LawCase]:
    return _scoped(user, project, LawCase.objects.all()).select_related("household")


def hearings_of(case: LawCase) -> QuerySet[Hearing]:
    return case.hearings.order_by("held_on", "pk")


def applicant(case: LawCase, *, personal: bool) -> str:
    return case.applicant if personal else mask_name(case.applicant)


def decisions_for_user(
    user: Any,
    project: Project,
    *,
    text: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[CollectiveDecision]:
    qs = CollectiveDecision.objects.filter(project=project).annotate(
        line_count=Count("lines", distinct=True), case_count=Count("law_cases", distinct=True)
    )
    text = text.strip()
    if text:
        qs = qs.filter(Q(decision__icontains=text) | Q(participants__icontains=text))
    if since:
        qs = qs.filter(meeting_date__gte=since)
    if until:
        qs = qs.filter(meeting_date__lte=until)
    return qs.order_by("-meeting_date", "-pk")


def decision_links(decision: CollectiveDecision) -> dict[str, Any]:
    """What links to a decision: the calculation lines departing from the policy under it,
    and the cases that name it."""
    return {
        "lines": CalculationLine.objects.filter(exception=decision)
        .select_related("calculation__household")
        .order_by("calculation__household__code", "calculation__number", "position"),
        "cases": LawCase.objects.filter(decision=decision).order_by("-filed_on"),
    }


def project_decisions(project: Project) -> QuerySet[CollectiveDecision]:
    return CollectiveDecision.objects.filter(project=project).order_by("-meeting_date")
