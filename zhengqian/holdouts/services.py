"""Writes of the holdout module: opening a case, its team and analyses, the negotiation log and
the closing of the case (DESIGN.md §4, §5).

Who may do what: the project manager and the signing officers open cases and keep them
(holdouts/create, holdouts/change), within the households of their projects and work groups;
only the project manager closes a case (holdouts/approve). A case is opened for a household on
the holdout list, with the list's reason, or earlier for a household at risk (重点难点户) that
has not vacated yet, so the work can start before the deadline. Negotiation entries are never
edited or deleted. Nothing here changes the policy's amounts: an amount offered above the
household's approved calculation is refused unless a collective decision of the project is
named, and the entry keeps the link to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements.documents import sha256
from zhengqian.agreements.services import current_approved
from zhengqian.audit.services import record
from zhengqian.compensation.models import CollectiveDecision
from zhengqian.core.updates import lock
from zhengqian.demolition.models import Vacating
from zhengqian.demolition.services import project_users
from zhengqian.holdouts.models import (
    Case,
    CaseStatus,
    Negotiation,
    NegotiationFile,
    Outcome,
    Reason,
)
from zhengqian.survey.models import Household
from zhengqian.survey.permissions import require_household


def _text(value: str | None) -> str:
    return (value or "").strip()


def _check_day(
    day: dt.date | None, field: str, *, earliest: dt.date | None, earliest_message: str
) -> dict[str, ValidationError]:
    if day is None:
        return {field: ValidationError(_("Give the date."), code="required")}
    if day > timezone.localdate():
        return {field: ValidationError(_("The date cannot be in the future."), code="future")}
    if earliest is not None and day < earliest:
        return {field: ValidationError(earliest_message, code="too_early")}
    return {}


def _check_people(
    household: Household, people: Iterable[Any], field: str, *, required: bool
) -> dict[str, ValidationError]:
    people = [p for p in people if p is not None]
    if not people:
        if required:
            return {field: ValidationError(_("Choose the person."), code="required")}
        return {}
    allowed = set(
        project_users(household).filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True)
    )
    outside = [p for p in people if p.pk not in allowed]
    if outside:
        return {
            field: ValidationError(
                _("%(names)s: not one of the project's people.")
                % {
                    "names": "、".join(
                        getattr(p, "display_name", "") or p.get_username() for p in outside
                    )
                },
                code="not_in_project",
            )
        }
    return {}


def _team_errors(
    household: Household, team_name: str, leader: Any, members: Iterable[Any]
) -> dict[str, ValidationError]:
    errors: dict[str, ValidationError] = {}
    if not team_name:
        errors["team_name"] = ValidationError(
            _("Name the team (e.g. 第一攻坚清零小组)."), code="required"
        )
    errors.update(_check_people(household, [leader], "leader", required=True))
    errors.update(_check_people(household, members, "members", required=False))
    return errors


# --- opening a case --------------------------------------------------------------------------


def holdout_reason(household: Household) -> tuple[str, dt.date] | None:
    """The reason the household is on the holdout list and since when, or None."""
    from zhengqian.holdouts.selectors import deadlines, holdouts

    limits = deadlines(household.project_id)
    row = (
        holdouts(Household.objects.filter(pk=household.pk), limits)
        .values_list("holdout_reason", "holdout_effective_on")  # type: ignore[misc]
        .first()
    )
    if row is None:
        return None
    since = limits.since(row[0], row[1])
    return (row[0], since) if since is not None else None


@transaction.atomic
def case_open(
    *,
    actor: Any,
    household: Household,
    team_name: str,
    leader: Any,
    members: Iterable[Any] = (),
    family_analysis: str = "",
    property_analysis: str = "",
) -> Case:
    """Open the case of a household on the holdout list (with the list's reason), or of a
    household at risk that has not vacated yet. One open case per household."""
    require_household(actor, household, Module.HOLDOUTS, Action.CREATE)
    household = lock(household)
    if Case.objects.filter(household=household, status=CaseStatus.OPEN).exists():
        raise ValidationError(
            _("Household %(code)s already has an open case.") % {"code": household.code},
            code="open_case",
        )
    found = holdout_reason(household)
    if found is not None:
        reason, since = found[0], found[1]
    elif Vacating.objects.filter(household=household).exists():
        raise ValidationError(
            _("Household %(code)s has vacated: there is nothing to clear.")
            % {"code": household.code},
            code="vacated",
        )
    else:
        reason, since = Reason.AT_RISK.value, None
    members = list(members)
    team_name = _text(team_name)
    errors = _team_errors(household, team_name, leader, members)
    if errors:
        raise ValidationError(errors)
    case = Case(
        project_id=household.project_id,
        household=household,
        reason=reason,
        since=since,
        opened_on=timezone.localdate(),
        opened_by=actor,
        team_name=team_name,
        leader=leader,
        family_analysis=_text(family_analysis),
        property_analysis=_text(property_analysis),
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise ValidationError(
            _("Household %(code)s already has an open case.") % {"code": household.code},
            code="open_case",
        ) from None
    case.members.set(members)
    record(
        actor=actor,
        event_type="holdout.case_open",
        target=case,
        project=household.project_id,
        details={
            "household": household.pk,
            "reason": reason,
            "since": since.isoformat() if since else None,
            "team_name": team_name,
            "leader": leader.pk,
            "members": sorted(m.pk for m in members),
        },
    )
    return case


def _require_open(case: Case) -> None:
    if case.status != CaseStatus.OPEN:
        raise ValidationError(
            _("The case was closed on %(day)s: open a new one if the household is a holdout again.")
            % {"day": case.closed_on.isoformat() if case.closed_on else ""},
            code="closed",
        )


@transaction.atomic
def case_update(
    *,
    actor: Any,
    case: Case,
    team_name: str,
    leader: Any,
    members: Iterable[Any] = (),
    family_analysis: str = "",
    property_analysis: str = "",
) -> Case:
    """Change the team or the analyses of an open case."""
    household = Household.objects.get(pk=case.household_id)
    require_household(actor, household, Module.HOLDOUTS, Action.CHANGE)
    case = lock(case)
    _require_open(case)
    members = list(members)
    team_name = _text(team_name)
    errors = _team_errors(household, team_name, leader, members)
    if errors:
        raise ValidationError(errors)
    old = {
        "team_name": case.team_name,
        "leader": case.leader_id,
        "members": sorted(case.members.values_list("pk", flat=True)),
        "family_analysis": case.family_analysis,
        "property_analysis": case.property_analysis,
    }
    new = {
        "team_name": team_name,
        "leader": leader.pk,
        "members": sorted(m.pk for m in members),
        "family_analysis": _text(family_analysis),
        "property_analysis": _text(property_analysis),
    }
    changes = {k: [old[k], new[k]] for k in old if old[k] != new[k]}
    if not changes:
        return case
    case.team_name = new["team_name"]
    case.leader = leader
    case.family_analysis = new["family_analysis"]
    case.property_analysis = new["property_analysis"]
    case.save(update_fields=["team_name", "leader", "family_analysis", "property_analysis"])
    case.members.set(members)
    record(
        actor=actor,
        event_type="holdout.case_update",
        target=case,
        project=case.project_id,
        changes=changes,
        details={"household": household.pk},
    )
    return case


# --- negotiations ----------------------------------------------------------------------------


def policy_total(household: Household) -> Decimal | None:
    """The total of the household's current approved calculation (what the policy gives);
    None when there is none, or it has been marked stale (a court outcome, a survey
    correction): then any offered amount needs a collective decision."""
    from zhengqian.compensation import services as compensation

    found = current_approved().filter(household_id=household.pk).order_by("-number").first()
    if found is None or compensation.is_stale(found):
        return None
    return found.total


def _check_files(files: list[Any]) -> dict[str, ValidationError]:
    from zhengqian.survey.attachments import JPEG, PDF, PNG, check_upload

    for upload in files:
        try:
            kind = check_upload(upload)
        except ValidationError as exc:
            problem = str(exc.messages[0])
        else:
            if kind in (JPEG, PNG, PDF):
                continue
            problem = _("Attach PDF files or JPEG or PNG images.")
        return {
            "attachments": ValidationError(
                _("%(name)s: %(problem)s") % {"name": upload.name, "problem": problem},
                code="type",
            )
        }
    return {}


def _store(upload: Any, *, negotiation: Negotiation, actor: Any, n: int) -> NegotiationFile:
    from zhengqian.survey.attachments import sniff

    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    found = sniff(upload)
    extension = found.extension if found is not None else "bin"
    stored = NegotiationFile(
        negotiation=negotiation,
        household_id=negotiation.household_id,
        name=(upload.name or "")[:200],
        sha256=sha256(data),
        uploaded_by=actor,
    )
    code = negotiation.household.code
    stored.file.save(f"{code}-negotiation-{negotiation.pk}-{n}.{extension}", ContentFile(data))
    return stored


@transaction.atomic
def negotiate(
    *,
    actor: Any,
    case: Case,
    held_on: dt.date | None,
    place: str,
    household_participants: str,
    office_participants: Iterable[Any],
    offered: str,
    response: str,
    amount: Decimal | None = None,
    decision: CollectiveDecision | None = None,
    attachments: Iterable[Any] = (),
) -> Negotiation:
    """Add a negotiation to the log of an open case. An amount above the approved calculation
    is an exception to the policy: refused unless a collective decision of the project is
    named."""
    household = Household.objects.get(pk=case.household_id)
    require_household(actor, household, Module.HOLDOUTS, Action.CREATE)
    case = lock(case)
    _require_open(case)
    office = [p for p in office_participants if p is not None]
    files = [f for f in attachments if f]
    errors = _check_day(
        held_on,
        "held_on",
        earliest=case.opened_on,
        earliest_message=_("The case was opened on %(day)s: the negotiation cannot be before it.")
        % {"day": case.opened_on.isoformat()},
    )
    place = _text(place)
    if not place:
        errors["place"] = ValidationError(_("Give the place."), code="required")
    household_participants = _text(household_participants)
    if not household_participants:
        errors["household_participants"] = ValidationError(
            _("Say who took part for the household."), code="required"
        )
    errors.update(_check_people(household, office, "office_participants", required=True))
    offered = _text(offered)
    if not offered:
        errors["offered"] = ValidationError(_("Say what was offered."), code="required")
    response = _text(response)
    if not response:
        errors["response"] = ValidationError(_("Say what the household said."), code="required")
    if decision is not None and decision.project_id != household.project_id:
        errors["decision"] = ValidationError(
            _("The collective decision is of another project."), code="other_project"
        )
    total = policy_total(household)
    if amount is not None:
        if amount < 0:
            errors["amount"] = ValidationError(_("The amount cannot be negative."), code="negative")
        elif (total is None or amount > total) and decision is None:
            if total is None:
                message = _(
                    "Household %(code)s has no approved calculation: any amount is beyond the "
                    "policy and needs a collective decision."
                ) % {"code": household.code}
            else:
                message = _(
                    "%(amount)s yuan is above the approved calculation (%(total)s yuan): an "
                    "offer beyond the policy needs a collective decision."
                ) % {"amount": amount, "total": total}
            errors["amount"] = ValidationError(message, code="beyond_policy")
    errors.update(_check_files(files))
    if errors or held_on is None:
        raise ValidationError(errors)
    negotiation = Negotiation.objects.create(
        case=case,
        project_id=household.project_id,
        household=household,
        held_on=held_on,
        place=place,
        household_participants=household_participants,
        offered=offered,
        response=response,
        amount=amount,
        policy_total=total,
        decision=decision,
        recorded_by=actor,
    )
    negotiation.office_participants.set(office)
    stored = [
        _store(f, negotiation=negotiation, actor=actor, n=n) for n, f in enumerate(files, start=1)
    ]
    beyond = amount is not None and (total is None or amount > total)
    record(
        actor=actor,
        event_type="holdout.negotiation",
        target=negotiation,
        project=household.project_id,
        details={
            "household": household.pk,
            "case": case.pk,
            "held_on": held_on.isoformat(),
            "office_participants": sorted(p.pk for p in office),
            "amount": amount,
            "policy_total": total,
            "beyond_policy": beyond,
            "decision": decision.pk if decision is not None else None,
            "files": [f.sha256 for f in stored],
        },
    )
    return negotiation


# --- closing ---------------------------------------------------------------------------------


@transaction.atomic
def case_close(
    *,
    actor: Any,
    case: Case,
    closed_on: dt.date | None,
    outcome: str,
    note: str = "",
) -> Case:
    """Close the case as cleared (the project manager): signed, vacated, enforced by the court
    or otherwise (with a note); signed and vacated must be true of the household."""
    from zhengqian.agreements.models import Agreement, AgreementStatus

    household = Household.objects.get(pk=case.household_id)
    require_household(actor, household, Module.HOLDOUTS, Action.APPROVE)
    case = lock(case)
    _require_open(case)
    errors = _check_day(
        closed_on,
        "closed_on",
        earliest=case.opened_on,
        earliest_message=_("The case was opened on %(day)s: it is closed after it.")
        % {"day": case.opened_on.isoformat()},
    )
    note = _text(note)
    if outcome not in Outcome.values:
        errors["outcome"] = ValidationError(_("Say how the case was cleared."), code="required")
    elif (
        outcome == Outcome.SIGNED
        and not Agreement.objects.filter(
            household=household,
            parent__isnull=True,
            status__in=[AgreementStatus.PENDING, AgreementStatus.EFFECTIVE],
        ).exists()
    ):
        errors["outcome"] = ValidationError(
            _("Household %(code)s has no signed agreement.") % {"code": household.code},
            code="not_signed",
        )
    elif outcome == Outcome.VACATED and not Vacating.objects.filter(household=household).exists():
        errors["outcome"] = ValidationError(
            _("The vacating of household %(code)s has not been accepted.")
            % {"code": household.code},
            code="not_vacated",
        )
    elif outcome in (Outcome.COURT, Outcome.OTHER) and not note:
        errors["note"] = ValidationError(
            _("Say what happened (the ruling, or how it was cleared)."), code="required"
        )
    if errors or closed_on is None:
        raise ValidationError(errors)
    case.status = CaseStatus.CLEARED
    case.closed_on = closed_on
    case.outcome = outcome
    case.closing_note = note
    case.closed_by = actor
    case.closed_at = timezone.now()
    case.save(
        update_fields=["status", "closed_on", "outcome", "closing_note", "closed_by", "closed_at"]
    )
    record(
        actor=actor,
        event_type="holdout.case_close",
        target=case,
        project=case.project_id,
        changes={"status": [CaseStatus.OPEN.value, CaseStatus.CLEARED.value]},
        details={
            "household": household.pk,
            "closed_on": closed_on.isoformat(),
            "outcome": outcome,
            "note": note,
        },
    )
    return case
