"""The compensation calculation: one household, and a batch of a whole project. Imported after
django.setup().

A state-owned project with its decision announced, a published policy of eight items (house
value at the valuation's unit price, decoration and ancillaries from the valuation, moving fee
paid twice, transition fee with a monthly minimum, a per-person subsidy, a percentage cash bonus
and a day-tiered vacating bonus), and N households, each with two confirmed buildings, two
eligible persons and a confirmed valuation — written in bulk, as the demo seed does. Then:
- one household calculated through the service (the accountant's click), n times;
- the whole project calculated as a batch (services read in chunks of 500, bulk writes), with
  the queries of the batch counted: they grow with the chunks, not with the households.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.harness import Result, progress, summarise, time_ms
from zhengqian.accounts.models import Membership, User
from zhengqian.accounts.roles import RoleCode
from zhengqian.compensation import batch, services
from zhengqian.ownership.models import BuildingConfirmation, PersonConfirmation
from zhengqian.projects.models import District, Milestone, Project
from zhengqian.projects.procedures import ProjectKind
from zhengqian.survey.models import Building, Household, Person, Sex
from zhengqian.valuation.models import AppraisalFirm, BuildingValuation, Valuation

DECISION_DAY = dt.date(2026, 3, 2)
TARGET_ONE_MS = 50
TARGET_BATCH_S = 20
ITEMS: list[dict[str, Any]] = [
    {
        "code": "house",
        "name": "房屋价值",
        "category": "house_value",
        "rule": {"type": "area_rate", "area": "measured", "valuation_price": True},
    },
    {
        "code": "decoration",
        "name": "装修",
        "category": "decoration",
        "rule": {"type": "valuation", "line": "decoration"},
    },
    {
        "code": "ancillaries",
        "name": "附属物",
        "category": "ancillaries",
        "rule": {"type": "valuation", "line": "ancillaries"},
    },
    {
        "code": "moving",
        "name": "搬迁费",
        "category": "moving",
        "rule": {"type": "area_rate", "area": "licensed", "rate": "20", "coefficient": "2"},
    },
    {
        "code": "transition",
        "name": "临时安置费",
        "category": "transition",
        "rule": {
            "type": "monthly",
            "area": "legal",
            "rate": "25",
            "months": 24,
            "monthly_minimum": "1000",
        },
    },
    {
        "code": "persons",
        "name": "人口补助",
        "category": "subsidy",
        "rule": {"type": "per_person", "amount": "5000"},
    },
    {
        "code": "cash_bonus",
        "name": "货币补偿奖励",
        "category": "incentive",
        "rule": {"type": "percent_of", "of": ["house"], "percent": "10"},
        "modes": ["cash"],
    },
    {
        "code": "early",
        "name": "按期搬迁奖励",
        "category": "incentive",
        "rule": {
            "type": "tiers",
            "from": "decision_announced",
            "to": "signing",
            "tiers": [
                {"up_to_days": 30, "amount": "30000"},
                {"up_to_days": 45, "amount": "20000"},
                {"amount": "10000"},
            ],
        },
    },
]


def _user(username: str, role: RoleCode, project: Project) -> User:
    user = User.objects.create_user(username=username, password="Bench-Zhengqian-2026")
    Membership.objects.create(user=user, project=project, role=role)
    return user


def _seed(project: Project, households: int, valuer: User) -> None:
    firm = AppraisalFirm.objects.create(
        name=f"核算基准估价有限公司（{project.code}）",
        grade="1",
        certificate_no=f"BENCH-{project.code}",
        valid_until=dt.date(2030, 12, 31),
    )
    Household.objects.bulk_create(
        Household(
            project=project,
            code=f"C{i:05d}",
            head_name="张三",
            division_code="330282",
            address="示范路1号",
        )
        for i in range(households)
    )
    rows = list(Household.objects.filter(project=project).order_by("code"))
    buildings = Building.objects.bulk_create(
        Building(
            household=h,
            number=str(n),
            structure_type="brick_concrete",
            use="residential" if n == 1 else "auxiliary",
            measured_area=Decimal("96.00") if n == 1 else Decimal("40.00"),
        )
        for h in rows
        for n in (1, 2)
    )
    BuildingConfirmation.objects.bulk_create(
        BuildingConfirmation(building=b, licensed_area=b.measured_area) for b in buildings
    )
    persons = Person.objects.bulk_create(
        Person(household=h, name=f"成员{k}", relation="head" if k == 0 else "spouse", sex=Sex.MALE)
        for h in rows
        for k in (0, 1)
    )
    PersonConfirmation.objects.bulk_create(
        PersonConfirmation(person=p, eligible=True, reason="registered") for p in persons
    )
    valuations = Valuation.objects.bulk_create(
        Valuation(
            household=h,
            firm=firm,
            status="confirmed",
            report_no=f"R{h.code}",
            valuation_date=DECISION_DAY,
            buildings_total=Decimal("1632000.00"),
            decoration_total=Decimal("8000.00"),
            ancillaries_total=Decimal("1250.00"),
            total=Decimal("1641250.00"),
            prepared_by=valuer,
        )
        for h in rows
    )
    by_household = {v.household_id: v for v in valuations}
    BuildingValuation.objects.bulk_create(
        BuildingValuation(
            valuation=by_household[b.household_id],
            building=b,
            area=b.measured_area,
            unit_price=Decimal("12000.00"),
            value=b.measured_area * 12000,
        )
        for b in buildings
    )


def compensation(*, households: int, n: int, warmup: int) -> list[Result]:
    progress(f"compensation: a project of {households} households, valued and confirmed")
    district, _created = District.objects.get_or_create(code="BENCH", defaults={"name": "基准片区"})
    project = Project.objects.create(
        code="BENCH-COMP", name="核算基准项目", kind=ProjectKind.STATE_OWNED, district=district
    )
    Milestone.objects.update_or_create(
        project=project,
        code="decision_announced",
        defaults={"order": 1, "actual_date": DECISION_DAY},
    )
    pm = _user("bench_comp_pm", RoleCode.PROJECT_MANAGER, project)
    accountant = _user("bench_comp_accountant", RoleCode.ACCOUNTANT, project)
    valuer = _user("bench_comp_valuer", RoleCode.VALUER, project)
    _seed(project, households, valuer)
    policy = services.policy_draft(actor=pm, project=project, title="基准补偿方案")
    for item in ITEMS:
        services.policy_item_save(actor=pm, policy=policy, **item)
    services.policy_publish(actor=pm, policy=policy)

    one = Household.objects.filter(project=project).order_by("code").first()
    assert one is not None
    signing = DECISION_DAY + dt.timedelta(days=20)
    progress(f"compensation: one household calculated {n} times")
    samples = []
    for i in range(warmup + n):
        elapsed = time_ms(
            lambda: services.calculate(
                actor=accountant, household=one, mode="cash", signing_on=signing
            )
        )
        if i >= warmup:
            samples.append(elapsed)
    with CaptureQueriesContext(connection) as one_ctx:
        services.calculate(actor=accountant, household=one, mode="cash", signing_on=signing)

    progress(f"compensation: batch of {households} households")
    job = batch.batch_start(actor=accountant, project=project, mode="cash", signing_on=signing)
    with CaptureQueriesContext(connection) as ctx:
        elapsed = time_ms(lambda: batch.run_batch(job))
    job.refresh_from_db()
    assert job.done == households, job.done
    chunks = -(-households // batch.CHUNK)
    return [
        summarise(
            "compensation: one household calculated (8 policy items)",
            samples,
            f"{len(one_ctx.captured_queries)} queries; target ≤ {TARGET_ONE_MS} ms",
        ),
        summarise(
            f"compensation: batch of {households} households",
            [elapsed],
            f"{len(ctx.captured_queries)} queries for {chunks} chunks of {batch.CHUNK} "
            f"({len(ctx.captured_queries) / chunks:.0f} per chunk); "
            f"{len(job.skipped)} left out; target ≤ {TARGET_BATCH_S} s",
        ),
    ]
