"""Writing audit events. The only code path that creates events; nothing updates or deletes them.

A write's event is recorded inside the transaction of the write (the caller's @transaction.atomic),
so a rolled-back change leaves no event. Reads, searches, logins and denials record their own
short transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from zhengqian.audit import context
from zhengqian.audit.models import ChainHead, Event, EventKind

_WRITE_KINDS = {EventKind.WRITE}


def jsonable(value: Any) -> Any:
    """Turn a field value into plain JSON that hashes the same after a database round trip."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk if isinstance(value.pk, int) else str(value.pk)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value changed."""
    out: dict[str, list[Any]] = {}
    for key in sorted(set(old) | set(new)):
        before, after = jsonable(old.get(key)), jsonable(new.get(key))
        if before != after:
            out[key] = [before, after]
    return out


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {f: jsonable(getattr(instance, f)) for f in fields}


def _target(target: models.Model | None) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    return target._meta.label_lower, str(target.pk), str(target)[:200]


def record(
    *,
    actor: Any,
    event_type: str,
    kind: str = EventKind.WRITE,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    target_repr: str = "",
    project: Any = None,
    changes: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    actor_name: str = "",
) -> Event:
    """Append one event to the chain.

    A write's event must be recorded inside the write's own transaction; calling it outside
    an atomic block for a write is a programming error.
    """
    if kind in _WRITE_KINDS and not connection.in_atomic_block:
        raise RuntimeError("A write's audit event must be recorded inside its transaction.")
    t_type, t_id, t_repr = _target(target)
    project_id = project if isinstance(project, int) or project is None else project.pk
    ctx = context.current()
    actor_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None
    name = actor_name or (actor.get_username() if actor_id else "")
    with transaction.atomic():
        head, _created = ChainHead.objects.select_for_update().get_or_create(pk=1)
        event = Event(
            seq=head.last_seq + 1,
            created_at=timezone.now(),
            actor_id=actor_id,
            actor_name=name[:150],
            kind=str(kind),
            event_type=event_type,
            project_id=project_id,
            target_type=target_type or t_type,
            target_id=str(target_id or t_id)[:64],
            target_repr=(target_repr or t_repr)[:200],
            changes=jsonable(dict(changes or {})),
            details=jsonable(dict(details or {})),
            ip_address=ctx.ip_address,
            user_agent=ctx.user_agent[:200],
            request_id=ctx.request_id,
            prev_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        head.last_seq = event.seq
        head.last_hash = event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


def record_read(
    *,
    actor: Any,
    event_type: str,
    target: models.Model | None = None,
    project: Any = None,
    details: Mapping[str, Any] | None = None,
) -> Event:
    """An audited read: personal data viewed or unmasked."""
    return record(
        actor=actor,
        event_type=event_type,
        kind=EventKind.READ,
        target=target,
        project=project,
        details=details,
    )


def record_search(
    *, actor: Any, event_type: str, project: Any = None, query: Mapping[str, Any], results: int
) -> Event:
    """An audited search: the filters used and how many records it returned."""
    return record(
        actor=actor,
        event_type=event_type,
        kind=EventKind.SEARCH,
        project=project,
        details={
            "query": {k: v for k, v in query.items() if v not in ("", None)},
            "results": results,
        },
    )
