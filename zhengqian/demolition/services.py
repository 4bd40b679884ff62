"""Writes of the demolition module: vacating acceptance, demolition, debris clearance, dust
inspections and the closing of their rectification orders (DESIGN.md §4, §5).

Who may do what: the demolition officer records every step (demolition/create) and closes
rectification orders (demolition/change), within the households of their projects and work
groups. Compensation comes before moving (先补偿后搬迁): vacating and demolition are refused
unless the household's main agreement is effective. Every write checks all its files before it
stores any, is one transaction and one audit event; vacating and demolition tell the payments
module of the step in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.agreements.documents import sha256
from zhengqian.agreements.models import Agreement, AgreementStatus
from zhengqian.agreements.services import live_main
from zhengqian.audit.services import record
from zhengqian.core.updates import lock
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
from zhengqian.payments import services as payments
from zhengqian.survey.models import Household
from zhengqian.survey.permissions import require_household

# Days a failed checkpoint is given to be put right when no deadline is set.
RECTIFY_DAYS = 3


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


# --- the agreement ----------------------------------------------------------------------------


def guard_void(*, agreement: Agreement) -> None:
    """Guard of voiding: a main agreement on which the house was vacated (and perhaps
    demolished) is not voided — the house would stand on no agreement in force and leave the
    supervision lists; a correction is a supplementary agreement."""
    if agreement.parent_id is not None:
        return
    vacating = Vacating.objects.filter(agreement=agreement).first()
    if vacating is not None:
        raise ValidationError(
            _(
                "The house was vacated on agreement %(number)s (accepted on %(day)s): it "
                "cannot be voided. Correct it with a supplementary agreement."
            )
            % {"number": agreement.number, "day": vacating.accepted_on.isoformat()},
            code="vacated",
        )


# --- who may be named ------------------------------------------------------------------------


def project_users(household: Household) -> QuerySet[Any]:
    """The people of the household's project who may be named as accepting, witnessing or
    inspecting: active users holding a role of the office in the project (or in every
    project). The administrator and the staff of outside firms are not the office's people."""
    from zhengqian.accounts.models import Membership

    memberships = (
        Membership.objects.filter(Q(project_id=household.project_id) | Q(project__isnull=True))
        .exclude(role__in=[RoleCode.ADMIN, RoleCode.VALUER])
        .filter(Q(work_groups__isnull=True) | Q(work_groups=household.work_group_id))
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=memberships.values("user_id"))
        .order_by("username")
    )


def _check_person(
    household: Household, user: Any, field: str, required: bool
) -> dict[str, ValidationError]:
    if user is None:
        if not required:
            return {}
        return {field: ValidationError(_("Choose the person."), code="required")}
    if not project_users(household).filter(pk=user.pk).exists():
        return {
            field: ValidationError(
                _("%(name)s is not one of the project's people.")
                % {"name": getattr(user, "display_name", "") or user.get_username()},
                code="not_in_project",
            )
        }
    return {}


# --- the agreement in force ------------------------------------------------------------------


def agreement_in_force(household: Household) -> Agreement:
    """The household's effective main agreement; a ValidationError naming what there is
    instead (compensation comes before moving)."""
    main = live_main(household)
    if main is None:
        raise ValidationError(
            _(
                "Household %(code)s has no agreement: compensation comes before moving, and "
                "nothing is vacated or demolished before the agreement is in force."
            )
            % {"code": household.code},
            code="no_agreement",
        )
    if main.status != AgreementStatus.EFFECTIVE:
        raise ValidationError(
            _(
                "Agreement %(number)s of household %(code)s is %(status)s: compensation comes "
                "before moving, and nothing is vacated or demolished before it is effective."
            )
            % {"number": main.number, "code": household.code, "status": main.get_status_display()},
            code="not_effective",
        )
    if main.void_requested_at is not None:
        raise ValidationError(
            _(
                "Voiding of agreement %(number)s has been asked for: nothing is vacated or "
                "demolished on it until the project manager decides."
            )
            % {"number": main.number},
            code="void_requested",
        )
    return main


# --- files -----------------------------------------------------------------------------------


def _file_error(upload: Any, allowed: Iterable[Any], message: str) -> str | None:
    """The problem with an upload, or None; the type is decided by the content."""
    from zhengqian.survey.attachments import check_upload

    try:
        if check_upload(upload) not in tuple(allowed):
            return message
    except ValidationError as exc:
        return str(exc.messages[0])
    return None


