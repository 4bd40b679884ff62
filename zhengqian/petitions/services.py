"""Writes of the petitions module: petitions (信访) and their steps, the escalation of overdue
ones, reconsiderations and lawsuits (行政复议、行政诉讼) with their hearings and outcome, and the
register of collective decisions (会议纪要).

Who may do what (module holdouts): a project role holding holdouts/create records petitions
and cases; holdouts/change moves them on (assign, acknowledge, answer, satisfaction, close,
hearings, outcome); the project manager (holdouts/approve) changes the deadlines and records
collective decisions. Every write is one transaction with one audit event.

Deadlines are calendar days (信访工作条例: acknowledge within 15 days, answer within 60 days of
receipt), the day of receipt not counted (zhengqian.core.workdays.period_end without a
calendar); the project's PetitionSettings give the numbers, fixed on a petition when recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.agreements.documents import sha256
from zhengqian.agreements.models import Agreement
from zhengqian.audit.services import record
from zhengqian.compensation.models import Calculation, CalculationStatus, CollectiveDecision
from zhengqian.core.idcard import parse_id_number
from zhengqian.core.models import StaleMark
from zhengqian.core.updates import lock
from zhengqian.core.workdays import period_end
from zhengqian.petitions.models import (
    CaseKind,
    CaseSubject,
    Channel,
    Hearing,
    LawCase,
    Outcome,
    Overdue,
    Petition,
    PetitionSettings,
    PetitionStatus,
    Satisfaction,
)
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household
from zhengqian.survey.permissions import require_household
from zhengqian.valuation.models import Valuation

STALE_SOURCE = "petitions.lawcase"

# The order of a petition's steps: each may be taken only from the one before it.
_NEXT = {
    PetitionStatus.RECEIVED: PetitionStatus.ASSIGNED,
    PetitionStatus.ASSIGNED: PetitionStatus.ACKNOWLEDGED,
    PetitionStatus.ACKNOWLEDGED: PetitionStatus.ANSWERED,
    PetitionStatus.ANSWERED: PetitionStatus.RATED,
    PetitionStatus.RATED: PetitionStatus.CLOSED,
}


def _text(value: str | None) -> str:
    return (value or "").strip()


def _check_day(
    day: dt.date | None, field: str, today: dt.date, after: dt.date | None = None, what: str = ""
) -> dict[str, ValidationError]:
    """Required, not in the future, not before `after` (the previous step, named `what`)."""
    if day is None:
        return {field: ValidationError(_("Give the date."), code="required")}
    if day > today:
        return {field: ValidationError(_("The date cannot be in the future."), code="future")}
    if after is not None and day < after:
        return {
            field: ValidationError(
                _("The date cannot be before %(what)s (%(day)s).")
                % {"what": what, "day": after.isoformat()},
                code="before_previous",
            )
        }
    return {}


# --- files -----------------------------------------------------------------------------------


def _check_file(upload: Any, field: str, *, required: bool) -> dict[str, ValidationError]:
    """A PDF, JPEG or PNG, by its content."""
    from zhengqian.survey.attachments import JPEG, PDF, PNG, check_upload

    if not upload:
        if required:
            return {field: ValidationError(_("Add the document."), code="required")}
        return {}
    try:
        kind = check_upload(upload)
    except ValidationError as exc:
        return {field: ValidationError(exc.messages[0], code="type")}
    if kind not in (PDF, JPEG, PNG):
        return {
            field: ValidationError(_("The document must be a PDF, JPEG or PNG file."), code="type")
        }
    return {}


def _store(upload: Any, target: Any, field: str, name: str) -> str:
    """Store a checked upload under a name of our own; its SHA-256."""
    from zhengqian.survey.attachments import sniff

    upload.seek(0)
    data: bytes = upload.read()
    upload.seek(0)
    found = sniff(upload)
    extension = found.extension if found is not None else "bin"
    getattr(target, field).save(f"{name}.{extension}", ContentFile(data), save=False)
    return sha256(data)


# --- settings ----------------------------------------------------------------------------------


def settings_for(project: Project | int) -> PetitionSettings:
    """The project's deadlines (the defaults when never changed; not stored until then)."""
    project_id = project if isinstance(project, int) else project.pk
    found = PetitionSettings.objects.filter(project_id=project_id).first()
    return found if found is not None else PetitionSettings(project_id=project_id)


