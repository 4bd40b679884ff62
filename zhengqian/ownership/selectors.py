"""Reads of the ownership confirmation (确权确户), scoped to the user's projects and work groups.

`household_section` is the context of the ownership card on the household page (and of this
app's own household page); the queues are the project's work lists for the ownership officer
(returned, being confirmed) and for the project manager (submitted, change requests waiting).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import CharField, Count, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from zhengqian.accounts.permissions import OutOfScope, has_perm
from zhengqian.accounts.roles import Action, Module
from zhengqian.core.models import DictionaryEntry
from zhengqian.ownership.models import (
    BuildingConfirmation,
    ChangeRequest,
    ChangeStatus,
    Confirmation,
    ConfirmationStatus,
    ConfirmationTransition,
    PersonConfirmation,
)
from zhengqian.projects.models import Project
from zhengqian.survey.models import Building, Household, Person
from zhengqian.survey.selectors import households_for_user

TREATMENT_KIND = "unlicensed_treatment"
REASON_KIND = "resettlement_reason"
NOT_ELIGIBLE = "not_eligible"


def dictionary_labels(kind: str) -> dict[str, str]:
    """Code → label of a dictionary, inactive entries included: old records keep their code."""
    return {e.code: e.label for e in DictionaryEntry.objects.filter(kind=kind)}


def area_matches(measured: Decimal, licensed: Decimal, unlicensed: Decimal) -> bool:
    """Licensed + unlicensed equals the measured area to the fen."""
    q = Decimal("0.01")
    return (licensed + unlicensed).quantize(q) == measured.quantize(q)


@dataclass(frozen=True)
class BuildingRow:
    building: Building
    confirmation: BuildingConfirmation | None
    treatment_label: str

    @property
    def confirmed(self) -> bool:
        return self.confirmation is not None

    @property
    def consistent(self) -> bool:
        """False when the survey re-measured the building after it was confirmed."""
        c = self.confirmation
        return c is not None and area_matches(
            self.building.measured_area, c.licensed_area, c.unlicensed_area
        )


@dataclass(frozen=True)
class PersonRow:
    person: Person
    confirmation: PersonConfirmation | None
    reason_label: str

    @property
    def confirmed(self) -> bool:
        return self.confirmation is not None


def confirmation_of(household: Household) -> Confirmation | None:
    return (
        Confirmation.objects.select_related("prepared_by", "reviewed_by")
        .filter(household_id=household.pk)
        .first()
    )


def status_of(confirmation: Confirmation | None) -> ConfirmationStatus:
    """A household nobody has started confirming is in the draft state."""
    if confirmation is None:
        return ConfirmationStatus.DRAFT
    return ConfirmationStatus(confirmation.status)


def building_rows(household: Household) -> list[BuildingRow]:
    labels = dictionary_labels(TREATMENT_KIND)
    rows = []
    for b in Building.objects.filter(household_id=household.pk).select_related("confirmation"):
        c = getattr(b, "confirmation", None)
        label = labels.get(c.unlicensed_treatment, c.unlicensed_treatment) if c else ""
        rows.append(BuildingRow(building=b, confirmation=c, treatment_label=label))
    return rows


def person_rows(household: Household) -> list[PersonRow]:
    labels = dictionary_labels(REASON_KIND)
    rows = []
    for p in Person.objects.filter(household_id=household.pk).select_related("confirmation"):
        c = getattr(p, "confirmation", None)
        label = labels.get(c.reason, c.reason) if c else ""
        rows.append(PersonRow(person=p, confirmation=c, reason_label=label))
    return rows


def transitions_of(confirmation: Confirmation | None) -> list[ConfirmationTransition]:
    if confirmation is None:
        return []
    return list(confirmation.transitions.select_related("actor").order_by("created_at", "id"))


def last_submitter_id(confirmation: Confirmation) -> int | None:
    """Who last submitted the confirmation for review (from the transition log)."""
    return (
        confirmation.transitions.filter(to_status=ConfirmationStatus.SUBMITTED)
        .order_by("-created_at", "-id")
        .values_list("actor_id", flat=True)
        .first()
    )


def preparer_ids(confirmation: Confirmation) -> set[int]:
    """The users who prepared the confirmation under review: its last confirmer and its last
    submitter. None of them may review it (separation of duties)."""
    ids = {confirmation.prepared_by_id, last_submitter_id(confirmation)}
    return {i for i in ids if i is not None}


def open_change_requests(household: Household) -> QuerySet[ChangeRequest]:
    return (
        ChangeRequest.objects.filter(household_id=household.pk, status=ChangeStatus.PENDING)
        .select_related("requested_by")
        .order_by("requested_at", "id")
    )


def may_request_change(user: Any, household: Household) -> bool:
    """Ownership officers (for confirmation data) and surveyors (for survey data) may."""
    return _may(user, household, Module.OWNERSHIP, Action.CHANGE) or _may(
        user, household, Module.SURVEY, Action.CHANGE
    )


def _may(user: Any, household: Household, module: Module, action: Action) -> bool:
    return has_perm(
        user, module, action, project=household.project_id, work_group=household.work_group_id
    )


def household_section(user: Any, household: Household) -> dict[str, Any]:
    """The ownership section of the household page, with what this user may do.

    The household must already be scoped to the user (get_household_for_user). A user without
    OWNERSHIP VIEW of it gets {"visible": False} and the template renders nothing.

    Include it as: {% include "ownership/_household_section.html" with section=... %}.
    """
    if not _may(user, household, Module.OWNERSHIP, Action.VIEW):
        return {"visible": False, "household": household}
    confirmation = confirmation_of(household)
    status = status_of(confirmation)
    buildings = building_rows(household)
    persons = person_rows(household)
    requests = list(open_change_requests(household))
    may_change = _may(user, household, Module.OWNERSHIP, Action.CHANGE)
    may_approve = _may(user, household, Module.OWNERSHIP, Action.APPROVE)
    complete = all(r.consistent for r in buildings) and all(r.confirmed for r in persons)
    own_work = confirmation is not None and user.pk in preparer_ids(confirmation)
    return {
        "visible": True,
        "household": household,
        "confirmation": confirmation,
        "status": status,
        "status_label": status.label,
        "buildings": buildings,
        "persons": persons,
        # Names are personal data: shown in full only to roles that may see it unmasked.
        "show_names": _may(user, household, Module.OWNERSHIP, Action.VIEW_PERSONAL)
        or _may(user, household, Module.SURVEY, Action.VIEW_PERSONAL),
        "buildings_confirmed": sum(1 for r in buildings if r.consistent),
        "persons_confirmed": sum(1 for r in persons if r.confirmed),
        "eligible_count": sum(1 for r in persons if r.confirmation and r.confirmation.eligible),
        "licensed_total": sum(
            (r.confirmation.licensed_area for r in buildings if r.confirmation), Decimal("0.00")
        ),
        "unlicensed_total": sum(
            (r.confirmation.unlicensed_area for r in buildings if r.confirmation),
            Decimal("0.00"),
        ),
        "complete": complete,
        "transitions": transitions_of(confirmation),
        "returned_reason": _returned_reason(confirmation, status),
        "change_requests": requests,
        "can_edit": may_change and status.editable,
        "can_submit": may_change and status.editable and complete,
        "can_review": may_approve and status == ConfirmationStatus.SUBMITTED and not own_work,
        "review_is_own_work": may_approve and status == ConfirmationStatus.SUBMITTED and own_work,
        "can_request_change": status == ConfirmationStatus.LOCKED
        and may_request_change(user, household),
        "can_decide": may_approve and any(r.requested_by_id != user.pk for r in requests),
    }


def _returned_reason(confirmation: Confirmation | None, status: ConfirmationStatus) -> str:
    """The reviewer's reason, shown to the preparer while the confirmation is returned."""
    if confirmation is None or status != ConfirmationStatus.RETURNED:
        return ""
    last = (
        confirmation.transitions.filter(to_status=ConfirmationStatus.RETURNED)
        .order_by("-created_at", "-id")
        .values_list("reason", flat=True)
        .first()
    )
    return last or ""


