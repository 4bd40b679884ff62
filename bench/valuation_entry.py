"""The valuation page of one household, as its valuer opens it. Imported after django.setup().

A project with its decision announced and its appraisal firm chosen by negotiation; one household
of 20 buildings (each confirmed), 5 ancillaries and 3 persons, whose valuation is entered (every
building and ancillary valued, three decoration items) and has one pending stale mark to list.
The valuer of the firm (entry form, 20 building rows prefilled) and the project manager
(read-only figures) then ask for the page; the server time is measured in process (Django's test
Client), and the queries of one request are counted: they must not grow with the buildings.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.harness import Result, interleaved, progress, summarise
from zhengqian.accounts.models import Membership, User
from zhengqian.accounts.roles import RoleCode
from zhengqian.core.models import StaleMark
from zhengqian.ownership.models import BuildingConfirmation
from zhengqian.projects.models import District, Milestone, Project, WorkGroup
from zhengqian.projects.procedures import ProjectKind
from zhengqian.survey.models import Ancillary, Building, Household, Person
from zhengqian.valuation import rules, services
from zhengqian.valuation.models import AppraisalFirm, Valuation
from zhengqian.valuation.receivers import STALE_TARGET

BUILDINGS = 20
ANCILLARIES = 5
DECISION_DAY = dt.date(2026, 3, 2)
TARGET_MS = 150
PASSWORD = "Bench-Zhengqian-2026"


def _user(username: str) -> User:
    user = User.objects.create(username=username, full_name=f"基准{username}")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def _household(project: Project, group: WorkGroup) -> Household:
    household = Household.objects.create(
        project=project,
        work_group=group,
        code="PG-001",
        head_name="陈国强",
        division_code="330282",
        address="浙江省慈溪市新塘镇红旗村三组27号",
    )
    buildings = Building.objects.bulk_create(
        Building(
            household=household,
            number=str(n),
            structure_type="brick_concrete" if n % 2 else "simple",
            use="residential" if n % 3 else "auxiliary",
            floors=1 + n % 3,
            measured_area=Decimal("48.50") + n,
        )
        for n in range(1, BUILDINGS + 1)
    )
    BuildingConfirmation.objects.bulk_create(
        BuildingConfirmation(
            building=b,
            licensed_area=b.measured_area - Decimal("8.50"),
            unlicensed_area=Decimal("8.50"),
            unlicensed_treatment="recognised",
            basis="不动产权证",
        )
        for b in buildings
    )
    Ancillary.objects.bulk_create(
        Ancillary(household=household, kind="wall", quantity=Decimal("12.50") + n, unit="m")
        for n in range(ANCILLARIES)
    )
    Person.objects.bulk_create(
        Person(household=household, name=name, relation=relation, sex=sex)
        for name, relation, sex in [
            ("陈国强", "head", "M"),
            ("王丽", "spouse", "F"),
            ("陈晨", "child", "M"),
        ]
    )
    return household


def _valued(valuer: User, household: Household) -> Valuation:
    price = Decimal("12345.67")
    return services.valuation_save(
        actor=valuer,
        household=household,
        header={"report_no": "BENCH-PG-001", "valuation_date": DECISION_DAY},
        buildings=[
            services.BuildingLine(
                b.pk, b.measured_area, price, rules.product(b.measured_area, price)
            )
            for b in household.buildings.order_by("number")
        ],
        decorations=[
            services.DecorationLine("厨房整体橱柜", "8000.00"),
            services.DecorationLine("木地板", "3600.00"),
            services.DecorationLine("吊顶", "2450.50"),
        ],
        ancillaries=[
            services.AncillaryLine(
                a.pk, a.quantity, "100.00", rules.product(a.quantity, Decimal(100))
            )
            for a in household.ancillaries.order_by("pk")
        ],
    )


def _queries(client: Client, url: str) -> int:
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(captured)


def valuation_entry(*, n: int, warmup: int) -> list[Result]:
    progress(f"valuation page: one household of {BUILDINGS} buildings, valued")
    district, _created = District.objects.get_or_create(code="BENCH", defaults={"name": "基准片区"})
    project = Project.objects.create(
        code="BENCH-VAL", name="评估基准项目", kind=ProjectKind.STATE_OWNED, district=district
    )
    Milestone.objects.create(
        project=project, code=services.DECISION_MILESTONE, order=1, actual_date=DECISION_DAY
    )
    group = WorkGroup.objects.create(project=project, name="评估基准组")
    pm = _user("bench_valuation_pm")
    Membership.objects.create(user=pm, project=project, role=RoleCode.PROJECT_MANAGER)
    firm = AppraisalFirm.objects.create(
        name="基准房地产估价有限公司",
        grade="1",
        certificate_no="BENCH-0001",
        valid_until=dt.date(2030, 12, 31),
    )
    valuer = _user("bench_valuer")
    services.valuer_add(actor=pm, firm=firm, user=valuer)
    services.selection_negotiate(
        actor=pm, project=project, firm=firm, decided_on=DECISION_DAY, record_text="协商选定"
    )
    household = _household(project, group)
    valuation = _valued(User.objects.get(pk=valuer.pk), household)
    first = household.buildings.order_by("number").first()
    assert first is not None
    StaleMark.objects.create(
        household=household,
        target_type=STALE_TARGET,
        target_id=valuation.pk,
        source="survey.building",
        source_id=str(first.pk),
        changes={"measured_area": [str(first.measured_area), "60.00"]},
    )

    url = f"/valuation/households/{household.pk}/"
    clients: dict[str, Client] = {}
    for name, user in (("valuer (entry form)", valuer), ("project manager (read only)", pm)):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        clients[name] = client
    counts = {name: _queries(client, url) for name, client in clients.items()}
    progress(f"valuation page: {n} requests each for the valuer and the project manager")

    def get(client: Client) -> Any:
        def run(_i: int) -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        return run

    samples = interleaved(
        {name: get(client) for name, client in clients.items()}, n=n, warmup=warmup
    )
    return [
        summarise(
            f"valuation page ({BUILDINGS} buildings): {name}",
            samples[name],
            f"{counts[name]} queries; target ≤ {TARGET_MS} ms",
            queries_per_request=counts[name],
            buildings=BUILDINGS,
        )
        for name in clients
    ]
