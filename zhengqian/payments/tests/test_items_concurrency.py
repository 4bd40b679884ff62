"""Items and receivables of one household written by two at the same moment: one plan per
item, one collection per receivable (PostgreSQL, real concurrent transactions)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from zhengqian.agreements.tests.conftest import agr, signing  # noqa: F401  (the fixture)
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (the fixture)
from zhengqian.payments import services
from zhengqian.payments.models import (
    EntryKind,
    HouseholdAccount,
    LedgerEntry,
    PaymentPlan,
    PlanKind,
    Receivable,
    ReceivableStatus,
)
from zhengqian.payments.tests.conftest import paying
from zhengqian.payments.tests.test_items import item, owe
from zhengqian.resettlement.tests.conftest import resettling
from zhengqian.testing.concurrency import POSTGRES_ONLY, at_once
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (the fixtures)

pytestmark = POSTGRES_ONLY


@pytest.fixture
def res(agr):  # type: ignore[no-untyped-def]  # noqa: F811
    return resettling(paying(agr))


def test_the_same_item_scheduled_twice_at_once_is_one_plan(res: Any) -> None:
    before = HouseholdAccount.objects.get(pk=res.account.pk).committed
    outcomes = at_once([res.officer_r, None], lambda actor: item(res, actor=actor))
    assert outcomes == ["ok", "ok"]
    assert PaymentPlan.objects.filter(kind=PlanKind.TRANSITION).count() == 1
    account = HouseholdAccount.objects.get(pk=res.account.pk)
    assert account.committed == before + Decimal("1800.00")


def test_the_same_item_with_two_amounts_at_once_keeps_the_first(res: Any) -> None:
    outcomes = at_once(["1800.00", "1900.00"], lambda amount: item(res, amount=amount))
    assert sorted(outcomes) == ["item_changed", "ok"]
    assert PaymentPlan.objects.filter(kind=PlanKind.TRANSITION).count() == 1


def test_a_receivable_recorded_twice_at_once_is_booked_once(res: Any) -> None:
    receivable = owe(res)
    outcomes = at_once(
        [(res.finance, "SK-1"), (res.finance2, "SK-2")],
        lambda who: services.receivable_record(
            actor=who[0],
            receivable=receivable,
            received_on=timezone.localdate(),
            voucher_no=who[1],
        ),
    )
    assert sorted(outcomes) == ["ok", "status"]
    assert LedgerEntry.objects.filter(kind=EntryKind.COLLECTION).count() == 1
    assert Receivable.objects.get(pk=receivable.pk).status == ReceivableStatus.RECEIVED


def test_a_receipt_and_a_cancellation_at_once_leave_one_of_them(res: Any) -> None:
    receivable = owe(res)

    def act(what: str) -> Any:
        if what == "record":
            return services.receivable_record(
                actor=res.finance,
                receivable=receivable,
                received_on=timezone.localdate(),
                voucher_no="SK-1",
            )
        return services.receivable_cancel(actor=res.finance2, receivable=receivable, reason="撤销")

    outcomes = at_once(["record", "cancel"], act)
    assert sorted(outcomes) == ["ok", "status"]
    status = Receivable.objects.get(pk=receivable.pk).status
    booked = LedgerEntry.objects.filter(kind=EntryKind.COLLECTION).count()
    assert (status, booked) in [(ReceivableStatus.RECEIVED, 1), (ReceivableStatus.CANCELLED, 0)]
