"""Writes of the ownership confirmation (确权确户) and of change requests after it is locked.

Every write: the permission first (role in the household's project and work group), the rows
locked, one transaction, an audit event with old → new values. A household's confirmation is
prepared by the ownership officers (buildings, persons), submitted, reviewed by the project
manager, who did not prepare it, and locked. After that the survey and confirmation data of the
household change only through an approved change request, and every such change is announced
downstream (core.staleness), where it marks the dependent records stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import jsonable, record, snapshot
from zhengqian.core.idcard import parse_id_number
from zhengqian.core.models import DictionaryEntry
from zhengqian.core.staleness import announce_change
from zhengqian.core.updates import apply_changes, lock
from zhengqian.ownership.models import (
    BuildingConfirmation,
    ChangeRequest,
    ChangeStatus,
    Confirmation,
    ConfirmationStatus,
    ConfirmationTransition,
    PersonConfirmation,
)
from zhengqian.ownership.selectors import (
    NOT_ELIGIBLE,
    REASON_KIND,
    TREATMENT_KIND,
    area_matches,
    building_rows,
    person_rows,
    preparer_ids,
)
from zhengqian.survey import attachments
from zhengqian.survey.models import Building, Household, Person
from zhengqian.survey.permissions import require_household

BUILDING_CONFIRMATION_FIELDS = ("licensed_area", "unlicensed_area", "unlicensed_treatment", "basis")
PERSON_CONFIRMATION_FIELDS = ("eligible", "reason", "note")
AREA_MAX = Decimal("99999999.99")  # ten digits, two of them decimals, as the model fields
BASIS_MAX_LENGTH = 2000
# Evidence is a document or a photo: the survey's content check, limited to these types.
EVIDENCE_TYPES = (attachments.PDF, attachments.JPEG, attachments.PNG)

_CENT = Decimal("0.01")


# --- confirmation --------------------------------------------------------------------------


def _confirmation_for_write(household: Household) -> Confirmation:
    """The household's confirmation, created on first use, locked for this transaction.

    The household row is locked first, so that two first writes cannot both create it.
    """
    lock(household)
    confirmation, _created = Confirmation.objects.select_for_update().get_or_create(
        household=household
    )
    return confirmation


def _invalid(field: str, message: Any, code: str) -> ValidationError:
    """An error at a field, with its code (the code of a dict's outer error is lost)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _require_editable(confirmation: Confirmation) -> None:
    status = ConfirmationStatus(confirmation.status)
    if not status.editable:
        raise ValidationError(
            _(
                "The confirmation is %(status)s: it can be changed only while it is being "
                "confirmed or after it was returned."
            )
            % {"status": status.label},
            code="not_editable",
        )


def _area(value: Any, field: str) -> Decimal:
    """A non-negative area in m² with at most two decimals, or a ValidationError at the field."""
    try:
        area = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _invalid(field, _("Enter an area in square metres, e.g. 85.50."), "invalid") from None
    if not area.is_finite():
        raise ValidationError({field: _("Enter an area in square metres, e.g. 85.50.")})
    if area < 0:
        raise _invalid(field, _("An area cannot be negative."), "negative")
    if area > AREA_MAX:
        raise _invalid(field, _("This area is too large."), "too_large")
    if area != area.quantize(_CENT):
        raise _invalid(
            field, _("An area has at most two decimals (to the fen of a square metre)."), "decimals"
        )
    return area.quantize(_CENT)


def _active_code(kind: str, code: str) -> bool:
    return DictionaryEntry.objects.filter(kind=kind, code=code, active=True).exists()


def check_area_split(
    *, measured: Decimal, licensed: Decimal, unlicensed: Decimal, treatment: str
) -> None:
    """Licensed + unlicensed is the measured area to the fen; a treatment exactly when some
    area is unlicensed, taken from the dictionary."""
    if not area_matches(measured, licensed, unlicensed):
        raise _invalid(
            "licensed_area",
            _(
                "Licensed area %(licensed)s + unlicensed area %(unlicensed)s = %(total)s, "
                "which does not match the measured area %(measured)s."
            )
            % {
                "licensed": f"{licensed:.2f}",
                "unlicensed": f"{unlicensed:.2f}",
                "total": f"{licensed + unlicensed:.2f}",
                "measured": f"{measured:.2f}",
            },
            "area_mismatch",
        )
    if unlicensed > 0 and not treatment:
        raise _invalid(
            "unlicensed_treatment",
            _("Choose how the unlicensed area is treated."),
            "treatment_required",
        )
    if unlicensed == 0 and treatment:
        raise _invalid(
            "unlicensed_treatment",
            _("Nothing is unlicensed: leave the treatment of the unlicensed area empty."),
            "treatment_not_applicable",
        )
    if treatment and not _active_code(TREATMENT_KIND, treatment):
        raise _invalid(
            "unlicensed_treatment", _("Choose a treatment from the list."), "unknown_treatment"
        )


def check_person_reason(*, eligible: bool, reason: str) -> None:
    """The reason comes from the dictionary; "not eligible" goes with a person who does not
    count as resettlement population, every other reason with one who does."""
    if not reason or not _active_code(REASON_KIND, reason):
        raise _invalid("reason", _("Choose a reason from the list."), "reason")
    if eligible and reason == NOT_ELIGIBLE:
        raise _invalid(
            "reason",
            _("A person who counts as resettlement population needs a reason why."),
            "reason_mismatch",
        )
    if not eligible and reason != NOT_ELIGIBLE:
        raise _invalid(
            "reason",
            _(
                "A person who does not count as resettlement population takes the reason "
                "“not eligible”; explain in the note."
            ),
            "reason_mismatch",
        )


def _mark_prepared(confirmation: Confirmation, actor: Any) -> None:
    if confirmation.prepared_by_id != actor.pk:
        confirmation.prepared_by = actor
        confirmation.save(update_fields=["prepared_by", "updated_at"])


def _created_changes(instance: models.Model, fields: tuple[str, ...]) -> dict[str, list[Any]]:
    return {f: [None, v] for f, v in snapshot(instance, fields).items() if v not in ("", None)}


@transaction.atomic
def building_confirm(
    *,
    actor: Any,
    building: Building,
    licensed_area: Decimal | str,
    unlicensed_area: Decimal | str,
    unlicensed_treatment: str,
    basis: str,
) -> BuildingConfirmation:
    """Decide a building's licensed and unlicensed area, the treatment and the basis."""
    household = building.household
    exists = BuildingConfirmation.objects.filter(building_id=building.pk).exists()
    require_household(
        actor, household, Module.OWNERSHIP, Action.CHANGE if exists else Action.CREATE
    )
    confirmation = _confirmation_for_write(household)
    _require_editable(confirmation)
    building = lock(building)
    licensed = _area(licensed_area, "licensed_area")
    unlicensed = _area(unlicensed_area, "unlicensed_area")
    treatment = (unlicensed_treatment or "").strip()
    basis = (basis or "").strip()
    if not basis:
        raise _invalid(
            "basis", _("Give the basis of the decision (certificate, approval, rule)."), "required"
        )
    if len(basis) > BASIS_MAX_LENGTH:
        raise ValidationError(
            {
                "basis": _("The basis is too long (%(n)s characters at most).")
                % {"n": BASIS_MAX_LENGTH}
            }
        )
    check_area_split(
        measured=building.measured_area,
        licensed=licensed,
        unlicensed=unlicensed,
        treatment=treatment,
    )
    values = {
        "licensed_area": licensed,
        "unlicensed_area": unlicensed,
        "unlicensed_treatment": treatment,
        "basis": basis,
    }
    existing = BuildingConfirmation.objects.select_for_update().filter(building=building).first()
    return _save_decision(
        actor=actor,
        household=household,
        confirmation=confirmation,
        existing=existing,
        new=lambda: BuildingConfirmation(building=building, **values),
        values=values,
        fields=BUILDING_CONFIRMATION_FIELDS,
        details={"household": household.pk, "building": building.pk},
    )


@transaction.atomic
def person_confirm(
    *, actor: Any, person: Person, eligible: bool, reason: str, note: str = ""
) -> PersonConfirmation:
    """Decide whether a person counts as resettlement population (可安置人口), and why."""
    household = person.household
    exists = PersonConfirmation.objects.filter(person_id=person.pk).exists()
    require_household(
        actor, household, Module.OWNERSHIP, Action.CHANGE if exists else Action.CREATE
    )
    confirmation = _confirmation_for_write(household)
    _require_editable(confirmation)
    person = lock(person)
    reason = (reason or "").strip()
    check_person_reason(eligible=bool(eligible), reason=reason)
    values = {"eligible": bool(eligible), "reason": reason, "note": (note or "").strip()}
    existing = PersonConfirmation.objects.select_for_update().filter(person=person).first()
    return _save_decision(
        actor=actor,
        household=household,
        confirmation=confirmation,
        existing=existing,
        new=lambda: PersonConfirmation(person=person, **values),
        values=values,
        fields=PERSON_CONFIRMATION_FIELDS,
        details={"household": household.pk, "person": person.pk},
    )


D = TypeVar("D", BuildingConfirmation, PersonConfirmation)


def _save_decision(
    *,
    actor: Any,
    household: Household,
    confirmation: Confirmation,
    existing: D | None,
    new: Callable[[], D],
    values: dict[str, Any],
    fields: tuple[str, ...],
    details: dict[str, Any],
) -> D:
    """Create or update one decision of a confirmation, with its audit event.

    A changed earlier decision is also announced downstream: work may already rest on it.
    """
    if existing is None:
        decision = new()
        decision.full_clean()
        decision.save()
        changes = _created_changes(decision, fields)
    else:
        decision = existing
        changes = apply_changes(decision, values, allowed=fields)
    label = decision._meta.model_name
    if changes:
        _mark_prepared(confirmation, actor)
        record(
            actor=actor,
            event_type=f"{label}.{'create' if existing is None else 'update'}",
            target=decision,
            project=household.project_id,
            changes=changes,
            details=details,
        )
        if existing is not None:
            announce_change(
                household=household,
                source=f"ownership.{label}",
                source_id=decision.pk,
                changes=changes,
                actor=actor,
            )
    return decision


def _require_complete(household: Household) -> None:
    """Every building confirmed (and still matching its measured area), every person too."""
    buildings = building_rows(household)
    persons = person_rows(household)
    if not buildings and not persons:
        raise ValidationError(
            _("The household has no buildings and no persons: there is nothing to confirm."),
            code="empty",
        )
    problems = []
    missing_buildings = [r.building.number for r in buildings if not r.confirmed]
    if missing_buildings:
        problems.append(
            _("buildings not confirmed: %(list)s") % {"list": "、".join(missing_buildings)}
        )
    remeasured = [r.building.number for r in buildings if r.confirmed and not r.consistent]
    if remeasured:
        problems.append(
            _("buildings whose measured area changed since they were confirmed: %(list)s")
            % {"list": "、".join(remeasured)}
        )
    missing_persons = [r.person.name for r in persons if not r.confirmed]
    if missing_persons:
        problems.append(_("persons not confirmed: %(list)s") % {"list": "、".join(missing_persons)})
    if problems:
        raise ValidationError(
            _("The confirmation is not complete — %(problems)s.")
            % {"problems": "; ".join(problems)},
            code="incomplete",
        )


def _transition(
    confirmation: Confirmation, *, to: ConfirmationStatus, actor: Any, reason: str = ""
) -> ConfirmationTransition:
    """Move the confirmation to a new state, appending the step to its log and the trail."""
    old = confirmation.status
    confirmation.status = to
    fields = ["status", "updated_at"]
    if to == ConfirmationStatus.LOCKED:
        confirmation.locked_at = timezone.now()
        fields.append("locked_at")
    if to in (ConfirmationStatus.LOCKED, ConfirmationStatus.RETURNED):
        confirmation.reviewed_by = actor
        fields.append("reviewed_by")
    confirmation.save(update_fields=fields)
    step = ConfirmationTransition.objects.create(
        confirmation=confirmation, from_status=old, to_status=to, actor=actor, reason=reason
    )
    record(
        actor=actor,
        event_type={
            ConfirmationStatus.SUBMITTED: "confirmation.submit",
            ConfirmationStatus.LOCKED: "confirmation.approve",
            ConfirmationStatus.RETURNED: "confirmation.return",
        }.get(to, "confirmation.transition"),
        target=confirmation,
        project=confirmation.household.project_id,
        changes={"status": [old, str(to)]},
        details={"household": confirmation.household_id, "reason": reason},
    )
    return step


def _wrong_state(confirmation: Confirmation, step: str) -> ValidationError:
    return ValidationError(
        _("The confirmation cannot be %(step)s: it is %(status)s.")
        % {"step": step, "status": ConfirmationStatus(confirmation.status).label},
        code="wrong_state",
    )


@transaction.atomic
def confirmation_submit(*, actor: Any, household: Household) -> Confirmation:
    """Send the household's confirmation to the project manager for review."""
    require_household(actor, household, Module.OWNERSHIP, Action.CHANGE)
    confirmation = _confirmation_for_write(household)
    if not ConfirmationStatus(confirmation.status).editable:
        raise _wrong_state(confirmation, _("submitted"))
    _require_complete(household)
    _transition(confirmation, to=ConfirmationStatus.SUBMITTED, actor=actor)
    return confirmation


@transaction.atomic
def confirmation_review(
    *, actor: Any, household: Household, approve: bool, reason: str = ""
) -> Confirmation:
    """The project manager locks the confirmation, or returns it with a reason.

    Nobody reviews a confirmation they prepared or submitted (separation of duties).
    """
    require_household(actor, household, Module.OWNERSHIP, Action.APPROVE)
    confirmation = _confirmation_for_write(household)
    if confirmation.status != ConfirmationStatus.SUBMITTED:
        raise _wrong_state(confirmation, _("reviewed"))
    if actor.pk in preparer_ids(confirmation):
        raise AccessDenied(
            _("You prepared or submitted this confirmation: someone else must review it."),
            module=Module.OWNERSHIP,
            action=Action.APPROVE,
            project_id=household.project_id,
        )
    reason = (reason or "").strip()
    if approve:
        # The survey may still have changed while the confirmation waited for review.
        _require_complete(household)
        _transition(confirmation, to=ConfirmationStatus.LOCKED, actor=actor, reason=reason)
    else:
        if not reason:
            raise _invalid("reason", _("Say why the confirmation is returned."), "reason_required")
        _transition(confirmation, to=ConfirmationStatus.RETURNED, actor=actor, reason=reason)
    return confirmation


# --- change requests -----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """How a requested new value of one field is read and checked."""

    label: Any
    parse: Callable[[Any, str], Any]
    dictionary: str = ""  # the dictionary kind of a coded value, for showing its label


@dataclass(frozen=True)
class TargetSpec:
    model: type[models.Model]
    module: Module
    label: Any
    fields: Mapping[str, FieldSpec]


def _decimal_area(value: Any, field: str) -> str:
    return str(_area(value, field))


def _text(max_length: int, *, required: bool) -> Callable[[Any, str], str]:
    def parse(value: Any, field: str) -> str:
        text = "" if value is None else str(value).strip()
        if required and not text:
            raise _invalid(field, _("This value cannot be empty."), "required")
        if len(text) > max_length:
            raise _invalid(field, _("At most %(n)s characters.") % {"n": max_length}, "max_length")
        return text

    return parse


def _integer(low: int, high: int, *, required: bool) -> Callable[[Any, str], int | None]:
    def parse(value: Any, field: str) -> int | None:
        text = "" if value is None else str(value).strip()
        if not text:
            if required:
                raise _invalid(field, _("This value cannot be empty."), "required")
            return None
        try:
            number = int(text)
        except ValueError:
            raise _invalid(field, _("Enter a whole number."), "invalid") from None
        if not low <= number <= high:
            raise _invalid(
                field,
                _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high},
                "range",
            )
        return number

    return parse


