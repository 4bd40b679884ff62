"""Writes of the survey module (调查建档): households, persons, buildings, ancillaries.

Every write: permission (role in the project and the household's work group), one transaction,
an audit event with old → new values, and the news sent downstream (core.staleness).
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record, snapshot
from zhengqian.core.staleness import announce_change
from zhengqian.core.updates import apply_changes, lock
from zhengqian.projects.models import Project
from zhengqian.survey.models import Ancillary, Building, Household, Person
from zhengqian.survey.permissions import require_household, require_unlocked

HOUSEHOLD_FIELDS = (
    "work_group",
    "code",
    "kind",
    "head_name",
    "head_id_number",
    "phone",
    "division_code",
    "address",
    "land_type",
    "business_licence",
    "tenants",
    "notes",
)
PERSON_FIELDS = (
    "name",
    "id_number",
    "relation",
    "sex",
    "birth_date",
    "hukou_type",
    "hukou_place",
    "registered_here",
    "special_status",
    "notes",
)
BUILDING_FIELDS = (
    "number",
    "structure_type",
    "use",
    "floors",
    "year_built",
    "measured_area",
    "title_certificate_no",
    "built_on",
    "notes",
)
ANCILLARY_FIELDS = ("kind", "description", "quantity", "unit", "built_on", "notes")

_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Person: PERSON_FIELDS,
    Building: BUILDING_FIELDS,
    Ancillary: ANCILLARY_FIELDS,
}


def _created(instance: models.Model, fields: tuple[str, ...]) -> dict[str, list[Any]]:
    return {f: [None, v] for f, v in snapshot(instance, fields).items() if v not in ("", None)}


@transaction.atomic
def household_create(*, actor: Any, project: Project, **fields: Any) -> Household:
    household = Household(project=project, **fields)
    require_household(actor, household, Module.SURVEY, Action.CREATE)
    household.full_clean()
    household.save()
    record(
        actor=actor,
        event_type="household.create",
        target=household,
        project=project,
        changes=_created(household, HOUSEHOLD_FIELDS),
    )
    return household


@transaction.atomic
def household_update(*, actor: Any, household: Household, **fields: Any) -> Household:
    require_household(actor, household, Module.SURVEY, Action.CHANGE)
    household = lock(household)
    require_unlocked(household)
    if "work_group" in fields:
        # Moving a household to another group also needs the right in the new group.
        moved = Household(project_id=household.project_id, work_group=fields["work_group"])
        require_household(actor, moved, Module.SURVEY, Action.CHANGE)
    changes = apply_changes(household, fields, allowed=HOUSEHOLD_FIELDS)
    if changes:
        record(
            actor=actor,
            event_type="household.update",
            target=household,
            project=household.project_id,
            changes=changes,
        )
        announce_change(
            household=household,
            source="survey.household",
            source_id=household.pk,
            changes=changes,
            actor=actor,
        )
    return household


@transaction.atomic
def household_delete(*, actor: Any, household: Household) -> None:
    require_household(actor, household, Module.SURVEY, Action.DELETE)
    household = lock(household)
    require_unlocked(household)
    record(
        actor=actor,
        event_type="household.delete",
        target=household,
        project=household.project_id,
        changes={f: [v, None] for f, v in snapshot(household, HOUSEHOLD_FIELDS).items() if v},
    )
    household.delete()


def _label(model: type[models.Model]) -> str:
    return model._meta.model_name or ""


@transaction.atomic
def member_create(*, actor: Any, household: Household, model: type[Any], **fields: Any) -> Any:
    """Add a person, building or ancillary to a household."""
    require_household(actor, household, Module.SURVEY, Action.CHANGE)
    require_unlocked(household)
    instance = model(household=household, **fields)
    instance.full_clean()
    instance.save()
    changes = _created(instance, _FIELDS[model])
    record(
        actor=actor,
        event_type=f"{_label(model)}.create",
        target=instance,
        project=household.project_id,
        changes=changes,
        details={"household": household.pk},
    )
    # A building or ancillary added later is work the valuation (and what follows) has not seen.
    announce_change(
        household=household,
        source=f"survey.{_label(model)}",
        source_id=instance.pk,
        changes={"created": [None, str(instance)]},
        actor=actor,
    )
    return instance


@transaction.atomic
def member_update(*, actor: Any, instance: Any, **fields: Any) -> Any:
    household = instance.household
    require_household(actor, household, Module.SURVEY, Action.CHANGE)
    require_unlocked(household)
    instance = lock(instance)
    changes = apply_changes(instance, fields, allowed=_FIELDS[type(instance)])
    if changes:
        source = f"survey.{_label(type(instance))}"
        record(
            actor=actor,
            event_type=f"{_label(type(instance))}.update",
            target=instance,
            project=household.project_id,
            changes=changes,
            details={"household": household.pk},
        )
        announce_change(
            household=household, source=source, source_id=instance.pk, changes=changes, actor=actor
        )
    return instance


@transaction.atomic
def member_delete(*, actor: Any, instance: Any) -> None:
    household = instance.household
    require_household(actor, household, Module.SURVEY, Action.CHANGE)
    require_unlocked(household)
    instance = lock(instance)
    fields = _FIELDS[type(instance)]
    record(
        actor=actor,
        event_type=f"{_label(type(instance))}.delete",
        target=instance,
        project=household.project_id,
        changes={
            f: [v, None] for f, v in snapshot(instance, fields).items() if v not in ("", None)
        },
        details={"household": household.pk},
    )
    announce_change(
        household=household,
        source=f"survey.{_label(type(instance))}",
        source_id=instance.pk,
        changes={"deleted": [str(instance), None]},
        actor=actor,
    )
    instance.delete()
