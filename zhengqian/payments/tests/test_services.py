"""Funds, payment plans and the payment of instalments (the services): every refusal at its
field, the plan's split, supplements, the void guard, failures, the ledger and the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements import services as agreements
from zhengqian.agreements.models import Agreement, AgreementStatus
from zhengqian.agreements.tests.conftest import signing
from zhengqian.agreements.tests.test_services import _conditional, _corrected, _second_household
from zhengqian.audit.models import Event
from zhengqian.compensation.models import Policy
from zhengqian.payments import selectors, services
from zhengqian.payments.models import (
    Condition,
    EntryKind,
    FundingSource,
    FundKind,
    FundReceipt,
    HouseholdAccount,
    Instalment,
    LedgerEntry,
    PaidIdentity,
    Payment,
    PaymentPlan,
    PaymentStatus,
)
from zhengqian.payments.tests.conftest import (
    FUND_PLANNED,
    FUND_SOURCE,
    FUNDED,
    PNG_BYTES,
    ledger,
    pay_out,
    paying,
    png_upload,
)
from zhengqian.testing.factories import PASSWORD, UserFactory, grant

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def code_at(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str | None:
    return exc.value.error_dict[field][0].code


def parts(agreement: Any) -> list[Instalment]:
    return list(Instalment.objects.filter(plan__agreement=agreement).order_by("position"))


def set_policy(calculation: Any, first_percent: str, due_days: int = 15) -> None:
    Policy.objects.filter(pk=calculation.policy_id).update(
        payment_first_percent=Decimal(first_percent), payment_due_days=due_days
    )


def signed_with(agr: Any, first_percent: str, *, total: str | None = None) -> Agreement:
    """The household's agreement signed under a policy paying `first_percent` % at once;
    `total` changes the drafted agreement's amount before it is signed."""
    set_policy(agr.calculation, first_percent)
    agreement = agreements.draft(actor=agr.officer, calculation=agr.calculation)
    if total is not None:
        Agreement.objects.filter(pk=agreement.pk).update(total=Decimal(total))
        agreement.refresh_from_db()
    return signing(agr, agreement)


def account_of(c: Any) -> HouseholdAccount:
    return HouseholdAccount.objects.get(pk=c.account.pk)


def events(event_type: str) -> list[Event]:
    return list(Event.objects.filter(event_type=event_type).order_by("seq"))


def record(c: Any, payment: Payment, **changes: Any) -> Payment:
    kwargs: dict[str, Any] = {
        "actor": c.finance,
        "payment": payment,
        "payee": "张建国",
        "bank": "农村商业银行",
        "account_no": "6222021234567890123",
        "voucher_no": "FK-0001",
        "paid_on": TODAY(),
    }
    kwargs.update(changes)
    return services.record_paid(**kwargs)


def approved(c: Any, instalment: Instalment) -> Payment:
    payment = services.request(actor=c.officer, instalment=instalment)
    return services.approve(actor=c.finance2, payment=payment, password=PASSWORD)


# --- funds -----------------------------------------------------------------------------------


def test_a_source_and_its_receipts_are_booked_with_their_events(pay):  # type: ignore[no-untyped-def]
    source = services.source_create(
        actor=pay.finance,
        project=pay.project,
        kind=FundKind.BUDGET,
        name=" 区财政拨款 ",
        planned="1,000,000.00",
        reference="慈财〔2026〕12号",
    )
    assert source.name == "区财政拨款" and source.planned == Decimal("1000000.00")
    event = events("funds.source_create")[-1]
    assert event.actor_id == pay.finance.pk
    assert event.changes["name"] == [None, "区财政拨款"]
    assert event.changes["planned"] == [None, "1000000.00"]
    day = TODAY() - dt.timedelta(days=3)
    receipt = services.receipt_record(
        actor=pay.finance, source=source, amount="250000.50", received_on=day, document_no="JZ-1"
    )
    entry = LedgerEntry.objects.get(receipt=receipt)
    assert (entry.kind, entry.amount, entry.occurred_on, entry.document_no) == (
        EntryKind.RECEIPT,
        Decimal("250000.50"),
        day,
        "JZ-1",
    )
    assert entry.household_id is None and entry.project_id == pay.project.pk
    event = events("funds.receipt")[-1]
    assert event.details["amount"] == "250000.50" and event.details["document_no"] == "JZ-1"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"kind": "gift"}, "kind", "required"),
        ({"name": "  "}, "name", "required"),
        ({"name": "区财政拨款"}, "name", "unique"),
        ({"planned": "100.001"}, "planned", "fen"),
        ({"planned": "-1.00"}, "planned", "positive"),
        ({"planned": "一百万"}, "planned", "invalid"),
    ],
)
def test_a_source_is_refused_at_its_field(pay, changes, field, code):  # type: ignore[no-untyped-def]
    services.source_create(
        actor=pay.finance, project=pay.project, kind="budget", name="区财政拨款", planned="1.00"
    )
    kwargs = {"kind": "loan", "name": "国开行贷款", "planned": "500000.00", **changes}
    with pytest.raises(ValidationError) as exc:
        services.source_create(actor=pay.finance, project=pay.project, **kwargs)
    assert code_at(exc, field) == code


def test_a_source_may_plan_nothing_yet(pay):  # type: ignore[no-untyped-def]
    source = services.source_create(
        actor=pay.finance, project=pay.project, kind="bond", name="专项债", planned="0"
    )
    assert source.planned == Decimal("0.00")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"amount": "0"}, "amount", "positive"),
        ({"amount": "-100.00"}, "amount", "positive"),
        ({"amount": "100.005"}, "amount", "fen"),
        ({"amount": "abc"}, "amount", "invalid"),
        ({"amount": "1e14"}, "amount", "large"),
        ({"amount": "1e30"}, "amount", "large"),
        ({"amount": "-1e30"}, "amount", "positive"),
        ({"amount": "NaN"}, "amount", "fen"),
        ({"amount": "Infinity"}, "amount", "fen"),
        ({"received_on": None}, "received_on", "required"),
        ({"received_on": "tomorrow"}, "received_on", "future"),
        ({"document_no": " "}, "document_no", "required"),
    ],
)
def test_a_receipt_is_refused_at_its_field(pay, changes, field, code):  # type: ignore[no-untyped-def]
    source = services.source_create(
        actor=pay.finance, project=pay.project, kind="budget", name="财政", planned="100.00"
    )
    if changes.get("received_on") == "tomorrow":
        changes["received_on"] = TODAY() + dt.timedelta(days=1)
    kwargs = {"amount": "100.00", "received_on": TODAY(), "document_no": "JZ-1", **changes}
    with pytest.raises(ValidationError) as exc:
        services.receipt_record(actor=pay.finance, source=source, **kwargs)
    assert code_at(exc, field) == code
    assert not ledger().filter(kind=EntryKind.RECEIPT).exists()
    assert not FundReceipt.objects.filter(source=source).exists()


