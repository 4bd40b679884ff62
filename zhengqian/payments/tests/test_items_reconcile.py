"""The reconciliation check with items of resettlement, receivables and agreements that are
not all paid in cash: a clean state reconciles, and each planted difference is found."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from zhengqian.agreements.models import AgreementKind
from zhengqian.agreements.tests.conftest import agr, signing  # noqa: F401  (the fixture)
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (the fixture)
from zhengqian.payments import reconcile, services
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
from zhengqian.payments.tests.test_items import item, owe, pay_item
from zhengqian.resettlement.tests.conftest import effective, resettling
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def busy(agr):  # type: ignore[no-untyped-def]  # noqa: F811
    """An exchange household paid part in cash, a voucher household, a transition fee paid
    and one scheduled, a receivable received, one open and one cancelled."""
    r = resettling(paying(agr))
    r.exchange = effective(r, "H-010", exchange_area=Decimal("60.00"))
    r.voucher = effective(r, "H-012", kind=AgreementKind.VOUCHER)
    pay_item(r, item(r, reference="2026-05"))
    item(r, reference="2026-06")
    services.receivable_record(
        actor=r.finance, receivable=owe(r, reference="R1"), received_on=TODAY(), voucher_no="SK"
    )
    owe(r, reference="R2")
    services.receivable_cancel(actor=r.finance, receivable=owe(r, reference="R3"), reason="撤销")
    return r


def found(project_id: int) -> list[tuple[str, str]]:
    return [(d.where, d.what) for d in reconcile.check(project_id)]


def test_items_receivables_and_agreements_paid_in_kind_reconcile(busy: Any) -> None:
    assert reconcile.check(busy.project.pk) == []
    assert reconcile.check() == []


def _item_amount(c: Any) -> str:
    PaymentPlan.objects.filter(kind=PlanKind.TRANSITION, reference="2026-06").update(
        amount=Decimal("1800.01")
    )
    return "amount agreed"


def _exchange_committed(c: Any) -> str:
    HouseholdAccount.objects.filter(agreement=c.exchange).update(committed=Decimal("900000.00"))
    return "amount agreed"


def _voucher_committed(c: Any) -> str:
    HouseholdAccount.objects.filter(agreement=c.voucher).update(committed=Decimal("1.00"))
    return "amount agreed"


def _received_unbooked(c: Any) -> str:
    Receivable.objects.filter(reference="R2").update(
        status=ReceivableStatus.RECEIVED, received_on=TODAY()
    )
    return "ledger collections"


def _collection_amount(c: Any) -> str:
    LedgerEntry.objects.filter(kind=EntryKind.COLLECTION).update(amount=Decimal("4999.99"))
    return "ledger collections"


def _cancelled_booked(c: Any) -> str:
    Receivable.objects.filter(reference="R1").update(status=ReceivableStatus.CANCELLED)
    return "ledger collections"


@pytest.mark.parametrize(
    "plant",
    [
        _item_amount,
        _exchange_committed,
        _voucher_committed,
        _received_unbooked,
        _collection_amount,
        _cancelled_booked,
    ],
)
def test_a_planted_difference_is_found(busy: Any, plant: Callable[[Any], str]) -> None:
    what = plant(busy)
    assert what in [w for _where, w in found(busy.project.pk)]
