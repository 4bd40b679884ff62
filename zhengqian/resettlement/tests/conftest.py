"""Resettlement personas on top of the payments fixtures (`pay`: household H-001 with an effective
cash agreement, finance officers, a funded project account): a resettlement officer, a
published policy with resettlement settings, an estate with flats, and a helper that adds
households with effective property-exchange or voucher agreements (built row by row, as the
upstream modules leave them, then given their payment plans by the payments module)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementSeries,
    AgreementStatus,
    AgreementTemplate,
)
from zhengqian.agreements.tests.conftest import agr, pdf_upload, signing  # noqa: F401
from zhengqian.compensation.models import Calculation, CalculationStatus, Policy
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (the fixture)
from zhengqian.payments import services as payments
from zhengqian.payments.tests.conftest import paying
from zhengqian.resettlement.models import Building, Estate, Flat, FlatStatus
from zhengqian.survey.models import Household
from zhengqian.testing.factories import UserFactory, grant
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (the fixtures)

# The resettlement settings of the fixture's policy (the prices are the policy's own).
POLICY = {
    "entitled_price": Decimal("5000.00"),
    "above_price": Decimal("12000.00"),
    "below_price": Decimal("8000.00"),
    "fit_above": Decimal("15.00"),
    "fit_below": Decimal("15.00"),
    "flat_step_area": Decimal("90.00"),
    "max_flats": 2,
    "transition_rate": Decimal("20.00"),
    "transition_minimum": Decimal("1000.00"),
    "transition_after_handover_months": 6,
    "transition_late_factor": Decimal("2.00"),
    "voucher_premium": Decimal("10.00"),
    "voucher_validity_months": 12,
}


def household(project: Any, code: str, *, group: Any = None, head: str = "") -> Household:
    return Household.objects.create(
        project=project,
        work_group=group,
        code=code,
        head_name=head or f"户主{code}",
        head_id_number="",
        division_code="330102",
        address=f"安置测试路{code}号",
    )


def effective(
    r: Any,
    code: str,
    *,
    kind: str = AgreementKind.EXCHANGE,
    licensed_area: Decimal = Decimal("90.00"),
    total: Decimal = Decimal("900000.00"),
    exchange_area: Decimal | None = None,
    effective_on: dt.date | None = None,
    group: Any = None,
) -> Agreement:
    """A household `code` of the project with an effective main agreement of `kind`
    (exchange or voucher), signed next in the project's signing order, and its payment plan."""
    policy: Policy = r.policy
    h = household(r.project, code, group=group if group is not None else r.household.work_group)
    area = exchange_area if exchange_area is not None else licensed_area
    within = min(area, licensed_area)
    above = max(area - licensed_area, Decimal("0"))
    below = max(licensed_area - area, Decimal("0"))
    price = within * policy.entitled_price + above * policy.above_price - below * policy.below_price
    calculation = Calculation.objects.create(
        household=h,
        number=1,
        policy=policy,
        mode=kind,
        status=CalculationStatus.APPROVED,
        inputs={
            "buildings": [{"licensed_area": str(licensed_area), "unlicensed_area": "0.00"}],
            "eligible_persons": 3,
        },
        total=total,
        exchange_area=area if kind == AgreementKind.EXCHANGE else None,
        exchange_balance=(price - total) if kind == AgreementKind.EXCHANGE else None,
        voucher_value=(
            (total * (1 + policy.voucher_premium / 100)).quantize(Decimal("0.01"))
            if kind == AgreementKind.VOUCHER
            else None
        ),
        prepared_by=r.accountant,
    )
    series, _created = AgreementSeries.objects.get_or_create(project=r.project)
    sequence, order = series.next_number, series.next_order
    AgreementSeries.objects.filter(pk=series.pk).update(
        next_number=sequence + 1, next_order=order + 1
    )
    day = effective_on or timezone.localdate()
    agreement = Agreement.objects.create(
        project=r.project,
        household=h,
        calculation=calculation,
        template=AgreementTemplate.objects.filter(project=r.project, kind=kind).first(),
        kind=kind,
        sequence=sequence,
        number=f"{r.project.code}-R-{sequence:06d}",
        status=AgreementStatus.EFFECTIVE,
        total=total,
        docx="agreements/test.docx",
        pdf="agreements/test.pdf",
        drafted_by=r.officer,
        signed_at=timezone.now(),
        signed_on=day,
        signing_order=order,
        recorded_by=r.officer,
        effective_on=day,
    )
    payments.on_effective(agreements=[agreement], actor=r.officer)
    return agreement


def stock(
    r: Any,
    *,
    estate: str = "安置一区",
    flats: list[tuple[str, str, Decimal]] | None = None,
    planned_handover: dt.date | None = None,
    status: str = FlatStatus.READY,
) -> Estate:
    """An estate with one building and flats (unit, layout, area), all `status`."""
    e = Estate.objects.create(
        project=r.project,
        name=estate,
        planned_handover=planned_handover or timezone.localdate() + dt.timedelta(days=365),
        created_by=r.officer_r,
    )
    b = Building.objects.create(estate=e, name="1幢", floors=18)
    rows = flats or [
        ("101", "两室一厅", Decimal("60.00")),
        ("102", "两室两厅", Decimal("75.00")),
        ("201", "三室两厅", Decimal("90.00")),
        ("202", "三室两厅", Decimal("105.00")),
        ("301", "四室两厅", Decimal("120.00")),
    ]
    Flat.objects.bulk_create(
        [
            Flat(
                project=r.project,
                estate=e,
                building=b,
                unit_no=unit,
                floor=int(unit[:-2] or 1),
                layout=layout,
                area=area,
                orientation="南北",
                status=status,
            )
            for unit, layout, area in rows
        ]
    )
    return e


def resettling(base: Any) -> SimpleNamespace:
    """The `res` state on top of the payments fixture."""
    Policy.objects.filter(pk=base.calculation.policy_id).update(**POLICY)
    policy = Policy.objects.get(pk=base.calculation.policy_id)
    officer_r = UserFactory(username="resettler", first_name="安置员")
    officer_r2 = UserFactory(username="resettler2", first_name="安置员二")
    grant(officer_r, RoleCode.RESETTLEMENT_OFFICER, base.project)
    grant(officer_r2, RoleCode.RESETTLEMENT_OFFICER, base.project)
    state = {**vars(base), "policy": policy}
    return SimpleNamespace(**state, officer_r=officer_r, officer_r2=officer_r2)


@pytest.fixture
def res(agr):  # type: ignore[no-untyped-def]  # noqa: F811
    return resettling(paying(agr))


__all__ = ["effective", "household", "pdf_upload", "signing", "stock"]