def _check_photos(
    photos: Iterable[Any], field: str, *, required: bool
) -> dict[str, ValidationError]:
    from zhengqian.survey.attachments import JPEG, PNG

    photos = [p for p in photos if p]
    if not photos:
        if required:
            return {field: ValidationError(_("Add at least one photo."), code="required")}
        return {}
    for photo in photos:
        problem = _file_error(photo, (JPEG, PNG), _("Photos must be JPEG or PNG images."))
        if problem is not None:
            return {
                field: ValidationError(
                    _("%(name)s: %(problem)s") % {"name": photo.name, "problem": problem},
                    code="type",
                )
            }
    return {}


def _read(upload: Any) -> bytes:
    upload.seek(0)
    data: bytes = upload.read()
    upload.seek(0)
    return data


def _extension(upload: Any) -> str:
    from zhengqian.survey.attachments import sniff

    found = sniff(upload)
    return found.extension if found is not None else "bin"


def _store_photos(
    photos: Iterable[Any],
    *,
    actor: Any,
    household: Household,
    step: str,
    inspection: Inspection | None = None,
    rectification: Rectification | None = None,
) -> list[SitePhoto]:
    """Store checked photos under names of our own (the uploaded name is not trusted)."""
    stored = []
    for n, upload in enumerate((p for p in photos if p), start=1):
        data = _read(upload)
        photo = SitePhoto(
            project_id=household.project_id,
            household=household,
            step=step,
            inspection=inspection,
            rectification=rectification,
            sha256=sha256(data),
            uploaded_by=actor,
        )
        name = f"{household.code}-{step}-{n}.{_extension(upload)}"
        photo.file.save(name, ContentFile(data), save=False)
        photo.save()
        stored.append(photo)
    return stored


def _check_day(day: dt.date | None, field: str, today: dt.date) -> dict[str, ValidationError]:
    if day is None:
        return {field: ValidationError(_("Give the date."), code="required")}
    if day > today:
        return {field: ValidationError(_("The date cannot be in the future."), code="future")}
    return {}


def _text(value: str | None) -> str:
    return (value or "").strip()


# --- vacating acceptance ---------------------------------------------------------------------


@transaction.atomic
def vacate(
    *,
    actor: Any,
    household: Household,
    accepted_on: dt.date | None,
    keys_handed_over: bool,
    water_closed: bool,
    power_closed: bool,
    gas_closed: bool,
    household_signatory: str,
    accepted_by: Any,
    witness: Any = None,
    form_scan: Any,
    photos: Iterable[Any],
    note: str = "",
) -> Vacating:
    """Accept the vacated house (腾空验收): only on an effective agreement, once per household.
    The instalments due after vacating become payable in the same transaction."""
    require_household(actor, household, Module.DEMOLITION, Action.CREATE)
    household = lock(household)
    if Vacating.objects.filter(household=household).exists():
        raise ValidationError(
            _("The vacating of household %(code)s has already been accepted.")
            % {"code": household.code},
            code="exists",
        )
    agreement = agreement_in_force(household)
    from zhengqian.survey.attachments import JPEG, PDF, PNG

    photos = [p for p in photos if p]
    today = timezone.localdate()
    errors = _check_day(accepted_on, "accepted_on", today)
    effective_on = agreement.effective_on
    if accepted_on is not None and not errors and effective_on and accepted_on < effective_on:
        errors["accepted_on"] = ValidationError(
            _("Agreement %(number)s took effect on %(day)s: vacating is accepted after it.")
            % {"number": agreement.number, "day": effective_on.isoformat()},
            code="before_agreement",
        )
    ticks = {
        "keys_handed_over": (keys_handed_over, _("The keys must be handed over.")),
        "water_closed": (water_closed, _("The water must be closed.")),
        "power_closed": (power_closed, _("The electricity must be closed.")),
        "gas_closed": (gas_closed, _("The gas must be closed (tick it if there is none).")),
    }
    for field, (ticked, message) in ticks.items():
        if not ticked:
            errors[field] = ValidationError(message, code="not_done")
    signatory = _text(household_signatory)
    if not signatory:
        errors["household_signatory"] = ValidationError(
            _("Give the name of who signed for the household."), code="required"
        )
    errors.update(_check_person(household, accepted_by, "accepted_by", required=True))
    errors.update(_check_person(household, witness, "witness", required=False))
    if witness is not None and accepted_by is not None and witness.pk == accepted_by.pk:
        errors["witness"] = ValidationError(
            _("The witness must be someone other than who accepted."), code="same_person"
        )
    if not form_scan:
        errors["form_scan"] = ValidationError(
            _("Upload the scan of the signed acceptance form."), code="required"
        )
    else:
        problem = _file_error(
            form_scan, (PDF, JPEG, PNG), _("Upload a PDF or a JPEG or PNG image.")
        )
        if problem is not None:
            errors["form_scan"] = ValidationError(problem, code="type")
    errors.update(_check_photos(photos, "photos", required=True))
    if errors or accepted_on is None:
        raise ValidationError(errors)
    data = _read(form_scan)
    vacating = Vacating(
        project_id=household.project_id,
        household=household,
        agreement=agreement,
        accepted_on=accepted_on,
        keys_handed_over=True,
        water_closed=True,
        power_closed=True,
        gas_closed=True,
        household_signatory=signatory,
        accepted_by=accepted_by,
        witness=witness,
        form_sha256=sha256(data),
        note=_text(note),
        recorded_by=actor,
    )
    vacating.form_scan.save(
        f"{household.code}-vacating.{_extension(form_scan)}", ContentFile(data), save=False
    )
    vacating.full_clean(exclude=["household"])
    vacating.save()
    stored = _store_photos(photos, actor=actor, household=household, step=Step.VACATING)
    payments.site_step(household=household, step="vacated", on=accepted_on)
    record(
        actor=actor,
        event_type="demolition.vacate",
        target=vacating,
        project=household.project_id,
        details={
            "household": household.pk,
            "agreement": agreement.number,
            "accepted_on": accepted_on.isoformat(),
            "accepted_by": accepted_by.pk,
            "witness": witness.pk if witness is not None else None,
            "household_signatory": signatory,
            "form_sha256": vacating.form_sha256,
            "photos": [p.sha256 for p in stored],
        },
    )
    return vacating


