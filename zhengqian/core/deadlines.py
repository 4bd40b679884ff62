"""Deadlines the modules know of (a housing voucher's expiry, a payment due …), gathered for the
reminders without the reminders importing the modules.

Each module registers a provider for its kind of deadline when it starts (as with the household
page's sections, core.sections); `upcoming` asks every provider for the deadlines of some
projects that fall due from today to `within_days` ahead, soonest first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    kind: str  # the provider's kind, e.g. "resettlement.voucher_expiry"
    project_id: int
    household_id: int | None
    due_on: dt.date
    label: str  # what falls due, already translated
    url: str  # the page where it is dealt with


# (project ids, today, within days) -> the provider's deadlines due in that window.
Provider = Callable[[Sequence[int], dt.date, int], Iterable[Deadline]]

_PROVIDERS: dict[str, Provider] = {}


def register(kind: str, provider: Provider) -> None:
    """Register (or replace) the provider of a kind of deadline; registering again is harmless."""
    _PROVIDERS[kind] = provider


def kinds() -> list[str]:
    return sorted(_PROVIDERS)


def upcoming(project_ids: Sequence[int], today: dt.date, within_days: int) -> list[Deadline]:
    """The deadlines of these projects due from today to `within_days` days ahead (both
    included), soonest first. Whatever a provider returns outside the window is left out."""
    ids = list(project_ids)
    if not ids or within_days < 0:
        return []
    horizon = today + dt.timedelta(days=within_days)
    wanted = set(ids)
    found = [
        deadline
        for _kind, provider in sorted(_PROVIDERS.items())
        for deadline in provider(ids, today, within_days)
        if deadline.project_id in wanted and today <= deadline.due_on <= horizon
    ]
    return sorted(found, key=lambda d: (d.due_on, d.kind, d.project_id, d.household_id or 0))