_TRUE = {"true", "1", "yes", "y", "on", "是", "符合"}
_FALSE = {"false", "0", "no", "n", "off", "否", "不符合"}


def _boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _invalid(field, _("Answer yes or no."), "invalid")


def _dictionary(kind: str, *, required: bool) -> Callable[[Any, str], str]:
    """A dictionary code; the entry's label is accepted too and turned into its code."""

    def parse(value: Any, field: str) -> str:
        text = "" if value is None else str(value).strip()
        if not text:
            if required:
                raise _invalid(field, _("This value cannot be empty."), "required")
            return ""
        entries = DictionaryEntry.objects.filter(kind=kind, active=True)
        entry = (
            entries.filter(code=text).first()
            or entries.filter(label_zh=text).first()
            or entries.filter(label_en__iexact=text).first()
        )
        if entry is None:
            raise _invalid(
                field,
                _("Choose one of: %(choices)s.") % {"choices": "、".join(e.label for e in entries)},
                "unknown_code",
            )
        return entry.code

    return parse


def _id_number(value: Any, field: str) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    try:
        return parse_id_number(text).number
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from None


TARGETS: dict[str, TargetSpec] = {
    "survey.building": TargetSpec(
        model=Building,
        module=Module.SURVEY,
        label=gettext_lazy("Building"),
        fields={
            "measured_area": FieldSpec(gettext_lazy("measured area (m²)"), _decimal_area),
            "structure_type": FieldSpec(
                gettext_lazy("structure type"),
                _dictionary("structure_type", required=True),
                dictionary="structure_type",
            ),
            "use": FieldSpec(
                gettext_lazy("use"),
                _dictionary("building_use", required=True),
                dictionary="building_use",
            ),
            "floors": FieldSpec(gettext_lazy("floors"), _integer(1, 200, required=True)),
            "year_built": FieldSpec(
                gettext_lazy("year built"), _integer(1800, 2100, required=False)
            ),
            "title_certificate_no": FieldSpec(
                gettext_lazy("title certificate number"), _text(60, required=False)
            ),
        },
    ),
    "ownership.buildingconfirmation": TargetSpec(
        model=BuildingConfirmation,
        module=Module.OWNERSHIP,
        label=gettext_lazy("Building confirmation"),
        fields={
            "licensed_area": FieldSpec(gettext_lazy("licensed area (m²)"), _decimal_area),
            "unlicensed_area": FieldSpec(gettext_lazy("unlicensed area (m²)"), _decimal_area),
            "unlicensed_treatment": FieldSpec(
                gettext_lazy("treatment of the unlicensed area"),
                _dictionary(TREATMENT_KIND, required=False),
                dictionary=TREATMENT_KIND,
            ),
            "basis": FieldSpec(gettext_lazy("basis"), _text(BASIS_MAX_LENGTH, required=True)),
        },
    ),
    "survey.person": TargetSpec(
        model=Person,
        module=Module.SURVEY,
        label=gettext_lazy("Person"),
        fields={
            "name": FieldSpec(gettext_lazy("name"), _text(60, required=True)),
            "id_number": FieldSpec(gettext_lazy("ID number"), _id_number),
            "relation": FieldSpec(
                gettext_lazy("relation to the head"),
                _dictionary("relation", required=True),
                dictionary="relation",
            ),
            "registered_here": FieldSpec(gettext_lazy("registered at this address"), _boolean),
            "hukou_type": FieldSpec(
                gettext_lazy("household registration type"),
                _dictionary("hukou_type", required=False),
                dictionary="hukou_type",
            ),
        },
    ),
    "ownership.personconfirmation": TargetSpec(
        model=PersonConfirmation,
        module=Module.OWNERSHIP,
        label=gettext_lazy("Person confirmation"),
        fields={
            "eligible": FieldSpec(gettext_lazy("counts as resettlement population"), _boolean),
            "reason": FieldSpec(
                gettext_lazy("reason"),
                _dictionary(REASON_KIND, required=True),
                dictionary=REASON_KIND,
            ),
        },
    ),
}

