"""The reconciliation check (对账) and its command: a clean state reconciles, and each planted
difference is found and named."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from zhengqian.agreements import services as agreements
from zhengqian.agreements.models import Agreement, AgreementStatus
from zhengqian.agreements.tests.conftest import signing
from zhengqian.agreements.tests.test_services import _corrected, _second_household
from zhengqian.payments import reconcile, services
from zhengqian.payments.models import (
    EntryKind,
    FundReceipt,
    HouseholdAccount,
    Instalment,
    LedgerEntry,
    Payment,
)
from zhengqian.payments.tests.conftest import pay_out
from zhengqian.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
CLEAN = "Payments, plans, ledger and agreements reconcile."


def parts(agreement: Any) -> list[Instalment]:
    return list(Instalment.objects.filter(plan__agreement=agreement).order_by("position"))


@pytest.fixture
def busy(pay):  # type: ignore[no-untyped-def]
    """Funds received; the first instalment paid, returned and paid again; a supplement that
    raised the amount, its first instalment asked for and refused; the vacating instalment
    paid."""
    source = services.source_create(
        actor=pay.finance, project=pay.project, kind="budget", name="财政", planned="5000000.00"
    )
    services.receipt_record(
        actor=pay.finance, source=source, amount="2000000.00", received_on=TODAY(), document_no="1"
    )
    first, rest = parts(pay.agreement)
    payment = pay_out(pay, first)
    services.record_failure(actor=pay.finance, payment=payment, reason="退回", failed_on=TODAY())
    pay_out(pay, first, voucher_no="FK-again")
    supplement = signing(
        pay,
        agreements.draft(
            actor=pay.officer, calculation=_corrected(pay, "9999.00"), parent=pay.agreement
        ),
    )
    refused = services.request(actor=pay.officer, instalment=parts(supplement)[0])
    services.refuse(actor=pay.finance, payment=refused, reason="待核实")
    services.site_step(household=pay.household, step="vacated", on=TODAY())
    rest.refresh_from_db()
    pay_out(pay, rest)
    # Household H-002's agreement is drafted, not signed: no plan yet.
    pay.other = agreements.draft(actor=pay.officer, calculation=_second_household(pay))
    pay.supplement = supplement
    return pay


def differences(project_id: int | None = None) -> list[tuple[str, str]]:
    return [(d.where, d.what) for d in reconcile.check(project_id)]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("check_payments", *args, stdout=out)
    return out.getvalue()


def test_a_clean_state_reconciles(busy):  # type: ignore[no-untyped-def]
    assert reconcile.check() == []
    assert reconcile.check(busy.project.pk) == []
    assert run().strip() == CLEAN
    assert run("--project", busy.project.code).strip() == CLEAN


def test_an_empty_database_reconciles(db):  # type: ignore[no-untyped-def]
    assert reconcile.check() == []
    assert run().strip() == CLEAN


def test_void_agreements_and_lowering_supplements_reconcile(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    other = signing(pay, agreements.draft(actor=pay.officer, calculation=_second_household(pay)))
    signing(
        pay,
        agreements.draft(
            actor=pay.officer, calculation=_corrected(pay, "1000.00"), parent=pay.agreement
        ),
    )
    payment = pay_out(pay, parts(other)[0])
    services.record_failure(actor=pay.finance, payment=payment, reason="退回", failed_on=TODAY())
    agreements.void_request(actor=pay.officer, agreement=other, reason="户主身份有误")
    agreements.void_decide(actor=pay.pm, agreement=other, approve=True, password=PASSWORD)
    pay_out(pay, first)
    assert reconcile.check() == []


def _ledger_amount(c: Any) -> None:
    entry = LedgerEntry.objects.filter(kind=EntryKind.DISBURSEMENT).order_by("pk").last()
    assert entry is not None
    LedgerEntry.objects.filter(pk=entry.pk).update(amount=entry.amount + Decimal("0.01"))


def _account_paid(c: Any) -> None:
    HouseholdAccount.objects.filter(pk=c.account.pk).update(paid=Decimal("100.00"))


def _account_committed(c: Any) -> None:
    account = HouseholdAccount.objects.get(pk=c.account.pk)
    HouseholdAccount.objects.filter(pk=c.account.pk).update(committed=account.committed + 1)


def _instalment_amount(c: Any) -> None:
    instalment = parts(c.supplement)[1]
    Instalment.objects.filter(pk=instalment.pk).update(amount=instalment.amount - Decimal("0.01"))


def _fund_receipt(c: Any) -> None:
    FundReceipt.objects.update(amount=Decimal("2000001.00"))


def _missing_plan(c: Any) -> None:
    # In force without passing through the signing (and so without its plan).
    Agreement.objects.filter(pk=c.other.pk).update(
        status=AgreementStatus.EFFECTIVE, effective_on=TODAY()
    )


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_ledger_amount, {("main", "paid (ledger)"), ("last_payment", "ledger movements")}),
        (_account_paid, {("main", "paid (payments)"), ("main", "paid (ledger)")}),
        (_account_committed, {("main", "amount agreed"), ("main", "instalments")}),
        (_instalment_amount, {("main", "instalments"), ("supplement", "plan instalments")}),
        (_fund_receipt, {("funds", "ledger receipts")}),
        (_missing_plan, {("other", "payment plan missing")}),
    ],
)
def test_a_planted_difference_is_found(
    busy: Any, tamper: Callable[[Any], None], expected: set[tuple[str, str]]
) -> None:
    tamper(busy)
    where = {
        "main": f"agreement {busy.agreement.number}",
        "supplement": f"agreement {busy.supplement.number}",
        "funds": "funds received",
        "other": f"agreement {busy.other.number}",
        "last_payment": f"payment {Payment.objects.filter(status='paid').order_by('pk').last().pk}",
    }
    assert set(differences()) == {(where[w], what) for w, what in expected}
    assert set(differences(busy.project.pk)) == set(differences())
    assert differences(busy.world.other_project.pk) == []
    found = reconcile.check()
    assert all(d.project_id == busy.project.pk and d.expected != d.found for d in found)
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("check_payments", stdout=out)
    assert str(exc.value) == f"{len(found)} difference(s) found."
    assert out.getvalue().splitlines() == [str(d) for d in found]
    assert CLEAN not in out.getvalue()
    # Only the project asked for is checked.
    assert run("--project", busy.world.other_project.code).strip() == CLEAN


def test_a_difference_says_where_and_by_how_much(busy):  # type: ignore[no-untyped-def]
    _account_paid(busy)
    account = HouseholdAccount.objects.get(pk=busy.account.pk)
    (payments, ledger) = reconcile.check()
    expected = busy.agreement.total  # both instalments of the main agreement are paid
    assert (payments.what, payments.expected, payments.found) == (
        "paid (payments)",
        expected,
        account.paid,
    )
    assert str(payments) == (
        f"project {busy.project.pk} · agreement {busy.agreement.number} · paid (payments): "
        f"expected {expected}, found 100.00 (difference {Decimal('100.00') - expected})"
    )
    assert ledger.what == "paid (ledger)"


def test_missing_plans_made_afterwards_reconcile(busy):  # type: ignore[no-untyped-def]
    _missing_plan(busy)
    assert differences() == [(f"agreement {busy.other.number}", "payment plan missing")]
    assert services.plans_create_missing(actor=busy.finance, project=busy.project) == 1
    assert reconcile.check() == []


def test_an_unknown_project_is_refused(db):  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError) as exc:
        call_command("check_payments", "--project", "NOPE", stdout=io.StringIO())
    assert "NOPE" in str(exc.value)


def _instalment_unmarked(c: Any) -> None:
    Instalment.objects.filter(paid_on__isnull=False).update(paid_on=None)


def _in_process(c: Any) -> None:
    HouseholdAccount.objects.filter(pk=c.account.pk).update(in_process=Decimal("1.00"))


def _first_paid(c: Any) -> None:
    HouseholdAccount.objects.filter(pk=c.account.pk).update(first_paid_on=dt.date(2020, 1, 1))


def _next_due(c: Any) -> None:
    HouseholdAccount.objects.filter(pk=c.account.pk).update(next_due_on=dt.date(2020, 1, 1))


def _void_flag(c: Any) -> None:
    HouseholdAccount.objects.filter(pk=c.account.pk).update(void=True)


def _overdrawn(c: Any) -> None:
    # The receipts booked in the ledger shrunk to a fen: more went out than came in.
    LedgerEntry.objects.filter(kind=EntryKind.RECEIPT).update(amount=Decimal("0.01"))


@pytest.mark.parametrize(
    ("tamper", "what"),
    [
        (_instalment_unmarked, "marked paid"),
        (_in_process, "being paid"),
        (_first_paid, "first paid on"),
        (_next_due, "next due on"),
        (_void_flag, "agreement void"),
        (_overdrawn, "balance below zero"),
    ],
)
def test_a_drifted_maintained_figure_is_found(busy: Any, tamper: Any, what: str) -> None:
    assert differences() == []
    tamper(busy)
    assert what in {w for _where, w in differences()}
