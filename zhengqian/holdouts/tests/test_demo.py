"""The demo data: one case with its team and two negotiations, nothing beyond the policy."""

from __future__ import annotations

import datetime as dt
import random

from zhengqian.holdouts.demo import seed_holdouts
from zhengqian.holdouts.models import Reason
from zhengqian.holdouts.tests.conftest import set_deadlines, today, unsigned


def _users(c):  # type: ignore[no-untyped-def]
    return {"pm": c.pm, "signer": c.officer, "cadre": c.cadre}


def test_before_the_deadline_the_demo_opens_a_case_at_risk(pay):
    household = unsigned(pay)
    set_deadlines(pay, signing_end=today() + dt.timedelta(days=10))
    case = seed_holdouts(pay.project, _users(pay), random.Random(1))
    assert case is not None
    assert (case.household, case.reason, case.team_name) == (
        household,
        Reason.AT_RISK,
        "第一攻坚清零小组",
    )
    assert case.negotiations.count() == 2
    assert all(n.decision is None for n in case.negotiations.all())


def test_after_the_deadline_the_demo_takes_a_household_on_the_list(pay):
    unsigned(pay)
    set_deadlines(pay, signing_end=today() - dt.timedelta(days=1))
    case = seed_holdouts(pay.project, _users(pay), random.Random(1))
    assert case is not None and case.reason == Reason.UNSIGNED