# Fields of the building's confirmation that change together with an area (the split must keep
# adding up to the measured area), and of a person's confirmation (eligibility and its reason).
AREA_GROUP = ("licensed_area", "unlicensed_area", "unlicensed_treatment")
PERSON_GROUP = ("eligible", "reason")


def describe_change(cr: ChangeRequest) -> str:
    """What a change request corrects, for people: "Building 1 · measured area (m²)"."""
    spec = TARGETS.get(cr.target_type)
    if spec is None:
        return f"{cr.target_type}#{cr.target_id} · {cr.field}"
    instance = spec.model._default_manager.filter(pk=cr.target_id).first()
    if isinstance(instance, BuildingConfirmation | PersonConfirmation):
        owner = instance.building if isinstance(instance, BuildingConfirmation) else instance.person
        name = owner.number if isinstance(owner, Building) else owner.name
    elif isinstance(instance, Building):
        name = instance.number
    elif isinstance(instance, Person):
        name = instance.name
    else:
        name = f"#{cr.target_id}"
    field = spec.fields.get(cr.field)
    return f"{spec.label} {name} · {field.label if field else cr.field}"


def value_label(cr: ChangeRequest, field: str, value: Any) -> str:
    """A requested or captured value as people read it: a dictionary label, yes or no."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if field == cr.field:
        spec = TARGETS.get(cr.target_type)
        field_spec = spec.fields.get(field) if spec is not None else None
    else:
        field_spec = _paired_spec(field)
    if field_spec is not None and field_spec.dictionary:
        entry = DictionaryEntry.objects.filter(kind=field_spec.dictionary, code=value).first()
        if entry is not None:
            return entry.label
    return str(value)


def _paired_spec(field: str) -> FieldSpec | None:
    """A field that changes together with the requested one: always a confirmation's."""
    for target_type in ("ownership.buildingconfirmation", "ownership.personconfirmation"):
        spec = TARGETS[target_type].fields.get(field)
        if spec is not None:
            return spec
    return None


