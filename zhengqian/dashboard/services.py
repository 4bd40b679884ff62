"""Writes of the dashboard app: a project's plan points (e.g. 70 % signed by the end of June).

The dashboards read progress against these points; everything else on a dashboard is derived
from the modules' records and never written here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record
from zhengqian.dashboard.models import PlanMeasure, PlanPoint
from zhengqian.projects.models import Project

HUNDRED = Decimal("100")


def _validate(
    *,
    project: Project,
    measure: str,
    due_on: dt.date,
    percent: Decimal,
    exclude: int | None = None,
) -> None:
    errors: dict[str, list[Any]] = {}
    if measure not in PlanMeasure.values:
        errors.setdefault("measure", []).append(_("Choose signed or demolished."))
    if percent is None or percent < 0 or percent > HUNDRED:
        errors.setdefault("percent", []).append(_("The percent must be between 0 and 100."))
    if project.planned_start and due_on < project.planned_start:
        errors.setdefault("due_on", []).append(
            _("The date is before the project's planned start (%(day)s).")
            % {"day": project.planned_start.isoformat()}
        )
    if project.planned_demolition_end and due_on > project.planned_demolition_end:
        errors.setdefault("due_on", []).append(
            _("The date is after the project's planned end of demolition (%(day)s).")
            % {"day": project.planned_demolition_end.isoformat()}
        )
    if errors:
        raise ValidationError(errors)
    others = PlanPoint.objects.filter(project=project, measure=measure)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.filter(due_on=due_on).exists():
        raise ValidationError({"due_on": _("The plan already has a point on this date.")})
    earlier = others.filter(due_on__lt=due_on, percent__gt=percent).order_by("-percent").first()
    if earlier is not None:
        raise ValidationError(
            {
                "percent": _(
                    "A later point cannot be lower than an earlier one: %(percent)s %% by %(day)s."
                )
                % {"percent": earlier.percent, "day": earlier.due_on.isoformat()}
            }
        )
    later = others.filter(due_on__gt=due_on, percent__lt=percent).order_by("percent").first()
    if later is not None:
        raise ValidationError(
            {
                "percent": _(
                    "An earlier point cannot be higher than a later one: %(percent)s %% by %(day)s."
                )
                % {"percent": later.percent, "day": later.due_on.isoformat()}
            }
        )


def _values(point: PlanPoint) -> dict[str, Any]:
    return {"measure": point.measure, "due_on": point.due_on, "percent": point.percent}


@transaction.atomic
def plan_point_add(
    *, actor: Any, project: Project, measure: str, due_on: dt.date, percent: Decimal
) -> PlanPoint:
    require(actor, Module.PROJECTS, Action.CHANGE, project=project)
    _validate(project=project, measure=measure, due_on=due_on, percent=percent)
    point = PlanPoint(
        project=project, measure=measure, due_on=due_on, percent=percent, created_by=actor
    )
    point.full_clean()
    point.save()
    record(
        actor=actor,
        event_type="plan_point.add",
        target=point,
        project=project,
        changes={k: [None, v] for k, v in _values(point).items()},
    )
    return point


@transaction.atomic
def plan_point_change(
    *, actor: Any, point: PlanPoint, due_on: dt.date, percent: Decimal
) -> PlanPoint:
    require(actor, Module.PROJECTS, Action.CHANGE, project=point.project_id)
    point = PlanPoint.objects.select_for_update().select_related("project").get(pk=point.pk)
    if point.due_on == due_on and point.percent == percent:
        return point
    _validate(
        project=point.project,
        measure=point.measure,
        due_on=due_on,
        percent=percent,
        exclude=point.pk,
    )
    old = _values(point)
    point.due_on, point.percent = due_on, percent
    point.full_clean()
    point.save(update_fields=["due_on", "percent"])
    new = _values(point)
    record(
        actor=actor,
        event_type="plan_point.change",
        target=point,
        project=point.project_id,
        changes={k: [old[k], new[k]] for k in new if old[k] != new[k]},
    )
    return point


@transaction.atomic
def plan_point_remove(*, actor: Any, point: PlanPoint) -> None:
    require(actor, Module.PROJECTS, Action.CHANGE, project=point.project_id)
    point = PlanPoint.objects.select_for_update().get(pk=point.pk)
    record(
        actor=actor,
        event_type="plan_point.remove",
        target=point,
        project=point.project_id,
        changes={k: [v, None] for k, v in _values(point).items()},
    )
    point.delete()
