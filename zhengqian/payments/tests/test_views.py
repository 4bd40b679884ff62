"""The payments pages: the entry page, a project's funds with the finance forms, the supervision
lists, the finance queue, one payment with its steps, the household page's section and the
ledger with its Excel export — each allowed for the right role, 403 without the right and 404
for another project's staff."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from zhengqian.accounts.models import RolePermission
from zhengqian.audit.models import Event
from zhengqian.core.masking import mask_bank_account, mask_id_number, mask_name
from zhengqian.ownership.tests.conftest import make_household
from zhengqian.payments import services
from zhengqian.payments.models import (
    EntryKind,
    FundingSource,
    HouseholdAccount,
    IdentityKind,
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
    FUNDED_DOCUMENT,
    ledger,
    pay_out,
    png_upload,
)
from zhengqian.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db

ACCOUNT_NO = "6222021234567890123"


def body(response: Any) -> str:
    return response.content.decode()


def project_url(project: Any, action: str = "") -> str:
    return f"/payments/projects/{project.pk}/{action}"


def payment_url(payment: Any, action: str = "") -> str:
    return f"/payments/{payment.pk}/{action}"


def household_url(pay: Any) -> str:
    return f"/survey/households/{pay.household.pk}/"


def instalments(pay: Any) -> list[Instalment]:
    return list(pay.agreement.payment_plan.instalments.order_by("position"))


def requested(pay: Any) -> Payment:
    """The first instalment asked for by the household's handler."""
    return services.request(actor=pay.officer, instalment=instalments(pay)[0])


def approved(pay: Any) -> Payment:
    return services.approve(actor=pay.finance2, payment=requested(pay), password=PASSWORD)


def source(pay: Any, name: str = "区财政拨款", planned: str = "5000000.00") -> FundingSource:
    return services.source_create(
        actor=pay.finance, project=pay.project, kind="budget", name=name, planned=planned
    )


def receive(pay: Any, amount: str = "3000000.00", on: dt.date | None = None) -> Any:
    return services.receipt_record(
        actor=pay.finance,
        source=source(pay),
        amount=amount,
        received_on=on or timezone.localdate(),
        document_no="RZ-0001",
    )


def figure(html: str, key: str) -> Decimal:
    """The amount of one figure of the funds summary."""
    found = re.search(rf'data-testid="figure-{key}" data-value="([^"]*)"', html)
    assert found, key
    return Decimal(found.group(1))


def field_error(html: str, field: str) -> str:
    return html.split(f'data-field-error="{field}"')[1].split("</div>")[0]


# --- the entry page ----------------------------------------------------------------------


def test_the_entry_page_lists_the_users_projects_with_their_funds(pay, login):  # type: ignore[no-untyped-def]
    receive(pay)
    html = body(login(pay.finance).get("/payments/"))
    row = html.split(f'data-project="{pay.project.code}"')[1].split("</tr>")[0]
    assert f'data-testid="committed">{pay.agreement.total:,.2f}<' in row
    # The fixture's receipt and this one.
    assert f'data-testid="received">{FUNDED + Decimal("3000000.00"):,.2f}<' in row
    assert f'data-project="{pay.world.other_project.code}"' not in html


def test_another_projects_manager_does_not_see_the_project_on_the_entry_page(pay, login):  # type: ignore[no-untyped-def]
    html = body(login(pay.world.other_pm).get("/payments/"))
    assert f'data-project="{pay.project.code}"' not in html
    assert f'data-project="{pay.world.other_project.code}"' in html


def test_the_entry_page_costs_the_same_queries_however_many_projects(pay, login):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(pay.world.supervisor)
    client.get("/payments/")
    with CaptureQueriesContext(connection) as before:
        client.get("/payments/")
    from zhengqian.testing.factories import ProjectFactory

    for n in range(3):
        ProjectFactory(code=f"XM-C{n}")
    with CaptureQueriesContext(connection) as after:
        page = client.get("/payments/")
    assert 'data-project="XM-C2"' in body(page)
    assert len(after) == len(before)


# --- the project page --------------------------------------------------------------------


