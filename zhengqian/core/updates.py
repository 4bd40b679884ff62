"""The shared shape of an update service: lock, compare, validate, save, say what changed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

from zhengqian.audit.services import jsonable

M = TypeVar("M", bound=models.Model)


def lock(instance: M) -> M:
    """Re-read the row FOR UPDATE, so that two concurrent edits cannot interleave."""
    return type(instance)._default_manager.select_for_update().get(pk=instance.pk)  # type: ignore[return-value]


def apply_changes(
    instance: models.Model, data: Mapping[str, Any], *, allowed: Iterable[str]
) -> dict[str, list[Any]]:
    """Set the allowed fields from data, validate and save only what changed.

    Returns {field: [old, new]} (empty when nothing changed, and then nothing is saved).
    """
    allowed = set(allowed)
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"Fields not editable here: {', '.join(sorted(unknown))}")
    changes: dict[str, list[Any]] = {}
    for field, value in data.items():
        old = getattr(instance, field)
        if jsonable(old) != jsonable(value):
            changes[field] = [jsonable(old), jsonable(value)]
            setattr(instance, field, value)
    if changes:
        instance.full_clean()
        instance.save(update_fields=list(changes))
    return changes
