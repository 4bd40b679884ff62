"""The pure rules of valuation: the majority vote, value = quantity × unit price to the fen, and
the objection periods. No database here, so that each rule is tested on its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from zhengqian.core.workdays import HolidayCalendar, period_end

CENT = Decimal("0.01")
# 国有土地上房屋征收评估办法 arts. 20–22: 10 days to apply for a re-assessment after receiving the
# report, 10 days for the firm to answer; 10 days to apply for an expert appraisal after receiving
# the answer, 10 days for the experts to answer.
OBJECTION_PERIOD_DAYS = 10


def fen(value: Decimal) -> Decimal:
    """Rounded once to the fen, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def product(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """quantity × unit price, rounded to the fen."""
    return fen(quantity * unit_price)


@dataclass(frozen=True)
class VoteResult:
    households: int
    votes_cast: int
    counts: dict[int, int]
    winner: int | None
    turnout_ok: bool
    majority_ok: bool

    @property
    def valid(self) -> bool:
        return self.turnout_ok and self.majority_ok and self.winner is not None


def vote_result(households: int, counts: Mapping[int, int]) -> VoteResult:
    """A majority vote is valid only when more than half of the households took part and the
    winner has more than half of the votes cast (a tie has no winner)."""
    cast = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    winner = None
    majority = False
    if ranked and cast:
        top_key, top_votes = ranked[0]
        majority = top_votes * 2 > cast
        winner = top_key if majority else None
    return VoteResult(
        households=households,
        votes_cast=cast,
        counts=dict(counts),
        winner=winner,
        turnout_ok=households > 0 and cast * 2 > households,
        majority_ok=majority,
    )


def apply_deadline(received_on: dt.date, calendar: HolidayCalendar | None) -> dt.date:
    """The last day to apply for a re-assessment or appraisal after receiving the document."""
    return period_end(received_on, OBJECTION_PERIOD_DAYS, calendar=calendar)


def answer_deadline(applied_on: dt.date, calendar: HolidayCalendar | None) -> dt.date:
    """The last day for the firm or the experts to answer an application."""
    return period_end(applied_on, OBJECTION_PERIOD_DAYS, calendar=calendar)
