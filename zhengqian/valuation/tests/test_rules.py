"""The pure rules: the majority vote's two thresholds, value = quantity × unit price to the fen,
and the 10-day objection periods counted in calendar days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

import zhengqian.core
from zhengqian.core.workdays import HolidayCalendar
from zhengqian.valuation import rules

A, B, C = 1, 2, 3


@pytest.mark.parametrize(
    ("households", "counts", "valid", "winner", "why"),
    [
        # 51 of 100 took part, A has 26 of 51: both more than half.
        (100, {A: 26, B: 25}, True, A, ""),
        # Exactly half took part: not more than half.
        (100, {A: 40, B: 10}, False, None, "turnout"),
        # More than half took part, but the winner has exactly half of the votes cast.
        (100, {A: 30, B: 20, C: 10}, False, None, "majority"),
        # A tie has no winner.
        (10, {A: 3, B: 3}, False, None, "majority"),
        # Odd numbers: 3 of 5 households, 2 of 3 votes.
        (5, {A: 2, B: 1}, True, A, ""),
        # 2 of 4 households is half, not more.
        (4, {A: 2}, False, None, "turnout"),
        # Nobody voted.
        (10, {A: 0, B: 0}, False, None, "turnout"),
        # A project without households cannot vote.
        (0, {A: 0}, False, None, "turnout"),
        # A relative majority is not enough: 40 of 90 votes.
        (100, {A: 40, B: 30, C: 20}, False, None, "majority"),
    ],
)
def test_the_vote_is_valid_only_with_turnout_and_majority_both_above_half(
    households, counts, valid, winner, why
):  # type: ignore[no-untyped-def]
    result = rules.vote_result(households, counts)
    assert result.valid is valid
    assert result.winner == winner if valid else True
    assert result.votes_cast == sum(counts.values())
    if why == "turnout":
        assert not result.turnout_ok
    if why == "majority":
        assert result.turnout_ok and not result.majority_ok


def test_value_is_quantity_times_price_rounded_once_half_up_to_the_fen():  # type: ignore[no-untyped-def]
    assert rules.product(Decimal("96.00"), Decimal("12000.00")) == Decimal("1152000.00")
    assert rules.product(Decimal("12.345"), Decimal("1.00")) == Decimal("12.35")  # half up
    assert rules.product(Decimal("0.05"), Decimal("0.10")) == Decimal("0.01")  # 0.005 → 0.01
    assert rules.product(Decimal("0.04"), Decimal("0.10")) == Decimal("0.00")
    assert rules.product(Decimal("85.37"), Decimal("12345.67")) == Decimal("1053949.85")


# A calendar that knows 2026 without any holiday, so that only the counting is tested here; the
# holiday roll-over is tested below with the real calendar.
PLAIN = HolidayCalendar.from_rows([], known_years=[2026])


@pytest.mark.parametrize(
    ("received", "last_day"),
    [
        (dt.date(2026, 1, 25), dt.date(2026, 2, 4)),  # across a month end (31 days)
        (dt.date(2026, 2, 20), dt.date(2026, 3, 2)),  # across February (28 days): a Monday
        (dt.date(2026, 4, 22), dt.date(2026, 5, 4)),  # the 2nd is a Saturday → Monday the 4th
    ],
)
def test_the_period_to_apply_is_ten_calendar_days_not_counting_the_day_received(received, last_day):  # type: ignore[no-untyped-def]
    assert rules.apply_deadline(received, PLAIN) == last_day
    assert rules.answer_deadline(received, PLAIN) == last_day


def test_a_period_ending_on_a_public_holiday_ends_on_the_next_working_day():  # type: ignore[no-untyped-def]
    calendar = HolidayCalendar.from_csv(
        Path(zhengqian.core.__file__).parent / "data/holidays-cn.csv"
    )
    # Received 21 April 2026: ten days end on 1 May, in the Labour Day holiday (1–5 May).
    assert rules.apply_deadline(dt.date(2026, 4, 21), calendar) == dt.date(2026, 5, 6)
    # Received 20 April: the period ends on Thursday 30 April, a working day.
    assert rules.apply_deadline(dt.date(2026, 4, 20), calendar) == dt.date(2026, 4, 30)