@transaction.atomic
def settings_change(
    *, actor: Any, project: Project, acknowledge_days: int, answer_days: int
) -> PetitionSettings:
    """Change the project's petition deadlines (the project manager); petitions already
    recorded keep theirs."""
    require(actor, Module.HOLDOUTS, Action.APPROVE, project=project)
    errors: dict[str, ValidationError] = {}
    for field, value in (("acknowledge_days", acknowledge_days), ("answer_days", answer_days)):
        if value is None or not 1 <= value <= 365:
            errors[field] = ValidationError(_("Give a number of days from 1 to 365."), code="range")
    if not errors and acknowledge_days > answer_days:
        errors["acknowledge_days"] = ValidationError(
            _("The acknowledgement cannot come later than the answer."), code="order"
        )
    if errors:
        raise ValidationError(errors)
    found, _created = PetitionSettings.objects.select_for_update().get_or_create(project=project)
    old = [found.acknowledge_days, found.answer_days]
    found.acknowledge_days = acknowledge_days
    found.answer_days = answer_days
    found.changed_by = actor
    found.save()
    record(
        actor=actor,
        event_type="petition.settings",
        target=found,
        project=project,
        changes={
            "acknowledge_days": [old[0], acknowledge_days],
            "answer_days": [old[1], answer_days],
        },
    )
    return found


def deadlines(received_on: dt.date, settings: PetitionSettings) -> tuple[dt.date, dt.date]:
    """The last day to acknowledge and to answer: calendar days, the day of receipt not
    counted."""
    return (
        period_end(received_on, settings.acknowledge_days),
        period_end(received_on, settings.answer_days),
    )


# --- recording a petition ------------------------------------------------------------------------


def earlier_petitions(
    project_id: int, *, id_number: str, name: str, phone: str, exclude: int | None = None
) -> QuerySet[Petition]:
    """The project's petitions of the same person: the same ID number, or the same name and
    phone."""
    same = Q(pk__in=[])
    if id_number:
        same |= Q(id_number=id_number)
    if name and phone:
        same |= Q(petitioner_name=name, phone=phone)
    qs = Petition.objects.filter(same, project_id=project_id)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("received_on", "pk")


@transaction.atomic
def petition_record(
    *,
    actor: Any,
    project: Project,
    channel: str,
    petitioner_name: str,
    received_on: dt.date | None,
    request: str,
    household: Household | None = None,
    id_number: str = "",
    phone: str = "",
    attachment: Any = None,
) -> Petition:
    """Record a petition; its deadlines come from the project's settings, and an earlier
    petition of the same person in the project is linked."""
    if household is not None:
        require_household(actor, household, Module.HOLDOUTS, Action.CREATE)
    else:
        require(actor, Module.HOLDOUTS, Action.CREATE, project=project)
    project = lock(project)
    errors: dict[str, ValidationError] = {}
    if household is not None and household.project_id != project.pk:
        errors["household"] = ValidationError(
            _("The household is not in this project."), code="other_project"
        )
    if channel not in Channel.values:
        errors["channel"] = ValidationError(_("Choose the channel."), code="channel")
    name = _text(petitioner_name)
    if not name:
        errors["petitioner_name"] = ValidationError(_("Name the petitioner."), code="required")
    number = _text(id_number)
    if number:
        try:
            number = parse_id_number(number).number
        except ValidationError as exc:
            errors["id_number"] = exc
    phone = _text(phone)
    text = _text(request)
    if not text:
        errors["request"] = ValidationError(_("Write what is asked for."), code="required")
    errors.update(_check_day(received_on, "received_on", timezone.localdate()))
    errors.update(_check_file(attachment, "attachment", required=False))
    if errors or received_on is None:
        raise ValidationError(errors)
    acknowledge_by, answer_by = deadlines(received_on, settings_for(project))
    earlier = list(
        earlier_petitions(project.pk, id_number=number, name=name, phone=phone).values_list(
            "pk", flat=True
        )
    )
    petition = Petition(
        project=project,
        household=household,
        channel=channel,
        petitioner_name=name,
        id_number=number,
        phone=phone,
        received_on=received_on,
        request=text,
        acknowledge_by=acknowledge_by,
        answer_by=answer_by,
        repeat_of_id=earlier[-1] if earlier else None,
        earlier_count=len(earlier),
        recorded_by=actor,
    )
    if attachment:
        petition.attachment_sha256 = _store(
            attachment, petition, "attachment", f"{project.code}-petition-{received_on:%Y%m%d}"
        )
    petition.save()
    record(
        actor=actor,
        event_type="petition.record",
        target=petition,
        project=project,
        details={
            "channel": channel,
            "household": household.pk if household is not None else None,
            "received_on": received_on.isoformat(),
            "acknowledge_by": acknowledge_by.isoformat(),
            "answer_by": answer_by.isoformat(),
            "repeat_of": petition.repeat_of_id,
            "earlier": earlier,
            "attachment": petition.attachment_sha256,
        },
    )
    return petition