def test_the_project_page_shows_the_funds_summary_for_a_leader_to_read(pay, login):  # type: ignore[no-untyped-def]
    receive(pay, "1000000.00")
    first = instalments(pay)[0]
    pay_out(pay, first)
    html = body(login(pay.pm).get(project_url(pay.project)))
    total = pay.agreement.total
    # The fixture's source and receipt are counted with this one.
    assert figure(html, "budget") == FUND_PLANNED + Decimal("5000000.00")
    assert figure(html, "received") == FUNDED + Decimal("1000000.00")
    assert f'data-testid="figure-committed" data-value="{total}"' in html
    assert f'data-testid="figure-paid" data-value="{first.amount}"' in html
    assert f'data-testid="figure-gap" data-value="{total - first.amount}"' in html
    balance = FUNDED + Decimal("1000000.00") - first.amount
    assert figure(html, "balance") == balance
    shortfall = max(total - first.amount - balance, Decimal("0.00"))
    assert figure(html, "shortfall") == shortfall
    assert f"{total:,.2f}" in html
    # The project manager reads; the finance forms are not offered.
    assert 'data-testid="source-form"' not in html and 'data-testid="plans-button"' not in html


def test_the_finance_officer_sees_the_forms_the_rules_and_the_queue(pay, login):  # type: ignore[no-untyped-def]
    source(pay)
    requested(pay)
    html = body(login(pay.finance).get(project_url(pay.project)))
    assert 'data-testid="source-form"' in html and 'data-testid="receipt-form"' in html
    assert 'data-testid="plans-button"' in html and 'data-testid="plans-complete"' in html
    assert html.count('data-testid="rule"') == 4
    assert 'data-testid="queue-requested">1<' in html
    assert f'href="/payments/projects/{pay.project.pk}/ledger/"' in html
    demolish_days = str(pay.project.demolish_within_days)
    assert demolish_days in html.split('data-rule="paid_not_demolished"')[1].split("</li>")[0]


def test_the_project_page_is_404_for_another_project_and_an_outsider(pay, login):  # type: ignore[no-untyped-def]
    assert login(pay.world.other_pm).get(project_url(pay.project)).status_code == 404
    assert login(pay.world.outsider).get(project_url(pay.project)).status_code == 404


def test_a_funding_source_is_added_through_the_form(pay, login):  # type: ignore[no-untyped-def]
    client = login(pay.finance)
    events_before = Event.objects.filter(event_type="funds.source_create").count()
    r = client.post(
        project_url(pay.project, "sources/"),
        {
            "kind": "loan",
            "name": "国开行贷款",
            "planned": "8000000.00",
            "reference": "国开〔2026〕1号",
        },
    )
    assert r.status_code == 302
    created = FundingSource.objects.exclude(name=FUND_SOURCE).get(project=pay.project)
    assert created.name == "国开行贷款"
    assert created.planned == Decimal("8000000.00") and created.kind == "loan"
    assert 'data-name="国开行贷款"' in body(client.get(project_url(pay.project)))
    assert Event.objects.filter(event_type="funds.source_create").count() == events_before + 1


def test_a_source_without_name_and_with_an_amount_below_the_fen_is_refused_at_the_fields(
    pay, login
):  # type: ignore[no-untyped-def]
    r = login(pay.finance).post(
        project_url(pay.project, "sources/"), {"kind": "budget", "name": "", "planned": "12.345"}
    )
    assert r.status_code == 400
    html = body(r)
    assert 'data-field-error="name"' in html
    assert field_error(html, "planned")
    # Only the fixture's source.
    assert list(FundingSource.objects.values_list("name", flat=True)) == [FUND_SOURCE]


def test_funds_received_are_recorded_and_a_future_date_refused_at_its_field(pay, login):  # type: ignore[no-untyped-def]
    found = source(pay)
    client = login(pay.finance)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    data = {"source": found.pk, "amount": "2000000.00", "document_no": "RZ-9"}
    r = client.post(project_url(pay.project, "receipts/"), {**data, "received_on": tomorrow})
    assert r.status_code == 400 and field_error(body(r), "received_on")
    assert not ledger().exists()
    r = client.post(
        project_url(pay.project, "receipts/"), {**data, "received_on": timezone.localdate()}
    )
    assert r.status_code == 302
    entry = ledger().get()
    assert entry.amount == Decimal("2000000.00") and entry.kind == "receipt"
    html = body(client.get(project_url(pay.project)))
    assert 'data-document="RZ-9"' in html
    assert 'data-testid="source-received">2,000,000.00<' in html


