"""Payments: the project's funds summary and the supervision lists on a project of 100,000
households. Imported after django.setup().

The rows are bulk-loaded as the payments module keeps them (households, their agreements, the
household accounts with their paid amounts, first payment, next due date, vacating and demolition
days; paid identities with some duplicates; funding sources and receipts; amounts receivable
from one household in thirty). Then a finance officer of the project asks for:
- the funds summary (budget, received, value agreed, payable, paid, being paid, receivables);
- the counts of the four supervision rules (the badges of the project page);
- the first page of each rule's list;
- the payments project page, each list page and the receivables list over HTTP (Django's test
  Client, in process).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bench.harness import Result, interleaved, progress, summarise
from zhengqian.accounts.models import Membership, User
from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements.models import Agreement, AgreementKind, AgreementStatus, AgreementTemplate
from zhengqian.compensation.models import Calculation, CalculationStatus, Policy, PolicyStatus
from zhengqian.payments import selectors
from zhengqian.payments.models import (
    FundingSource,
    FundKind,
    FundReceipt,
    HouseholdAccount,
    IdentityKind,
    PaidIdentity,
    PlanKind,
    Receivable,
    ReceivableStatus,
)
from zhengqian.projects.models import District, Project
from zhengqian.projects.procedures import ProjectKind
from zhengqian.survey.models import Household

SEED = 7
BATCH = 5000
TARGET_MS = 200


def _user(username: str, role: str, project: Project) -> User:
    user = User.objects.create_user(username=username, password="Zhengqian2026")
    Membership.objects.create(user=user, role=role, project=project)
    return user


def _seed(households: int) -> tuple[Project, User]:
    rng = random.Random(SEED)
    district, _created = District.objects.get_or_create(code="BENCH", defaults={"name": "基准片区"})
    project = Project.objects.create(
        code="BENCH-PAY", name="资金拨付基准项目", kind=ProjectKind.STATE_OWNED, district=district
    )
    finance = _user("bench_pay_finance", RoleCode.FINANCE_OFFICER, project)
    Household.objects.bulk_create(
        [
            Household(
                project=project,
                code=f"P{i:06d}",
                head_name=f"户主{i}",
                head_id_number="",
                division_code="330102",
                address=f"基准路{i}号",
            )
            for i in range(households)
        ],
        batch_size=BATCH,
    )
    ids = list(
        Household.objects.filter(project=project).order_by("pk").values_list("pk", flat=True)
    )
    policy = Policy.objects.create(
        project=project,
        version=1,
        title="基准方案",
        status=PolicyStatus.PUBLISHED,
        created_by=finance,
    )
    # One calculation and one template stand for all (what the lists read is the agreement's
    # total and state, not its calculation).
    calculation = Calculation.objects.create(
        household_id=ids[0],
        number=1,
        policy=policy,
        mode="cash",
        status=CalculationStatus.APPROVED,
        inputs={},
        total=Decimal("0"),
        prepared_by=finance,
    )
    template = AgreementTemplate.objects.create(
        project=project,
        kind=AgreementKind.CASH,
        version=1,
        title="基准模板",
        file="bench.docx",
        sha256="0" * 64,
        uploaded_by=finance,
    )
    today = timezone.localdate()
    agreements = []
    signed = [pk for pk in ids if rng.random() < 0.9]
    for n, pk in enumerate(signed, start=1):
        agreements.append(
            Agreement(
                project=project,
                household_id=pk,
                calculation=calculation,
                template=template,
                kind=AgreementKind.CASH,
                sequence=n,
                number=f"BENCH-{n:06d}",
                status=AgreementStatus.EFFECTIVE,
                total=Decimal(rng.randrange(300_000_00, 2_000_000_00)) / 100,
                docx="bench.docx",
                pdf="bench.pdf",
                drafted_by=finance,
                signed_on=today - dt.timedelta(days=rng.randrange(30, 200)),
                signing_order=n,
                effective_on=today - dt.timedelta(days=rng.randrange(20, 200)),
            )
        )
    Agreement.objects.bulk_create(agreements, batch_size=BATCH)
    accounts = []
    for agreement in Agreement.objects.filter(project=project).only("pk", "household_id", "total"):
        total = agreement.total
        paid_share = rng.random()
        first_paid = today - dt.timedelta(days=rng.randrange(1, 150)) if paid_share < 0.8 else None
        paid = (total * Decimal("0.7")).quantize(Decimal("0.01")) if first_paid else Decimal("0")
        demolished = today - dt.timedelta(days=rng.randrange(1, 60)) if rng.random() < 0.6 else None
        if demolished and rng.random() < 0.9 and first_paid:
            paid = total
        accounts.append(
            HouseholdAccount(
                project=project,
                household_id=agreement.household_id,
                agreement_id=agreement.pk,
                committed=total,
                paid=paid,
                first_paid_on=first_paid,
                last_paid_on=first_paid,
                next_due_on=(
                    today + dt.timedelta(days=rng.randrange(-40, 40)) if paid < total else None
                ),
                vacated_on=demolished,
                demolished_on=demolished,
            )
        )
    HouseholdAccount.objects.bulk_create(accounts, batch_size=BATCH)
    identities = []
    for n, account in enumerate(accounts):
        if account.first_paid_on is None:
            continue
        duplicate = n % 100 == 0
        value = f"CERT-{n // 2 if duplicate else n + 10_000_000}"
        identities.append(
            PaidIdentity(
                kind=IdentityKind.CERTIFICATE,
                value=value,
                project=project,
                household_id=account.household_id,
                duplicate=duplicate,
            )
        )
    PaidIdentity.objects.bulk_create(identities, batch_size=BATCH)
    for k, kind in enumerate(FundKind.values):
        source = FundingSource.objects.create(
            project=project,
            kind=kind,
            name=f"来源{k}",
            planned=Decimal("1000000000.00"),
            created_by=finance,
        )
        FundReceipt.objects.bulk_create(
            [
                FundReceipt(
                    project=project,
                    source=source,
                    amount=Decimal("10000000.00"),
                    received_on=today - dt.timedelta(days=d),
                    document_no=f"R{k}-{d}",
                    recorded_by=finance,
                )
                for d in range(50)
            ]
        )
    Receivable.objects.bulk_create(
        [
            Receivable(
                project=project,
                household_id=pk,
                kind=PlanKind.DIFFERENCE,
                reference="R1",
                description="安置房差价",
                amount=Decimal(rng.randrange(1_000_00, 200_000_00)) / 100,
                due_on=today + dt.timedelta(days=rng.randrange(-60, 60)),
                status=ReceivableStatus.RECEIVED if n % 3 == 0 else ReceivableStatus.OPEN,
                received_on=today if n % 3 == 0 else None,
            )
            for n, pk in enumerate(ids[::30])
        ],
        batch_size=BATCH,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (
                Household,
                Agreement,
                HouseholdAccount,
                PaidIdentity,
                FundReceipt,
                Receivable,
            ):
                cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
    return project, finance


def payments(*, households: int, n: int, warmup: int) -> list[Result]:
    progress(f"payments: seeding one project of {households} households")
    project, finance = _seed(households)
    today = timezone.localdate()
    counts = selectors.counts(project, today)
    progress(f"payments: rule counts {counts}")

    def call(fn: Any) -> Any:
        def run(_i: int) -> None:
            fn()

        return run

    def first_page(rule: str) -> Any:
        if rule == selectors.Rule.DOUBLE:
            return lambda: selectors.double_rows(
                project.pk, list(selectors.doubles(project.pk)[:50])
            )
        return lambda: list(selectors.rule_accounts(project, rule, today)[:50])

    variants: dict[str, Any] = {
        "funds summary": call(lambda: selectors.funds(project.pk)),
        "supervision counts (4 rules)": call(lambda: selectors.counts(project, today)),
    }
    for rule in selectors.Rule.ALL:
        variants[f"list {rule}, first page"] = call(first_page(rule))

    client = Client()
    client.force_login(finance, backend="django.contrib.auth.backends.ModelBackend")
    pages = {"project page": reverse("payments:project", args=[project.pk])}
    for rule in selectors.Rule.ALL:
        pages[f"list page {rule}"] = reverse("payments:rule", args=[project.pk, rule])
    pages["receivables page"] = reverse("payments:receivables", args=[project.pk])

    def get(url: str) -> Any:
        def run(_i: int) -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        return run

    for name, url in pages.items():
        variants[f"{name} (HTTP)"] = get(url)
    samples = interleaved(variants, n=n, warmup=warmup)
    return [
        summarise(
            f"payments ({households} households): {name}",
            samples[name],
            f"target ≤ {TARGET_MS} ms median",
            households=households,
            target_ms=TARGET_MS,
            rule_counts=counts,
        )
        for name in variants
    ]