# --- the steps ---------------------------------------------------------------------------------


def _step(actor: Any, petition: Petition, to: PetitionStatus) -> Petition:
    """Permission, lock, and the step in its order; the locked petition."""
    require(actor, Module.HOLDOUTS, Action.CHANGE, project=petition.project_id)
    if petition.household_id is not None:
        require_household(
            actor, Household.objects.get(pk=petition.household_id), Module.HOLDOUTS, Action.CHANGE
        )
    petition = lock(petition)
    if _NEXT.get(PetitionStatus(petition.status)) != to:
        raise ValidationError(
            _("The petition is %(status)s: it cannot be %(step)s now.")
            % {
                "status": petition.get_status_display().lower(),
                "step": str(to.label).lower(),
            },
            code="out_of_order",
        )
    return petition


def _advance(
    actor: Any,
    petition: Petition,
    to: PetitionStatus,
    *,
    event_type: str,
    fields: dict[str, Any],
    details: dict[str, Any],
) -> Petition:
    """Move the locked petition to its next status with the step's fields, saved and recorded
    in the caller's transaction."""
    was = petition.status
    petition.status = to
    for name, value in fields.items():
        setattr(petition, name, value)
    petition.save(update_fields=["status", *fields])
    record(
        actor=actor,
        event_type=event_type,
        target=petition,
        project=petition.project_id,
        changes={"status": [was, to]},
        details=details,
    )
    return petition


def assignable_users(project: Project | int) -> QuerySet[Any]:
    """Active people of the project whose role may move petitions on (holdouts/change)."""
    from zhengqian.accounts.models import Membership, RolePermission

    project_id = project if isinstance(project, int) else project.pk
    ids = Membership.objects.filter(Q(project_id=project_id) | Q(project__isnull=True)).values(
        "user_id"
    )
    # The roles the permission matrix lets move petitions on, read once (not a check per user).
    roles = RolePermission.objects.filter(module=Module.HOLDOUTS, action=Action.CHANGE).values(
        "role"
    )
    ids = ids.filter(role__in=roles)
    return get_user_model().objects.filter(is_active=True, pk__in=ids).order_by("username")


@transaction.atomic
def assign(
    *, actor: Any, petition: Petition, assignee: Any, assigned_on: dt.date | None
) -> Petition:
    petition = _step(actor, petition, PetitionStatus.ASSIGNED)
    errors = _check_day(
        assigned_on, "assigned_on", timezone.localdate(), petition.received_on, _("the receipt")
    )
    if (
        assignee is None
        or not assignable_users(petition.project_id).filter(pk=assignee.pk).exists()
    ):
        errors["assignee"] = ValidationError(
            _("Choose one of the project's people who handle petitions."), code="not_in_project"
        )
    if errors:
        raise ValidationError(errors)
    return _advance(
        actor,
        petition,
        PetitionStatus.ASSIGNED,
        event_type="petition.assign",
        fields={"assigned_to": assignee, "assigned_on": assigned_on},
        details={"assignee": assignee.pk, "assigned_on": assigned_on},
    )