def paired_label(field: str) -> str:
    """The label of a field that changes together with the requested one."""
    spec = _paired_spec(field)
    return str(spec.label) if spec is not None else field


def _household_of(instance: models.Model) -> int:
    if isinstance(instance, Building | Person):
        return instance.household_id
    if isinstance(instance, BuildingConfirmation):
        return instance.building.household_id
    if isinstance(instance, PersonConfirmation):
        return instance.person.household_id
    raise TypeError(type(instance))


def _target(target_type: str, target_id: Any, household: Household, *, for_update: bool) -> Any:
    spec = TARGETS.get(target_type)
    if spec is None:
        raise _invalid(
            "target_type",
            _("Records of this kind are not corrected by change request."),
            "target_type",
        )
    qs = spec.model._default_manager.all()
    if for_update:
        qs = qs.select_for_update()
    try:
        instance = qs.get(pk=int(target_id))
    except (ObjectDoesNotExist, ValueError, TypeError):
        instance = None
    if instance is None or _household_of(instance) != household.pk:
        raise _invalid("target_id", _("The record does not belong to this household."), "target_id")
    return instance


def _pair_target(target_type: str, instance: Any, *, for_update: bool) -> Any:
    """The confirmation row whose fields may change together with the requested one."""
    if target_type == "survey.building":
        qs = BuildingConfirmation.objects.filter(building_id=instance.pk)
        return (qs.select_for_update() if for_update else qs).first()
    if target_type in ("ownership.buildingconfirmation", "ownership.personconfirmation"):
        return instance
    return None


