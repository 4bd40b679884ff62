"""Helpers of the housing voucher tests (no tests of their own): a household with an effective
voucher agreement of 1,000,000 yuan (voucher 1,100,000 at the fixture's 10 % premium), its head
and a member with ID numbers, a developer, and the voucher issued to the head."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhengqian.agreements.models import Agreement, AgreementKind
from zhengqian.core.idcard import make_id_number
from zhengqian.core.workdays import add_months
from zhengqian.resettlement import services_voucher as services
from zhengqian.resettlement.models import Developer, Voucher
from zhengqian.resettlement.tests.conftest import effective
from zhengqian.survey.models import Household, Person

HEAD_ID = make_id_number("330102", dt.date(1968, 4, 12), 13)
MEMBER_ID = make_id_number("330102", dt.date(1994, 9, 3), 24)
MEMBER_NAME = "王小梅"
CREDIT_CODE = "91350100M000100Y43"
OTHER_CREDIT_CODE = "91110000802100433B"
TOTAL = Decimal("1000000.00")


def today() -> dt.date:
    return timezone.localdate()


def voucher_agreement(
    r: Any, code: str, *, total: Decimal = TOTAL, effective_on: dt.date | None = None
) -> Agreement:
    # One transaction, as when an agreement takes effect (its payment plan locks rows).
    with transaction.atomic():
        agreement = effective(
            r, code, kind=AgreementKind.VOUCHER, total=total, effective_on=effective_on
        )
        Household.objects.filter(pk=agreement.household_id).update(head_id_number=HEAD_ID)
        Person.objects.create(
            household_id=agreement.household_id,
            name=MEMBER_NAME,
            id_number=MEMBER_ID,
            relation="child",
            sex="F",
        )
    return agreement


def developer(r: Any, *, code: str = CREDIT_CODE, name: str = "江南置业有限公司") -> Developer:
    return services.developer_create(
        actor=r.officer_r,
        project=r.project,
        name=name,
        credit_code=code,
        bank="工商银行杭州分行",
        account_no="1202020009000123456",
    )


def issue(r: Any, agreement: Agreement, *, on: dt.date | None = None) -> Voucher:
    return services.voucher_issue(
        actor=r.officer_r,
        agreement=agreement,
        holder_name=Household.objects.get(pk=agreement.household_id).head_name,
        holder_id_number=HEAD_ID,
        issued_on=on or today(),
    )


def expired_voucher(r: Any, code: str, *, months_ago: int = 13) -> Voucher:
    """A voucher issued `months_ago` months ago (12 months' validity: expired a month ago)."""
    day = add_months(today(), -months_ago)
    # Issued today (a voucher cannot be issued already expired), then dated back as if it had
    # been handed over `months_ago` months ago.
    voucher = issue(r, voucher_agreement(r, code, effective_on=day))
    Voucher.objects.filter(pk=voucher.pk).update(
        issued_on=day, valid_until=add_months(day, r.policy.voucher_validity_months)
    )
    voucher.refresh_from_db()
    return voucher


def use(
    r: Any,
    voucher: Voucher,
    dev: Developer,
    amount: str,
    *,
    contract: str = "HT-2026-001",
    price: str = "1500000.00",
    on: dt.date | None = None,
) -> Any:
    return services.voucher_use(
        actor=r.officer_r,
        voucher=voucher,
        developer=dev,
        contract_no=contract,
        flat="江南府 3幢 1201室",
        flat_area=Decimal("118.50"),
        contract_price=Decimal(price),
        amount=Decimal(amount),
        used_on=on or voucher.issued_on,
    )
