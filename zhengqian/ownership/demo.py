"""Demo data of the ownership module, written by seed_demo for the first demo project.

The confirmations go through the real services, as an ownership officer and the project manager
would enter them: every building's licensed and unlicensed area with its basis, every person's
eligibility with its reason, then submission and review. Most households of the project are
confirmed and locked (in code order, so that they cover the households whose valuation the demo
confirms), a few wait for review, one was returned with a reason and a few are still being
confirmed, so that every state of a confirmation appears.

Confirming a building or a person for the first time announces nothing downstream (only a
changed decision does, see core.staleness), so this may run before or after the valuations.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from zhengqian.accounts.models import User
from zhengqian.ownership import services
from zhengqian.projects.models import Project
from zhengqian.survey.models import Building, Household, Person

__all__ = ["LOCKED_SHARE", "MAX_LOCKED", "OwnershipCounts", "seed_confirmations"]

#: Share of the project's households (the first ones by code) confirmed and locked. The
#: valuation demo confirms the valuations of the first 7/10 × 2/3 ≈ 47 %: all of them are here.
LOCKED_SHARE: Final = Decimal("0.55")
#: However large the project: each confirmation goes through the services (a few hundredths of
#: a second per decision), and a large seed is for volume, which the survey data gives.
MAX_LOCKED: Final = 120
_RETURN_REASON: Final = (
    "第1幢房屋持证面积与不动产权证记载面积不一致，请调取产权档案核对后重新确认。"
)
_RECOGNISED_BEFORE: Final = 2000  # built before this year without a title: recognised as legal


@dataclass
class OwnershipCounts:
    locked: int = 0
    submitted: int = 0
    returned: int = 0
    in_progress: int = 0

    @property
    def started(self) -> int:
        return self.locked + self.submitted + self.returned + self.in_progress


def seed_confirmations(
    *, project: Project, users: dict[str, User], rng: random.Random, as_of: dt.date
) -> OwnershipCounts:
    """Confirm the first households of the project; see the module's docstring."""
    officer, manager = users["ownership"], users["pm"]
    households = list(Household.objects.filter(project=project).order_by("code"))
    n = len(households)
    locked = min(math.ceil(n * LOCKED_SHARE), MAX_LOCKED)
    # After the locked ones: two waiting for review, one returned, two half done.
    plan = ["locked"] * locked + ["submitted"] * 2 + ["returned"] + ["in_progress"] * 2
    buildings: dict[int, list[Building]] = {}
    for b in Building.objects.filter(household__project=project).order_by("number"):
        buildings.setdefault(b.household_id, []).append(b)
    persons: dict[int, list[Person]] = {}
    for p in Person.objects.filter(household__project=project).order_by("id"):
        persons.setdefault(p.household_id, []).append(p)
    counts = OwnershipCounts()
    for household, state in zip(households, plan, strict=False):
        own_buildings = buildings.get(household.pk, [])
        own_persons = persons.get(household.pk, [])
        if not own_buildings and not own_persons:
            continue
        for building in own_buildings:
            _confirm_building(officer, building, rng)
        if state == "in_progress":
            # The buildings are done; the persons are still to be checked against the register.
            counts.in_progress += 1
            continue
        for person in own_persons:
            _confirm_person(officer, person, as_of)
        services.confirmation_submit(actor=officer, household=household)
        if state == "submitted":
            counts.submitted += 1
        elif state == "returned":
            services.confirmation_review(
                actor=manager, household=household, approve=False, reason=_RETURN_REASON
            )
            counts.returned += 1
        else:
            services.confirmation_review(actor=manager, household=household, approve=True)
            counts.locked += 1
    return counts


def _confirm_building(officer: User, building: Building, rng: random.Random) -> None:
    measured = building.measured_area
    year = building.year_built or 1990
    title = building.title_certificate_no
    if title and rng.random() < 0.85:
        licensed, unlicensed, treatment = measured, Decimal("0.00"), ""
        basis = f"不动产权证 {title}，登记面积与实测面积一致。"
    elif title:
        # A later extension beyond the registered area: recognised after the joint inspection.
        licensed = (measured * Decimal(rng.randint(75, 92)) / 100).quantize(Decimal("0.01"))
        unlicensed, treatment = measured - licensed, "recognised"
        basis = (
            f"不动产权证 {title}，登记面积{licensed}平方米；超出部分为后期加建，"
            "经街道、自然资源和规划部门联合认定为合法建筑。"
        )
    elif building.structure_type == "simple":
        licensed, unlicensed = Decimal("0.00"), measured
        treatment = "demolish_no_compensation"
        basis = "简易搭建，未取得规划许可，经联合认定小组认定为违法建筑，由当事人自行拆除。"
    elif year < _RECOGNISED_BEFORE or rng.random() < 0.6:
        licensed, unlicensed, treatment = Decimal("0.00"), measured, "recognised"
        basis = f"未办理不动产登记，建于{year}年，经街道、自然资源和规划部门联合认定为合法建筑。"
    else:
        licensed, unlicensed, treatment = Decimal("0.00"), measured, "not_recognised"
        basis = f"未办理不动产登记，{year}年建成，无规划许可，经联合认定不予认定为合法建筑。"
    services.building_confirm(
        actor=officer,
        building=building,
        licensed_area=licensed,
        unlicensed_area=unlicensed,
        unlicensed_treatment=treatment,
        basis=basis,
    )


def _age(person: Person, as_of: dt.date) -> int:
    born = person.birth_date
    if born is None:
        return 40
    return as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))


def _confirm_person(officer: User, person: Person, as_of: dt.date) -> None:
    age = _age(person, as_of)
    if person.registered_here:
        eligible, note = True, ""
        if age < 1:
            reason = "newborn"
        elif person.relation == "child_in_law":
            reason, note = "married_in", "婚入人员，户籍已随婚迁入本户。"
        else:
            reason = "registered"
    elif person.relation in ("child", "grandchild") and 17 <= age <= 24:
        eligible, reason, note = True, "student", "在校学生，户籍因就学迁出。"
    else:
        eligible, reason = False, "not_eligible"
        note = "户籍已迁出被征收房屋所在地，不计入安置人口。"
    services.person_confirm(
        actor=officer, person=person, eligible=eligible, reason=reason, note=note
    )