@transaction.atomic
def acknowledge(*, actor: Any, petition: Petition, acknowledged_on: dt.date | None) -> Petition:
    """The acknowledgement (受理告知) to the petitioner."""
    petition = _step(actor, petition, PetitionStatus.ACKNOWLEDGED)
    errors = _check_day(
        acknowledged_on,
        "acknowledged_on",
        timezone.localdate(),
        petition.assigned_on,
        _("the assignment"),
    )
    if errors or acknowledged_on is None:
        raise ValidationError(errors)
    return _advance(
        actor,
        petition,
        PetitionStatus.ACKNOWLEDGED,
        event_type="petition.acknowledge",
        fields={"acknowledged_on": acknowledged_on},
        details={
            "acknowledged_on": acknowledged_on,
            "late": acknowledged_on > petition.acknowledge_by,
        },
    )


@transaction.atomic
def answer(
    *,
    actor: Any,
    petition: Petition,
    answered_on: dt.date | None,
    reply: str,
    reply_document: Any = None,
) -> Petition:
    """The written answer (答复意见)."""
    petition = _step(actor, petition, PetitionStatus.ANSWERED)
    errors = _check_day(
        answered_on,
        "answered_on",
        timezone.localdate(),
        petition.acknowledged_on,
        _("the acknowledgement"),
    )
    text = _text(reply)
    if not text:
        errors["reply"] = ValidationError(_("Write the reply."), code="required")
    errors.update(_check_file(reply_document, "reply_document", required=False))
    if errors or answered_on is None:
        raise ValidationError(errors)
    fields: dict[str, Any] = {"answered_on": answered_on, "reply": text}
    if reply_document:
        fields["reply_sha256"] = _store(
            reply_document, petition, "reply_document", f"petition-{petition.pk}-reply"
        )
        fields["reply_document"] = petition.reply_document
    return _advance(
        actor,
        petition,
        PetitionStatus.ANSWERED,
        event_type="petition.answer",
        fields=fields,
        details={
            "answered_on": answered_on,
            "late": answered_on > petition.answer_by,
            "reply_document": fields.get("reply_sha256", petition.reply_sha256),
        },
    )


@transaction.atomic
def rate(
    *, actor: Any, petition: Petition, satisfaction: str, satisfaction_on: dt.date | None
) -> Petition:
    """The petitioner's satisfaction with the answer."""
    petition = _step(actor, petition, PetitionStatus.RATED)
    errors = _check_day(
        satisfaction_on,
        "satisfaction_on",
        timezone.localdate(),
        petition.answered_on,
        _("the answer"),
    )
    if satisfaction not in Satisfaction.values:
        errors["satisfaction"] = ValidationError(
            _("Choose the petitioner's satisfaction."), code="required"
        )
    if errors:
        raise ValidationError(errors)
    return _advance(
        actor,
        petition,
        PetitionStatus.RATED,
        event_type="petition.satisfaction",
        fields={"satisfaction": satisfaction, "satisfaction_on": satisfaction_on},
        details={"satisfaction": satisfaction, "on": satisfaction_on},
    )


@transaction.atomic
def close(*, actor: Any, petition: Petition, closed_on: dt.date | None) -> Petition:
    petition = _step(actor, petition, PetitionStatus.CLOSED)
    errors = _check_day(
        closed_on,
        "closed_on",
        timezone.localdate(),
        petition.satisfaction_on,
        _("the satisfaction"),
    )
    if errors:
        raise ValidationError(errors)
    return _advance(
        actor,
        petition,
        PetitionStatus.CLOSED,
        event_type="petition.close",
        fields={"closed_on": closed_on},
        details={"closed_on": closed_on},
    )


# --- overdue and escalation -------------------------------------------------------------------

_NOT_ACKNOWLEDGED = [PetitionStatus.RECEIVED, PetitionStatus.ASSIGNED]
_NOT_ANSWERED = [*_NOT_ACKNOWLEDGED, PetitionStatus.ACKNOWLEDGED]


