"""Items of resettlement paid to a household (transition fees, a voucher's balance …) and
amounts it owes (receivables), on the account of its main agreement; and what the main
agreement itself pays in cash by its kind."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhengqian.agreements.models import AgreementKind, AgreementStatus
from zhengqian.agreements.tests.conftest import agr, signing  # noqa: F401  (the fixture)
from zhengqian.audit.models import Event
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (the fixture)
from zhengqian.payments import services
from zhengqian.payments.models import (
    Condition,
    EntryKind,
    HouseholdAccount,
    Instalment,
    LedgerEntry,
    PaymentPlan,
    PaymentStatus,
    PlanKind,
    Receivable,
    ReceivableStatus,
)
from zhengqian.payments.tests.conftest import paying
from zhengqian.resettlement.tests.conftest import effective, household, resettling
from zhengqian.testing.factories import PASSWORD
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def res(agr):  # type: ignore[no-untyped-def]  # noqa: F811
    return resettling(paying(agr))


def code_at(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str | None:
    return exc.value.error_dict[field][0].code


def item(r: Any, *, reference: str = "2026-05", amount: str = "1800.00", **kw: Any) -> Instalment:
    args: dict[str, Any] = {
        "actor": r.officer_r,
        "household": r.household,
        "kind": PlanKind.TRANSITION,
        "reference": reference,
        "description": "过渡费 2026年5月",
        "amount": Decimal(amount),
        "on": TODAY(),
    }
    args.update(kw)
    return services.schedule_item(**args)


def owe(r: Any, *, reference: str = "R1", amount: str = "5000.00", **kw: Any) -> Receivable:
    args: dict[str, Any] = {
        "actor": r.officer_r,
        "household": r.household,
        "kind": PlanKind.DIFFERENCE,
        "reference": reference,
        "description": "安置房差价（第1轮选房）",
        "amount": Decimal(amount),
        "due_on": TODAY() + dt.timedelta(days=30),
    }
    args.update(kw)
    return services.receivable_create(**args)


# --- scheduling an item --------------------------------------------------------------------


def test_an_item_is_one_dated_instalment_due_the_policys_days_after_its_date(res: Any) -> None:
    before = HouseholdAccount.objects.get(pk=res.account.pk).committed
    instalment = item(res, on=TODAY() - dt.timedelta(days=3))
    plan = instalment.plan
    assert (plan.kind, plan.reference, plan.agreement) == (PlanKind.TRANSITION, "2026-05", None)
    assert (plan.amount, plan.first_percent, plan.due_days) == (
        Decimal("1800.00"),
        Decimal("100.00"),
        15,
    )
    assert plan.account_id == res.account.pk
    assert (instalment.position, instalment.condition) == (1, Condition.DATED)
    assert instalment.met_on == TODAY() - dt.timedelta(days=3)
    assert instalment.due_on == TODAY() + dt.timedelta(days=12)
    account = HouseholdAccount.objects.get(pk=res.account.pk)
    assert account.committed == before + Decimal("1800.00")
    event = Event.objects.get(event_type="payment.item")
    assert event.details["reference"] == "2026-05"


def test_the_same_item_again_returns_the_instalment_already_scheduled(res: Any) -> None:
    first = item(res)
    again = item(res)
    assert again.pk == first.pk
    assert PaymentPlan.objects.filter(kind=PlanKind.TRANSITION).count() == 1
    assert Event.objects.filter(event_type="payment.item").count() == 1


def test_the_same_item_with_another_amount_is_refused(res: Any) -> None:
    item(res)
    with pytest.raises(ValidationError) as exc:
        item(res, amount="1900.00")
    assert exc.value.code == "item_changed"


def test_an_item_of_a_household_without_an_agreement_in_force_is_refused(res: Any) -> None:
    bare = household(res.project, "H-900")
    with pytest.raises(ValidationError) as exc:
        item(res, household=bare)
    assert exc.value.code == "no_agreement"


def test_an_item_on_a_void_account_is_refused(res: Any) -> None:
    HouseholdAccount.objects.filter(pk=res.account.pk).update(void=True)
    with pytest.raises(ValidationError) as exc:
        item(res)
    assert exc.value.code == "void"


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.005"])
def test_an_item_of_no_positive_amount_to_the_fen_is_refused(res: Any, amount: str) -> None:
    with pytest.raises(ValidationError) as exc:
        item(res, amount=amount)
    assert "amount" in exc.value.error_dict
    assert not PaymentPlan.objects.filter(kind=PlanKind.TRANSITION).exists()


def test_an_item_needs_a_type_a_reference_and_a_description(res: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        item(res, kind=PlanKind.AGREEMENT, reference=" ", description="")
    assert code_at(exc, "kind") == "kind"
    assert code_at(exc, "reference") == "required"
    assert code_at(exc, "description") == "required"


def test_a_scheduled_job_schedules_items_without_an_actor(res: Any) -> None:
    instalment = item(res, actor=None)
    assert instalment.plan.created_by is None
    assert Event.objects.get(event_type="payment.item").actor_name == "system"


# --- receivables ---------------------------------------------------------------------------


def test_a_receivable_is_open_until_received_and_is_created_once(res: Any) -> None:
    receivable = owe(res)
    assert receivable.status == ReceivableStatus.OPEN
    assert owe(res).pk == receivable.pk
    assert Receivable.objects.count() == 1
    with pytest.raises(ValidationError) as exc:
        owe(res, amount="5000.01")
    assert exc.value.code == "item_changed"
    assert Event.objects.filter(event_type="payment.receivable").count() == 1


def test_a_receivable_of_a_household_without_an_agreement_in_force_is_refused(res: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        owe(res, household=household(res.project, "H-901"))
    assert exc.value.code == "no_agreement"
    with pytest.raises(ValidationError) as exc:
        owe(res, amount="0")
    assert code_at(exc, "amount") == "positive"


# --- paying an item ------------------------------------------------------------------------


def pay_item(r: Any, instalment: Instalment, *, by: Any = None) -> Any:
    payment = services.request(actor=by or r.officer_r, instalment=instalment)
    payment = services.approve(actor=r.finance2, payment=payment, password=PASSWORD)
    return services.record_paid(
        actor=r.finance,
        payment=payment,
        payee=r.household.head_name,
        bank="农村商业银行",
        account_no="6222021234567890123",
        voucher_no=f"GD-{instalment.pk}",
        paid_on=TODAY(),
    )


def test_a_resettlement_officer_asks_for_an_item_and_finance_pays_it(res: Any) -> None:
    instalment = item(res)
    paid = pay_item(res, instalment)
    assert paid.status == PaymentStatus.PAID
    assert paid.requested_by == res.officer_r
    entry = LedgerEntry.objects.get(payment=paid)
    assert (entry.kind, entry.amount) == (EntryKind.DISBURSEMENT, Decimal("-1800.00"))
    assert entry.agreement_number == res.agreement.number
    assert "2026-05" in entry.description and res.agreement.number in entry.description
    account = HouseholdAccount.objects.get(pk=res.account.pk)
    assert account.paid == Decimal("1800.00")
    assert Instalment.objects.get(pk=instalment.pk).paid_on == TODAY()


def test_a_resettlement_officer_does_not_ask_for_an_agreements_instalment(res: Any) -> None:
    first = Instalment.objects.filter(plan__agreement=res.agreement).order_by("position")[0]
    with pytest.raises(PermissionDenied):
        services.request(actor=res.officer_r, instalment=first)


def test_a_handler_of_payments_asks_for_an_item_too(res: Any) -> None:
    payment = services.request(actor=res.officer, instalment=item(res))
    assert payment.status == PaymentStatus.REQUESTED


def test_an_item_is_not_paid_once_the_agreement_is_no_longer_in_force(res: Any) -> None:
    instalment = item(res)
    type(res.agreement).objects.filter(pk=res.agreement.pk).update(status=AgreementStatus.VOID)
    with pytest.raises(ValidationError) as exc:
        services.request(actor=res.officer_r, instalment=instalment)
    assert exc.value.code == "not_effective"


def test_a_supplement_lowering_the_agreement_leaves_the_items_alone(res: Any) -> None:
    from zhengqian.agreements import services as agreements
    from zhengqian.agreements.tests.test_services import _corrected

    instalment = item(res, amount="50000.00")
    rest = Instalment.objects.get(plan__agreement=res.agreement, position=2)
    supplement = signing(
        res,
        agreements.draft(
            actor=res.officer, calculation=_corrected(res, "1000.00"), parent=res.agreement
        ),
    )
    assert supplement.difference == Decimal("-3800.00")
    assert Instalment.objects.get(pk=instalment.pk).amount == Decimal("50000.00")
    assert Instalment.objects.get(pk=instalment.pk).reduction == Decimal("0.00")
    assert Instalment.objects.get(pk=rest.pk).reduction == Decimal("3800.00")
    account = HouseholdAccount.objects.get(pk=res.account.pk)
    assert account.committed == res.agreement.total - Decimal("3800.00") + Decimal("50000.00")


# --- receivables received and cancelled ----------------------------------------------------


def test_finance_records_a_receivable_as_received_and_the_ledger_books_it(res: Any) -> None:
    receivable = owe(res)
    done = services.receivable_record(
        actor=res.finance, receivable=receivable, received_on=TODAY(), voucher_no=" SK-001 "
    )
    assert (done.status, done.received_on, done.voucher_no) == (
        ReceivableStatus.RECEIVED,
        TODAY(),
        "SK-001",
    )
    entry = LedgerEntry.objects.get(receivable=done)
    assert (entry.kind, entry.amount, entry.document_no) == (
        EntryKind.COLLECTION,
        Decimal("5000.00"),
        "SK-001",
    )
    assert entry.household_id == res.household.pk
    assert res.household.code in entry.description and "R1" in entry.description
    assert Event.objects.filter(event_type="payment.receivable_received").count() == 1
    with pytest.raises(ValidationError) as exc:
        services.receivable_record(
            actor=res.finance, receivable=receivable, received_on=TODAY(), voucher_no="SK-002"
        )
    assert exc.value.code == "status"
    assert LedgerEntry.objects.filter(kind=EntryKind.COLLECTION).count() == 1


def test_a_receipt_needs_its_voucher_and_a_date_neither_future_nor_before_it_was_owed(
    res: Any,
) -> None:
    receivable = owe(res)
    record = services.receivable_record
    with pytest.raises(ValidationError) as exc:
        record(actor=res.finance, receivable=receivable, received_on=None, voucher_no="")
    assert code_at(exc, "received_on") == "required"
    assert code_at(exc, "voucher_no") == "required"
    with pytest.raises(ValidationError) as exc:
        record(
            actor=res.finance,
            receivable=receivable,
            received_on=TODAY() + dt.timedelta(days=1),
            voucher_no="SK",
        )
    assert code_at(exc, "received_on") == "future"
    with pytest.raises(ValidationError) as exc:
        record(
            actor=res.finance,
            receivable=receivable,
            received_on=TODAY() - dt.timedelta(days=1),
            voucher_no="SK",
        )
    assert code_at(exc, "received_on") == "before_created"
    assert Receivable.objects.get(pk=receivable.pk).status == ReceivableStatus.OPEN


def test_only_finance_records_or_cancels_a_receivable(res: Any) -> None:
    receivable = owe(res)
    with pytest.raises(PermissionDenied):
        services.receivable_record(
            actor=res.officer_r, receivable=receivable, received_on=TODAY(), voucher_no="SK"
        )
    with pytest.raises(PermissionDenied):
        services.receivable_cancel(actor=res.officer_r, receivable=receivable, reason="撤销")


def test_an_open_receivable_is_cancelled_with_its_reason_and_then_owed_anew(res: Any) -> None:
    receivable = owe(res)
    with pytest.raises(ValidationError) as exc:
        services.receivable_cancel(actor=res.finance, receivable=receivable, reason=" ")
    assert code_at(exc, "reason") == "required"
    done = services.receivable_cancel(actor=res.finance, receivable=receivable, reason="选房撤销")
    assert (done.status, done.cancelled_reason) == (ReceivableStatus.CANCELLED, "选房撤销")
    assert not LedgerEntry.objects.filter(kind=EntryKind.COLLECTION).exists()
    with pytest.raises(ValidationError) as exc:
        services.receivable_cancel(actor=res.finance, receivable=receivable, reason="再次")
    assert exc.value.code == "status"
    # The same reference may be owed again once the earlier one is cancelled.
    assert owe(res, amount="6000.00").pk != receivable.pk


def test_a_received_receivable_is_not_cancelled(res: Any) -> None:
    receivable = owe(res)
    services.receivable_record(
        actor=res.finance, receivable=receivable, received_on=TODAY(), voucher_no="SK"
    )
    with pytest.raises(ValidationError) as exc:
        services.receivable_cancel(actor=res.finance, receivable=receivable, reason="误录")
    assert exc.value.code == "status"


# --- what a main agreement pays in cash ------------------------------------------------------


def plan_of(agreement: Any) -> PaymentPlan:
    return PaymentPlan.objects.get(agreement=agreement)


def test_an_exchange_pays_in_cash_only_what_its_flats_do_not_cover(res: Any) -> None:
    # 60 m² of flats for 90 m² licensed: 60 × 5,000 − 30 × 8,000 = 60,000; the household's
    # 900,000 exceed that by 840,000, paid in cash.
    smaller = effective(res, "H-010", exchange_area=Decimal("60.00"))
    assert smaller.calculation.exchange_balance == Decimal("-840000.00")
    assert services.cash_amount(smaller) == Decimal("840000.00")
    assert plan_of(smaller).amount == Decimal("840000.00")
    parts = Instalment.objects.filter(plan__agreement=smaller).order_by("position")
    assert sum(i.amount for i in parts) == Decimal("840000.00")
    # 120 m² for 90 m²: 90 × 5,000 + 30 × 12,000 = 810,000 for 400,000 of compensation: the
    # household owes the difference, the agreement pays nothing in cash.
    larger = effective(res, "H-011", exchange_area=Decimal("120.00"), total=Decimal("400000.00"))
    assert services.cash_amount(larger) == Decimal("0.00")
    assert plan_of(larger).amount == Decimal("0.00")
    assert not Instalment.objects.filter(plan__agreement=larger).exists()


def test_a_voucher_agreement_pays_nothing_in_cash(res: Any) -> None:
    voucher = effective(res, "H-012", kind=AgreementKind.VOUCHER)
    assert services.cash_amount(voucher) == Decimal("0.00")
    assert plan_of(voucher).amount == Decimal("0.00")
    account = HouseholdAccount.objects.get(agreement=voucher)
    assert (account.committed, account.next_due_on) == (Decimal("0.00"), None)


def test_the_funds_owe_households_what_their_accounts_pay_in_cash(res: Any) -> None:
    from zhengqian.payments import selectors

    before = selectors.funds(res.project.pk)
    effective(res, "H-012", kind=AgreementKind.VOUCHER, total=Decimal("500000.00"))
    after = selectors.funds(res.project.pk)
    # Its value is agreed; nothing of it is owed in cash.
    assert after.committed == before.committed + Decimal("500000.00")
    assert after.gap == before.gap
    item(res, amount="1800.00")
    assert selectors.funds(res.project.pk).gap == before.gap + Decimal("1800.00")
    receivable = owe(res, amount="5000.00")
    funds = selectors.funds(res.project.pk)
    assert (funds.receivable, funds.collected) == (Decimal("5000.00"), Decimal("0.00"))
    services.receivable_record(
        actor=res.finance, receivable=receivable, received_on=TODAY(), voucher_no="SK"
    )
    funds = selectors.funds(res.project.pk)
    assert (funds.receivable, funds.collected) == (Decimal("0.00"), Decimal("5000.00"))
    assert funds.balance == before.balance + Decimal("5000.00")
    rows = {row.project.pk: row.funds for row in selectors.project_rows(res.finance)}
    assert rows[res.project.pk] == funds