def _pairable(target_type: str, field: str) -> tuple[str, ...]:
    if (target_type, field) == ("survey.building", "measured_area"):
        return AREA_GROUP
    if target_type == "ownership.buildingconfirmation" and field in AREA_GROUP:
        return tuple(f for f in AREA_GROUP if f != field)
    if target_type == "ownership.personconfirmation":
        return tuple(f for f in PERSON_GROUP if f != field)
    return ()


def _to_python(instance: models.Model, field: str, value: Any) -> Any:
    model_field = instance._meta.get_field(field)
    assert isinstance(model_field, models.Field)
    return model_field.to_python(value)


def _check_consistency(
    target_type: str, instance: Any, field: str, new: Any, pair: Any, paired: Mapping[str, Any]
) -> None:
    """The target and its confirmation, with the requested values, still agree."""
    if target_type == "survey.building" and field == "measured_area" and pair is not None:
        _check_split_with(pair, paired, measured=Decimal(str(new)))
    elif target_type == "ownership.buildingconfirmation" and field in AREA_GROUP:
        values = {**paired, field: new}
        _check_split_with(instance, values, measured=instance.building.measured_area)
    elif target_type == "ownership.personconfirmation":
        values = {**paired, field: new}
        eligible = values.get("eligible", instance.eligible)
        check_person_reason(
            eligible=bool(_to_python(instance, "eligible", eligible)),
            reason=values.get("reason", instance.reason),
        )


