"""Legal periods in calendar days, working days and months.

Every period the product computes (announcement periods, deadlines for objections, the months an
agreement gives) comes from here, so that one rule is applied everywhere:

* A period starts the day after the event: the day of the event is not counted
  (民法典 article 201).
* A period in months ends on the corresponding day of the last month, or on that month's last day
  when it has no such day (民法典 article 202).
* A period whose last day is a statutory rest day ends on the next working day
  (民法典 article 203), when a calendar is given.

Working days come from a :class:`HolidayCalendar` kept as data, because China's holidays and the
weekend days worked in exchange (调休上班) are set each year by a State Council notice. A year the
calendar does not know is an error (:class:`UnknownCalendarYear`), never a year without holidays:
a deadline computed from a guess would be wrong by up to a week.
"""

from __future__ import annotations

import calendar as _gregorian
import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Self

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = [
    "HOLIDAY",
    "WORKDAY",
    "HolidayCalendar",
    "UnknownCalendarYear",
    "add_days",
    "add_months",
    "period_end",
    "roll_to_working_day",
]

HOLIDAY: Final = "holiday"
WORKDAY: Final = "workday"

_ONE_DAY: Final = timedelta(days=1)
_SATURDAY: Final = 5


class UnknownCalendarYear(Exception):
    """A working-day computation reached a year for which the calendar has no data."""

    def __init__(self, year: int) -> None:
        super().__init__(year)
        self.year = year

    @property
    def message(self) -> str:
        """The translated explanation, for showing to the user."""
        return _(
            "The holiday calendar has no data for %(year)s; an administrator must add that "
            "year's holidays."
        ) % {"year": self.year}

    def __str__(self) -> str:
        return str(self.message)


def _require_non_negative(n: int) -> None:
    if n < 0:
        raise ValueError(f"A period cannot have a negative length ({n}).")


@dataclass(frozen=True)
class HolidayCalendar:
    """The statutory holidays and exchanged working days of the years it knows.

    ``holidays`` are days off even on a weekday; ``workdays`` are Saturdays or Sundays worked in
    exchange for a holiday. Every other weekday is a working day and every other weekend day a
    rest day, in the ``known_years`` only; days listed for other years are ignored until their
    year is declared known.
    """

    holidays: frozenset[date]
    workdays: frozenset[date]
    known_years: frozenset[int]

    def __post_init__(self) -> None:
        both = self.holidays & self.workdays
        if both:
            raise ValidationError(
                _("%(date)s cannot be both a holiday and a working day."),
                code="conflict",
                params={"date": min(both).isoformat()},
            )
        weekday_workdays = {day for day in self.workdays if day.weekday() < _SATURDAY}
        if weekday_workdays:
            raise ValidationError(
                _(
                    "%(date)s is a weekday; only a Saturday or a Sunday can be listed as a "
                    "working day in exchange for a holiday."
                ),
                code="weekday_workday",
                params={"date": min(weekday_workdays).isoformat()},
            )

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[date, str]],
        known_years: Iterable[int] | None = None,
    ) -> Self:
        """Build a calendar from ``(date, kind)`` rows, kind being ``"holiday"`` or ``"workday"``.

        ``known_years`` defaults to the years the rows mention. Pass it explicitly when the data
        is entered a day at a time: rows of a year missing from ``known_years`` are kept but do
        not make that year known, so a half-entered year still raises
        :class:`UnknownCalendarYear`.

        Raises:
            ValidationError: code ``"kind"`` for an unknown kind, or a code of the checks on the
                finished calendar: ``"conflict"`` for a date listed as both kinds,
                ``"weekday_workday"`` for a working day in exchange that is not a weekend day.
        """
        holidays: set[date] = set()
        workdays: set[date] = set()
        for day, kind in rows:
            if kind == HOLIDAY:
                holidays.add(day)
            elif kind == WORKDAY:
                workdays.add(day)
            else:
                raise ValidationError(
                    _("%(date)s has the kind “%(kind)s”; expected “holiday” or “workday”."),
                    code="kind",
                    params={"date": day.isoformat(), "kind": kind},
                )
        years = (
            frozenset(known_years)
            if known_years is not None
            else frozenset(day.year for day in holidays | workdays)
        )
        return cls(holidays=frozenset(holidays), workdays=frozenset(workdays), known_years=years)

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str],
        known_years: Iterable[int] | None = None,
    ) -> Self:
        """Read a UTF-8 CSV file with the columns ``date,kind,name`` (ISO dates).

        ``name`` (e.g. 国庆节) is for people reading the file and is ignored here.

        Raises:
            ValidationError: code ``"date"`` for a line whose date cannot be read, code
                ``"columns"`` when the header lacks ``date`` or ``kind``, and as
                :meth:`from_rows`.
        """
        rows: list[tuple[date, str]] = []
        # utf-8-sig because spreadsheet programs put a byte order mark in front of UTF-8 CSV.
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if not {"date", "kind"} <= set(reader.fieldnames or ()):
                raise ValidationError(
                    _("The holiday file needs the columns date and kind."), code="columns"
                )
            for record in reader:
                text = (record["date"] or "").strip()
                try:
                    day = date.fromisoformat(text)
                except ValueError:
                    raise ValidationError(
                        _("Line %(line)d: “%(text)s” is not a date written as YYYY-MM-DD."),
                        code="date",
                        params={"line": reader.line_num, "text": text},
                    ) from None
                rows.append((day, (record["kind"] or "").strip()))
        return cls.from_rows(rows, known_years)

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day.

        Raises:
            UnknownCalendarYear: if the calendar has no data for the year of ``day``.
        """
        if day.year not in self.known_years:
            raise UnknownCalendarYear(day.year)
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < _SATURDAY

    def add_working_days(self, start: date, n: int) -> date:
        """Return the n-th working day after ``start``; ``start`` itself is never counted.

        ``n = 0`` returns ``start`` unchanged. For a step that may happen only after a period of
        10 working days following an announcement on ``start``, the period ends on
        ``add_working_days(start, 10)``, whichever kind of day ``start`` is.

        Raises:
            ValueError: if ``n`` is negative.
            UnknownCalendarYear: if the count reaches a year the calendar does not know.
        """
        _require_non_negative(n)
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Count the working days after ``start`` up to and including ``end``; 0 if end ≤ start.

        It is the inverse of :meth:`add_working_days`:
        ``working_days_between(start, add_working_days(start, n)) == n``.

        Raises:
            UnknownCalendarYear: if the range reaches a year the calendar does not know.
        """
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            if self.is_working_day(day):
                count += 1
            day += _ONE_DAY
        return count


