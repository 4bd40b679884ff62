"""The holiday calendar as the administrator keeps it, turned into a HolidayCalendar."""

from __future__ import annotations

from zhengqian.core.models import CalendarDay, CalendarYear
from zhengqian.core.workdays import HolidayCalendar


def office_calendar() -> HolidayCalendar:
    """Two small queries; callers that compute many dates hold on to the result."""
    rows = CalendarDay.objects.values_list("date", "kind")
    years = CalendarYear.objects.values_list("year", flat=True)
    return HolidayCalendar.from_rows(rows, known_years=list(years))