def get_change_request_for_user(
    user: Any, pk: Any, *, action: Action | str = Action.VIEW
) -> ChangeRequest:
    """The change request if the user may reach its household in the ownership module, else 404."""
    try:
        cr = ChangeRequest.objects.select_related(
            "household", "household__project", "requested_by", "decided_by"
        ).get(pk=int(pk))
    except (ChangeRequest.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("ownership.changerequest", pk) from None
    if (
        not households_for_user(user, cr.household.project, module=Module.OWNERSHIP, action=action)
        .filter(pk=cr.household_id)
        .exists()
    ):
        raise OutOfScope("ownership.changerequest", pk)
    return cr


def confirmation_queue(user: Any, project: Project, *, status: str = "") -> QuerySet[Household]:
    """The project's households the user may reach, with their confirmation status
    (`confirmation_status`, draft when not started) and pending change requests (`pending`)."""
    qs = (
        households_for_user(user, project, module=Module.OWNERSHIP)
        .select_related("work_group")
        .annotate(
            confirmation_status=Coalesce(
                F("confirmation__status"),
                Value(ConfirmationStatus.DRAFT.value),
                output_field=CharField(),
            ),
            pending=Count(
                "change_requests",
                filter=Q(change_requests__status=ChangeStatus.PENDING),
            ),
        )
        .order_by("code")
    )
    if status in ConfirmationStatus.values:
        qs = qs.filter(confirmation_status=status)
    return qs


def status_counts(user: Any, project: Project) -> dict[str, int]:
    """How many of the user's households of the project are in each confirmation state."""
    households = households_for_user(user, project, module=Module.OWNERSHIP)
    not_started = Q(confirmation__isnull=True)
    aggregates = {
        s: Count(
            "pk",
            filter=Q(confirmation__status=s) | not_started
            if s == ConfirmationStatus.DRAFT
            else Q(confirmation__status=s),
        )
        for s in ConfirmationStatus.values
    }
    return {s: int(n or 0) for s, n in households.aggregate(**aggregates).items()}


def pending_change_requests(user: Any, project: Project) -> QuerySet[ChangeRequest]:
    """Change requests of the project waiting for the project manager's decision."""
    households = households_for_user(user, project, module=Module.OWNERSHIP)
    return (
        ChangeRequest.objects.filter(household__in=households, status=ChangeStatus.PENDING)
        .select_related("household", "requested_by")
        .order_by("requested_at", "id")
    )


def awaiting_review(user: Any, project: Project) -> QuerySet[Household]:
    """Households submitted and waiting for the project manager's review."""
    return confirmation_queue(user, project, status=ConfirmationStatus.SUBMITTED)