# --- demolition ------------------------------------------------------------------------------


@transaction.atomic
def demolish(
    *,
    actor: Any,
    household: Household,
    contractor: str,
    demolished_on: dt.date | None,
    photos: Iterable[Any],
    note: str = "",
) -> Demolition:
    """Record the demolition of the house: on an effective agreement, after vacating."""
    require_household(actor, household, Module.DEMOLITION, Action.CREATE)
    household = lock(household)
    if Demolition.objects.filter(household=household).exists():
        raise ValidationError(
            _("The demolition of household %(code)s has already been recorded.")
            % {"code": household.code},
            code="exists",
        )
    agreement = agreement_in_force(household)
    vacating = Vacating.objects.filter(household=household).first()
    if vacating is None:
        raise ValidationError(
            _(
                "The vacating of household %(code)s has not been accepted: no house is demolished "
                "before it is vacated."
            )
            % {"code": household.code},
            code="not_vacated",
        )
    photos = [p for p in photos if p]
    errors = _check_day(demolished_on, "demolished_on", timezone.localdate())
    if demolished_on is not None and not errors and demolished_on < vacating.accepted_on:
        errors["demolished_on"] = ValidationError(
            _("Vacating was accepted on %(day)s: the demolition comes after it.")
            % {"day": vacating.accepted_on.isoformat()},
            code="before_vacating",
        )
    contractor = _text(contractor)
    if not contractor:
        errors["contractor"] = ValidationError(_("Name the demolition contractor."), "required")
    errors.update(_check_photos(photos, "photos", required=True))
    if errors or demolished_on is None:
        raise ValidationError(errors)
    demolition = Demolition.objects.create(
        project_id=household.project_id,
        household=household,
        contractor=contractor,
        demolished_on=demolished_on,
        note=_text(note),
        recorded_by=actor,
    )
    stored = _store_photos(photos, actor=actor, household=household, step=Step.DEMOLITION)
    payments.site_step(household=household, step="demolished", on=demolished_on)
    record(
        actor=actor,
        event_type="demolition.demolish",
        target=demolition,
        project=household.project_id,
        details={
            "household": household.pk,
            "agreement": agreement.number,
            "contractor": contractor,
            "demolished_on": demolished_on.isoformat(),
            "photos": [p.sha256 for p in stored],
        },
    )
    return demolition


# --- debris clearance ------------------------------------------------------------------------