def _check_split_with(
    bc: BuildingConfirmation, values: Mapping[str, Any], *, measured: Decimal
) -> None:
    licensed = Decimal(str(values.get("licensed_area", bc.licensed_area)))
    unlicensed = Decimal(str(values.get("unlicensed_area", bc.unlicensed_area)))
    treatment = values.get("unlicensed_treatment", bc.unlicensed_treatment)
    try:
        check_area_split(
            measured=measured, licensed=licensed, unlicensed=unlicensed, treatment=treatment
        )
    except ValidationError as exc:
        raise ValidationError(
            {
                key: [
                    *errors,
                    ValidationError(
                        _(
                            "Give the building's new licensed and unlicensed areas (and the "
                            "treatment) with the request, so that the confirmation stays "
                            "consistent."
                        )
                    ),
                ]
                for key, errors in exc.error_dict.items()
            }
        ) from None


def check_evidence(evidence: UploadedFile | None) -> tuple[str, str] | None:
    """The evidence is a PDF, JPEG or PNG by its content, within the attachment size limit.

    Returns (extension, content type), or None without evidence.
    """
    if evidence is None:
        return None
    limit = attachments.max_upload_bytes()
    if evidence.size is not None and evidence.size > limit:
        raise _invalid(
            "evidence",
            _("The file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
            "evidence_size",
        )
    file_type = attachments.sniff(evidence)
    if file_type in EVIDENCE_TYPES:
        assert file_type is not None
        return file_type.extension, file_type.content_type
    raise _invalid(
        "evidence", _("Only PDF, JPEG and PNG files are accepted as evidence."), "evidence_type"
    )


def _paired_changes(
    target_type: str,
    field: str,
    new: Any,
    instance: Any,
    pair: Any,
    paired: Mapping[str, Any],
) -> dict[str, list[Any]]:
    """{field: [old, new]} of the confirmation fields that change with the requested one.

    Empty values mean "unchanged". A treatment is cleared by itself when nothing stays
    unlicensed. Errors are keyed "paired_<field>".
    """
    allowed = _pairable(target_type, field)
    spec = TARGETS[
        "ownership.personconfirmation"
        if isinstance(pair, PersonConfirmation)
        else "ownership.buildingconfirmation"
    ]
    changes: dict[str, list[Any]] = {}
    for name, raw in paired.items():
        if raw is None or raw == "":
            continue
        key = f"paired_{name}"
        if name not in allowed or pair is None:
            raise _invalid(
                key, _("This field cannot change together with the requested one."), "not_pairable"
            )
        try:
            value = spec.fields[name].parse(raw, key)
        except ValidationError as exc:
            raise _rekeyed(exc, "", same_record=False) from None
        before = jsonable(getattr(pair, name))
        if jsonable(value) != before:
            changes[name] = [before, jsonable(value)]
    if isinstance(pair, BuildingConfirmation) and "unlicensed_treatment" in allowed:
        proposed = {k: v[1] for k, v in changes.items()}
        if pair is instance:
            proposed[field] = new
        unlicensed = Decimal(str(proposed.get("unlicensed_area", pair.unlicensed_area)))
        if unlicensed == 0 and pair.unlicensed_treatment and "unlicensed_treatment" not in proposed:
            changes["unlicensed_treatment"] = [pair.unlicensed_treatment, ""]
    return changes


def _rekeyed(exc: ValidationError, field: str, *, same_record: bool) -> ValidationError:
    """Errors of the requested field under "new_value", of the others under "paired_<field>"."""
    if not hasattr(exc, "error_dict"):
        return exc
    out: dict[str, list[ValidationError]] = {}
    for key, errors in exc.error_dict.items():
        if key.startswith("paired_") or key == "new_value":
            name = key
        elif same_record and key == field:
            name = "new_value"
        else:
            name = f"paired_{key}"
        out.setdefault(name, []).extend(errors)
    return ValidationError(out)  # type: ignore[arg-type]


def _require_locked(household: Household) -> Confirmation:
    confirmation = Confirmation.objects.select_for_update().filter(household=household).first()
    if confirmation is None or confirmation.status != ConfirmationStatus.LOCKED:
        raise ValidationError(
            _(
                "The confirmation of this household is not locked: correct the data directly, "
                "a change request is for locked data only."
            ),
            code="not_locked",
        )
    return confirmation


@transaction.atomic
def change_request_create(
    *,
    actor: Any,
    household: Household,
    target_type: str,
    target_id: int,
    field: str,
    new_value: Any,
    reason: str,
    evidence: UploadedFile | None = None,
    paired: Mapping[str, Any] | None = None,
) -> ChangeRequest:
    """Ask for a correction of locked data. The old value is captured now.

    `paired` gives the new values of the confirmation's fields that must change with this one
    (see AREA_GROUP, PERSON_GROUP); they are applied together when the request is approved.
    """
    spec = TARGETS.get(target_type)
    if spec is None:
        raise _invalid(
            "target_type",
            _("Records of this kind are not corrected by change request."),
            "target_type",
        )
    require_household(actor, household, spec.module, Action.CHANGE)
    lock(household)
    _require_locked(household)
    if field not in spec.fields:
        raise ValidationError({"field": _("This field is not corrected by change request.")})
    instance = _target(target_type, target_id, household, for_update=False)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("Say why the data must change."), "required")
    new = spec.fields[field].parse(new_value, "new_value")
    old = jsonable(getattr(instance, field))
    # What a paired value changes lives on the confirmation of the building or person.
    pair = _pair_target(target_type, instance, for_update=False)
    paired_changes = _paired_changes(target_type, field, new, instance, pair, paired or {})
    if jsonable(new) == old and not paired_changes:
        raise _invalid("new_value", _("The new value is the same as the current one."), "unchanged")
    try:
        _check_consistency(
            target_type, instance, field, new, pair, {k: v[1] for k, v in paired_changes.items()}
        )
    except ValidationError as exc:
        raise _rekeyed(exc, field, same_record=pair is instance) from None
    # Validate the whole record with the new value now, not only when the manager approves.
    probe = type(instance)._default_manager.get(pk=instance.pk)
    setattr(probe, field, _to_python(probe, field, new))
    probe.full_clean()
    pending = ChangeRequest.objects.filter(
        household=household,
        status=ChangeStatus.PENDING,
        target_type=target_type,
        target_id=instance.pk,
        field=field,
    )
    if pending.exists():
        raise ValidationError(
            _("A change of this field is already waiting for approval."), code="duplicate"
        )
    kind = check_evidence(evidence)
    cr = ChangeRequest(
        household=household,
        target_type=target_type,
        target_id=instance.pk,
        field=field,
        old_value=old,
        new_value=jsonable(new),
        paired_changes=paired_changes,
        reason=reason,
        requested_by=actor,
    )
    if evidence is not None and kind is not None:
        # The stored name never comes from the user, only the type read from the content.
        evidence.name = f"{uuid.uuid4().hex}.{kind[0]}"
        cr.evidence = evidence  # type: ignore[assignment]
    cr.full_clean()
    cr.save()
    record(
        actor=actor,
        event_type="changerequest.create",
        target=cr,
        project=household.project_id,
        changes={
            f"{target_type}.{field}": [old, jsonable(new)],
            **{f"paired.{k}": v for k, v in paired_changes.items()},
        },
        details={"household": household.pk, "target_id": instance.pk, "reason": reason},
    )
    return cr


