"""The legal dates of a proceeding's steps, from the dates known so far (pure functions).

``rule_date`` gives the date one rule names; ``schedule`` walks a path's template in order and
gives each step its earliest and latest date (None while an anchor is not yet known), taking
the latest of the earliest rules and the soonest of the latest rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from zhengqian.core.workdays import (
    HolidayCalendar,
    UnknownCalendarYear,
    add_months,
    period_end,
    roll_to_working_day,
)
from zhengqian.legal.paths import DateRule, Step, Unit, template_for

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Bound:
    """A computed date and the rule it comes from; ``unchecked`` when the holiday calendar did
    not know the year and the date could not be moved off a rest day."""

    day: dt.date
    rule: DateRule
    unchecked: bool = False


@dataclass(frozen=True)
class Planned:
    step: Step
    earliest: Bound | None
    latest: Bound | None


def rule_date(rule: DateRule, start: dt.date, calendar: HolidayCalendar) -> Bound:
    """The date ``rule`` names when its anchor fell on ``start``."""
    unchecked = False
    if rule.unit == Unit.WORKING_DAYS:
        try:
            day = calendar.add_working_days(start, rule.n)
        except UnknownCalendarYear:
            # Counting calendar days gives a date no later than the working-day count would.
            day, unchecked = period_end(start, rule.n), True
    elif rule.unit == Unit.MONTHS:
        day = add_months(start, rule.n)
    else:
        day = period_end(start, rule.n)
    if rule.roll and not unchecked:
        try:
            day = roll_to_working_day(day, calendar)
        except UnknownCalendarYear:
            unchecked = True
    if rule.next_day:
        day += _ONE_DAY
    return Bound(day, rule, unchecked)


def schedule(path: str, known: Mapping[str, dt.date], calendar: HolidayCalendar) -> list[Planned]:
    """Each step of the path with its earliest and latest date, given the ``known`` dates
    (the anchors such as ``signing_end`` and the recorded steps' dates). A period step's date
    (its latest) becomes known to the steps after it."""
    dates = dict(known)
    planned = []
    for step in template_for(path):
        earliest = _pick(step.earliest, dates, calendar, latest=False)
        latest = _pick(step.latest, dates, calendar, latest=True)
        if not step.recordable and latest is not None:
            dates[step.code] = latest.day
        planned.append(Planned(step, earliest, latest))
    return planned


def _pick(
    rules: tuple[DateRule, ...],
    dates: Mapping[str, dt.date],
    calendar: HolidayCalendar,
    *,
    latest: bool,
) -> Bound | None:
    bounds = [rule_date(r, dates[r.anchor], calendar) for r in rules if r.anchor in dates]
    if not bounds:
        return None
    if latest:
        return min(bounds, key=lambda b: b.day)
    return max(bounds, key=lambda b: b.day)
