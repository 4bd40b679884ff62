"""Reads of the audit trail: supervisors only; each search of the trail is itself recorded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from zhengqian.accounts.permissions import OutOfScope, project_ids_with, require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.models import Event


@dataclass(frozen=True)
class TrailFilter:
    actor: str = ""
    project_id: int | None = None
    target_type: str = ""
    target_id: str = ""
    event_type: str = ""
    kind: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def events_for_user(user: Any, f: TrailFilter) -> QuerySet[Event]:
    require(user, Module.AUDIT, Action.VIEW)
    qs = Event.objects.all()
    project_ids = project_ids_with(user, Module.AUDIT, Action.VIEW)
    if project_ids is not None:
        # A project-bound supervisor sees the events of their projects only.
        qs = qs.filter(project_id__in=project_ids)
    if f.actor:
        qs = (
            qs.filter(actor_id=int(f.actor)) if f.actor.isdigit() else qs.filter(actor_name=f.actor)
        )
    if f.project_id is not None:
        qs = qs.filter(project_id=f.project_id)
    if f.target_type:
        qs = qs.filter(target_type=f.target_type)
    if f.target_id:
        qs = qs.filter(target_id=f.target_id)
    if f.event_type:
        qs = qs.filter(event_type__startswith=f.event_type)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.since:
        qs = qs.filter(created_at__gte=f.since)
    if f.until:
        qs = qs.filter(created_at__lt=f.until)
    return qs.order_by("-seq")


def get_event_for_user(user: Any, pk: Any) -> Event:
    try:
        return events_for_user(user, TrailFilter()).get(pk=int(pk))
    except (Event.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("audit.event", pk) from None
