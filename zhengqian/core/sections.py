"""Sections of the household page contributed by the modules downstream of the survey.

The survey app owns the household page but must not import the modules that build on it; each
module registers its section here when it starts (AppConfig.ready), in the order of the
household's way through the system, and the page shows those that return something.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    order: int
    template: str
    build: Callable[[Any, Any], Any]  # (user, household) -> context of the section, or None


_SECTIONS: dict[str, Section] = {}


def register(name: str, *, order: int, template: str, build: Callable[[Any, Any], Any]) -> None:
    _SECTIONS[name] = Section(order, template, build)


def household_sections(user: Any, household: Any) -> list[tuple[str, Any]]:
    """(template, section) of each module that has something to show, in order."""
    shown = []
    for section in sorted(_SECTIONS.values(), key=lambda s: s.order):
        built = section.build(user, household)
        if built:
            shown.append((section.template, built))
    return shown
