"""Valuation personas on top of the shared `world`: two firms (one with an expired
qualification), valuers of each, and project A's households ready to be valued."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from zhengqian.ownership.tests.conftest import make_household
from zhengqian.survey.models import Ancillary
from zhengqian.testing.factories import UserFactory
from zhengqian.valuation import services
from zhengqian.valuation.models import AppraisalFirm, Valuation, Valuer

DECISION_DAY = dt.date(2026, 3, 2)


def make_firm(
    name: str, *, valid_until: dt.date = dt.date(2030, 12, 31), cert: str = ""
) -> AppraisalFirm:
    return AppraisalFirm.objects.create(
        name=name,
        grade="1",
        certificate_no=cert or f"ZJ-{name}",
        valid_until=valid_until,
        contact_person="王经理",
        contact_phone="0574-12345678",
    )


def make_valuer(firm: AppraisalFirm, username: str) -> Any:
    user = UserFactory(username=username, full_name=f"估价师{username}")
    Valuer.objects.create(user=user, firm=firm)
    return user


def enter(
    valuer: Any, household: Any, *, price: str = "12000.00", report_no: str = ""
) -> Valuation:
    """A complete valuation: each building at `price`/m² of its measured area, one decoration
    item, each ancillary at 100 per unit."""
    lines = []
    for b in household.buildings.order_by("number"):
        value = (b.measured_area * Decimal(price)).quantize(Decimal("0.01"))
        lines.append(services.BuildingLine(b.pk, b.measured_area, price, value))
    ancillaries = [
        services.AncillaryLine(a.pk, a.quantity, "100.00", a.quantity * 100)
        for a in household.ancillaries.all()
    ]
    return services.valuation_save(
        actor=valuer,
        household=household,
        header={"report_no": report_no or f"PG-{household.code}", "valuation_date": DECISION_DAY},
        buildings=lines,
        decorations=[services.DecorationLine("厨房整体橱柜", "8000.00")],
        ancillaries=ancillaries,
    )


@pytest.fixture
def val(world):  # type: ignore[no-untyped-def]
    firm = make_firm("宁波甬信房地产估价有限公司")
    other_firm = make_firm("杭州中衡房地产评估有限公司")
    expired = make_firm("慈溪旧评估事务所", valid_until=dt.date(2025, 6, 30))
    valuer = make_valuer(firm, "valuer1")
    other_valuer = make_valuer(other_firm, "valuer2")
    household = make_household(world.project, code="H-001", work_group=world.group)
    Ancillary.objects.create(
        household=household, kind="wall", description="围墙", quantity=Decimal("12.50"), unit="m"
    )
    return SimpleNamespace(
        world=world,
        pm=world.pm,
        project=world.project,
        firm=firm,
        other_firm=other_firm,
        expired=expired,
        valuer=valuer,
        other_valuer=other_valuer,
        household=household,
    )


@pytest.fixture
def chosen(val):  # type: ignore[no-untyped-def]
    """The firm chosen for project A by negotiation: its valuers now work there."""
    services.selection_negotiate(
        actor=val.pm,
        project=val.project,
        firm=val.firm,
        decided_on=dt.date(2026, 3, 5),
        record_text="2026年3月5日被征收人协商会议，一致同意选定宁波甬信。",
        reports_due_on=dt.date(2026, 4, 30),
    )
    return val
