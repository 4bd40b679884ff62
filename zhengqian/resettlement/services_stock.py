"""Writes of the housing stock (安置房源): estates, buildings and flats, their status by hand,
and an estate's handover.

Who may do what: the resettlement officer records estates, buildings and flats
(resettlement/create), corrects them, moves a flat's status and records a handover
(resettlement/change), and deletes a flat never chosen (resettlement/delete).

A flat's status moves by hand only among planned → under construction → ready, one step forward,
or one step back with a reason (a correction). "Allocated" is set only by a household's choice
(the selection day's service, in its own transaction), "handed over" only by the estate's
handover. A flat with a live choice keeps its unit number and area, and is not deleted: the
choice and its settlement were priced on them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record
from zhengqian.core.updates import apply_changes, lock
from zhengqian.projects.models import Project
from zhengqian.resettlement.models import (
    Building,
    Choice,
    Estate,
    Flat,
    FlatStatus,
    RoundStatus,
)

ESTATE_FIELDS = ("name", "address", "planned_handover", "notes")
BUILDING_FIELDS = ("name", "floors")
FLAT_FIELDS = ("unit_no", "floor", "layout", "area", "orientation", "price_basis")
# What a live choice was priced on: kept while it stands.
CHOSEN_FIELDS = ("unit_no", "area", "price_basis")
# The statuses set by hand, in their order.
MANUAL = (FlatStatus.PLANNED, FlatStatus.CONSTRUCTION, FlatStatus.READY)


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _require(actor: Any, action: Action, project: Project | int) -> None:
    require(actor, Module.RESETTLEMENT, action, project=project)


def has_live_choice(flat: Flat) -> bool:
    return Choice.objects.filter(flat=flat, cancelled_at__isnull=True).exists()


# --- estates -----------------------------------------------------------------------------------


def _unique_estate(project_id: int, name: str, exclude: int | None = None) -> None:
    same = Estate.objects.filter(project_id=project_id, name=name)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise _invalid(
            "name", _("The project already has an estate of this name."), "duplicate_estate"
        )


@transaction.atomic
def estate_create(
    *,
    actor: Any,
    project: Project,
    name: str,
    planned_handover: dt.date,
    address: str = "",
    notes: str = "",
) -> Estate:
    _require(actor, Action.CREATE, project)
    name = name.strip()
    _unique_estate(project.pk, name)
    estate = Estate(
        project=project,
        name=name,
        address=address.strip(),
        planned_handover=planned_handover,
        notes=notes,
        created_by=actor,
    )
    estate.full_clean()
    estate.save()
    record(
        actor=actor,
        event_type="resettlement.estate_create",
        target=estate,
        project=project.pk,
        details={"name": name, "planned_handover": planned_handover.isoformat()},
    )
    return estate


@transaction.atomic
def estate_update(*, actor: Any, estate: Estate, **fields: Any) -> Estate:
    _require(actor, Action.CHANGE, estate.project_id)
    estate = lock(estate)
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        _unique_estate(estate.project_id, fields["name"], exclude=estate.pk)
    changes = apply_changes(estate, fields, allowed=ESTATE_FIELDS)
    if changes:
        record(
            actor=actor,
            event_type="resettlement.estate_update",
            target=estate,
            project=estate.project_id,
            changes=changes,
        )
    return estate


@transaction.atomic
def estate_handover(*, actor: Any, estate: Estate, on: dt.date) -> Estate:
    """Record the estate's handover on `on` and mark every allocated flat of it handed over on
    that day. A second handover (flats allocated since) keeps the estate's first date and may
    not be earlier than it."""
    _require(actor, Action.CHANGE, estate.project_id)
    estate = lock(estate)
    project = Project.objects.get(pk=estate.project_id)
    if on > timezone.localdate():
        raise _invalid("on", _("The handover date cannot be in the future."), "future")
    if project.planned_start is not None and on < project.planned_start:
        raise _invalid(
            "on",
            _("The handover date cannot be before the project's start (%(day)s).")
            % {"day": project.planned_start.isoformat()},
            "before_start",
        )
    if estate.actual_handover is not None and on < estate.actual_handover:
        raise _invalid(
            "on",
            _("The estate was handed over on %(day)s; a later handover cannot be earlier.")
            % {"day": estate.actual_handover.isoformat()},
            "before_handover",
        )
    flats = list(
        Flat.objects.select_for_update()
        .filter(estate=estate, status=FlatStatus.ALLOCATED)
        .order_by("pk")
    )
    if estate.actual_handover is not None and not flats:
        raise _invalid(
            "on",
            _("The estate was handed over on %(day)s and no flat has been allocated since.")
            % {"day": estate.actual_handover.isoformat()},
            "nothing_to_hand_over",
        )
    first = estate.actual_handover is None
    if first:
        estate.actual_handover = on
        estate.save(update_fields=["actual_handover"])
    Flat.objects.filter(pk__in=[f.pk for f in flats]).update(
        status=FlatStatus.HANDED_OVER, handed_over_on=on
    )
    record(
        actor=actor,
        event_type="resettlement.estate_handover",
        target=estate,
        project=estate.project_id,
        details={
            "on": on.isoformat(),
            "first": first,
            "flats": [f.pk for f in flats],
            "households": sorted({f.household_id for f in flats if f.household_id}),
        },
    )
    return estate


# --- buildings ---------------------------------------------------------------------------------


@transaction.atomic
def building_create(
    *, actor: Any, estate: Estate, name: str, floors: int | None = None
) -> Building:
    _require(actor, Action.CREATE, estate.project_id)
    name = name.strip()
    if Building.objects.filter(estate=estate, name=name).exists():
        raise _invalid(
            "name", _("The estate already has a building of this name."), "duplicate_building"
        )
    building = Building(estate=estate, name=name, floors=floors)
    building.full_clean()
    building.save()
    record(
        actor=actor,
        event_type="resettlement.building_create",
        target=building,
        project=estate.project_id,
        details={"estate": estate.pk, "name": name, "floors": floors},
    )
    return building


# --- flats -------------------------------------------------------------------------------------


def _check_flat(building: Building, unit_no: str, floor: int, exclude: int | None = None) -> None:
    errors: dict[str, ValidationError] = {}
    same = Flat.objects.filter(building=building, unit_no=unit_no)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        errors["unit_no"] = ValidationError(
            _("The building already has a flat with this unit number."), code="duplicate_flat"
        )
    if building.floors and not 1 <= floor <= building.floors:
        errors["floor"] = ValidationError(
            _("The building has floors 1 to %(floors)d.") % {"floors": building.floors},
            code="floor_range",
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def flat_create(
    *,
    actor: Any,
    building: Building,
    unit_no: str,
    floor: int,
    area: Decimal,
    layout: str = "",
    orientation: str = "",
    price_basis: Decimal | None = None,
    status: str = FlatStatus.PLANNED,
) -> Flat:
    estate = building.estate
    _require(actor, Action.CREATE, estate.project_id)
    if status not in MANUAL:
        raise _invalid(
            "status",
            _("A new flat is planned, under construction or ready."),
            "status_not_manual",
        )
    unit_no = unit_no.strip()
    _check_flat(building, unit_no, floor)
    flat = Flat(
        project_id=estate.project_id,
        estate=estate,
        building=building,
        unit_no=unit_no,
        floor=floor,
        layout=layout.strip(),
        area=area,
        orientation=orientation.strip(),
        price_basis=price_basis,
        status=status,
    )
    flat.full_clean()
    flat.save()
    record(
        actor=actor,
        event_type="resettlement.flat_create",
        target=flat,
        project=estate.project_id,
        details={
            "estate": estate.pk,
            "building": building.pk,
            "unit_no": unit_no,
            "area": f"{area:.2f}",
            "status": status,
        },
    )
    return flat


@transaction.atomic
def flat_update(*, actor: Any, flat: Flat, **fields: Any) -> Flat:
    _require(actor, Action.CHANGE, flat.project_id)
    flat = lock(flat)
    if "unit_no" in fields:
        fields["unit_no"] = fields["unit_no"].strip()
    touched = [
        name for name in CHOSEN_FIELDS if name in fields and fields[name] != getattr(flat, name)
    ]
    if touched and has_live_choice(flat):
        raise ValidationError(
            {
                name: ValidationError(
                    _(
                        "The flat has been chosen: its unit number, area and price basis "
                        "cannot change."
                    ),
                    code="chosen",
                )
                for name in touched
            }
        )
    building = Building.objects.get(pk=flat.building_id)
    _check_flat(
        building, fields.get("unit_no", flat.unit_no), fields.get("floor", flat.floor), flat.pk
    )
    changes = apply_changes(flat, fields, allowed=FLAT_FIELDS)
    if changes:
        record(
            actor=actor,
            event_type="resettlement.flat_update",
            target=flat,
            project=flat.project_id,
            changes=changes,
        )
    return flat


@transaction.atomic
def flat_set_status(*, actor: Any, flat: Flat, status: str, reason: str = "") -> Flat:
    """Move a flat one step along planned → under construction → ready, or one step back
    (a correction, with its reason)."""
    _require(actor, Action.CHANGE, flat.project_id)
    flat = lock(flat)
    if flat.status == status:
        return flat
    if flat.status not in MANUAL:
        raise _invalid(
            "status",
            _("The flat is %(status)s: its status is no longer set by hand.")
            % {"status": flat.get_status_display()},
            "status_locked",
        )
    if status not in MANUAL:
        raise _invalid(
            "status",
            _("A flat is allocated by a choice and handed over with its estate."),
            "status_not_manual",
        )
    before, after = MANUAL.index(FlatStatus(flat.status)), MANUAL.index(FlatStatus(status))
    if abs(after - before) != 1:
        raise _invalid("status", _("The status moves one step at a time."), "status_step")
    reason = reason.strip()
    if after < before and not reason:
        raise _invalid(
            "reason", _("Give the reason for moving the status back."), "reason_required"
        )
    old = flat.status
    flat.status = status
    flat.save(update_fields=["status"])
    record(
        actor=actor,
        event_type="resettlement.flat_status",
        target=flat,
        project=flat.project_id,
        changes={"status": [old, status]},
        details={"reason": reason} if reason else None,
    )
    return flat


@transaction.atomic
def flat_delete(*, actor: Any, flat: Flat) -> None:
    _require(actor, Action.DELETE, flat.project_id)
    flat = lock(flat)
    if flat.status not in MANUAL or has_live_choice(flat):
        raise _invalid(
            "flat",
            _("The flat has been chosen or handed over: it cannot be deleted."),
            "chosen",
        )
    if flat.rounds.exclude(status=RoundStatus.DRAFT).exists():
        raise _invalid(
            "flat",
            _("The flat is offered in a selection round: it cannot be deleted."),
            "offered",
        )
    details = {
        "estate": flat.estate_id,
        "building": flat.building_id,
        "unit_no": flat.unit_no,
        "area": f"{flat.area:.2f}",
        "status": flat.status,
    }
    label, pk = str(flat), flat.pk
    try:
        with transaction.atomic():
            flat.delete()
    except IntegrityError as exc:  # a choice cancelled long ago still names it
        raise _invalid(
            "flat", _("The flat has a history of choices: it cannot be deleted."), "history"
        ) from exc
    record(
        actor=actor,
        event_type="resettlement.flat_delete",
        target_type="resettlement.flat",
        target_id=str(pk),
        target_repr=label,
        project=flat.project_id,
        details=details,
    )
