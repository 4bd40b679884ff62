"""Compensation personas on top of the shared `world` and the valuation fixtures: a confirmed
and valued household of project A, a published policy, and the review chain's people."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from zhengqian.accounts.roles import RoleCode
from zhengqian.compensation import services
from zhengqian.ownership.tests.conftest import lock_confirmation
from zhengqian.projects.models import Milestone
from zhengqian.testing.factories import UserFactory, grant
from zhengqian.valuation import services as valuation_services
from zhengqian.valuation.tests.conftest import (  # noqa: F401  (the fixtures chosen and val)
    DECISION_DAY,
    chosen,
    enter,
    val,
)

HOUSE = {
    "code": "house",
    "name": "被征收房屋价值",
    "category": "house_value",
    "rule": {"type": "area_rate", "area": "measured", "valuation_price": True},
}
DECORATION = {
    "code": "decoration",
    "name": "装修补偿",
    "category": "decoration",
    "rule": {"type": "valuation", "line": "decoration"},
}
MOVING = {
    "code": "moving",
    "name": "搬迁费",
    "category": "moving",
    "rule": {"type": "area_rate", "area": "licensed", "rate": "20", "coefficient": "2"},
}


@pytest.fixture
def comp(chosen):  # type: ignore[no-untyped-def]  # noqa: F811
    w = chosen.world
    Milestone.objects.filter(project=chosen.project, code="decision_announced").update(
        actual_date=DECISION_DAY
    )
    officer = UserFactory(username="comp-officer")
    grant(officer, RoleCode.OWNERSHIP_OFFICER, chosen.project)
    lock_confirmation(officer, chosen.pm, chosen.household)
    v = enter(chosen.valuer, chosen.household)
    valuation_services.valuation_confirm(actor=chosen.valuer, valuation=v)
    people = {}
    for name, role in [
        ("accountant2", RoleCode.ACCOUNTANT),
        ("policy_reviewer", RoleCode.POLICY_REVIEWER),
        ("leader", RoleCode.LEADER),
        ("other_accountant", RoleCode.ACCOUNTANT),
    ]:
        user = UserFactory(username=name)
        grant(user, role, w.other_project if name == "other_accountant" else chosen.project)
        people[name] = user
    policy = services.policy_draft(actor=chosen.pm, project=chosen.project, title="补偿方案")
    for item in (HOUSE, DECORATION, MOVING):
        services.policy_item_save(actor=chosen.pm, policy=policy, **item)
    services.policy_update(actor=chosen.pm, policy=policy, leader_threshold=Decimal("2000000.00"))
    policy = services.policy_publish(actor=chosen.pm, policy=policy)
    return SimpleNamespace(
        **vars(chosen),
        valuation=v,
        policy=policy,
        accountant=w.accountant,
        signing_day=DECISION_DAY + dt.timedelta(days=20),
        **people,
    )
