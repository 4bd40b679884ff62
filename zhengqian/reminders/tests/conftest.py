"""Reminders helpers: the items of one kind as the registry gives them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from zhengqian.reminders import workitems
from zhengqian.reminders.workitems import WorkItem


def items_of(kind: str, project_ids: Any = None, today: dt.date | None = None) -> list[WorkItem]:
    """The registered items of one kind (every project unless given)."""
    return [
        i for i in workitems.collect(project_ids, today or timezone.localdate()) if i.kind == kind
    ]


def only(kind: str, project_ids: Any = None) -> WorkItem:
    found = items_of(kind, project_ids)
    assert len(found) == 1, found
    return found[0]
