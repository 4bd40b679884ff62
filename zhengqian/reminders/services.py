"""Writes of the reminders: a user's new items become notifications; notifications are read.

Neither writes an audit event. The notifications are made by the system from records whose own
changes are audited where they happen, and one event per notification would repeat those; marking
read is the user's own state of their inbox, which changes no business record and reveals no
personal data (the pages a notification leads to record their own reads).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhengqian.reminders import selectors
from zhengqian.reminders.models import Notification, NotificationLevel
from zhengqian.reminders.workitems import WorkItem

NEW_PREFIX = "new:"


def new_key(item: WorkItem) -> str:
    return f"{NEW_PREFIX}{item.full_key}"


def _notification(user: Any, item: WorkItem) -> Notification:
    return Notification(
        user=user,
        level=NotificationLevel.NEW,
        kind=item.kind,
        key=new_key(item)[:200],
        project_id=item.project_id,
        household_id=item.household_id,
        title=item.title[:300],
        url=item.url[:300],
        due_on=item.deadline,
    )


@transaction.atomic
def notify_new(*, user: Any, items: Iterable[WorkItem]) -> int:
    """A NEW notification for each of the user's items not yet notified; the unique (user, key)
    makes it once however often (or however concurrently) this runs. Returns how many are new."""
    wanted = {new_key(i)[:200]: i for i in items}
    if not wanted:
        return 0
    known = set(
        Notification.objects.filter(user=user, key__in=list(wanted)).values_list("key", flat=True)
    )
    fresh = [_notification(user, i) for k, i in wanted.items() if k not in known]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def sync_for_user(*, user: Any, today: dt.date) -> int:
    """Bring the user's notifications up to date with what waits for them now."""
    if user is None or not user.is_authenticated:
        return 0
    return notify_new(user=user, items=selectors.items_for(user, today))


@transaction.atomic
def mark_read(
    *, user: Any, notification_ids: Iterable[int] | None = None, all: bool = False
) -> int:
    """Mark the user's own notifications read (the ones named, or all); others' are untouched.
    Returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if not all:
        if notification_ids is None:
            return 0
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())