def roll_to_working_day(day: date, calendar: HolidayCalendar) -> date:
    """Return ``day`` if it is a working day, otherwise the first working day after it.

    Raises:
        UnknownCalendarYear: if the search reaches a year the calendar does not know.
    """
    while not calendar.is_working_day(day):
        day += _ONE_DAY
    return day


def add_days(start: date, n: int) -> date:
    """Return the last day of a period of ``n`` calendar days starting the day after ``start``.

    That is simply ``start + n days``; a negative ``n`` counts backwards.
    """
    return start + timedelta(days=n)


def period_end(start: date, n: int, *, calendar: HolidayCalendar | None = None) -> date:
    """Return the last day of a legal period of ``n`` calendar days after the event on ``start``.

    The day of the event is not counted (民法典 article 201), so a 15-day period after an
    announcement on 1 March ends on 16 March. With a ``calendar``, a period ending on a rest day
    ends on the next working day instead (article 203). ``n = 0`` gives ``start`` itself,
    moved the same way.

    Raises:
        ValueError: if ``n`` is negative.
        UnknownCalendarYear: with a calendar, if the end falls in a year it does not know.
    """
    _require_non_negative(n)
    end = add_days(start, n)
    return end if calendar is None else roll_to_working_day(end, calendar)


def add_months(start: date, n: int) -> date:
    """Return the corresponding day ``n`` months after ``start`` (before, for a negative ``n``).

    When that month is too short the result is its last day (民法典 article 202): 31 January plus
    one month is 28 February, or 29 February in a leap year. For a period in months that must not
    end on a rest day, pass the result to :func:`roll_to_working_day`.

    Raises:
        ValueError: if the result falls outside the years 1..9999.
    """
    month_index = start.year * 12 + (start.month - 1) + n
    year, month_zero_based = divmod(month_index, 12)
    month = month_zero_based + 1
    if not 1 <= year <= 9999:
        raise ValueError(f"{start.isoformat()} plus {n} months is outside the supported years.")
    last_day = _gregorian.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))
