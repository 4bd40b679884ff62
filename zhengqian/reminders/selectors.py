"""Reads of the reminders: what waits for a user (My work), their notifications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone

from zhengqian.accounts.permissions import project_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.core.workdays import HolidayCalendar, UnknownCalendarYear
from zhengqian.reminders import workitems
from zhengqian.reminders.models import Notification
from zhengqian.reminders.workitems import Kind, WorkItem

NOTIFICATIONS_PER_PAGE = 30


def scope(user: Any) -> list[int] | None:
    """The projects whose items the user may be given: None for every project."""
    ids = project_ids_with(user, Module.PROJECTS, Action.VIEW)
    return None if ids is None else sorted(ids)


def items_for(user: Any, today: dt.date) -> list[WorkItem]:
    """The items waiting for the user in the projects they belong to, oldest first."""
    if user is None or not user.is_authenticated:
        return []
    return workitems.for_user(user.pk, scope(user), today)


def working_days_between(calendar: HolidayCalendar | None, start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to `end`; Monday to Friday beyond the calendar's years."""
    if calendar is not None:
        try:
            return calendar.working_days_between(start, end)
        except UnknownCalendarYear:
            pass
    count, day = 0, start + dt.timedelta(days=1)
    while day <= end:
        if day.weekday() < 5:
            count += 1
        day += dt.timedelta(days=1)
    return count


@dataclass(frozen=True)
class Row:
    item: WorkItem
    waited_days: int  # calendar days since it began to wait
    waited_working_days: int
    overdue: bool  # its deadline has passed
    days_left: int | None  # calendar days to the deadline (negative: past it)


@dataclass(frozen=True)
class Group:
    kind: Kind
    rows: list[Row]

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r.overdue)


def my_work(user: Any, today: dt.date, *, calendar: HolidayCalendar | None = None) -> list[Group]:
    """The user's items grouped by kind (in the order of the modules' way through a project),
    each group oldest first, with how long each waited and whether it is past its deadline."""
    items = items_for(user, today)
    if not items:
        return []
    if calendar is None:
        from zhengqian.core.calendar import office_calendar

        calendar = office_calendar()
    by_kind: dict[str, list[Row]] = {}
    for item in items:
        since = timezone.localtime(item.waiting_since).date()
        days_left = None if item.deadline is None else (item.deadline - today).days
        by_kind.setdefault(item.kind, []).append(
            Row(
                item=item,
                waited_days=max((today - since).days, 0),
                waited_working_days=working_days_between(calendar, since, today),
                overdue=days_left is not None and days_left < 0,
                days_left=days_left,
            )
        )
    groups = []
    for code in _kind_order(by_kind):
        k = workitems.kind(code)
        if k is None:
            continue
        groups.append(Group(kind=k, rows=by_kind[code]))
    return groups


_MODULE_ORDER = [
    Module.OWNERSHIP,
    Module.VALUATION,
    Module.COMPENSATION,
    Module.AGREEMENTS,
    Module.PAYMENTS,
    Module.DEMOLITION,
    Module.RESETTLEMENT,
    Module.HOLDOUTS,
]


def _kind_order(codes: Any) -> list[str]:
    def position(code: str) -> tuple[int, str]:
        k = workitems.kind(code)
        module = k.module if k is not None else ""
        values = [str(m) for m in _MODULE_ORDER]
        return (values.index(module) if module in values else len(values), code)

    return sorted(codes, key=position)


def summary(groups: list[Group]) -> list[dict[str, Any]]:
    """Counts per kind for the home page: label, count, overdue."""
    return [
        {"code": g.kind.code, "label": g.kind.label, "count": len(g.rows), "overdue": g.overdue}
        for g in groups
    ]


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_of(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related("project")


def notifications(user: Any, page: Any = 1) -> Page:
    """One page of the user's notifications, newest first."""
    paginator = Paginator(
        notifications_of(user).order_by("-created_at", "-pk"), NOTIFICATIONS_PER_PAGE
    )
    return paginator.get_page(page)


def notification_for_user(user: Any, pk: int) -> Notification:
    """The user's own notification; another's is not found (404)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Notification, pk=pk, user=user)


def project_names(groups: list[Group]) -> dict[int, str]:
    """The names of the projects the items belong to (one query)."""
    from zhengqian.projects.models import Project

    ids = {r.item.project_id for g in groups for r in g.rows}
    return dict(Project.objects.filter(pk__in=ids).values_list("pk", "name"))