def overdue_filter(today: dt.date) -> Q:
    """Petitions past a deadline on `today`: not acknowledged after the last day to
    acknowledge, or not answered after the last day to answer."""
    return Q(status__in=_NOT_ACKNOWLEDGED, acknowledge_by__lt=today) | Q(
        status__in=_NOT_ANSWERED, answer_by__lt=today
    )


def overdue_for(petition: Petition, today: dt.date) -> tuple[str, int] | None:
    """Which deadline the petition has missed on `today` (the answer before the
    acknowledgement) and by how many days; None if none."""
    if petition.status in _NOT_ANSWERED and today > petition.answer_by:
        return Overdue.ANSWER, (today - petition.answer_by).days
    if petition.status in _NOT_ACKNOWLEDGED and today > petition.acknowledge_by:
        return Overdue.ACKNOWLEDGE, (today - petition.acknowledge_by).days
    return None


def project_manager(project_id: int) -> Any:
    """The project's manager the overdue petitions are escalated to (the first active one)."""
    from zhengqian.accounts.models import Membership

    membership = (
        Membership.objects.filter(
            project_id=project_id, role=RoleCode.PROJECT_MANAGER, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership is not None else None


@transaction.atomic
def escalate_overdue(project_id: int, today: dt.date | None = None) -> list[Petition]:
    """Flag the project's petitions past a deadline on `today` as escalated to the project
    manager, one audit event each. A petition is escalated once for each deadline it misses:
    running again the same day or later changes nothing more (daily cron; the petition list
    runs it too; the reminders module builds on it)."""
    today = today or timezone.localdate()
    manager = project_manager(project_id)
    escalated = []
    candidates = (
        Petition.objects.select_for_update()
        .filter(overdue_filter(today), project_id=project_id)
        .order_by("pk")
    )
    for petition in candidates:
        found = overdue_for(petition, today)
        if found is None or petition.escalated_for == found[0]:
            continue
        kind, days = found
        old = petition.escalated_for
        petition.escalated_on = today
        petition.escalated_for = kind
        petition.escalated_to = manager
        petition.save(update_fields=["escalated_on", "escalated_for", "escalated_to"])
        record(
            actor=None,
            actor_name="system",
            event_type="petition.escalate",
            target=petition,
            project=project_id,
            changes={"escalated_for": [old, kind]},
            details={
                "escalated_on": today,
                "days_overdue": days,
                "deadline": petition.answer_by
                if kind == Overdue.ANSWER
                else petition.acknowledge_by,
                "escalated_to": manager.pk if manager is not None else None,
            },
        )
        escalated.append(petition)
    return escalated


# --- reconsiderations and lawsuits ------------------------------------------------------------


def _require_case(actor: Any, project_id: int, household: Household | None, action: Action) -> None:
    if household is not None:
        require_household(actor, household, Module.HOLDOUTS, action)
    else:
        require(actor, Module.HOLDOUTS, action, project=project_id)


@transaction.atomic
def case_record(
    *,
    actor: Any,
    project: Project,
    kind: str,
    body: str,
    case_number: str,
    applicant: str,
    respondent: str,
    subject: str,
    filed_on: dt.date | None,
    household: Household | None = None,
    agreement: Agreement | None = None,
    valuation: Valuation | None = None,
    subject_reference: str = "",
    decision: CollectiveDecision | None = None,
) -> LawCase:
    """Record a reconsideration or a lawsuit; its subject links to the household's agreement
    or valuation when it is one of them."""
    _require_case(actor, project.pk, household, Action.CREATE)
    errors: dict[str, ValidationError] = {}
    if household is not None and household.project_id != project.pk:
        errors["household"] = ValidationError(
            _("The household is not in this project."), code="other_project"
        )
    if kind not in CaseKind.values:
        errors["kind"] = ValidationError(_("Choose the kind of case."), code="required")
    if subject not in CaseSubject.values:
        errors["subject"] = ValidationError(_("Choose the subject."), code="required")
    values = {
        "body": _text(body),
        "case_number": _text(case_number),
        "applicant": _text(applicant),
        "respondent": _text(respondent),
    }
    for field, value in values.items():
        if not value:
            errors[field] = ValidationError(_("This field is required."), code="required")
    if agreement is not None and (
        subject != CaseSubject.AGREEMENT
        or household is None
        or agreement.household_id != household.pk
    ):
        errors["agreement"] = ValidationError(
            _("Only an agreement of the case's household, for a case about an agreement."),
            code="agreement",
        )
    if valuation is not None and (
        subject != CaseSubject.VALUATION
        or household is None
        or valuation.household_id != household.pk
    ):
        errors["valuation"] = ValidationError(
            _("Only the valuation of the case's household, for a case about a valuation."),
            code="valuation",
        )
    if decision is not None and decision.project_id != project.pk:
        errors["decision"] = ValidationError(
            _("The collective decision is not of this project."), code="other_project"
        )
    errors.update(_check_day(filed_on, "filed_on", timezone.localdate()))
    if (
        not errors
        and LawCase.objects.filter(
            project=project, kind=kind, case_number=values["case_number"]
        ).exists()
    ):
        errors["case_number"] = ValidationError(
            _("A case with this number is already recorded."), code="exists"
        )
    if errors or filed_on is None:
        raise ValidationError(errors)
    case = LawCase.objects.create(
        project=project,
        household=household,
        kind=kind,
        subject=subject,
        agreement=agreement,
        valuation=valuation,
        subject_reference=_text(subject_reference),
        decision=decision,
        filed_on=filed_on,
        recorded_by=actor,
        **values,
    )
    record(
        actor=actor,
        event_type="lawcase.record",
        target=case,
        project=project,
        details={
            "kind": kind,
            "case_number": case.case_number,
            "body": case.body,
            "subject": subject,
            "household": household.pk if household is not None else None,
            "agreement": agreement.pk if agreement is not None else None,
            "valuation": valuation.pk if valuation is not None else None,
            "decision": decision.pk if decision is not None else None,
            "filed_on": filed_on,
        },
    )
    return case


def _case_household(case: LawCase) -> Household | None:
    return Household.objects.get(pk=case.household_id) if case.household_id else None


@transaction.atomic
def hearing_record(
    *, actor: Any, case: LawCase, held_on: dt.date | None, place: str, note: str = ""
) -> Hearing:
    _require_case(actor, case.project_id, _case_household(case), Action.CHANGE)
    case = lock(case)
    errors = _check_day(held_on, "held_on", timezone.localdate(), case.filed_on, _("the filing"))
    if case.outcome:
        raise ValidationError(
            _("The case has its outcome: no more hearings are recorded."), code="decided"
        )
    place = _text(place)
    if not place:
        errors["place"] = ValidationError(_("Give the place."), code="required")
    if errors or held_on is None:
        raise ValidationError(errors)
    hearing = Hearing.objects.create(
        case=case, held_on=held_on, place=place, note=_text(note), recorded_by=actor
    )
    record(
        actor=actor,
        event_type="lawcase.hearing",
        target=case,
        project=case.project_id,
        details={"hearing": hearing.pk, "held_on": held_on, "place": place},
    )
    return hearing


@transaction.atomic
def outcome_record(
    *,
    actor: Any,
    case: LawCase,
    outcome: str,
    outcome_on: dt.date | None,
    document: Any,
    note: str = "",
) -> LawCase:
    """The outcome, with its decision or judgment. One that changes the amount sends the
    household's current approved calculation back: it is marked stale and must be
    recalculated and reviewed again before an agreement is drafted from it."""
    from zhengqian.compensation.services import STALE_TARGET

    household = _case_household(case)
    _require_case(actor, case.project_id, household, Action.CHANGE)
    case = lock(case)
    if case.outcome:
        raise ValidationError(
            _("The outcome of this case was already recorded (%(outcome)s).")
            % {"outcome": case.get_outcome_display()},
            code="decided",
        )
    last_hearing = case.hearings.order_by("-held_on").values_list("held_on", flat=True).first()
    errors = _check_day(
        outcome_on,
        "outcome_on",
        timezone.localdate(),
        last_hearing or case.filed_on,
        _("the last hearing") if last_hearing else _("the filing"),
    )
    if outcome not in Outcome.values:
        errors["outcome"] = ValidationError(_("Choose the outcome."), code="required")
    if outcome == Outcome.CHANGED and household is None:
        errors["outcome"] = ValidationError(
            _("An outcome that changes the amount needs the case's household."),
            code="no_household",
        )
    errors.update(_check_file(document, "document", required=True))
    if errors or outcome_on is None:
        raise ValidationError(errors)
    case.outcome = outcome
    case.outcome_on = outcome_on
    case.outcome_note = _text(note)
    case.outcome_sha256 = _store(document, case, "outcome_document", f"case-{case.pk}-outcome")
    case.save()
    marked: list[int] = []
    if outcome == Outcome.CHANGED and household is not None:
        # Every calculation of the household still in use, as a change upstream does: the
        # approved one and any in preparation or review (superseded ones are history).
        calculations = Calculation.objects.filter(household_id=household.pk).exclude(
            status=CalculationStatus.SUPERSEDED
        )
        marks = StaleMark.objects.bulk_create(
            StaleMark(
                household_id=household.pk,
                target_type=STALE_TARGET,
                target_id=calculation.pk,
                source=STALE_SOURCE,
                source_id=str(case.pk),
                changes={
                    "outcome": [None, str(Outcome.CHANGED)],
                    "case": [None, case.case_number],
                    "outcome_on": [None, outcome_on.isoformat()],
                },
            )
            for calculation in calculations
        )
        marked = [m.target_id for m in marks]
    record(
        actor=actor,
        event_type="lawcase.outcome",
        target=case,
        project=case.project_id,
        changes={"outcome": ["", outcome]},
        details={
            "outcome_on": outcome_on,
            "document": case.outcome_sha256,
            "stale_calculations": marked,
        },
    )
    return case


# --- collective decisions ----------------------------------------------------------------------


@transaction.atomic
def decision_record(
    *,
    actor: Any,
    project: Project,
    meeting_date: dt.date | None,
    participants: str,
    decision: str,
    document: Any,
) -> CollectiveDecision:
    """Record a collective decision (会议纪要) in the register. This app owns the register:
    zhengqian.compensation.models.CollectiveDecision is written here (the project manager,
    holdouts/approve); its minutes are stored under a system name, their SHA-256 in the audit
    event (the model has no field for it)."""
    require(actor, Module.HOLDOUTS, Action.APPROVE, project=project)
    errors = _check_day(meeting_date, "meeting_date", timezone.localdate())
    participants = _text(participants)
    if not participants:
        errors["participants"] = ValidationError(_("List the participants."), code="required")
    text = _text(decision)
    if not text:
        errors["decision"] = ValidationError(_("Write what was decided."), code="required")
    errors.update(_check_file(document, "document", required=True))
    if errors or meeting_date is None:
        raise ValidationError(errors)
    found = CollectiveDecision(
        project=project,
        meeting_date=meeting_date,
        participants=participants,
        decision=text,
        recorded_by=actor,
    )
    digest = _store(document, found, "document", f"{project.code}-decision-{meeting_date:%Y%m%d}")
    found.save()
    record(
        actor=actor,
        event_type="decision.record",
        target=found,
        project=project,
        details={"meeting_date": meeting_date, "sha256": digest},
    )
    return found


def decision_sha256(decision: CollectiveDecision) -> str:
    """The SHA-256 of the minutes recorded with the decision (empty if recorded elsewhere)."""
    from zhengqian.audit.models import Event

    details = (
        Event.objects.filter(
            event_type="decision.record",
            target_type="compensation.collectivedecision",
            target_id=str(decision.pk),
        )
        .values_list("details", flat=True)
        .first()
    )
    return str((details or {}).get("sha256", ""))


def open_petitions(project_ids: Iterable[int]) -> QuerySet[Petition]:
    return Petition.objects.filter(project_id__in=list(project_ids)).exclude(
        status=PetitionStatus.CLOSED
    )
