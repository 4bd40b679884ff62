"""Two people acting on the same payment at the same moment: one approval, one transfer, one
live payment per instalment; two transfers of one project never pay out more than its account
holds (PostgreSQL, real concurrent transactions)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from zhengqian.payments import services
from zhengqian.payments.models import (
    EntryKind,
    HouseholdAccount,
    Instalment,
    LedgerEntry,
    Payment,
    PaymentStatus,
)
from zhengqian.payments.tests.conftest import ledger, paying
from zhengqian.testing.concurrency import POSTGRES_ONLY, at_once
from zhengqian.testing.factories import PASSWORD

pytestmark = POSTGRES_ONLY


def _first(c: Any) -> Instalment:
    return Instalment.objects.get(plan__agreement=c.agreement, position=1)


def _transfer(c: Any, payment: Payment, voucher_no: str) -> Payment:
    return services.record_paid(
        actor=c.finance,
        payment=payment,
        payee="张建国",
        bank="农村商业银行",
        account_no="6222021234567890123",
        voucher_no=voucher_no,
        paid_on=timezone.localdate(),
    )


def test_two_approvals_at_once_approve_once(pay):  # type: ignore[no-untyped-def]
    payment = services.request(actor=pay.officer, instalment=_first(pay))
    outcomes = at_once(
        [pay.finance, pay.finance2],
        lambda user: services.approve(actor=user, payment=payment, password=PASSWORD),
    )
    assert sorted(outcomes) == ["ok", "status"]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.APPROVED
    assert payment.approved_by in (pay.finance, pay.finance2)


def test_two_transfers_at_once_pay_once(pay):  # type: ignore[no-untyped-def]
    first = _first(pay)
    payment = services.request(actor=pay.officer, instalment=first)
    services.approve(actor=pay.finance2, payment=payment, password=PASSWORD)
    outcomes = at_once(["FK-1", "FK-2"], lambda voucher: _transfer(pay, payment, voucher))
    assert sorted(outcomes) == ["ok", "status"]
    assert LedgerEntry.objects.filter(kind=EntryKind.DISBURSEMENT).count() == 1
    account = HouseholdAccount.objects.get(pk=pay.account.pk)
    assert account.paid == first.amount
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert ledger().get().document_no == payment.voucher_no


def test_two_requests_at_once_make_one_live_payment(pay):  # type: ignore[no-untyped-def]
    first = _first(pay)
    outcomes = at_once(
        [pay.officer, pay.finance],
        lambda user: services.request(actor=user, instalment=first),
    )
    assert sorted(outcomes) == ["ok", "requested"]
    assert Payment.objects.filter(instalment=first).count() == 1
    account = HouseholdAccount.objects.get(pk=pay.account.pk)
    assert account.in_process == first.amount


def test_a_transfer_and_a_failure_at_once_leave_the_books_even(pay):  # type: ignore[no-untyped-def]
    """Whichever runs first, the ledger, the account and the payment agree."""
    first = _first(pay)
    payment = services.request(actor=pay.officer, instalment=first)
    services.approve(actor=pay.finance2, payment=payment, password=PASSWORD)
    outcomes = at_once(
        ["paid", "failed"],
        lambda step: (
            _transfer(pay, payment, "FK-1")
            if step == "paid"
            else services.record_failure(
                actor=pay.finance2,
                payment=payment,
                reason="账户冻结",
                failed_on=timezone.localdate(),
            )
        ),
    )
    payment.refresh_from_db()
    account = HouseholdAccount.objects.get(pk=pay.account.pk)
    net = -sum(e.amount for e in LedgerEntry.objects.filter(payment=payment))
    assert payment.status == PaymentStatus.FAILED
    assert account.paid == net == 0
    # Failure first: the transfer is refused. Transfer first: the failure returns it.
    assert sorted(outcomes) in (["ok", "ok"], ["ok", "status"])
    from zhengqian.payments import reconcile

    assert reconcile.check() == []


def test_the_same_person_paid_in_two_households_at_once_is_flagged(pay):  # type: ignore[no-untyped-def]
    """Two disbursements of different households do not wait for each other's account: the
    same ID number paid in both at the same moment must still be seen twice (二次补偿)."""
    from zhengqian.agreements import services as agreements
    from zhengqian.agreements.tests.conftest import signing
    from zhengqian.agreements.tests.test_services import _second_household
    from zhengqian.payments import selectors

    other = signing(pay, agreements.draft(actor=pay.officer, calculation=_second_household(pay)))
    payments = []
    for agreement in (pay.agreement, other):
        instalment = Instalment.objects.get(plan__agreement=agreement, position=1)
        payment = services.request(actor=pay.officer, instalment=instalment)
        payments.append(services.approve(actor=pay.finance2, payment=payment, password=PASSWORD))
    outcomes = at_once(payments, lambda p: _transfer(pay, p, f"FK-{p.pk}"))
    assert outcomes == ["ok", "ok"]
    flagged = {i.household_id for i in selectors.doubles(pay.project.pk)}
    assert flagged == {pay.household.pk, other.household_id}


def test_two_transfers_beyond_the_balance_at_once_pay_one(agr):  # type: ignore[no-untyped-def]
    """Two households of the project paid at the same moment, the account holding enough for
    either but not both: the project's lock makes the second see the first's disbursement."""
    from zhengqian.agreements import services as agreements
    from zhengqian.agreements.tests.conftest import signing
    from zhengqian.agreements.tests.test_services import _second_household
    from zhengqian.payments import reconcile

    c = paying(agr, funded=None)
    other = signing(c, agreements.draft(actor=c.officer, calculation=_second_household(c)))
    payments = []
    for agreement in (c.agreement, other):
        instalment = Instalment.objects.get(plan__agreement=agreement, position=1)
        payment = services.request(actor=c.officer, instalment=instalment)
        payments.append(services.approve(actor=c.finance2, payment=payment, password=PASSWORD))
    a, b = (p.amount for p in payments)
    held = max(a, b)  # either, not both
    assert held < a + b
    source = services.source_create(
        actor=c.finance, project=c.project, kind="budget", name="财政", planned=str(held)
    )
    services.receipt_record(
        actor=c.finance,
        source=source,
        amount=held,
        received_on=timezone.localdate(),
        document_no="JZ-1",
    )
    assert services.project_balance(c.project.pk) == held
    outcomes = at_once(payments, lambda p: _transfer(c, p, f"FK-{p.pk}"))
    assert sorted(outcomes) == ["funds", "ok"]
    statuses = {p.pk: Payment.objects.get(pk=p.pk).status for p in payments}
    assert sorted(statuses.values()) == [PaymentStatus.APPROVED, PaymentStatus.PAID]
    (paid,) = (p for p in payments if statuses[p.pk] == PaymentStatus.PAID)
    disbursed = LedgerEntry.objects.filter(kind=EntryKind.DISBURSEMENT)
    assert [(e.payment_id, e.amount) for e in disbursed] == [(paid.pk, -paid.amount)]
    balance = services.project_balance(c.project.pk)
    assert balance == held - paid.amount
    assert balance >= Decimal("0.00")
    assert reconcile.check() == []
