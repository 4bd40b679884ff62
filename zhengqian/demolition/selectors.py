"""Reads of the demolition pages, scoped to the user.

A household is reached as in the survey: the user's role in its project (and work group) must
allow demolition/view, else 404. A form is shown only to whom the services would not refuse it.
This module has no right to personal data: the heads' names are always masked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqian.accounts.permissions import OutOfScope, has_perm
from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements.models import Agreement, AgreementStatus
from zhengqian.core.masking import mask_name
from zhengqian.demolition import services
from zhengqian.demolition.models import (
    Checkpoint,
    Clearance,
    Demolition,
    Inspection,
    Rectification,
    SitePhoto,
    Step,
    Vacating,
)
from zhengqian.projects import selectors as project_selectors
from zhengqian.projects.models import Project
from zhengqian.survey import selectors as survey_selectors
from zhengqian.survey.models import Household

PAGE_SIZE = 50
RECENT = 10


class Stage:
    """The stages the household list is filtered by."""

    WAITING = "waiting"
    VACATED = "vacated"
    DEMOLISHED = "demolished"
    CLEARED = "cleared"

    CHOICES = [
        (WAITING, _("Waiting for vacating")),
        (VACATED, _("Vacated, not demolished")),
        (DEMOLISHED, _("Demolished, not cleared")),
        (CLEARED, _("Cleared")),
    ]
    VALUES = [value for value, _label in CHOICES]


# --- scope -----------------------------------------------------------------------------------


def get_project_for_user(user: Any, pk: Any) -> Project:
    """A project where the user may view the demolition module, else 404."""
    return project_selectors.get_project_for_user(
        user, pk, module=Module.DEMOLITION, action=Action.VIEW
    )


def get_household_for_user(user: Any, pk: Any) -> Household:
    return survey_selectors.get_household_for_user(
        user, pk, module=Module.DEMOLITION, action=Action.VIEW
    )


def get_rectification_for_user(user: Any, pk: Any) -> Rectification:
    try:
        found = Rectification.objects.select_related("inspection").get(pk=int(pk))
    except (Rectification.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("demolition.rectification", pk) from None
    found.household = get_household_for_user(user, found.household_id)
    return found


def get_photo_for_user(user: Any, pk: Any) -> SitePhoto:
    try:
        found = SitePhoto.objects.get(pk=int(pk))
    except (SitePhoto.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("demolition.sitephoto", pk) from None
    found.household = get_household_for_user(user, found.household_id)
    return found


def get_vacating_for_user(user: Any, household_pk: Any) -> Vacating:
    household = get_household_for_user(user, household_pk)
    try:
        found = Vacating.objects.get(household=household)
    except Vacating.DoesNotExist:
        raise OutOfScope("demolition.vacating", household_pk) from None
    found.household = household
    return found


def may(user: Any, household: Household, action: Action) -> bool:
    return has_perm(
        user,
        Module.DEMOLITION,
        action,
        project=household.project_id,
        work_group=household.work_group_id,
    )


def may_in_project(user: Any, project: Project | int, action: Action) -> bool:
    return has_perm(user, Module.DEMOLITION, action, project=project)


# --- the household list ----------------------------------------------------------------------


def _effective_agreement() -> Exists:
    return Exists(
        Agreement.objects.filter(
            household_id=OuterRef("pk"), parent__isnull=True, status=AgreementStatus.EFFECTIVE
        )
    )


def households_for_user(user: Any, project: Project, *, stage: str = "") -> QuerySet[Household]:
    """The project's households the user reaches, with their agreement and site steps, by
    code; one query whatever the stage (each step is one row per household, on its unique
    household index)."""
    live = Agreement.objects.filter(household_id=OuterRef("pk"), parent__isnull=True).exclude(
        status=AgreementStatus.VOID
    )
    qs = (
        survey_selectors.households_for_user(
            user, project, module=Module.DEMOLITION, action=Action.VIEW
        )
        .select_related("vacating", "demolition", "clearance")
        .annotate(
            in_force=_effective_agreement(),
            agreement_number=Subquery(live.values("number")[:1]),
            agreement_status=Subquery(live.values("status")[:1]),
        )
    )
    if stage == Stage.WAITING:
        qs = qs.filter(in_force=True, vacating__isnull=True)
    elif stage == Stage.VACATED:
        qs = qs.filter(vacating__isnull=False, demolition__isnull=True)
    elif stage == Stage.DEMOLISHED:
        qs = qs.filter(demolition__isnull=False, clearance__isnull=True)
    elif stage == Stage.CLEARED:
        qs = qs.filter(clearance__isnull=False)
    return qs.order_by("code")


@dataclass(frozen=True)
class Row:
    household: Household
    head: str

    @property
    def agreement_status_label(self) -> str:
        status = getattr(self.household, "agreement_status", None)
        return str(AgreementStatus(status).label) if status else ""


def list_rows(households: list[Household]) -> list[Row]:
    return [Row(household=h, head=mask_name(h.head_name)) for h in households]


# --- counts ----------------------------------------------------------------------------------


def counts(user: Any, project: Project) -> dict[str, int]:
    """Households with an agreement in force, vacated, demolished, cleared, and the open
    rectifications past their deadline, among those the user reaches."""
    households = survey_selectors.households_for_user(
        user, project, module=Module.DEMOLITION, action=Action.VIEW
    )
    found = households.aggregate(
        households=Count("pk"),
        in_force=Count("pk", filter=Q(_effective_agreement())),
        vacated=Count("vacating"),
        demolished=Count("demolition"),
        cleared=Count("clearance"),
    )
    found["overdue"] = overdue_rectifications(user, project).count()
    return found


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    counts: dict[str, int]


def project_rows(user: Any) -> list[ProjectRow]:
    """The user's projects with their counts: one grouped query per count, whatever the
    number of projects and households (a user limited to work groups sees the project's
    counts on its page, which are scoped to the groups)."""
    projects = list(
        project_selectors.projects_for_user(
            user, module=Module.DEMOLITION, action=Action.VIEW
        ).order_by("code")
    )
    ids = [p.pk for p in projects]

    def grouped(qs: QuerySet[Any]) -> dict[int, int]:
        return dict(
            qs.filter(project_id__in=ids)
            .values("project_id")
            .annotate(n=Count("pk"))
            .values_list("project_id", "n")
        )

    today = timezone.localdate()
    per = {
        "households": grouped(Household.objects.all()),
        "in_force": grouped(
            Agreement.objects.filter(parent__isnull=True, status=AgreementStatus.EFFECTIVE)
        ),
        "vacated": grouped(Vacating.objects.all()),
        "demolished": grouped(Demolition.objects.all()),
        "cleared": grouped(Clearance.objects.all()),
        "overdue": grouped(
            Rectification.objects.filter(closed_on__isnull=True, deadline__lt=today)
        ),
    }
    return [
        ProjectRow(project=p, counts={k: v.get(p.pk, 0) for k, v in per.items()}) for p in projects
    ]


# --- inspections and rectifications ----------------------------------------------------------


def recent_inspections(user: Any, project: Project) -> QuerySet[Inspection]:
    """The latest inspections of the sites the user reaches (the inspection_day index)."""
    households = survey_selectors.households_for_user(
        user, project, module=Module.DEMOLITION, action=Action.VIEW
    )
    return (
        Inspection.objects.filter(project=project, household__in=households)
        .select_related("household", "inspector")
        .order_by("-inspected_on", "-pk")[:RECENT]
    )


def overdue_rectifications(
    user: Any, project: Project, today: dt.date | None = None
) -> QuerySet[Rectification]:
    """Open rectifications whose deadline has passed (the rectification_open index), of the
    sites the user reaches, the most overdue first."""
    today = today or timezone.localdate()
    households = survey_selectors.households_for_user(
        user, project, module=Module.DEMOLITION, action=Action.VIEW
    )
    return (
        Rectification.objects.filter(
            project=project, closed_on__isnull=True, deadline__lt=today, household__in=households
        )
        .select_related("household", "inspection")
        .order_by("deadline", "pk")
    )


# --- the household section -------------------------------------------------------------------


@dataclass
class InspectionView:
    inspection: Inspection
    findings: list[tuple[str, bool]]
    rectifications: list[Rectification]
    photos: list[SitePhoto]


@dataclass
class Section:
    household: Household
    head: str
    agreement: Agreement | None
    blocked: str
    vacating: Vacating | None
    demolition: Demolition | None
    clearance: Clearance | None
    photos: dict[str, list[SitePhoto]]
    inspections: list[InspectionView]
    may_create: bool
    may_change: bool
    today: dt.date = field(default_factory=timezone.localdate)

    @property
    def may_vacate(self) -> bool:
        return self.may_create and self.vacating is None and not self.blocked

    @property
    def may_demolish(self) -> bool:
        return (
            self.may_create
            and self.vacating is not None
            and self.demolition is None
            and not self.blocked
        )

    @property
    def may_clear(self) -> bool:
        return self.may_create and self.demolition is not None and self.clearance is None

    @property
    def may_inspect(self) -> bool:
        return self.may_create and (self.vacating is not None or self.demolition is not None)

    @property
    def open_rectifications(self) -> list[Rectification]:
        return [r for v in self.inspections for r in v.rectifications if r.is_open]


def section(user: Any, household: Household) -> Section | None:
    """The demolition card of a household, or None for a user without demolition/view of it."""
    if not may(user, household, Action.VIEW):
        return None
    from django.core.exceptions import ValidationError

    vacating = (
        Vacating.objects.select_related("accepted_by", "witness", "agreement")
        .filter(household_id=household.pk)
        .first()
    )
    demolition = Demolition.objects.filter(household_id=household.pk).first()
    clearance = Clearance.objects.filter(household_id=household.pk).first()
    photos: dict[str, list[SitePhoto]] = {s.value: [] for s in Step}
    by_inspection: dict[int, list[SitePhoto]] = {}
    by_rectification: dict[int, list[SitePhoto]] = {}
    for photo in SitePhoto.objects.filter(household_id=household.pk).order_by("pk"):
        photos[photo.step].append(photo)
        if photo.rectification_id is not None:
            by_rectification.setdefault(photo.rectification_id, []).append(photo)
        elif photo.inspection_id is not None:
            by_inspection.setdefault(photo.inspection_id, []).append(photo)
    inspections = list(
        Inspection.objects.filter(household_id=household.pk)
        .select_related("inspector")
        .prefetch_related("rectifications")
        .order_by("-inspected_on", "-pk")
    )
    labels = dict(Checkpoint.choices)
    for i in inspections:
        for r in i.rectifications.all():
            r.site_photos = by_rectification.get(r.pk, [])  # type: ignore[attr-defined]
    views = [
        InspectionView(
            inspection=i,
            findings=[(str(labels[c]), bool(i.findings.get(c))) for c in Checkpoint.values],
            rectifications=sorted(i.rectifications.all(), key=lambda r: r.pk),
            photos=by_inspection.get(i.pk, []),
        )
        for i in inspections
    ]
    blocked = ""
    agreement = None
    if demolition is None:
        try:
            agreement = services.agreement_in_force(household)
        except ValidationError as exc:
            blocked = " ".join(exc.messages)
    return Section(
        household=household,
        head=mask_name(household.head_name),
        agreement=agreement,
        blocked=blocked,
        vacating=vacating,
        demolition=demolition,
        clearance=clearance,
        photos=photos,
        inspections=views,
        may_create=may(user, household, Action.CREATE),
        may_change=may(user, household, Action.CHANGE),
    )


def household_section(user: Any, household: Household) -> dict[str, Any] | None:
    """The section of the household page (registered in DemolitionConfig.ready), with its
    empty forms for whoever may act."""
    from zhengqian.demolition import forms

    built = section(user, household)
    if built is None:
        return None
    return {"s": built, **forms.for_section(built, user)}