def test_the_finance_forms_are_refused_without_the_right(pay, login):  # type: ignore[no-untyped-def]
    found = source(pay)
    client = login(pay.officer)
    assert (
        client.post(
            project_url(pay.project, "sources/"), {"kind": "budget", "name": "x", "planned": "1"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            project_url(pay.project, "receipts/"),
            {"source": found.pk, "amount": "1.00", "received_on": timezone.localdate()},
        ).status_code
        == 403
    )
    assert client.post(project_url(pay.project, "plans/")).status_code == 403
    assert login(pay.world.other_pm).post(project_url(pay.project, "plans/")).status_code == 404
    assert login(pay.finance).get(project_url(pay.project, "sources/")).status_code == 405


def test_the_missing_payment_plans_are_made_from_the_project_page(pay, login):  # type: ignore[no-untyped-def]
    # An agreement that took effect before the payments module kept plans.
    Instalment.objects.filter(account=pay.account).delete()
    PaymentPlan.objects.filter(account=pay.account).delete()
    HouseholdAccount.objects.filter(pk=pay.account.pk).delete()
    client = login(pay.finance)
    html = body(client.get(project_url(pay.project)))
    assert 'data-testid="plans-missing"' in html
    r = client.post(project_url(pay.project, "plans/"))
    assert r.status_code == 302
    assert PaymentPlan.objects.filter(agreement=pay.agreement).count() == 1
    html = body(client.get(project_url(pay.project)))
    assert 'data-testid="plans-complete"' in html
    assert client.post(project_url(pay.project, "plans/")).status_code == 302


# --- the supervision lists ---------------------------------------------------------------


def test_paid_but_not_demolished_lists_the_household_with_the_days_since(pay, login):  # type: ignore[no-untyped-def]
    pay_out(pay, instalments(pay)[0])
    today = timezone.localdate()
    HouseholdAccount.objects.filter(pk=pay.account.pk).update(
        first_paid_on=today - dt.timedelta(days=40)
    )
    client = login(pay.pm)
    overview = body(client.get(project_url(pay.project)))
    box = overview.split('data-rule="paid_not_demolished"')[1].split("</li>")[0]
    assert 'data-testid="rule-count">1<' in box
    html = body(client.get(project_url(pay.project, "rules/paid_not_demolished/")))
    row = html.split(f'data-household="{pay.household.code}"')[1].split("</tr>")[0]
    assert 'data-testid="days">40<' in row
    assert mask_name(pay.household.head_name) in row and pay.household.head_name not in row
    assert pay.agreement.number in row


def test_overdue_and_demolished_not_paid_list_their_households(pay, login):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    HouseholdAccount.objects.filter(pk=pay.account.pk).update(
        next_due_on=today - dt.timedelta(days=5), demolished_on=today
    )
    client = login(pay.finance)
    overdue = body(client.get(project_url(pay.project, "rules/overdue/")))
    row = overdue.split(f'data-household="{pay.household.code}"')[1].split("</tr>")[0]
    assert 'data-testid="days">5<' in row
    assert f'data-testid="owed">{pay.agreement.total:,.2f}<' in row
    demolished = body(client.get(project_url(pay.project, "rules/demolished_not_paid/")))
    assert f'data-household="{pay.household.code}"' in demolished
    empty = body(client.get(project_url(pay.project, "rules/paid_not_demolished/")))
    assert 'data-testid="rule-empty"' in empty


def test_double_compensation_shows_the_masked_identity_and_where_else_it_was_paid(pay, login):  # type: ignore[no-untyped-def]
    id_number = "330282198001011234"
    elsewhere = make_household(pay.world.other_project, code="B-007")
    for household in (pay.household, elsewhere):
        PaidIdentity.objects.create(
            kind=IdentityKind.PERSON,
            value=id_number,
            project_id=household.project_id,
            household=household,
            duplicate=True,
        )
    html = body(login(pay.finance).get(project_url(pay.project, "rules/double/")))
    row = html.split('data-testid="double-row"')[1].split("</tr>")[0]
    assert mask_id_number(id_number) in row and id_number not in html
    other = row.split('data-testid="double-other"')[1]
    assert "B-007" in other and pay.world.other_project.code in other
    # Finance of project A does not reach project B's household: no link.
    assert 'data-testid="double-other-hidden"' in other and "double-other-link" not in other
    supervisor = body(login(pay.world.supervisor).get(project_url(pay.project, "rules/double/")))
    assert f'href="/survey/households/{elsewhere.pk}/"' in supervisor
    overview = body(login(pay.finance).get(project_url(pay.project)))
    assert 'data-testid="rule-count">1<' in overview.split('data-rule="double"')[1]


def test_an_unknown_rule_is_404_and_the_lists_are_404_for_another_project(pay, login):  # type: ignore[no-untyped-def]
    assert login(pay.finance).get(project_url(pay.project, "rules/nope/")).status_code == 404
    url = project_url(pay.project, "rules/overdue/")
    assert login(pay.world.other_pm).get(url).status_code == 404


# --- the finance queue -------------------------------------------------------------------


def test_the_queue_lists_each_step_waiting_oldest_first(pay, login):  # type: ignore[no-untyped-def]
    waiting = requested(pay)
    client = login(pay.finance)
    html = body(client.get(project_url(pay.project, "queue/")))
    section = html.split('data-section="requested"')[1].split('data-testid="queue-section"')[0]
    assert f'data-payment="{waiting.pk}"' in section and 'data-testid="waited"' in section
    assert mask_name(pay.household.head_name) in section
    services.approve(actor=pay.finance2, payment=waiting, password=PASSWORD)
    html = body(client.get(project_url(pay.project, "queue/")))
    assert f'data-payment="{waiting.pk}"' in html.split('data-section="approved"')[1]
    services.record_paid(
        actor=pay.finance,
        payment=waiting,
        payee=pay.household.head_name,
        bank="农商银行",
        account_no=ACCOUNT_NO,
        voucher_no="FK-1",
        paid_on=timezone.localdate(),
    )
    html = body(client.get(project_url(pay.project, "queue/")))
    assert f'data-payment="{waiting.pk}"' in html.split('data-section="no_receipt"')[1]
    assert login(pay.world.other_pm).get(project_url(pay.project, "queue/")).status_code == 404


# --- one payment -------------------------------------------------------------------------


def test_the_payment_page_offers_approval_to_another_finance_officer(pay, login):  # type: ignore[no-untyped-def]
    payment = requested(pay)
    html = body(login(pay.finance2).get(payment_url(payment)))
    assert 'data-testid="approve-form"' in html and 'data-testid="refuse-form"' in html
    assert f'href="/agreements/{pay.agreement.pk}/"' in html
    assert 'data-step="requested"' in html
    assert 'data-testid="paid-form"' not in html
    officer = body(login(pay.officer).get(payment_url(payment)))
    assert (
        'data-testid="approve-form"' not in officer and 'data-testid="refuse-form"' not in officer
    )


def test_whoever_asked_is_not_offered_the_approval_and_is_refused_it(pay, login):  # type: ignore[no-untyped-def]
    payment = services.request(actor=pay.finance, instalment=instalments(pay)[0])
    client = login(pay.finance)
    html = body(client.get(payment_url(payment)))
    assert 'data-testid="own-request"' in html and 'data-testid="approve-form"' not in html
    r = client.post(payment_url(payment, "approve/"), {"password": PASSWORD})
    assert r.status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUESTED


def test_a_wrong_password_is_refused_at_its_field_and_recorded(pay, login):  # type: ignore[no-untyped-def]
    payment = requested(pay)
    client = login(pay.finance2)
    r = client.post(payment_url(payment, "approve/"), {"password": "wrong"})
    assert r.status_code == 400 and field_error(body(r), "password")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUESTED
    failed = Event.objects.get(event_type="auth.sudo_failed")
    assert failed.actor_id == pay.finance2.pk and failed.details["action"] == "payment.approve"
    r = client.post(payment_url(payment, "approve/"), {"password": PASSWORD})
    assert r.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.APPROVED and payment.approved_by_id == pay.finance2.pk


def test_approving_a_payment_already_approved_says_so_on_the_page(pay, login):  # type: ignore[no-untyped-def]
    payment = requested(pay)
    client = login(pay.finance2)
    assert client.post(payment_url(payment, "approve/"), {"password": PASSWORD}).status_code == 302
    r = client.post(payment_url(payment, "approve/"), {"password": PASSWORD})
    assert r.status_code == 400
    html = body(r)
    assert 'data-testid="step-refused"' in html and 'data-testid="approve-form"' not in html
    assert Event.objects.filter(event_type="payment.approve").count() == 1


def test_a_request_is_refused_only_with_a_reason(pay, login):  # type: ignore[no-untyped-def]
    payment = requested(pay)
    client = login(pay.finance2)
    r = client.post(payment_url(payment, "refuse/"), {"reason": " "})
    assert r.status_code == 400 and field_error(body(r), "reason")
    r = client.post(payment_url(payment, "refuse/"), {"reason": "账户信息待核实"})
    assert r.status_code == 302
    html = body(client.get(payment_url(payment)))
    assert 'data-testid="refused-reason">账户信息待核实<' in html and 'data-step="refused"' in html


def test_approving_and_refusing_is_refused_without_the_right(pay, login):  # type: ignore[no-untyped-def]
    payment = requested(pay)
    client = login(pay.officer)
    assert client.post(payment_url(payment, "approve/"), {"password": PASSWORD}).status_code == 403
    assert client.post(payment_url(payment, "refuse/"), {"reason": "x"}).status_code == 403
    assert client.get(payment_url(payment, "approve/")).status_code == 405
    other = login(pay.world.other_pm)
    assert other.post(payment_url(payment, "approve/"), {"password": PASSWORD}).status_code == 404
    assert other.get(payment_url(payment)).status_code == 404
    assert login(pay.world.outsider).get(payment_url(payment)).status_code == 404


def paid_data(pay: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "payee": pay.household.head_name,
        "bank": "农村商业银行",
        "account_no": ACCOUNT_NO,
        "voucher_no": "FK-0001",
        "paid_on": timezone.localdate().isoformat(),
    }
    data.update(changes)
    return data


def test_the_transfer_is_recorded_and_its_errors_shown_at_their_fields(pay, login):  # type: ignore[no-untyped-def]
    payment = approved(pay)
    client = login(pay.finance)
    assert 'data-testid="paid-form"' in body(client.get(payment_url(payment)))
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    r = client.post(
        payment_url(payment, "paid/"), paid_data(pay, paid_on=tomorrow, account_no="12ab")
    )
    assert r.status_code == 400
    html = body(r)
    assert field_error(html, "paid_on") and field_error(html, "account_no")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.APPROVED
    r = client.post(payment_url(payment, "paid/"), paid_data(pay))
    assert r.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.account_no == ACCOUNT_NO
    assert LedgerEntry.objects.get(payment=payment).amount == -payment.amount
    html = body(client.get(payment_url(payment)))
    assert 'data-step="paid"' in html and 'data-testid="receipt-form"' in html
    assert 'data-testid="failure-form"' in html and 'data-testid="paid-form"' not in html


def test_the_transfer_is_refused_to_a_signing_officer(pay, login):  # type: ignore[no-untyped-def]
    payment = approved(pay)
    r = login(pay.officer).post(payment_url(payment, "paid/"), paid_data(pay))
    assert r.status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.APPROVED


def test_a_returned_transfer_reopens_the_instalment(pay, login):  # type: ignore[no-untyped-def]
    first = instalments(pay)[0]
    payment = pay_out(pay, first)
    client = login(pay.finance)
    r = client.post(payment_url(payment, "failure/"), {"reason": "", "failed_on": ""})
    assert r.status_code == 400
    html = body(r)
    assert field_error(html, "reason") and field_error(html, "failed_on")
    r = client.post(
        payment_url(payment, "failure/"),
        {"reason": "户名不符，银行退回", "failed_on": timezone.localdate().isoformat()},
    )
    assert r.status_code == 302
    payment.refresh_from_db()
    first.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and first.paid_on is None
    assert LedgerEntry.objects.filter(payment=payment, kind="return").count() == 1
    html = body(client.get(payment_url(payment)))
    assert (
        'data-testid="failed-reason">户名不符，银行退回<' in html and 'data-step="failed"' in html
    )


def test_the_signed_receipt_is_uploaded_and_opened_as_an_audited_read(pay, login):  # type: ignore[no-untyped-def]
    payment = pay_out(pay, instalments(pay)[0])
    client = login(pay.finance)
    r = client.post(payment_url(payment, "receipt/"), {})
    assert r.status_code == 400 and field_error(body(r), "receipt")
    r = client.post(payment_url(payment, "receipt/"), {"receipt": png_upload("receipt.png")})
    assert r.status_code == 302
    payment.refresh_from_db()
    assert payment.receipt_confirmed_by_id == pay.finance.pk and payment.receipt_sha256
    html = body(client.get(payment_url(payment)))
    assert 'data-testid="receipt-link"' in html and 'data-testid="receipt-form"' not in html
    r = client.get(payment_url(payment, "receipt/file/"))
    assert r.status_code == 200 and r["Cache-Control"] == "private, no-store"
    assert b"".join(r.streaming_content)[:4] == b"\x89PNG"
    event = Event.objects.get(event_type="payment.receipt_file")
    assert event.actor_id == pay.finance.pk and event.kind == "read"


def test_the_signed_receipt_is_refused_without_the_right_to_personal_data(pay, login):  # type: ignore[no-untyped-def]
    payment = pay_out(pay, instalments(pay)[0])
    services.confirm_receipt(actor=pay.finance, payment=payment, receipt=png_upload())
    assert login(pay.accountant).get(payment_url(payment, "receipt/file/")).status_code == 403
    assert login(pay.world.other_pm).get(payment_url(payment, "receipt/file/")).status_code == 404
    assert 'data-testid="receipt-link"' not in body(login(pay.accountant).get(payment_url(payment)))
    assert not Event.objects.filter(event_type="payment.receipt_file").exists()


def test_the_account_number_is_masked_without_the_right_to_personal_data(pay, login):  # type: ignore[no-untyped-def]
    payment = pay_out(pay, instalments(pay)[0])
    html = body(login(pay.accountant).get(payment_url(payment)))
    assert f'data-testid="account-no">{mask_bank_account(ACCOUNT_NO)}<' in html
    assert ACCOUNT_NO not in html
    assert f'data-testid="head-name">{mask_name(pay.household.head_name)}<' in html
    assert not Event.objects.filter(event_type="payment.view_personal").exists()


def test_the_unmasked_payment_page_is_an_audited_read(pay, login):  # type: ignore[no-untyped-def]
    payment = pay_out(pay, instalments(pay)[0])
    html = body(login(pay.finance).get(payment_url(payment)))
    assert f'data-testid="account-no">{ACCOUNT_NO}<' in html
    assert f'data-testid="head-name">{pay.household.head_name}<' in html
    event = Event.objects.get(event_type="payment.view_personal")
    assert event.actor_id == pay.finance.pk and event.kind == "read"
    assert event.target_id == str(payment.pk) and event.project_id == pay.project.pk


# --- the household page's section --------------------------------------------------------


def test_the_household_section_shows_the_account_and_offers_the_due_instalment(pay, login):  # type: ignore[no-untyped-def]
    html = body(login(pay.officer).get(household_url(pay)))
    section = html.split('data-testid="payments-section"')[1]
    assert f'data-testid="account-committed">{pay.agreement.total:,.2f}<' in section
    assert 'data-position="1" data-state="due"' in section
    assert 'data-position="2" data-state="waiting"' in section
    assert section.count('data-testid="request-button"') == 1


def test_asking_for_a_payment_from_the_household_page(pay, login):  # type: ignore[no-untyped-def]
    first = instalments(pay)[0]
    client = login(pay.officer)
    back = household_url(pay)
    r = client.post(f"/payments/instalments/{first.pk}/request/", {"next": back})
    assert r.status_code == 302 and r["Location"] == back
    payment = Payment.objects.get(instalment=first)
    assert payment.status == PaymentStatus.REQUESTED and payment.requested_by_id == pay.officer.pk
    html = body(client.get(back))
    assert 'data-position="1" data-state="requested"' in html
    assert f'href="/payments/{payment.pk}/"' in html
    assert 'data-testid="request-button"' not in html
    # Asked for twice: a message, nothing more.
    r = client.post(f"/payments/instalments/{first.pk}/request/", {"next": back})
    assert r.status_code == 302 and Payment.objects.count() == 1
    assert "alert-danger" in body(client.get(back))


def test_asking_for_a_payment_is_refused_without_the_right(pay, login):  # type: ignore[no-untyped-def]
    first = instalments(pay)[0]
    url = f"/payments/instalments/{first.pk}/request/"
    assert login(pay.accountant).post(url).status_code == 403
    assert login(pay.world.other_pm).post(url).status_code == 404
    assert login(pay.officer).get(url).status_code == 405
    assert not Payment.objects.exists()


def test_the_household_section_has_no_request_button_for_an_accountant(pay, login):  # type: ignore[no-untyped-def]
    html = body(login(pay.accountant).get(household_url(pay)))
    assert 'data-testid="payments-section"' in html
    assert 'data-testid="request-button"' not in html


def test_the_household_section_shows_the_households_ledger_rows(pay, login):  # type: ignore[no-untyped-def]
    payment = pay_out(pay, instalments(pay)[0])
    receive(pay)
    html = body(login(pay.officer).get(household_url(pay)))
    section = html.split('data-testid="payments-section"')[1]
    assert 'data-testid="household-ledger-row" data-kind="disbursement"' in section
    assert payment.voucher_no in section
    assert 'data-kind="receipt"' not in section
    assert 'data-position="1" data-state="paid"' in section


def test_the_household_page_has_no_payments_section_for_a_valuer(pay, login):  # type: ignore[no-untyped-def]
    page = login(pay.valuer).get(household_url(pay))
    assert page.status_code == 200
    assert 'data-testid="payments-section"' not in body(page)


# --- the ledger --------------------------------------------------------------------------


def test_the_ledger_shows_the_movements_totals_and_balances(pay, login):  # type: ignore[no-untyped-def]
    receive(pay, "1000000.00")
    payment = pay_out(pay, instalments(pay)[0])
    html = body(login(pay.finance).get(project_url(pay.project, "ledger/")))
    # The fixture's receipt, this one and the payment.
    assert html.count('data-testid="ledger-row"') == 3
    assert f'data-testid="row-balance">{FUNDED:,.2f}<' in html
    assert f'data-testid="total-received">{FUNDED + Decimal("1000000.00"):,.2f}<' in html
    assert f'data-testid="total-paid">{payment.amount:,.2f}<' in html
    balance = FUNDED + Decimal("1000000.00") - payment.amount
    assert f'data-testid="total-balance">{balance:,.2f}<' in html
    assert f'data-testid="row-balance">{balance:,.2f}<' in html
    assert 'data-testid="export-link"' in html
    assert not Event.objects.filter(event_type="payment.ledger_search").exists()


def test_the_ledger_filters_by_household_with_the_project_balance_and_records_it(pay, login):  # type: ignore[no-untyped-def]
    receive(pay, "1000000.00")
    payment = pay_out(pay, instalments(pay)[0])
    client = login(pay.finance)
    html = body(client.get(project_url(pay.project, "ledger/"), {"household": pay.household.code}))
    assert html.count('data-testid="ledger-row"') == 1
    assert 'data-kind="disbursement"' in html and 'data-testid="total-received">0.00<' in html
    # The balance beside the row is still the project account's.
    balance = FUNDED + Decimal("1000000.00") - payment.amount
    assert f'data-testid="row-balance">{balance:,.2f}<' in html
    search = Event.objects.get(event_type="payment.ledger_search")
    assert search.details["query"] == {"household": pay.household.code}
    html = body(client.get(project_url(pay.project, "ledger/"), {"household": "NOPE"}))
    assert field_error(html, "household") and 'data-testid="ledger-empty"' in html
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    html = body(
        client.get(
            project_url(pay.project, "ledger/"),
            {"since": timezone.localdate().isoformat(), "until": yesterday.isoformat()},
        )
    )
    assert field_error(html, "until")


def test_the_ledger_is_404_for_another_project(pay, login):  # type: ignore[no-untyped-def]
    assert login(pay.world.other_pm).get(project_url(pay.project, "ledger/")).status_code == 404
    assert (
        login(pay.world.other_pm).get(project_url(pay.project, "ledger/export/")).status_code == 404
    )


def export(client: Any, pay: Any, **query: Any) -> list[tuple[Any, ...]]:
    r = client.get(project_url(pay.project, "ledger/export/"), query)
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_excel_export_has_the_rows_the_totals_and_is_recorded(pay, login):  # type: ignore[no-untyped-def]
    receive(pay, "1000000.00")
    payment = pay_out(pay, instalments(pay)[0])
    rows = export(login(pay.finance), pay)
    assert len(rows) == 5  # header, the fixture's receipt and two movements, totals
    header, funded, received, paid, totals = rows
    assert len(header) == 10
    assert funded[1] == received[1] == str(EntryKind.RECEIPT.label)
    assert paid[1] == str(EntryKind.DISBURSEMENT.label)
    assert funded[5] == FUNDED_DOCUMENT and Decimal(str(funded[7])) == FUNDED
    assert Decimal(str(funded[9])) == FUNDED
    assert received[7] == 1000000 and received[8] is None
    assert paid[2] == pay.household.code and paid[3] == pay.household.head_name
    assert paid[4] == pay.agreement.number and paid[5] == payment.voucher_no
    assert Decimal(str(paid[8])) == payment.amount
    balance = FUNDED + Decimal("1000000.00") - payment.amount
    assert Decimal(str(paid[9])) == balance
    assert Decimal(str(totals[7])) == FUNDED + Decimal("1000000.00")
    assert Decimal(str(totals[8])) == payment.amount and Decimal(str(totals[9])) == balance
    event = Event.objects.get(event_type="payment.ledger_export")
    assert event.kind == "read" and event.details["rows"] == 3
    assert event.details["personal"] is True and event.details["households"] == [pay.household.pk]


def test_the_export_masks_the_head_without_the_right_to_personal_data(pay, login):  # type: ignore[no-untyped-def]
    pay_out(pay, instalments(pay)[0])
    RolePermission.objects.filter(
        role="finance_officer", module="payments", action="view_personal"
    ).delete()
    rows = export(login(pay.finance), pay, household=pay.household.code)
    assert len(rows) == 3
    assert rows[1][3] == mask_name(pay.household.head_name)
    event = Event.objects.get(event_type="payment.ledger_export")
    assert event.details["personal"] is False
    assert event.details["query"] == {"household": pay.household.code}


def test_the_export_is_refused_without_the_export_right(pay, login):  # type: ignore[no-untyped-def]
    assert login(pay.officer).get(project_url(pay.project, "ledger/export/")).status_code == 403
    html = body(login(pay.officer).get(project_url(pay.project, "ledger/")))
    assert 'data-testid="export-link"' not in html
    assert not Event.objects.filter(event_type="payment.ledger_export").exists()


# --- navigation and login ----------------------------------------------------------------


def test_the_navigation_has_the_payments_module(pay, login):  # type: ignore[no-untyped-def]
    html = body(login(pay.finance).get("/payments/"))
    assert 'href="/payments/" data-module="payments"' in html


def test_the_pages_ask_an_anonymous_visitor_to_log_in(pay, client):  # type: ignore[no-untyped-def]
    payment = requested(pay)
    for url in (
        "/payments/",
        project_url(pay.project),
        project_url(pay.project, "queue/"),
        project_url(pay.project, "ledger/"),
        payment_url(payment),
    ):
        r = client.get(url)
        assert r.status_code == 302 and "/login/" in r["Location"]
