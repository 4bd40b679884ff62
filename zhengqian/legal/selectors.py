"""Reads of the legal pages, scoped to the user.

A household or project is reached with holdouts/view, else 404. The household head's name is
masked unless the user holds holdouts/view_personal (the page then records the read). Each step
is shown with its earliest and latest date, whether it is done or late, and a warning when its
last date is within ``WARN_DAYS``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from zhengqian.accounts.permissions import OutOfScope, has_perm
from zhengqian.accounts.roles import Action, Module
from zhengqian.core.calendar import office_calendar
from zhengqian.core.masking import mask_name
from zhengqian.legal import services
from zhengqian.legal.models import Proceeding, ProceedingStep
from zhengqian.legal.paths import LegalPath
from zhengqian.legal.schedule import Bound, Planned
from zhengqian.projects import selectors as project_selectors
from zhengqian.projects.models import Project
from zhengqian.survey import selectors as survey_selectors
from zhengqian.survey.models import Household

WARN_DAYS = 10


# --- scope -----------------------------------------------------------------------------------


def get_project_for_user(user: Any, pk: Any) -> Project:
    return project_selectors.get_project_for_user(
        user, pk, module=Module.HOLDOUTS, action=Action.VIEW
    )


def get_household_for_user(user: Any, pk: Any) -> Household:
    return survey_selectors.get_household_for_user(
        user, pk, module=Module.HOLDOUTS, action=Action.VIEW
    )


def get_proceeding_for_user(user: Any, pk: Any) -> Proceeding:
    try:
        found = (
            Proceeding.objects.select_related("calculation")
            .prefetch_related("steps__recorded_by")
            .get(pk=int(pk))
        )
    except (Proceeding.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("legal.proceeding", pk) from None
    found.household = get_household_for_user(user, found.household_id)
    return found


def get_step_for_user(user: Any, pk: Any) -> ProceedingStep:
    try:
        found = ProceedingStep.objects.get(pk=int(pk))
    except (ProceedingStep.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("legal.proceedingstep", pk) from None
    found.proceeding = get_proceeding_for_user(user, found.proceeding_id)
    if not found.document:
        raise OutOfScope("legal.proceedingstep", pk)
    return found


def may(user: Any, household: Household, action: Action) -> bool:
    return has_perm(
        user,
        Module.HOLDOUTS,
        action,
        project=household.project_id,
        work_group=household.work_group_id,
    )


def head_name(user: Any, household: Household) -> str:
    if may(user, household, Action.VIEW_PERSONAL):
        return household.head_name
    return mask_name(household.head_name)


# --- a proceeding's steps --------------------------------------------------------------------


@dataclass
class StepRow:
    planned: Planned
    done: ProceedingStep | None
    today: dt.date
    # The step the proceeding waits for (the first required one not recorded): only it can be
    # overdue; an optional step, or one whose earlier steps are not done, is not flagged.
    current: bool = False

    @property
    def step(self) -> Any:
        return self.planned.step

    @property
    def earliest(self) -> Bound | None:
        return self.planned.earliest

    @property
    def latest(self) -> Bound | None:
        return self.planned.latest

    @property
    def days_left(self) -> int | None:
        """Days until the last date, for a step still to do (or a period still running)."""
        if self.done is not None or self.latest is None:
            return None
        return (self.latest.day - self.today).days

    @property
    def due_soon(self) -> bool:
        left = self.days_left
        return left is not None and 0 <= left <= WARN_DAYS

    @property
    def overdue(self) -> bool:
        left = self.days_left
        return self.current and left is not None and left < 0

    @property
    def period_over(self) -> bool:
        return not self.step.recordable and self.latest is not None and self.latest.day < self.today

    @property
    def not_yet(self) -> bool:
        return self.done is None and self.earliest is not None and self.earliest.day > self.today


def step_rows(proceeding: Proceeding, calendar: Any = None) -> list[StepRow]:
    done = {s.code: s for s in proceeding.steps.all()}
    today = services.today()
    rows = [StepRow(p, done.get(p.step.code), today) for p in services.plan(proceeding, calendar)]
    waiting = next_step(rows)
    if waiting is not None:
        waiting.current = True
    return rows


def next_step(rows: list[StepRow]) -> StepRow | None:
    """The first required step not yet recorded."""
    return next((r for r in rows if r.step.recordable and r.step.required and r.done is None), None)


def recordable_codes(proceeding: Proceeding, rows: list[StepRow]) -> list[tuple[str, str]]:
    """The steps that may be recorded next, as (code, name) choices: those whose preceding step
    is recorded and that are not recorded themselves."""
    if proceeding.closed_on is not None:
        return []
    dates = {r.step.code for r in rows if r.done is not None}
    return [
        (r.step.code, str(r.step.name))
        for r in rows
        if r.step.recordable and r.done is None and (not r.step.follows or r.step.follows in dates)
    ]


# --- lists -----------------------------------------------------------------------------------


def proceedings_of(user: Any, household: Household) -> QuerySet[Proceeding]:
    return Proceeding.objects.filter(household=household).select_related("calculation")


@dataclass
class ProjectRow:
    proceeding: Proceeding
    head: str
    next: StepRow | None

    @property
    def sort_key(self) -> tuple[int, dt.date]:
        latest = self.next.latest if self.next is not None else None
        if latest is None:
            return (1, dt.date.max)
        return (0, latest.day)


def project_rows(user: Any, project: Project) -> list[ProjectRow]:
    """The project's proceedings the user reaches, with the next step and its last date;
    deadlines soonest first, then those without a last date."""
    households = survey_selectors.households_for_user(
        user, project, module=Module.HOLDOUTS, action=Action.VIEW
    )
    calendar = office_calendar()
    rows = []
    # The list masks the names whatever the user's rights (as the holdout list): the full
    # name is on the proceeding's page, where its view is recorded.
    for proceeding in (
        Proceeding.objects.filter(project=project, household__in=households)
        .select_related("household")
        .prefetch_related("steps")
    ):
        h = proceeding.household
        rows.append(
            ProjectRow(
                proceeding,
                mask_name(h.head_name),
                next_step(step_rows(proceeding, calendar)),
            )
        )
    return sorted(rows, key=lambda r: r.sort_key)


# --- the household page's section ------------------------------------------------------------


def household_section(user: Any, household: Household) -> dict[str, Any] | None:
    """The section of the household page (registered in LegalConfig.ready): the household's
    proceedings and, for the project manager, the paths a proceeding may be opened on."""
    if not may(user, household, Action.VIEW):
        return None
    proceedings = list(proceedings_of(user, household))
    offered: list[tuple[str, str]] = []
    if may(user, household, Action.APPROVE):
        offered = [(p, str(LegalPath(p).label)) for p in services.offered_paths(household)]
    if not proceedings and not offered:
        return None
    calendar = office_calendar() if proceedings else None
    items = []
    for proceeding in proceedings:
        rows = step_rows(proceeding, calendar)
        items.append({"proceeding": proceeding, "next": next_step(rows)})
    return {"household": household, "items": items, "offered": offered}