def test_only_this_projects_finance_officers_keep_the_funds(pay):  # type: ignore[no-untyped-def]
    outsider = UserFactory(username="finance-b")
    grant(outsider, RoleCode.FINANCE_OFFICER, pay.world.other_project)
    for user in (pay.officer, pay.world.surveyor, outsider):
        with pytest.raises(PermissionDenied):
            services.source_create(
                actor=user, project=pay.project, kind="budget", name="财政", planned="1.00"
            )
    source = services.source_create(
        actor=pay.finance, project=pay.project, kind="budget", name="财政", planned="1.00"
    )
    with pytest.raises(PermissionDenied):
        services.receipt_record(
            actor=outsider, source=source, amount="1.00", received_on=TODAY(), document_no="X"
        )


def test_the_funds_summary_adds_up(pay):  # type: ignore[no-untyped-def]
    a = services.source_create(
        actor=pay.finance, project=pay.project, kind="budget", name="财政", planned="1000000.00"
    )
    b = services.source_create(
        actor=pay.finance, project=pay.project, kind="loan", name="贷款", planned="500000.00"
    )
    services.receipt_record(
        actor=pay.finance, source=a, amount="300000.00", received_on=TODAY(), document_no="1"
    )
    services.receipt_record(
        actor=pay.finance, source=b, amount="0.01", received_on=TODAY(), document_no="2"
    )
    first, rest = parts(pay.agreement)
    total = pay.agreement.total
    funds = selectors.funds(pay.project.pk)
    assert (funds.budget, funds.received, funds.committed, funds.paid, funds.in_process) == (
        FUND_PLANNED + Decimal("1500000.00"),
        FUNDED + Decimal("300000.01"),
        total,
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert funds.gap == total and funds.balance == FUNDED + Decimal("300000.01")
    payment = services.request(actor=pay.officer, instalment=first)
    assert selectors.funds(pay.project.pk).in_process == first.amount
    services.approve(actor=pay.finance2, payment=payment, password=PASSWORD)
    record(pay, payment)
    funds = selectors.funds(pay.project.pk)
    assert funds.paid == first.amount and funds.in_process == Decimal("0.00")
    assert funds.gap == rest.amount
    assert funds.balance == FUNDED + Decimal("300000.01") - first.amount
    assert funds.shortfall == max(funds.gap - funds.balance, Decimal("0.00"))
    assert {s.name: s.received for s in selectors.sources(pay.project.pk)} == {
        FUND_SOURCE: FUNDED,
        "财政": Decimal("300000.00"),
        "贷款": Decimal("0.01"),
    }


# --- the plan --------------------------------------------------------------------------------


def test_split_rounds_the_first_part_half_up_and_adds_up_to_the_fen() -> None:
    # 70 % of 1,234.55 is 864.185: half up gives 864.19 (half to even would give 864.18).
    assert services._split(Decimal("1234.55"), Decimal("70")) == [
        (Condition.EFFECTIVE, Decimal("864.19")),
        (Condition.VACATED, Decimal("370.36")),
    ]
    for total in ("0.01", "0.03", "100.01", "999999.99", "1234567.89"):
        for percent in ("33.33", "70", "66.67", "99.99", "0.01"):
            split = services._split(Decimal(total), Decimal(percent))
            assert sum(part for _c, part in split) == Decimal(total)
    assert services._split(Decimal("100.00"), Decimal("100")) == [
        (Condition.EFFECTIVE, Decimal("100.00"))
    ]
    assert services._split(Decimal("100.00"), Decimal("0")) == [
        (Condition.VACATED, Decimal("100.00"))
    ]


def test_plan_with_odd_cents_adds_up_to_the_agreement(agr):  # type: ignore[no-untyped-def]
    agreement = signed_with(agr, "70", total="1234567.89")
    first, rest = parts(agreement)
    assert (first.condition, first.amount) == (Condition.EFFECTIVE, Decimal("864197.52"))
    assert (rest.condition, rest.amount) == (Condition.VACATED, Decimal("370370.37"))
    assert first.amount + rest.amount == Decimal("1234567.89")
    assert first.met_on == TODAY() and first.due_on == TODAY() + dt.timedelta(days=15)
    assert rest.met_on is None and rest.due_on is None
    plan = agreement.payment_plan
    assert (plan.amount, plan.first_percent, plan.due_days) == (
        Decimal("1234567.89"),
        Decimal("70.00"),
        15,
    )
    account = HouseholdAccount.objects.get(agreement=agreement)
    assert account.committed == Decimal("1234567.89") and account.paid == Decimal("0.00")
    assert account.next_due_on == first.due_on
    event = events("payment.plan")[-1]
    assert event.details["amount"] == "1234567.89"
    assert [i["amount"] for i in event.details["instalments"]] == ["864197.52", "370370.37"]


def test_all_at_once_is_one_instalment(agr):  # type: ignore[no-untyped-def]
    agreement = signed_with(agr, "100")
    (only,) = parts(agreement)
    assert only.condition == Condition.EFFECTIVE and only.amount == agreement.total


def test_nothing_at_once_is_only_the_vacating_instalment(agr):  # type: ignore[no-untyped-def]
    agreement = signed_with(agr, "0")
    (only,) = parts(agreement)
    assert only.condition == Condition.VACATED and only.amount == agreement.total
    assert only.met_on is None
    with pytest.raises(ValidationError) as exc:
        services.request(actor=agr.officer, instalment=only)
    assert exc.value.code == "condition"


def test_a_draft_or_pending_agreement_has_no_plan(agr):  # type: ignore[no-untyped-def]
    _conditional(agr, "100", TODAY() + dt.timedelta(days=30))
    _second_household(agr)
    agreement = agreements.draft(actor=agr.officer, calculation=agr.calculation)
    assert not PaymentPlan.objects.exists()
    agreement = signing(agr, agreement)
    assert agreement.status == AgreementStatus.PENDING
    assert not PaymentPlan.objects.exists()


def test_the_plans_are_made_when_the_threshold_is_reached(agr):  # type: ignore[no-untyped-def]
    set_policy(agr.calculation, "70")
    _conditional(agr, "100", TODAY() + dt.timedelta(days=30))
    second = _second_household(agr)
    a1 = signing(agr, agreements.draft(actor=agr.officer, calculation=agr.calculation))
    assert not PaymentPlan.objects.exists()
    a2 = signing(agr, agreements.draft(actor=agr.officer, calculation=second))
    a1.refresh_from_db()
    assert a1.status == a2.status == AgreementStatus.EFFECTIVE
    for agreement in (a1, a2):
        first, rest = parts(agreement)
        assert first.amount + rest.amount == agreement.total
        assert first.met_on == agreement.effective_on == TODAY()
        assert HouseholdAccount.objects.get(agreement=agreement).committed == agreement.total
    assert len(events("payment.plan")) == 2


def test_settle_at_the_threshold_makes_the_plans(agr):  # type: ignore[no-untyped-def]
    """The daily settle (not a signing) brings the pending agreements in force."""
    _conditional(agr, "50", TODAY() + dt.timedelta(days=30))
    _second_household(agr)
    Policy.objects.filter(project=agr.project, status="published").update(
        effect_threshold=Decimal("100")
    )
    a1 = signing(agr, agreements.draft(actor=agr.officer, calculation=agr.calculation))
    assert a1.status == AgreementStatus.PENDING
    Policy.objects.filter(project=agr.project, status="published").update(
        effect_threshold=Decimal("50")
    )
    assert agreements.settle(project_id=agr.project.pk) == AgreementStatus.EFFECTIVE
    a1.refresh_from_db()
    assert a1.status == AgreementStatus.EFFECTIVE
    plan = PaymentPlan.objects.get(agreement=a1)
    assert plan.created_by is None and plan.amount == a1.total
    assert events("payment.plan")[-1].actor_name == "system"


def test_missing_plans_are_made_once(pay):  # type: ignore[no-untyped-def]
    second = _second_household(pay)
    a2 = agreements.draft(actor=pay.officer, calculation=second)
    # An agreement that took effect before the payments module kept plans.
    Agreement.objects.filter(pk=a2.pk).update(
        status=AgreementStatus.EFFECTIVE, effective_on=TODAY()
    )
    assert services.plans_create_missing(actor=pay.finance, project=pay.project) == 1
    assert services.plans_create_missing(actor=pay.finance, project=pay.project) == 0
    assert PaymentPlan.objects.get(agreement=a2).amount == a2.total
    with pytest.raises(PermissionDenied):
        services.plans_create_missing(actor=pay.officer, project=pay.project)


# --- requesting ------------------------------------------------------------------------------


def test_a_request_is_recorded_with_its_event(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = services.request(actor=pay.officer, instalment=first)
    assert payment.status == PaymentStatus.REQUESTED and payment.amount == first.amount
    assert payment.household_id == pay.household.pk and payment.requested_by == pay.officer
    assert account_of(pay).in_process == first.amount
    event = events("payment.request")[-1]
    assert event.actor_id == pay.officer.pk
    assert event.details == {
        "agreement": pay.agreement.number,
        "instalment": 1,
        "amount": str(first.amount),
    }


def test_the_vacating_instalment_waits_for_vacating(pay):  # type: ignore[no-untyped-def]
    _first, rest = parts(pay.agreement)
    with pytest.raises(ValidationError) as exc:
        services.request(actor=pay.officer, instalment=rest)
    assert exc.value.code == "condition"
    assert not Payment.objects.exists()


def test_an_instalment_is_requested_once(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    services.request(actor=pay.officer, instalment=first)
    with pytest.raises(ValidationError) as exc:
        services.request(actor=pay.finance, instalment=first)
    assert exc.value.code == "requested"
    payment = Payment.objects.get()
    services.approve(actor=pay.finance2, payment=payment, password=PASSWORD)
    with pytest.raises(ValidationError) as exc:
        services.request(actor=pay.officer, instalment=first)
    assert exc.value.code == "requested"
    record(pay, payment)
    with pytest.raises(ValidationError) as exc:
        services.request(actor=pay.officer, instalment=first)
    assert exc.value.code == "paid"
    assert Payment.objects.count() == 1


def test_nothing_is_requested_while_voiding_is_asked_for(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="户主身份有误")
    with pytest.raises(ValidationError) as exc:
        services.request(actor=pay.officer, instalment=first)
    assert exc.value.code == "void_requested"


def test_nothing_is_requested_on_a_void_agreement(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="户主身份有误")
    agreements.void_decide(actor=pay.pm, agreement=pay.agreement, approve=True, password=PASSWORD)
    with pytest.raises(ValidationError) as exc:
        services.request(actor=pay.officer, instalment=first)
    assert exc.value.code == "not_effective"
    account = account_of(pay)
    assert account.void and account.next_due_on is None


def test_nothing_is_paid_on_a_lapsed_agreement(pay):  # type: ignore[no-untyped-def]
    """The check reads the agreement's state, whatever brought it there."""
    first, _rest = parts(pay.agreement)
    payment = services.request(actor=pay.officer, instalment=first)
    Agreement.objects.filter(pk=pay.agreement.pk).update(status=AgreementStatus.LAPSED)
    with pytest.raises(ValidationError) as exc:
        services.approve(actor=pay.finance2, payment=payment, password=PASSWORD)
    assert exc.value.code == "not_effective"
    Agreement.objects.filter(pk=pay.agreement.pk).update(status=AgreementStatus.EFFECTIVE)
    payment = services.approve(actor=pay.finance2, payment=payment, password=PASSWORD)
    Agreement.objects.filter(pk=pay.agreement.pk).update(status=AgreementStatus.LAPSED)
    with pytest.raises(ValidationError) as exc:
        record(pay, payment)
    assert exc.value.code == "not_effective"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.APPROVED
    services.record_failure(
        actor=pay.finance, payment=payment, reason="协议失效", failed_on=TODAY()
    )
    with pytest.raises(ValidationError) as exc:
        services.request(actor=pay.officer, instalment=first)
    assert exc.value.code == "not_effective"


def test_a_request_beyond_what_is_owed_is_refused(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    HouseholdAccount.objects.filter(pk=pay.account.pk).update(committed=first.amount - 1)
    with pytest.raises(ValidationError) as exc:
        services.request(actor=pay.officer, instalment=first)
    assert exc.value.code == "exceeds"


def test_only_handlers_and_finance_of_the_household_request(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    outsider = UserFactory(username="finance-b")
    grant(outsider, RoleCode.FINANCE_OFFICER, pay.world.other_project)
    elsewhere = UserFactory(username="officer-group-2")
    grant(elsewhere, RoleCode.SIGNING_OFFICER, pay.project, work_groups=[pay.world.other_group])
    for user in (pay.world.surveyor, pay.demolisher, pay.world.supervisor, outsider, elsewhere):
        with pytest.raises(PermissionDenied):
            services.request(actor=user, instalment=first)
    assert not Payment.objects.exists()
    assert services.request(actor=pay.finance, instalment=first).requested_by == pay.finance


# --- approving and refusing ------------------------------------------------------------------


def test_approval_is_recorded_with_its_event(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = approved(pay, first)
    assert payment.status == PaymentStatus.APPROVED and payment.approved_by == pay.finance2
    event = events("payment.approve")[-1]
    assert event.actor_id == pay.finance2.pk
    assert event.changes == {"status": ["requested", "approved"]}
    assert account_of(pay).in_process == first.amount


def test_whoever_asked_cannot_approve(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = services.request(actor=pay.finance, instalment=first)
    with pytest.raises(AccessDenied):
        services.approve(actor=pay.finance, payment=payment, password=PASSWORD)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUESTED and payment.approved_by is None


def test_a_wrong_password_refuses_and_is_recorded(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = services.request(actor=pay.officer, instalment=first)
    with pytest.raises(ValidationError) as exc:
        services.approve(actor=pay.finance2, payment=payment, password="wrong")
    assert code_at(exc, "password") == "password"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUESTED
    event = Event.objects.get(event_type="auth.sudo_failed")
    assert event.actor_id == pay.finance2.pk and event.details == {"action": "payment.approve"}
    assert event.target_id == str(payment.pk)
    assert not events("payment.approve")


def test_a_payment_is_approved_once(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = approved(pay, first)
    with pytest.raises(ValidationError) as exc:
        services.approve(actor=pay.finance, payment=payment, password=PASSWORD)
    assert exc.value.code == "status"
    assert Payment.objects.get().approved_by == pay.finance2
    assert len(events("payment.approve")) == 1


def test_only_finance_of_the_project_approves(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = services.request(actor=pay.finance, instalment=first)
    outsider = UserFactory(username="finance-b")
    grant(outsider, RoleCode.FINANCE_OFFICER, pay.world.other_project)
    for user in (pay.officer, pay.officer2, pay.world.pm, outsider):
        with pytest.raises(PermissionDenied):
            services.approve(actor=user, payment=payment, password=PASSWORD)
        with pytest.raises(PermissionDenied):
            services.refuse(actor=user, payment=payment, reason="x")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUESTED


def test_a_refused_request_reopens_the_instalment(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = services.request(actor=pay.officer, instalment=first)
    with pytest.raises(ValidationError) as exc:
        services.refuse(actor=pay.finance, payment=payment, reason="  ")
    assert code_at(exc, "reason") == "required"
    payment = services.refuse(actor=pay.finance, payment=payment, reason="收款账户待核实")
    assert payment.status == PaymentStatus.REFUSED and payment.refused_reason == "收款账户待核实"
    assert account_of(pay).in_process == Decimal("0.00")
    event = events("payment.refuse")[-1]
    assert event.details == {"reason": "收款账户待核实"}
    with pytest.raises(ValidationError) as exc:
        services.refuse(actor=pay.finance, payment=payment, reason="again")
    assert exc.value.code == "status"
    with pytest.raises(ValidationError) as exc:
        record(pay, payment)
    assert exc.value.code == "status"
    again = services.request(actor=pay.officer, instalment=first)
    assert again.pk != payment.pk and again.status == PaymentStatus.REQUESTED


# --- paying ----------------------------------------------------------------------------------


def test_the_transfer_is_booked_everywhere_at_once(pay):  # type: ignore[no-untyped-def]
    first, rest = parts(pay.agreement)
    payment = record(
        pay, approved(pay, first), account_no="6222 0212-3456 7890 123", voucher_no=" FK-7 "
    )
    assert payment.status == PaymentStatus.PAID
    assert (payment.account_no, payment.voucher_no, payment.paid_by) == (
        "6222021234567890123",
        "FK-7",
        pay.finance,
    )
    first.refresh_from_db()
    assert first.paid_on == TODAY()
    account = account_of(pay)
    assert account.paid == first.amount and account.in_process == Decimal("0.00")
    assert account.first_paid_on == account.last_paid_on == TODAY()
    assert account.next_due_on is None  # the vacating instalment is not due yet
    entry = LedgerEntry.objects.get(payment=payment)
    assert (entry.kind, entry.amount, entry.document_no, entry.agreement_number) == (
        EntryKind.DISBURSEMENT,
        -first.amount,
        "FK-7",
        pay.agreement.number,
    )
    assert entry.household_id == pay.household.pk and entry.occurred_on == TODAY()
    event = events("payment.paid")[-1]
    assert event.details["voucher_no"] == "FK-7"
    assert event.details["account_no"] != "6222021234567890123"  # masked in the trail
    assert event.details["account_no"].endswith("0123")
    assert rest.amount == account.owed


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"payee": ""}, "payee", "required"),
        ({"bank": " "}, "bank", "required"),
        ({"voucher_no": ""}, "voucher_no", "required"),
        ({"account_no": ""}, "account_no", "required"),
        ({"account_no": "1234567"}, "account_no", "account_format"),
        ({"account_no": "1" * 31}, "account_no", "account_format"),
        ({"account_no": "62220212345X"}, "account_no", "account_format"),
        ({"paid_on": None}, "paid_on", "required"),
        ({"paid_on": "tomorrow"}, "paid_on", "future"),
        ({"paid_on": "yesterday"}, "paid_on", "before_approval"),
    ],
)
def test_a_transfer_is_refused_at_its_field(pay, changes, field, code):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = approved(pay, first)
    days = {"tomorrow": 1, "yesterday": -1}
    if changes.get("paid_on") in days:
        changes["paid_on"] = TODAY() + dt.timedelta(days=days[changes["paid_on"]])
    with pytest.raises(ValidationError) as exc:
        record(pay, payment, **changes)
    assert code_at(exc, field) == code
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.APPROVED
    assert not ledger().exists()


def test_account_numbers_of_8_and_30_digits_are_accepted(pay):  # type: ignore[no-untyped-def]
    assert services._account_no("12345678") == "12345678"
    assert services._account_no("1" * 30) == "1" * 30


def test_a_requested_payment_is_not_recorded_as_paid(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = services.request(actor=pay.officer, instalment=first)
    with pytest.raises(ValidationError) as exc:
        record(pay, payment)
    assert exc.value.code == "status"


def test_a_payment_is_recorded_as_paid_once(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = record(pay, approved(pay, first))
    with pytest.raises(ValidationError) as exc:
        record(pay, payment, voucher_no="FK-2")
    assert exc.value.code == "status"
    assert ledger().count() == 1 and account_of(pay).paid == first.amount


def test_a_transfer_beyond_what_is_owed_is_refused(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = approved(pay, first)
    HouseholdAccount.objects.filter(pk=pay.account.pk).update(committed=first.amount - 1)
    with pytest.raises(ValidationError) as exc:
        record(pay, payment)
    assert exc.value.code == "exceeds"
    assert not ledger().exists()


def test_only_finance_of_the_project_records_the_transfer(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = approved(pay, first)
    outsider = UserFactory(username="finance-b")
    grant(outsider, RoleCode.FINANCE_OFFICER, pay.world.other_project)
    for user in (pay.officer, outsider, pay.world.supervisor):
        with pytest.raises(PermissionDenied):
            record(pay, payment, actor=user)
        with pytest.raises(PermissionDenied):
            services.record_failure(actor=user, payment=payment, reason="x", failed_on=TODAY())
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.APPROVED


# --- the project's account -------------------------------------------------------------------


def fund(c: Any, amount: str, document_no: str) -> None:
    """More money received on the project's first funding source."""
    source = FundingSource.objects.filter(project=c.project).order_by("pk").first()
    if source is None:
        source = services.source_create(
            actor=c.finance, project=c.project, kind="budget", name="财政", planned="0"
        )
    services.receipt_record(
        actor=c.finance,
        source=source,
        amount=amount,
        received_on=TODAY(),
        document_no=document_no,
    )


def assert_not_paid(
    c: Any, payment: Payment, instalment: Instalment, before: dict[str, Any]
) -> None:
    """A refused transfer wrote nothing: the payment is still approved, no ledger entry, the
    household's account and the project's balance as they were."""
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.APPROVED and payment.paid_on is None
    assert payment.voucher_no == "" and payment.paid_by is None
    instalment.refresh_from_db()
    assert instalment.paid_on is None
    assert not LedgerEntry.objects.filter(payment=payment).exists()
    assert LedgerEntry.objects.count() == before["entries"]
    account = account_of(c)
    assert (account.paid, account.in_process, account.first_paid_on) == (
        before["paid"],
        before["in_process"],
        before["first_paid_on"],
    )
    assert services.project_balance(c.project.pk) == before["balance"]
    assert len(events("payment.paid")) == before["events"]
    assert PaidIdentity.objects.count() == before["identities"]


def state(c: Any) -> dict[str, Any]:
    account = account_of(c)
    return {
        "entries": LedgerEntry.objects.count(),
        "paid": account.paid,
        "in_process": account.in_process,
        "first_paid_on": account.first_paid_on,
        "balance": services.project_balance(c.project.pk),
        "events": len(events("payment.paid")),
        "identities": PaidIdentity.objects.count(),
    }


def test_the_project_balance_is_the_ledgers_sum(pay):  # type: ignore[no-untyped-def]
    assert services.project_balance(pay.project.pk) == FUNDED
    assert services.project_balance(pay.world.other_project.pk) == Decimal("0.00")
    first, _rest = parts(pay.agreement)
    payment = pay_out(pay, first)
    assert services.project_balance(pay.project.pk) == FUNDED - first.amount
    assert services.project_balance(pay.project.pk, lock_project=True) == FUNDED - first.amount
    assert selectors.funds(pay.project.pk).balance == FUNDED - first.amount
    services.record_failure(actor=pay.finance, payment=payment, reason="退回", failed_on=TODAY())
    assert services.project_balance(pay.project.pk) == FUNDED


def test_a_transfer_beyond_the_projects_balance_is_refused(agr):  # type: ignore[no-untyped-def]
    c = paying(agr, funded=Decimal("1000.00"))
    first, _rest = parts(c.agreement)
    assert first.amount > Decimal("1000.00")
    payment = approved(c, first)
    before = state(c)
    assert before["balance"] == Decimal("1000.00")
    with pytest.raises(ValidationError) as exc:
        record(c, payment)
    assert exc.value.code == "funds"
    assert not hasattr(exc.value, "error_dict")  # not at a field: the whole transfer
    assert "1,000.00" in exc.value.messages[0] and f"{first.amount:,.2f}" in exc.value.messages[0]
    assert_not_paid(c, payment, first, before)
    assert account_of(c).in_process == first.amount  # still approved, waiting for the money


def test_a_project_without_funds_pays_nothing(agr):  # type: ignore[no-untyped-def]
    c = paying(agr, funded=None)
    assert not LedgerEntry.objects.exists()
    first, _rest = parts(c.agreement)
    payment = approved(c, first)
    before = state(c)
    assert before["balance"] == Decimal("0.00")
    with pytest.raises(ValidationError) as exc:
        record(c, payment)
    assert exc.value.code == "funds"
    assert_not_paid(c, payment, first, before)
    assert not LedgerEntry.objects.exists()


def test_a_refused_transfer_is_paid_once_more_funds_are_received(agr):  # type: ignore[no-untyped-def]
    c = paying(agr, funded=Decimal("1000.00"))
    first, _rest = parts(c.agreement)
    payment = approved(c, first)
    with pytest.raises(ValidationError) as exc:
        record(c, payment)
    assert exc.value.code == "funds"
    # Short by one fen: still refused.
    fund(c, str(first.amount - Decimal("1000.00") - Decimal("0.01")), "JZ-2")
    assert services.project_balance(c.project.pk) == first.amount - Decimal("0.01")
    with pytest.raises(ValidationError) as exc:
        record(c, payment)
    assert exc.value.code == "funds"
    # The balance exactly the payment: paid, and the account is empty.
    fund(c, "0.01", "JZ-3")
    payment = record(c, payment)
    assert payment.status == PaymentStatus.PAID
    assert LedgerEntry.objects.get(payment=payment).amount == -first.amount
    assert account_of(c).paid == first.amount
    assert services.project_balance(c.project.pk) == Decimal("0.00")


def test_a_transfer_after_most_of_the_balance_was_paid_out_is_refused(agr):  # type: ignore[no-untyped-def]
    c = paying(agr, funded=Decimal("0.01"))
    first, rest = parts(c.agreement)
    # Enough for the first instalment and all but a fen of the second.
    fund(c, str(first.amount + rest.amount - Decimal("0.02")), "JZ-2")
    pay_out(c, first)
    assert services.project_balance(c.project.pk) == rest.amount - Decimal("0.01")
    services.site_step(household=c.household, step="vacated", on=TODAY())
    rest.refresh_from_db()
    payment = approved(c, rest)
    before = state(c)
    with pytest.raises(ValidationError) as exc:
        record(c, payment, voucher_no="FK-0002")
    assert exc.value.code == "funds"
    assert_not_paid(c, payment, rest, before)
    assert account_of(c).paid == first.amount
    fund(c, "0.01", "JZ-3")
    payment = record(c, payment, voucher_no="FK-0002")
    assert payment.status == PaymentStatus.PAID
    assert account_of(c).paid == c.agreement.total
    assert services.project_balance(c.project.pk) == Decimal("0.00")


def test_a_returned_transfer_puts_the_money_back_in_the_balance(agr):  # type: ignore[no-untyped-def]
    c = paying(agr, funded=Decimal("0.01"))
    first, rest = parts(c.agreement)
    fund(c, str(first.amount - Decimal("0.01")), "JZ-2")
    paid = pay_out(c, first)
    assert services.project_balance(c.project.pk) == Decimal("0.00")
    services.site_step(household=c.household, step="vacated", on=TODAY())
    rest.refresh_from_db()
    assert rest.amount <= first.amount
    payment = approved(c, rest)
    with pytest.raises(ValidationError) as exc:
        record(c, payment, voucher_no="FK-0002")
    assert exc.value.code == "funds"
    services.record_failure(
        actor=c.finance, payment=paid, reason="户名与账号不符，银行退回", failed_on=TODAY()
    )
    assert services.project_balance(c.project.pk) == first.amount
    payment = record(c, payment, voucher_no="FK-0002")
    assert payment.status == PaymentStatus.PAID
    assert services.project_balance(c.project.pk) == first.amount - rest.amount
    assert account_of(c).paid == rest.amount


# --- the receipt -----------------------------------------------------------------------------


def test_the_households_receipt_is_kept_once(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = approved(pay, first)
    with pytest.raises(ValidationError) as exc:
        services.confirm_receipt(actor=pay.finance, payment=payment, receipt=png_upload())
    assert exc.value.code == "status"
    payment = record(pay, payment)
    with pytest.raises(ValidationError) as exc:
        services.confirm_receipt(actor=pay.finance, payment=payment, receipt=None)
    assert code_at(exc, "receipt") == "required"
    text = SimpleUploadedFile("receipt.pdf", b"just some text", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        services.confirm_receipt(actor=pay.finance, payment=payment, receipt=text)
    assert code_at(exc, "receipt") == "type"
    from zhengqian.agreements.tests.conftest import docx_upload, minimal_template

    with pytest.raises(ValidationError) as exc:
        services.confirm_receipt(
            actor=pay.finance, payment=payment, receipt=docx_upload(minimal_template())
        )
    assert code_at(exc, "receipt") == "type"
    payment = services.confirm_receipt(actor=pay.finance, payment=payment, receipt=png_upload())
    assert payment.receipt_confirmed_by == pay.finance
    assert payment.receipt_sha256 == hashlib.sha256(PNG_BYTES).hexdigest()
    with payment.receipt.open("rb") as f:
        assert f.read() == PNG_BYTES
    assert events("payment.receipt")[-1].details == {"sha256": payment.receipt_sha256}
    with pytest.raises(ValidationError) as exc:
        services.confirm_receipt(actor=pay.finance, payment=payment, receipt=png_upload())
    assert exc.value.code == "confirmed"
    assert len(events("payment.receipt")) == 1


# --- failures --------------------------------------------------------------------------------


def test_a_returned_transfer_reopens_the_instalment(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = pay_out(pay, first)
    payment = services.record_failure(
        actor=pay.finance, payment=payment, reason="户名与账号不符，银行退回", failed_on=TODAY()
    )
    assert payment.status == PaymentStatus.FAILED and payment.failed_by == pay.finance
    back = LedgerEntry.objects.get(payment=payment, kind=EntryKind.RETURN)
    assert back.amount == first.amount and back.document_no == payment.voucher_no
    assert back.agreement_number == pay.agreement.number
    assert sum(e.amount for e in LedgerEntry.objects.filter(payment=payment)) == 0
    first.refresh_from_db()
    assert first.paid_on is None
    account = account_of(pay)
    assert account.paid == Decimal("0.00") and account.first_paid_on is None
    assert account.next_due_on == first.due_on
    event = events("payment.failed")[-1]
    assert event.changes == {"status": ["paid", "failed"]}
    assert event.details["amount"] == str(first.amount)
    again = pay_out(pay, first, voucher_no="FK-again")
    assert again.status == PaymentStatus.PAID and account_of(pay).paid == first.amount


def test_an_approved_transfer_that_failed_books_nothing(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = approved(pay, first)
    services.record_failure(
        actor=pay.finance, payment=payment, reason="账户冻结", failed_on=TODAY()
    )
    assert not ledger().exists()
    assert account_of(pay).in_process == Decimal("0.00")
    assert services.request(actor=pay.officer, instalment=first).status == PaymentStatus.REQUESTED


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"reason": " "}, "reason", "required"),
        ({"failed_on": None}, "failed_on", "required"),
        ({"failed_on": "tomorrow"}, "failed_on", "future"),
        ({"failed_on": "before"}, "failed_on", "before_paid"),
    ],
)
def test_a_failure_is_refused_at_its_field(pay, changes, field, code):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = pay_out(pay, first)
    days = {"tomorrow": 1, "before": -1}
    if changes.get("failed_on") in days:
        changes["failed_on"] = TODAY() + dt.timedelta(days=days[changes["failed_on"]])
    kwargs = {"reason": "退回", "failed_on": TODAY(), **changes}
    with pytest.raises(ValidationError) as exc:
        services.record_failure(actor=pay.finance, payment=payment, **kwargs)
    assert code_at(exc, field) == code
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert account_of(pay).paid == first.amount


def test_a_requested_or_failed_payment_cannot_fail(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = services.request(actor=pay.officer, instalment=first)
    with pytest.raises(ValidationError) as exc:
        services.record_failure(actor=pay.finance, payment=payment, reason="x", failed_on=TODAY())
    assert exc.value.code == "status"
    payment = services.approve(actor=pay.finance2, payment=payment, password=PASSWORD)
    services.record_failure(actor=pay.finance, payment=payment, reason="x", failed_on=TODAY())
    with pytest.raises(ValidationError) as exc:
        services.record_failure(actor=pay.finance, payment=payment, reason="x", failed_on=TODAY())
    assert exc.value.code == "status"


# --- voiding ---------------------------------------------------------------------------------


def test_an_agreement_with_money_paid_or_being_paid_is_not_voided(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = services.request(actor=pay.officer, instalment=first)
    with pytest.raises(ValidationError) as exc:
        agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="错误")
    assert exc.value.code == "paid"
    payment = services.approve(actor=pay.finance2, payment=payment, password=PASSWORD)
    payment = record(pay, payment)
    with pytest.raises(ValidationError) as exc:
        agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="错误")
    assert exc.value.code == "paid"
    pay.agreement.refresh_from_db()
    assert pay.agreement.void_requested_at is None
    services.record_failure(actor=pay.finance, payment=payment, reason="退回", failed_on=TODAY())
    agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="错误")
    agreements.void_decide(actor=pay.pm, agreement=pay.agreement, approve=True, password=PASSWORD)
    pay.agreement.refresh_from_db()
    assert pay.agreement.status == AgreementStatus.VOID
    account = account_of(pay)
    assert account.void and account.paid == Decimal("0.00") and account.next_due_on is None


def test_the_void_decision_checks_again(pay):  # type: ignore[no-untyped-def]
    """A payment asked for between the request to void and its approval blocks the void."""
    first, _rest = parts(pay.agreement)
    agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="错误")
    Agreement.objects.filter(pk=pay.agreement.pk).update(void_requested_at=None)
    services.request(actor=pay.officer, instalment=first)
    Agreement.objects.filter(pk=pay.agreement.pk).update(void_requested_at=timezone.now())
    with pytest.raises(ValidationError) as exc:
        agreements.void_decide(
            actor=pay.pm, agreement=pay.agreement, approve=True, password=PASSWORD
        )
    assert exc.value.code == "paid"
    pay.agreement.refresh_from_db()
    assert pay.agreement.status == AgreementStatus.EFFECTIVE


# --- supplements -----------------------------------------------------------------------------


def test_a_supplement_raising_the_amount_adds_a_plan(pay):  # type: ignore[no-untyped-def]
    supplement = agreements.draft(
        actor=pay.officer, calculation=_corrected(pay, "9999.00"), parent=pay.agreement
    )
    assert supplement.difference == Decimal("5199.00")
    supplement = signing(pay, supplement)
    first, rest = parts(supplement)
    assert (first.amount, rest.amount) == (Decimal("3639.30"), Decimal("1559.70"))
    assert first.met_on == supplement.effective_on
    assert first.account_id == pay.account.pk
    account = account_of(pay)
    assert account.committed == pay.agreement.total + Decimal("5199.00")
    assert selectors.funds(pay.project.pk).committed == account.committed
    assert services.request(actor=pay.officer, instalment=first).amount == Decimal("3639.30")


def test_a_supplement_lowering_the_amount_reduces_the_last_open_instalment(pay):  # type: ignore[no-untyped-def]
    first, rest = parts(pay.agreement)
    pay_out(pay, first)
    supplement = agreements.draft(
        actor=pay.officer, calculation=_corrected(pay, "1000.00"), parent=pay.agreement
    )
    assert supplement.difference == Decimal("-3800.00")
    supplement = signing(pay, supplement)
    assert parts(supplement) == []
    assert PaymentPlan.objects.get(agreement=supplement).amount == Decimal("-3800.00")
    reduced = Instalment.objects.get(pk=rest.pk)
    assert reduced.amount == rest.amount - Decimal("3800.00")
    assert reduced.reduction == Decimal("3800.00")
    account = account_of(pay)
    assert account.committed == pay.agreement.total - Decimal("3800.00")
    assert account.owed == reduced.amount


def test_a_supplement_lowering_below_what_was_paid_is_refused(pay):  # type: ignore[no-untyped-def]
    first, rest = parts(pay.agreement)
    pay_out(pay, first)
    services.site_step(household=pay.household, step="vacated", on=TODAY())
    rest.refresh_from_db()
    services.request(actor=pay.officer, instalment=rest)  # being paid: not reduced either
    supplement = agreements.draft(
        actor=pay.officer, calculation=_corrected(pay, "1000.00"), parent=pay.agreement
    )
    with pytest.raises(ValidationError) as exc:
        signing(pay, supplement)
    assert exc.value.code == "overpaid"
    supplement.refresh_from_db()
    assert supplement.status == AgreementStatus.DRAFT
    assert not PaymentPlan.objects.filter(agreement=supplement).exists()
    assert account_of(pay).committed == pay.agreement.total


def test_voiding_a_supplement_takes_its_plan_out(pay):  # type: ignore[no-untyped-def]
    supplement = signing(
        pay,
        agreements.draft(
            actor=pay.officer, calculation=_corrected(pay, "9999.00"), parent=pay.agreement
        ),
    )
    agreements.void_request(actor=pay.officer, agreement=supplement, reason="计算错误")
    agreements.void_decide(actor=pay.pm, agreement=supplement, approve=True, password=PASSWORD)
    account = account_of(pay)
    assert not account.void
    assert account.committed == pay.agreement.total
    assert sum(i.amount for i in parts(supplement)) == Decimal("0.00")
    with pytest.raises(ValidationError):
        services.request(actor=pay.officer, instalment=parts(supplement)[0])
    assert selectors.funds(pay.project.pk).committed == account.committed
    from zhengqian.payments import reconcile

    assert reconcile.check(pay.project.pk) == []


def test_voiding_a_lowering_supplement_gives_its_reduction_back(pay):  # type: ignore[no-untyped-def]
    _first, rest = parts(pay.agreement)
    supplement = signing(
        pay,
        agreements.draft(
            actor=pay.officer, calculation=_corrected(pay, "1000.00"), parent=pay.agreement
        ),
    )
    agreements.void_request(actor=pay.officer, agreement=supplement, reason="计算错误")
    agreements.void_decide(actor=pay.pm, agreement=supplement, approve=True, password=PASSWORD)
    restored = Instalment.objects.get(pk=rest.pk)
    assert restored.amount == rest.amount and restored.reduction == Decimal("0.00")
    assert account_of(pay).committed == pay.agreement.total
    from zhengqian.payments import reconcile

    assert reconcile.check(pay.project.pk) == []


# --- the site steps --------------------------------------------------------------------------


def test_vacating_makes_the_rest_due_and_demolition_is_seen(pay):  # type: ignore[no-untyped-def]
    first, rest = parts(pay.agreement)
    day = TODAY() - dt.timedelta(days=2)
    services.site_step(household=pay.household, step="vacated", on=day)
    rest.refresh_from_db()
    assert rest.met_on == day and rest.due_on == day + dt.timedelta(days=15)
    account = account_of(pay)
    assert account.vacated_on == day
    assert account.next_due_on == min(first.due_on, rest.due_on)
    payment = services.request(actor=pay.officer, instalment=rest)
    assert payment.amount == rest.amount
    services.site_step(household=pay.household, step="demolished", on=TODAY())
    assert account_of(pay).demolished_on == TODAY()


def test_a_site_step_without_an_agreement_changes_nothing(agr):  # type: ignore[no-untyped-def]
    services.site_step(household=agr.household, step="vacated", on=TODAY())
    assert not HouseholdAccount.objects.exists()


def test_a_supplement_signed_after_vacating_is_due_at_once(pay):  # type: ignore[no-untyped-def]
    services.site_step(household=pay.household, step="vacated", on=TODAY())
    supplement = signing(
        pay,
        agreements.draft(
            actor=pay.officer, calculation=_corrected(pay, "9999.00"), parent=pay.agreement
        ),
    )
    _first, rest = parts(supplement)
    assert rest.met_on == TODAY() and rest.due_on == TODAY() + dt.timedelta(days=15)


def test_a_lowering_supplement_whose_reduction_is_being_paid_is_not_voided(pay):  # type: ignore[no-untyped-def]
    _first, rest = parts(pay.agreement)
    before = rest.amount
    supplement = signing(
        pay,
        agreements.draft(
            actor=pay.officer, calculation=_corrected(pay, "1000.00"), parent=pay.agreement
        ),
    )
    services.site_step(household=pay.household, step="vacated", on=TODAY())
    rest.refresh_from_db()
    payment = services.request(actor=pay.officer, instalment=rest)
    assert payment.amount == before - Decimal("3800.00")
    with pytest.raises(ValidationError) as exc:
        agreements.void_request(actor=pay.officer, agreement=supplement, reason="计算错误")
    assert exc.value.code == "reduced_paid"
    services.refuse(actor=pay.finance, payment=payment, reason="待核实")
    agreements.void_request(actor=pay.officer, agreement=supplement, reason="计算错误")
    agreements.void_decide(actor=pay.pm, agreement=supplement, approve=True, password=PASSWORD)
    rest.refresh_from_db()
    assert rest.amount == before and rest.reduction == Decimal("0.00")
    assert account_of(pay).committed == pay.agreement.total


def test_a_supplement_after_a_void_one_corrects_the_main_agreement(pay):  # type: ignore[no-untyped-def]
    from zhengqian.payments import reconcile

    _first, rest = parts(pay.agreement)
    raised = signing(
        pay,
        agreements.draft(
            actor=pay.officer, calculation=_corrected(pay, "9999.00"), parent=pay.agreement
        ),
    )
    agreements.void_request(actor=pay.officer, agreement=raised, reason="计算错误")
    agreements.void_decide(actor=pay.pm, agreement=raised, approve=True, password=PASSWORD)
    lowered = signing(
        pay,
        agreements.draft(
            actor=pay.officer, calculation=_corrected(pay, "1000.00"), parent=pay.agreement
        ),
    )
    assert lowered.difference == Decimal("-3800.00")  # against the main agreement
    assert account_of(pay).committed == pay.agreement.total - Decimal("3800.00")
    assert reconcile.check() == []
    agreements.void_request(actor=pay.officer, agreement=lowered, reason="计算错误")
    agreements.void_decide(actor=pay.pm, agreement=lowered, approve=True, password=PASSWORD)
    assert Instalment.objects.get(pk=rest.pk).amount == rest.amount
    assert sum(i.amount for i in parts(raised)) == Decimal("0.00")
    assert account_of(pay).committed == pay.agreement.total
    assert reconcile.check() == []


def test_only_the_latest_supplement_is_voided(pay):  # type: ignore[no-untyped-def]
    from zhengqian.payments import reconcile

    raised = signing(
        pay,
        agreements.draft(
            actor=pay.officer, calculation=_corrected(pay, "9999.00"), parent=pay.agreement
        ),
    )
    lowered = signing(
        pay,
        agreements.draft(
            actor=pay.officer, calculation=_corrected(pay, "1000.00"), parent=pay.agreement
        ),
    )
    # The later supplement's difference is stated against the earlier one.
    with pytest.raises(ValidationError) as exc:
        agreements.void_request(actor=pay.officer, agreement=raised, reason="计算错误")
    assert exc.value.code == "later_supplement"
    assert lowered.number in exc.value.messages[0]
    raised.refresh_from_db()
    assert raised.void_requested_at is None
    # Voided from the latest back, the books hold at every step.
    for supplement in (lowered, raised):
        agreements.void_request(actor=pay.officer, agreement=supplement, reason="计算错误")
        agreements.void_decide(actor=pay.pm, agreement=supplement, approve=True, password=PASSWORD)
        assert reconcile.check() == []
    assert account_of(pay).committed == pay.agreement.total


def test_a_group_limited_finance_officer_acts_only_in_their_groups(pay):  # type: ignore[no-untyped-def]
    from zhengqian.projects.models import WorkGroup

    other_group = WorkGroup.objects.create(project=pay.project, name="第九工作组")
    limited = UserFactory(username="finance-limited")
    grant(limited, RoleCode.FINANCE_OFFICER, pay.project, work_groups=[other_group])
    first, _rest = parts(pay.agreement)
    payment = services.request(actor=pay.officer, instalment=first)
    with pytest.raises(AccessDenied):
        services.approve(actor=limited, payment=payment, password=PASSWORD)
    with pytest.raises(AccessDenied):
        services.refuse(actor=limited, payment=payment, reason="不在本组")
    groups = selectors.groups_of(limited, pay.project)
    assert groups == {other_group.pk}
    assert list(selectors.queue(pay.project.pk, groups)["requested"]) == []
    assert [p.pk for p in selectors.queue(pay.project.pk)["requested"]] == [payment.pk]
    # The ledger shows them the project's funds received, not other groups' payments.
    payment = services.approve(actor=pay.finance2, payment=payment, password=PASSWORD)
    record(pay, payment)
    kinds = [e.kind for e in selectors.ledger(pay.project.pk, groups=groups)]
    assert kinds == ["receipt"]
    assert "disbursement" in [e.kind for e in selectors.ledger(pay.project.pk)]


def test_the_receipt_is_stored_under_a_name_of_the_system(pay):  # type: ignore[no-untyped-def]
    first, _rest = parts(pay.agreement)
    payment = pay_out(pay, first)
    upload = SimpleUploadedFile(
        "张建国-签收.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf"
    )
    payment = services.confirm_receipt(actor=pay.finance, payment=payment, receipt=upload)
    # (the storage adds a suffix when the name is taken by an earlier test's file)
    stored = payment.receipt.name.rsplit("/", 1)[-1]
    assert stored.startswith(f"receipt-{payment.pk}") and stored.endswith(".pdf")
    assert "张建国" not in payment.receipt.name
    with payment.receipt.open("rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == payment.receipt_sha256
