"""Writes of the projects module."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts import permissions
from zhengqian.accounts.models import Membership
from zhengqian.accounts.permissions import require, require_anywhere
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.audit.services import record, snapshot
from zhengqian.core.calendar import office_calendar
from zhengqian.core.updates import apply_changes, lock
from zhengqian.projects.models import District, Milestone, Project, WorkGroup
from zhengqian.projects.procedures import template_for
from zhengqian.projects.rules import evaluate, is_late

PROJECT_FIELDS = (
    "code",
    "name",
    "kind",
    "status",
    "district",
    "location",
    "description",
    "target_households",
    "target_building_area",
    "target_land_area",
    "planned_start",
    "planned_signing_end",
    "planned_demolition_end",
    "demolish_within_days",
)
# The kind fixes the milestone template, so it cannot change once milestones exist.
PROJECT_EDITABLE = tuple(f for f in PROJECT_FIELDS if f != "kind")


@transaction.atomic
def district_create(*, actor: Any, code: str, name: str) -> District:
    require_anywhere(actor, Module.PROJECTS, Action.CREATE)
    district = District(code=code, name=name)
    district.full_clean()
    district.save()
    record(
        actor=actor,
        event_type="district.create",
        target=district,
        changes={"code": [None, code], "name": [None, name]},
    )
    return district


@transaction.atomic
def project_create(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    district: District,
    location: str = "",
    description: str = "",
    target_households: int = 0,
    target_building_area: Decimal = Decimal("0"),
    target_land_area: Decimal = Decimal("0"),
    planned_start: dt.date | None = None,
    planned_signing_end: dt.date | None = None,
    planned_demolition_end: dt.date | None = None,
    demolish_within_days: int = 30,
) -> Project:
    """Create a project with the milestones of its kind; the creator becomes its manager."""
    require_anywhere(actor, Module.PROJECTS, Action.CREATE)
    project = Project(
        code=code,
        name=name,
        kind=kind,
        district=district,
        location=location,
        description=description,
        target_households=target_households,
        target_building_area=target_building_area,
        target_land_area=target_land_area,
        planned_start=planned_start,
        planned_signing_end=planned_signing_end,
        planned_demolition_end=planned_demolition_end,
        demolish_within_days=demolish_within_days,
        created_by=actor,
    )
    project.full_clean()
    project.save()
    Milestone.objects.bulk_create(
        Milestone(project=project, code=step.code, order=i, required=step.required)
        for i, step in enumerate(template_for(kind), start=1)
    )
    if not Membership.objects.filter(
        user=actor, project=None, role=RoleCode.PROJECT_MANAGER
    ).exists():
        Membership.objects.create(user=actor, project=project, role=RoleCode.PROJECT_MANAGER)
        permissions.forget(actor)
    record(
        actor=actor,
        event_type="project.create",
        target=project,
        project=project,
        changes={
            f: [None, v]
            for f, v in snapshot(project, PROJECT_FIELDS).items()
            if v not in ("", None)
        },
    )
    return project


@transaction.atomic
def project_update(*, actor: Any, project: Project, **fields: Any) -> Project:
    require(actor, Module.PROJECTS, Action.CHANGE, project=project)
    if "kind" in fields and fields["kind"] != project.kind:
        raise ValidationError(
            {"kind": _("The project type fixes its legal procedure and cannot be changed.")}
        )
    fields.pop("kind", None)
    project = lock(project)
    changes = apply_changes(project, fields, allowed=PROJECT_EDITABLE)
    if changes:
        record(
            actor=actor,
            event_type="project.update",
            target=project,
            project=project,
            changes=changes,
        )
    return project


@transaction.atomic
def work_group_create(*, actor: Any, project: Project, name: str, leader: Any = None) -> WorkGroup:
    require(actor, Module.PROJECTS, Action.CHANGE, project=project)
    group = WorkGroup(project=project, name=name, leader=leader)
    group.full_clean()
    group.save()
    record(
        actor=actor,
        event_type="work_group.create",
        target=group,
        project=project,
        changes={"name": [None, name], "leader": [None, leader.pk if leader else None]},
    )
    return group


@transaction.atomic
def work_group_update(*, actor: Any, group: WorkGroup, **fields: Any) -> WorkGroup:
    require(actor, Module.PROJECTS, Action.CHANGE, project=group.project_id)
    group = lock(group)
    changes = apply_changes(group, fields, allowed=("name", "leader"))
    if changes:
        record(
            actor=actor,
            event_type="work_group.update",
            target=group,
            project=group.project_id,
            changes=changes,
        )
    return group


@transaction.atomic
def milestone_plan(*, actor: Any, milestone: Milestone, planned_date: dt.date | None) -> Milestone:
    require(actor, Module.PROJECTS, Action.CHANGE, project=milestone.project_id)
    milestone = lock(milestone)
    changes = apply_changes(milestone, {"planned_date": planned_date}, allowed=("planned_date",))
    if changes:
        record(
            actor=actor,
            event_type="milestone.plan",
            target=milestone,
            project=milestone.project_id,
            changes=changes,
        )
    return milestone


@transaction.atomic
def milestone_record(
    *, actor: Any, milestone: Milestone, actual_date: dt.date, note: str = ""
) -> Milestone:
    """Record the date on which a step happened; refused out of order or too early."""
    require(actor, Module.PROJECTS, Action.CHANGE, project=milestone.project_id)
    # Lock every milestone of the project so that two steps cannot be recorded past each other.
    siblings = {
        m.code: m
        for m in Milestone.objects.select_for_update()
        .select_related("project")
        .filter(project_id=milestone.project_id)
    }
    milestone = siblings[milestone.code]
    if actual_date > timezone.localdate():
        raise ValidationError(
            {"actual_date": _("A step cannot be recorded as happened in the future.")}
        )
    dependants = [
        m
        for m in siblings.values()
        if m.actual_date is not None and any(rule.after == milestone.code for rule in m.step.rules)
    ]
    if milestone.actual_date is not None and dependants:
        raise ValidationError(
            {
                "actual_date": _(
                    "“%(step)s” can no longer be changed: “%(next)s” already rests on it."
                )
                % {"step": milestone.name, "next": dependants[0].name}
            }
        )
    verdict = evaluate(milestone, actual_date, siblings=siblings, calendar=office_calendar())
    if not verdict.allowed:
        raise ValidationError({"actual_date": verdict.message}, code="procedure")
    changes = apply_changes(
        milestone,
        {"actual_date": actual_date, "note": note, "late": is_late(verdict, actual_date)},
        allowed=("actual_date", "note", "late"),
    )
    if changes:
        milestone.recorded_by = actor
        milestone.recorded_at = timezone.now()
        milestone.save(update_fields=["recorded_by", "recorded_at"])
        record(
            actor=actor,
            event_type="milestone.record",
            target=milestone,
            project=milestone.project_id,
            changes=changes,
        )
    return milestone