def _apply(
    instance: models.Model, values: Mapping[str, list[Any]], *, stale_message: str
) -> dict[str, list[Any]]:
    """Set the new values on a locked row if each field still holds the captured old value."""
    for name, (old, _new) in values.items():
        if jsonable(getattr(instance, name)) != old:
            raise ValidationError(stale_message, code="stale")
    changes = {}
    for name, (old, new) in values.items():
        setattr(instance, name, _to_python(instance, name, new))
        changes[name] = [old, jsonable(getattr(instance, name))]
    instance.full_clean()
    instance.save(update_fields=list(values))
    return changes


@transaction.atomic
def change_request_decide(
    *, actor: Any, change_request: ChangeRequest, approve: bool, note: str = ""
) -> ChangeRequest:
    """The project manager approves (the change applies) or rejects a change request.

    On approval, in this one transaction: the captured old values are checked against the
    current ones, the change is applied, the audit trail gets old → new, and the change is
    announced downstream, where it marks every dependent record stale.
    """
    household = change_request.household
    require_household(actor, household, Module.OWNERSHIP, Action.APPROVE)
    lock(household)
    cr = lock(change_request)
    if cr.status != ChangeStatus.PENDING:
        raise ValidationError(
            _("This change request was already decided (%(status)s).")
            % {"status": cr.get_status_display()},
            code="decided",
        )
    if cr.requested_by_id == actor.pk:
        raise AccessDenied(
            _("You made this change request: someone else must decide it."),
            module=Module.OWNERSHIP,
            action=Action.APPROVE,
            project_id=household.project_id,
        )
    note = (note or "").strip()
    if not approve and not note:
        raise _invalid("note", _("Say why the change request is rejected."), "note_required")
    applied: list[tuple[str, Any, dict[str, list[Any]]]] = []
    if approve:
        _require_locked(household)
        instance = _target(cr.target_type, cr.target_id, household, for_update=True)
        pair = _pair_target(cr.target_type, instance, for_update=True)
        stale = _(
            "The data changed since the request was made: reject this request and make a new "
            "one from the current values."
        )
        paired = dict(cr.paired_changes or {})
        main = {cr.field: [cr.old_value, cr.new_value]}
        if pair is instance:
            main.update(paired)
            paired = {}
        _check_consistency(
            cr.target_type,
            instance,
            cr.field,
            cr.new_value,
            pair,
            {k: v[1] for k, v in (cr.paired_changes or {}).items()},
        )
        applied.append((cr.target_type, instance, _apply(instance, main, stale_message=stale)))
        if paired:
            if pair is None:
                raise ValidationError(stale, code="stale")
            applied.append(
                (
                    "ownership.buildingconfirmation",
                    pair,
                    _apply(pair, paired, stale_message=stale),
                )
            )
    cr.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    cr.decided_by = actor
    cr.decided_at = timezone.now()
    cr.decision_note = note
    cr.full_clean()
    cr.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    record(
        actor=actor,
        event_type="changerequest.approve" if approve else "changerequest.reject",
        target=cr,
        project=household.project_id,
        changes={"status": [ChangeStatus.PENDING.value, cr.status]},
        details={"household": household.pk, "note": note},
    )
    for source, instance, changes in applied:
        label = instance._meta.model_name or ""
        record(
            actor=actor,
            event_type=f"{label}.change_request",
            target=instance,
            project=household.project_id,
            changes=changes,
            details={"household": household.pk, "change_request": cr.pk},
        )
        announce_change(
            household=household, source=source, source_id=instance.pk, changes=changes, actor=actor
        )
    return cr
