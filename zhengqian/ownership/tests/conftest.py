"""Ownership personas and a household ready to be confirmed, on top of the shared `world`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from zhengqian.accounts.roles import RoleCode
from zhengqian.core.idcard import make_id_number
from zhengqian.ownership import services
from zhengqian.survey.models import Building, Household, Person, Sex
from zhengqian.testing.factories import UserFactory, grant


def make_household(project: Any, *, code: str = "H-001", work_group: Any = None) -> Household:
    household = Household.objects.create(
        project=project,
        work_group=work_group,
        code=code,
        head_name="张建国",
        division_code="330282",
        address="浙江省慈溪市新塘镇红旗村三组27号",
    )
    Building.objects.create(
        household=household,
        number="1",
        structure_type="brick_concrete",
        use="residential",
        floors=2,
        measured_area=Decimal("96.00"),
    )
    Building.objects.create(
        household=household,
        number="2",
        structure_type="simple",
        use="auxiliary",
        measured_area=Decimal("40.00"),
    )
    Person.objects.create(
        household=household,
        name="张建国",
        relation="head",
        sex=Sex.MALE,
        id_number=make_id_number("330282", dt.date(1970, 3, 8), 11),
    )
    Person.objects.create(household=household, name="李秀英", relation="spouse", sex=Sex.FEMALE)
    return household


def confirm_all(actor: Any, household: Household) -> None:
    """Confirm every building (80 licensed + rest unlicensed, recognised) and person."""
    for b in household.buildings.order_by("number"):
        licensed = min(b.measured_area, Decimal("80.00"))
        unlicensed = b.measured_area - licensed
        services.building_confirm(
            actor=actor,
            building=b,
            licensed_area=licensed,
            unlicensed_area=unlicensed,
            unlicensed_treatment="recognised" if unlicensed else "",
            basis="不动产权证 浙(2010)慈溪市不动产权第0012345号",
        )
    for p in household.persons.all():
        services.person_confirm(actor=actor, person=p, eligible=True, reason="registered")


def lock_confirmation(officer: Any, pm: Any, household: Household) -> None:
    confirm_all(officer, household)
    services.confirmation_submit(actor=officer, household=household)
    services.confirmation_review(actor=pm, household=household, approve=True)


@pytest.fixture
def own(world):  # type: ignore[no-untyped-def]
    """An ownership officer of project A, one limited to the first work group, one of project
    B, and a household of the first work group with two buildings and two persons."""
    officer = UserFactory(username="officer")
    grant(officer, RoleCode.OWNERSHIP_OFFICER, world.project)
    group_officer = UserFactory(username="group_officer")
    grant(group_officer, RoleCode.OWNERSHIP_OFFICER, world.project, work_groups=[world.other_group])
    other_officer = UserFactory(username="other_officer")
    grant(other_officer, RoleCode.OWNERSHIP_OFFICER, world.other_project)
    household = make_household(world.project, work_group=world.group)
    return SimpleNamespace(
        world=world,
        officer=officer,
        group_officer=group_officer,
        other_officer=other_officer,
        pm=world.pm,
        household=household,
        big=household.buildings.get(number="1"),
        small=household.buildings.get(number="2"),
        head=household.persons.get(relation="head"),
        spouse=household.persons.get(relation="spouse"),
    )