@transaction.atomic
def clear(
    *,
    actor: Any,
    household: Household,
    haulier: str,
    cleared_on: dt.date | None,
    disposal_site: str,
    volume: Decimal | None = None,
    photos: Iterable[Any] = (),
    note: str = "",
) -> Clearance:
    """Record the clearance of the debris (渣土清运) after the demolition."""
    require_household(actor, household, Module.DEMOLITION, Action.CREATE)
    household = lock(household)
    if Clearance.objects.filter(household=household).exists():
        raise ValidationError(
            _("The debris clearance of household %(code)s has already been recorded.")
            % {"code": household.code},
            code="exists",
        )
    demolition = Demolition.objects.filter(household=household).first()
    if demolition is None:
        raise ValidationError(
            _("Household %(code)s has not been demolished: debris is cleared after the demolition.")
            % {"code": household.code},
            code="not_demolished",
        )
    photos = [p for p in photos if p]
    errors = _check_day(cleared_on, "cleared_on", timezone.localdate())
    if cleared_on is not None and not errors and cleared_on < demolition.demolished_on:
        errors["cleared_on"] = ValidationError(
            _("The house was demolished on %(day)s: the debris is cleared after it.")
            % {"day": demolition.demolished_on.isoformat()},
            code="before_demolition",
        )
    haulier = _text(haulier)
    if not haulier:
        errors["haulier"] = ValidationError(_("Name the haulier."), code="required")
    disposal_site = _text(disposal_site)
    if not disposal_site:
        errors["disposal_site"] = ValidationError(
            _("Give the disposal site the debris went to."), code="required"
        )
    if volume is not None and volume <= 0:
        errors["volume"] = ValidationError(
            _("The volume must be more than 0 m³ (leave it empty when unknown)."),
            code="not_positive",
        )
    errors.update(_check_photos(photos, "photos", required=False))
    if errors or cleared_on is None:
        raise ValidationError(errors)
    clearance = Clearance.objects.create(
        project_id=household.project_id,
        household=household,
        haulier=haulier,
        cleared_on=cleared_on,
        volume=volume,
        disposal_site=disposal_site,
        note=_text(note),
        recorded_by=actor,
    )
    stored = _store_photos(photos, actor=actor, household=household, step=Step.CLEARANCE)
    record(
        actor=actor,
        event_type="demolition.clear",
        target=clearance,
        project=household.project_id,
        details={
            "household": household.pk,
            "haulier": haulier,
            "cleared_on": cleared_on.isoformat(),
            "volume": volume,
            "disposal_site": disposal_site,
            "photos": [p.sha256 for p in stored],
        },
    )
    return clearance


# --- dust inspections ------------------------------------------------------------------------


def site_since(household: Household) -> dt.date | None:
    """The first day the household's site is a demolition site: vacating accepted (or the
    demolition, were vacating missing); None if it is none yet."""
    days = [
        d
        for d in (
            Vacating.objects.filter(household=household)
            .values_list("accepted_on", flat=True)
            .first(),
            Demolition.objects.filter(household=household)
            .values_list("demolished_on", flat=True)
            .first(),
        )
        if d is not None
    ]
    return min(days) if days else None


