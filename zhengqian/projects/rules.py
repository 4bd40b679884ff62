"""Evaluating the procedure rules of a project's milestones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from zhengqian.core.workdays import HolidayCalendar, UnknownCalendarYear
from zhengqian.projects.models import Milestone
from zhengqian.projects.procedures import PeriodUnit, Rule, Step, template_for


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    earliest: dt.date | None
    latest: dt.date | None
    message: str = ""


def _names(kind: str) -> dict[str, Step]:
    return {s.code: s for s in template_for(kind)}


def _shift(start: dt.date, rule: Rule, n: int, calendar: HolidayCalendar) -> dt.date:
    if rule.unit == PeriodUnit.WORKING_DAYS:
        return calendar.add_working_days(start, n)
    return start + dt.timedelta(days=n)


def evaluate(
    milestone: Milestone,
    on: dt.date,
    *,
    siblings: dict[str, Milestone],
    calendar: HolidayCalendar,
) -> Verdict:
    """May this step be recorded as having happened on `on`? Names the rule when not."""
    steps = _names(milestone.project.kind)
    step = steps[milestone.code]
    earliest: dt.date | None = None
    latest: dt.date | None = None
    for rule in step.rules:
        before = siblings.get(rule.after)
        before_step = steps[rule.after]
        if before is None or before.actual_date is None:
            if not before_step.required:
                continue
            return Verdict(
                False,
                None,
                None,
                _("“%(step)s” cannot be recorded before “%(before)s” has been recorded.")
                % {"step": step.name, "before": before_step.name},
            )
        try:
            rule_earliest = _shift(before.actual_date, rule, rule.min_period, calendar)
            rule_latest = (
                _shift(before.actual_date, rule, rule.max_period, calendar)
                if rule.max_period is not None
                else None
            )
        except UnknownCalendarYear as exc:
            return Verdict(False, None, None, str(exc))
        if earliest is None or rule_earliest > earliest:
            earliest = rule_earliest
        if rule_latest is not None and (latest is None or rule_latest < latest):
            latest = rule_latest
        if on < rule_earliest:
            if rule.min_period:
                unit = PeriodUnit(rule.unit).label
                message = _(
                    "“%(step)s” is too early: %(basis)s. “%(before)s” was on %(before_date)s, "
                    "so the earliest allowed date is %(earliest)s (%(n)d %(unit)s)."
                ) % {
                    "step": step.name,
                    "basis": rule.basis,
                    "before": before_step.name,
                    "before_date": date_format(before.actual_date, "Y-m-d"),
                    "earliest": date_format(rule_earliest, "Y-m-d"),
                    "n": rule.min_period,
                    "unit": unit,
                }
            else:
                message = _(
                    "“%(step)s” cannot be dated before “%(before)s” (%(before_date)s); "
                    "the earliest allowed date is %(earliest)s."
                ) % {
                    "step": step.name,
                    "before": before_step.name,
                    "before_date": date_format(before.actual_date, "Y-m-d"),
                    "earliest": date_format(rule_earliest, "Y-m-d"),
                }
            return Verdict(False, rule_earliest, latest, message)
    return Verdict(True, earliest, latest)


def is_late(verdict: Verdict, on: dt.date) -> bool:
    return verdict.latest is not None and on > verdict.latest
