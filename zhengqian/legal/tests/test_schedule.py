"""The legal dates of every step, computed from the dates known so far, on both sides of their
day: calendar days, working days over a holiday (the office's calendar data), months with their
month ends, and periods ending on a rest day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from zhengqian.core.workdays import HolidayCalendar
from zhengqian.legal.paths import (
    PATHS_FOR_KIND,
    TEMPLATES,
    DateRule,
    LegalPath,
    Unit,
    paths_for,
)
from zhengqian.legal.schedule import rule_date, schedule
from zhengqian.projects.procedures import ProjectKind

CALENDAR = HolidayCalendar.from_csv(
    Path(__file__).resolve().parents[2] / "core" / "data" / "holidays-cn.csv"
)
KNOWN = {
    "signing_end": dt.date(2025, 3, 31),
    "decision": dt.date(2025, 4, 1),
    "served": dt.date(2025, 4, 3),
}


def dates(path: str, known: dict[str, dt.date]) -> dict[str, tuple[dt.date | None, ...]]:
    return {
        p.step.code: (
            p.earliest.day if p.earliest else None,
            p.latest.day if p.latest else None,
        )
        for p in schedule(path, known, CALENDAR)
    }


def test_the_decision_comes_the_day_after_the_signing_period_ended() -> None:
    got = dates(LegalPath.STATE_OWNED_DECISION, {"signing_end": dt.date(2025, 3, 31)})
    assert got["decision"] == (dt.date(2025, 4, 1), None)
    assert got["served"] == (None, None)  # not before the decision is known


def test_service_may_be_the_day_of_the_decision() -> None:
    assert dates(LegalPath.STATE_OWNED_DECISION, KNOWN)["served"][0] == dt.date(2025, 4, 1)


def test_the_choice_of_mode_ends_15_calendar_days_after_service() -> None:
    got = dates(LegalPath.STATE_OWNED_DECISION, KNOWN)
    # The day of service is not counted: 3 April + 15 days is Friday 18 April.
    assert got["mode_chosen"] == (dt.date(2025, 4, 3), dt.date(2025, 4, 18))
    assert got["choice_end"] == (None, dt.date(2025, 4, 18))


def test_reconsideration_ending_on_a_holiday_ends_on_the_next_working_day() -> None:
    # 3 April + 60 days is 2 June 2025, the Dragon Boat holiday (31 May – 2 June).
    assert rule_date(DateRule("served", 60), dt.date(2025, 4, 3), CALENDAR).day == dt.date(
        2025, 6, 2
    )
    assert dates(LegalPath.STATE_OWNED_DECISION, KNOWN)["reconsideration_end"][1] == dt.date(
        2025, 6, 3
    )


def test_a_period_ending_on_a_sunday_ends_on_the_monday() -> None:
    got = dates(LegalPath.STATE_OWNED_DECISION, {**KNOWN, "served": dt.date(2025, 7, 2)})
    assert dt.date(2025, 8, 31).weekday() == 6
    assert got["reconsideration_end"][1] == dt.date(2025, 9, 1)


def test_litigation_ends_six_months_after_service_moved_off_the_national_day_holiday() -> None:
    # 3 October 2025 falls in the National Day holiday (1–8 October).
    assert dates(LegalPath.STATE_OWNED_DECISION, KNOWN)["litigation_end"][1] == dt.date(2025, 10, 9)


@pytest.mark.parametrize(
    ("served", "end"),
    [
        (dt.date(2025, 8, 31), dt.date(2026, 2, 28)),  # no 31 February: the month's last day
        (dt.date(2023, 8, 31), dt.date(2024, 2, 29)),  # a leap year
        (dt.date(2025, 8, 30), dt.date(2026, 2, 28)),
        (dt.date(2025, 8, 27), dt.date(2026, 2, 27)),
    ],
)
def test_six_months_from_the_end_of_august_end_on_the_last_day_of_february(
    served: dt.date, end: dt.date
) -> None:
    assert rule_date(DateRule("served", 6, Unit.MONTHS), served, CALENDAR).day == end


def test_six_months_ending_on_a_saturday_worked_in_exchange_end_on_that_saturday() -> None:
    # 28 February 2026 is a Saturday worked in exchange for the Spring Festival holiday.
    assert dt.date(2026, 2, 28).weekday() == 5
    got = dates(LegalPath.STATE_OWNED_DECISION, {**KNOWN, "served": dt.date(2025, 8, 31)})
    assert got["litigation_end"][1] == dt.date(2026, 2, 28)
    assert got["reminder"][0] == dt.date(2026, 3, 1)


def test_six_months_ending_on_a_plain_saturday_move_to_monday() -> None:
    got = dates(LegalPath.STATE_OWNED_DECISION, {**KNOWN, "served": dt.date(2025, 1, 11)})
    # 11 July 2025 is a Friday; 11 January + 6 months ends on it unchanged.
    assert got["litigation_end"][1] == dt.date(2025, 7, 11)
    got = dates(LegalPath.STATE_OWNED_DECISION, {**KNOWN, "served": dt.date(2025, 1, 12)})
    # 12 July 2025 is a Saturday: the next working day is Monday 14 July.
    assert got["litigation_end"][1] == dt.date(2025, 7, 14)


def test_the_reminder_comes_the_day_after_both_appeal_periods_ended() -> None:
    assert dates(LegalPath.STATE_OWNED_DECISION, KNOWN)["reminder"] == (
        dt.date(2025, 10, 10),
        None,
    )


def test_the_reminder_waits_for_a_later_appeal_outcome() -> None:
    got = dates(
        LegalPath.STATE_OWNED_DECISION,
        {**KNOWN, "appeal_filed": dt.date(2025, 5, 6), "appeal_outcome": dt.date(2025, 11, 3)},
    )
    # The household still has 15 days to sue or appeal after the outcome (3 November): the
    # period ends on Tuesday 18 November, the reminder may come the day after.
    assert got["reminder"][0] == dt.date(2025, 11, 19)
    assert got["appeal_outcome"][0] == dt.date(2025, 5, 6)


def test_the_application_follows_ten_working_days_after_the_reminder() -> None:
    # Reminder on Friday 10 October 2025; Saturday 11 October is worked in exchange for the
    # holiday, so the tenth working day is Thursday 23 October, and the application may be
    # made from the 24th (calendar days would have given 21 October).
    got = dates(LegalPath.STATE_OWNED_DECISION, {**KNOWN, "reminder": dt.date(2025, 10, 10)})
    assert got["application"][0] == dt.date(2025, 10, 24)
    assert CALENDAR.working_days_between(dt.date(2025, 10, 10), dt.date(2025, 10, 23)) == 10
    assert CALENDAR.working_days_between(dt.date(2025, 10, 10), dt.date(2025, 10, 22)) == 9


def test_the_application_is_due_within_three_months_after_the_litigation_period() -> None:
    got = dates(LegalPath.STATE_OWNED_DECISION, {**KNOWN, "reminder": dt.date(2025, 10, 10)})
    # 9 October 2025 + 3 months is Friday 9 January 2026.
    assert got["application"][1] == dt.date(2026, 1, 9)


def test_the_court_and_enforcement_follow_their_steps() -> None:
    got = dates(
        LegalPath.STATE_OWNED_DECISION,
        {**KNOWN, "application": dt.date(2025, 10, 27), "court_ruling": dt.date(2025, 11, 3)},
    )
    assert got["court_ruling"] == (dt.date(2025, 10, 27), None)
    assert got["enforced"] == (dt.date(2025, 11, 3), None)


def test_the_collective_path_has_no_choice_of_mode_and_the_same_review() -> None:
    got = dates(LegalPath.COLLECTIVE_DECISION, KNOWN)
    assert "mode_chosen" not in got
    assert got["reconsideration_end"][1] == dt.date(2025, 6, 3)
    assert got["litigation_end"][1] == dt.date(2025, 10, 9)


def test_the_ruling_path_starts_with_the_application_for_a_ruling() -> None:
    got = dates(
        LegalPath.RULING,
        {
            "signing_end": dt.date(2025, 3, 31),
            "ruling_applied": dt.date(2025, 4, 1),
            "ruling_made": dt.date(2025, 4, 2),
            "served": dt.date(2025, 4, 3),
        },
    )
    assert got["ruling_applied"][0] == dt.date(2025, 4, 1)
    assert got["ruling_made"][0] == dt.date(2025, 4, 1)
    assert got["served"][0] == dt.date(2025, 4, 2)
    assert got["litigation_end"][1] == dt.date(2025, 10, 9)


def test_a_year_the_calendar_does_not_know_gives_an_unchecked_date() -> None:
    bound = rule_date(DateRule("served", 60, roll=True), dt.date(2026, 12, 1), CALENDAR)
    assert bound.day == dt.date(2027, 1, 30)
    assert bound.unchecked


def test_the_paths_follow_the_kind_of_project() -> None:
    assert paths_for(ProjectKind.STATE_OWNED) == (LegalPath.STATE_OWNED_DECISION,)
    assert paths_for(ProjectKind.SHANTYTOWN) == (LegalPath.STATE_OWNED_DECISION,)
    assert paths_for(ProjectKind.COLLECTIVE) == (LegalPath.COLLECTIVE_DECISION, LegalPath.RULING)
    assert paths_for(ProjectKind.AGREEMENT) == ()
    assert set(PATHS_FOR_KIND) == set(ProjectKind.values)


def test_every_step_follows_a_step_of_its_path_and_states_its_basis() -> None:
    for steps in TEMPLATES.values():
        codes = [s.code for s in steps]
        assert len(codes) == len(set(codes))
        for s in steps:
            assert str(s.basis)
            assert not s.follows or s.follows in codes[: codes.index(s.code)]