@transaction.atomic
def inspect(
    *,
    actor: Any,
    household: Household,
    inspected_on: dt.date | None,
    findings: Mapping[str, bool | None],
    problems: Mapping[str, str] | None = None,
    deadlines: Mapping[str, dt.date | None] | None = None,
    inspector: Any = None,
    note: str = "",
    photos: Iterable[Any] = (),
) -> Inspection:
    """Record a dust inspection of the household's demolition site: every checkpoint passed
    or failed; each failed one gets a rectification order with its problem and deadline
    (three days after the inspection unless another is given)."""
    require_household(actor, household, Module.DEMOLITION, Action.CREATE)
    household = lock(household)
    since = site_since(household)
    if since is None:
        raise ValidationError(
            _("Household %(code)s is not a demolition site: its vacating has not been accepted.")
            % {"code": household.code},
            code="not_a_site",
        )
    problems = problems or {}
    deadlines = deadlines or {}
    inspector = inspector if inspector is not None else actor
    photos = [p for p in photos if p]
    errors = _check_day(inspected_on, "inspected_on", timezone.localdate())
    if inspected_on is not None and not errors and inspected_on < since:
        errors["inspected_on"] = ValidationError(
            _("The site exists since %(day)s: the inspection cannot be before it.")
            % {"day": since.isoformat()},
            code="before_site",
        )
    errors.update(_check_person(household, inspector, "inspector", required=True))
    missing = [c for c in Checkpoint if findings.get(c.value) is None]
    if missing:
        errors["findings"] = ValidationError(
            _("Say for every checkpoint whether it passed: %(missing)s.")
            % {"missing": "、".join(str(c.label) for c in missing)},
            code="incomplete",
        )
    unknown = set(findings) - set(Checkpoint.values)
    if unknown:
        errors["findings"] = ValidationError(
            _("Unknown checkpoints: %(names)s.") % {"names": ", ".join(sorted(unknown))},
            code="unknown",
        )
    orders: list[tuple[str, str, dt.date]] = []
    for checkpoint in Checkpoint:
        if findings.get(checkpoint.value) is not False:
            continue
        problem = _text(problems.get(checkpoint.value))
        if not problem:
            errors[f"problem_{checkpoint.value}"] = ValidationError(
                _("Describe what was found at “%(checkpoint)s”.")
                % {"checkpoint": checkpoint.label},
                code="required",
            )
        deadline = deadlines.get(checkpoint.value)
        if deadline is None and inspected_on is not None:
            deadline = inspected_on + dt.timedelta(days=RECTIFY_DAYS)
        if deadline is not None and inspected_on is not None and deadline < inspected_on:
            errors[f"deadline_{checkpoint.value}"] = ValidationError(
                _("The deadline cannot be before the inspection."), code="before_inspection"
            )
        if deadline is not None:
            orders.append((checkpoint.value, problem, deadline))
    errors.update(_check_photos(photos, "photos", required=False))
    if errors or inspected_on is None:
        raise ValidationError(errors)
    result = {c.value: bool(findings[c.value]) for c in Checkpoint}
    inspection = Inspection.objects.create(
        project_id=household.project_id,
        household=household,
        inspected_on=inspected_on,
        inspector=inspector,
        findings=result,
        failed=sum(1 for passed in result.values() if not passed),
        note=_text(note),
        recorded_by=actor,
    )
    Rectification.objects.bulk_create(
        [
            Rectification(
                inspection=inspection,
                project_id=household.project_id,
                household=household,
                checkpoint=checkpoint,
                problem=problem,
                deadline=deadline,
            )
            for checkpoint, problem, deadline in orders
        ]
    )
    stored = _store_photos(
        photos, actor=actor, household=household, step=Step.INSPECTION, inspection=inspection
    )
    record(
        actor=actor,
        event_type="dust.inspect",
        target=inspection,
        project=household.project_id,
        details={
            "household": household.pk,
            "inspected_on": inspected_on.isoformat(),
            "inspector": inspector.pk,
            "findings": result,
            "failed": inspection.failed,
            "rectifications": {c: d.isoformat() for c, _p, d in orders},
            "photos": [p.sha256 for p in stored],
        },
    )
    return inspection


@transaction.atomic
def rectification_close(
    *,
    actor: Any,
    rectification: Rectification,
    closed_on: dt.date | None,
    closing_note: str,
    photo: Any = None,
) -> Rectification:
    """Record that a rectification order was put right: once, on a day between the
    inspection and today."""
    household = Household.objects.get(pk=rectification.household_id)
    require_household(actor, household, Module.DEMOLITION, Action.CHANGE)
    rectification = lock(rectification)
    if rectification.closed_on is not None:
        raise ValidationError(
            _("This rectification was already closed on %(day)s.")
            % {"day": rectification.closed_on.isoformat()},
            code="closed",
        )
    inspected_on = rectification.inspection.inspected_on
    errors = _check_day(closed_on, "closed_on", timezone.localdate())
    if closed_on is not None and not errors and closed_on < inspected_on:
        errors["closed_on"] = ValidationError(
            _("The inspection was on %(day)s: it is put right after it.")
            % {"day": inspected_on.isoformat()},
            code="before_inspection",
        )
    note = _text(closing_note)
    if not note:
        errors["closing_note"] = ValidationError(_("Say what was done."), code="required")
    errors.update(_check_photos([photo] if photo else [], "photo", required=False))
    if errors or closed_on is None:
        raise ValidationError(errors)
    rectification.closed_on = closed_on
    rectification.closing_note = note
    rectification.closed_by = actor
    rectification.closed_at = timezone.now()
    rectification.save(update_fields=["closed_on", "closing_note", "closed_by", "closed_at"])
    stored = _store_photos(
        [photo] if photo else [],
        actor=actor,
        household=household,
        step=Step.RECTIFICATION,
        inspection=rectification.inspection,
        rectification=rectification,
    )
    record(
        actor=actor,
        event_type="dust.rectify_close",
        target=rectification,
        project=household.project_id,
        changes={"closed_on": [None, closed_on.isoformat()]},
        details={
            "household": household.pk,
            "inspection": rectification.inspection_id,
            "checkpoint": rectification.checkpoint,
            "deadline": rectification.deadline.isoformat(),
            "late": closed_on > rectification.deadline,
            "closing_note": note,
            "photos": [p.sha256 for p in stored],
        },
    )
    return rectification
