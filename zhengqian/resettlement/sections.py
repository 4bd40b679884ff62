"""The resettlement parts shown on a project's overview page and on a household's page: each
part of the module (housing stock, selection rounds, vouchers, transition fees) gives its own
summary, and a part with nothing to show gives None."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zhengqian.accounts.roles import Action
from zhengqian.projects.models import Project
from zhengqian.resettlement import (
    selectors,
    selectors_selection,
    selectors_stock,
    selectors_transition,
    selectors_voucher,
)
from zhengqian.survey.models import Household

Builder = Callable[[Any, Any], "dict[str, Any] | None"]

PARTS: list[tuple[str, Builder, Builder]] = [
    ("stock", selectors_stock.project_section, selectors_stock.household_part),
    ("selection", selectors_selection.project_section, selectors_selection.household_part),
    ("voucher", selectors_voucher.project_section, selectors_voucher.household_part),
    ("transition", selectors_transition.project_section, selectors_transition.household_part),
]


def project_sections(user: Any, project: Project) -> list[tuple[str, dict[str, Any]]]:
    shown = []
    for area, build, _part in PARTS:
        section = build(user, project)
        if section:
            shown.append((f"resettlement/{area}/_project_section.html", section))
    return shown


def household_section(user: Any, household: Household) -> dict[str, Any] | None:
    """The household's resettlement parts, for a user who may view the module in its project."""
    if not selectors.may(user, household.project_id, Action.VIEW):
        return None
    parts = []
    for area, _build, build in PARTS:
        part = build(user, household)
        if part:
            parts.append((f"resettlement/{area}/_household_part.html", part))
    return {"parts": parts, "household": household} if parts else None
