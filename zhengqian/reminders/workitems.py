"""What waits for whom (待办): work items read from the modules' own records.

A provider per kind of item (calculations to review, returned calculations to fix, agreements to
sign, payments to approve, objections to answer, rectifications due, change requests to approve …)
returns the items of some projects with the users who may deal with each. Providers are
registered by kind (zhengqian.reminders.providers registers the built-in ones when the app starts)
so that My work, the notifications and the reminder scan all read the same list.

An item's `key` names the item in its present state (e.g. "calculation:17:policy_review"): when
the record moves on (the policy review done, now waiting for the accounting review) it is a new
item with a new key, and so a new notification, while the same state seen twice is the same item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.utils.functional import Promise


@dataclass(frozen=True)
class WorkItem:
    kind: str  # the provider's kind, e.g. "compensation.review"
    key: str  # the item in its present state, unique within its kind
    project_id: int
    household_id: int | None
    work_group_id: int | None
    title: str  # what waits, already translated
    url: str  # the page where it is dealt with
    waiting_since: dt.datetime  # when it began to wait in this state (aware)
    # The last day to deal with it: the record's own deadline where it has one (an objection's
    # answer deadline, a rectification's date), else waiting_since + the rule's working days.
    deadline: dt.date | None
    assignee_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def full_key(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass(frozen=True)
class Kind:
    code: str
    label: str | Promise  # lazily translated label, for My work's groups and the rules page
    module: str  # accounts.roles.Module value the items belong to
    default_working_days: int | None  # None: the items carry their own deadline


# (project ids or None for every project, today) -> the items of those projects.
Provider = Callable[[Sequence[int] | None, dt.date], Iterable[WorkItem]]

_KINDS: dict[str, Kind] = {}
_PROVIDERS: dict[str, Provider] = {}


def register(kind: Kind, provider: Provider) -> None:
    """Register (or replace) the provider of a kind of item; registering again is harmless."""
    _KINDS[kind.code] = kind
    _PROVIDERS[kind.code] = provider


def unregister(code: str) -> None:
    _KINDS.pop(code, None)
    _PROVIDERS.pop(code, None)


def kinds() -> list[Kind]:
    return [_KINDS[code] for code in sorted(_KINDS)]


def kind(code: str) -> Kind | None:
    return _KINDS.get(code)


# What the providers of one collect call share (who holds which role, the reminder rules), so
# that it is read once per call, not once per provider.
_CALL: ContextVar[dict[str, Any] | None] = ContextVar("workitems_call", default=None)

_T = TypeVar("_T")


def shared(key: str, factory: Callable[[], _T]) -> _T:
    """The value of `key` computed once per collect call and shared by its providers; outside a
    collect call, computed each time."""
    cache = _CALL.get()
    if cache is None:
        return factory()
    if key not in cache:
        cache[key] = factory()
    return cache[key]  # type: ignore[no-any-return]


def collect(project_ids: Sequence[int] | None, today: dt.date) -> Iterator[WorkItem]:
    """Every provider's items of these projects (None: all projects), kind by kind."""
    wanted = None if project_ids is None else set(project_ids)
    if wanted is not None and not wanted:
        return
    previous = _CALL.get()
    _CALL.set({})
    try:
        for code in sorted(_PROVIDERS):
            for item in _PROVIDERS[code](None if wanted is None else sorted(wanted), today):
                if wanted is None or item.project_id in wanted:
                    yield item
    finally:
        _CALL.set(previous)


def for_user(user_id: int, project_ids: Sequence[int] | None, today: dt.date) -> list[WorkItem]:
    """The items waiting for one user, oldest first."""
    items = [i for i in collect(project_ids, today) if user_id in i.assignee_ids]
    return sorted(items, key=lambda i: (i.waiting_since, i.kind, i.key))
