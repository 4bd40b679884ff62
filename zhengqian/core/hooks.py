"""What a module downstream must know of a module upstream's change, without the upstream
module importing it (as with the household page's sections).

A module registers, when it starts (AppConfig.ready), a guard (may refuse the change by raising
ValidationError) or a listener (keeps its own records in step) for a named event; the upstream
service calls `check` before the change and `notify` after it, inside its own transaction, so a
listener's refusal undoes the whole change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_GUARDS: dict[str, list[Callable[..., None]]] = {}
_LISTENERS: dict[str, list[Callable[..., None]]] = {}


def guard(event: str, fn: Callable[..., None]) -> None:
    if fn not in _GUARDS.setdefault(event, []):
        _GUARDS[event].append(fn)


def listen(event: str, fn: Callable[..., None]) -> None:
    if fn not in _LISTENERS.setdefault(event, []):
        _LISTENERS[event].append(fn)


def check(event: str, **kwargs: Any) -> None:
    """Every guard of the event; the first refusal (a ValidationError) propagates."""
    for fn in _GUARDS.get(event, ()):
        fn(**kwargs)


def notify(event: str, **kwargs: Any) -> None:
    for fn in _LISTENERS.get(event, ()):
        fn(**kwargs)
