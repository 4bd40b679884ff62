"""Paying and demolishing, in headless Chromium: a household's first instalment was paid forty
days ago and its house still stands, so finance finds it on the supervision list "paid but not
demolished" (拿钱没拆). The demolition officer accepts the vacating (the four checks, the
household's signatory, the scan of the signed form, a photo), which makes the second instalment
due; the signing officer asks for its payment from the household page; a finance officer opens
it from the finance queue, approves it with the password and records the transfer; the
demolition officer records the demolition. The supervision list is then empty, and so is the
list "demolished but not fully paid": the agreement is paid in full."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.pages import LoginPage
from tests.browser.pages_payments import (
    DemolitionPage,
    DemolitionRecord,
    HouseholdPaymentsPage,
    PaymentPage,
    PaymentsProjectPage,
    QueuePage,
    RulePage,
    Transfer,
    VacatingAcceptance,
)
from zhengqian.agreements.tests.conftest import PDF_BYTES, agr  # noqa: F401  (its fixture)
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (its fixture)
from zhengqian.core.masking import mask_bank_account, mask_name
from zhengqian.payments.models import (
    HouseholdAccount,
    Instalment,
    LedgerEntry,
    Payment,
    PaymentStatus,
)
from zhengqian.payments.selectors import Rule
from zhengqian.payments.tests.conftest import PNG_BYTES, pay, pay_out  # noqa: F401  (the fixture)
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (its fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

PAID_DAYS_AGO = 40
ACCOUNT_NO = "6217000010098765432"


def logged_in(open_page: Any, base_url: str, user: Any, password: str) -> Any:
    page = open_page()
    LoginPage(page, base_url).open().log_in(user.username, password)
    return page


def pay_first_instalment_days_ago(c: SimpleNamespace, days: int) -> Payment:
    """Pay the first instalment through the services, then move the payment into the past:
    the services date an approval "now", so the dates are set afterwards, consistently on the
    payment, the instalment, the ledger and the household's account."""
    first = Instalment.objects.get(account=c.account, position=1)
    payment = pay_out(c, first)
    day = timezone.localdate() - dt.timedelta(days=days)
    at = timezone.now() - dt.timedelta(days=days)
    Payment.objects.filter(pk=payment.pk).update(
        requested_at=at, approved_at=at, paid_recorded_at=at, paid_on=day
    )
    Instalment.objects.filter(pk=first.pk).update(paid_on=day)
    LedgerEntry.objects.filter(payment=payment).update(occurred_on=day)
    HouseholdAccount.objects.filter(pk=c.account.pk).update(first_paid_on=day, last_paid_on=day)
    payment.refresh_from_db()
    return payment


@pytest.mark.browser
def test_paying_the_rest_and_demolishing_clear_the_household_from_the_supervision_lists(
    pay: SimpleNamespace,  # noqa: F811
    open_page: Any,
    base_url: str,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    household = pay.household
    project = pay.project
    password = pay.world.password
    today = timezone.localdate()
    assert project.demolish_within_days == 30
    first_payment = pay_first_instalment_days_ago(pay, PAID_DAYS_AGO)
    second = Instalment.objects.get(account=pay.account, position=2)
    account = HouseholdAccount.objects.get(pk=pay.account.pk)
    assert second.met_on is None
    assert account.paid == first_payment.amount < account.committed
    assert first_payment.amount + second.amount == account.committed
    scan = tmp_path / "acceptance-form.pdf"
    scan.write_bytes(PDF_BYTES)
    vacated_photo = tmp_path / "vacated.png"
    vacated_photo.write_bytes(PNG_BYTES)
    demolished_photo = tmp_path / "demolished.png"
    demolished_photo.write_bytes(PNG_BYTES)

    # Finance finds the household on the list "paid but not demolished".
    finance = logged_in(open_page, base_url, pay.finance, password)
    project_page = PaymentsProjectPage(finance, base_url, project.pk).open()
    expect(project_page.rule_count(Rule.PAID_NOT_DEMOLISHED)).to_have_text("1")
    expect(project_page.rule_count(Rule.DEMOLISHED_NOT_PAID)).to_have_text("0")
    project_page.screenshot(screenshots / "payments-project-paid-not-demolished.png")
    rule_page = project_page.open_rule(Rule.PAID_NOT_DEMOLISHED)
    expect(rule_page.total).to_have_text("1")
    expect(rule_page.rows).to_have_count(1)
    row = rule_page.row(household.code)
    expect(row.get_by_test_id("days")).to_have_text(str(PAID_DAYS_AGO))
    expect(row.get_by_test_id("owed")).to_have_text(f"{second.amount:,.2f}")
    rule_page.screenshot(screenshots / "payments-rule-paid-not-demolished.png")

    # The demolition officer accepts the vacating: the page shows the acceptance.
    demolisher = logged_in(open_page, base_url, pay.demolisher, password)
    demolition_page = DemolitionPage(demolisher, base_url, household.pk).open()
    expect(demolition_page.acceptance_form_link).to_have_count(0)
    expect(demolition_page.demolition_form).to_have_count(0)
    demolition_page.accept_vacating(
        VacatingAcceptance(
            accepted_on=today,
            household_signatory=household.head_name,
            accepted_by=pay.demolisher.pk,
            scan=scan,
            photos=[vacated_photo],
        )
    )
    expect(demolition_page.successes).to_have_count(1)
    expect(demolition_page.errors).to_have_count(0)
    expect(demolition_page.field_errors).to_have_count(0)
    expect(demolition_page.vacating_form).to_have_count(0)
    expect(demolition_page.vacating_step).to_contain_text(today.isoformat())
    # The demolition module has no right to personal data: the signatory's name is masked.
    expect(demolition_page.vacating_step).to_contain_text(mask_name(household.head_name))
    expect(demolition_page.vacating_step).to_contain_text(pay.demolisher.display_name)
    expect(demolition_page.acceptance_form_link).to_be_visible()
    expect(demolition_page.vacating_photos).to_have_count(1)
    served = demolition_page.fetch(demolition_page.vacating_photos.first)
    assert served.status == 200 and served.headers["content-type"] == "image/png"
    assert served.body() == PNG_BYTES
    served = demolition_page.fetch(demolition_page.acceptance_form_link)
    assert served.status == 200 and served.headers["content-type"] == "application/pdf"
    assert served.body() == PDF_BYTES
    expect(demolition_page.demolition_form).to_be_visible()
    demolition_page.screenshot(screenshots / "demolition-vacating-accepted.png")
    second.refresh_from_db()
    assert second.met_on == today

    # The signing officer asks for the second instalment, now due, from the household page.
    officer = logged_in(open_page, base_url, pay.officer, password)
    household_page = HouseholdPaymentsPage(officer, base_url, household.pk).open()
    expect(household_page.instalment(1)).to_have_attribute("data-state", "paid")
    expect(household_page.instalment(2)).to_have_attribute("data-state", "due")
    expect(household_page.request_button(1)).to_have_count(0)
    household_page.request_payment(2)
    expect(household_page.successes).to_have_count(1)
    expect(household_page.errors).to_have_count(0)
    expect(household_page.instalment(2)).to_have_attribute("data-state", "requested")
    expect(household_page.instalment_payments(2)).to_have_attribute("data-status", "requested")
    expect(household_page.request_button(2)).to_have_count(0)
    household_page.section.scroll_into_view_if_needed()
    household_page.screenshot(screenshots / "payments-household-requested.png")
    payment = Payment.objects.get(instalment=second)
    assert payment.status == PaymentStatus.REQUESTED and payment.requested_by == pay.officer

    # A finance officer opens it from the queue, approves it with the password and records
    # the transfer.
    finance2 = logged_in(open_page, base_url, pay.finance2, password)
    queue_page = QueuePage(finance2, base_url, project.pk).open()
    expect(queue_page.count("requested")).to_have_text("1")
    expect(queue_page.row("requested", payment.pk)).to_be_visible()
    queue_page.screenshot(screenshots / "payments-queue.png")
    payment_page = queue_page.open_payment("requested", payment.pk)
    assert payment_page.pk == payment.pk
    expect(payment_page.status).to_have_attribute("data-status", "requested")
    expect(payment_page.amount).to_have_text(f"{second.amount:,.2f}")
    payment_page.approve(password)
    expect(payment_page.successes).to_have_count(1)
    expect(payment_page.status).to_have_attribute("data-status", "approved")
    expect(payment_page.approve_form).to_have_count(0)
    expect(payment_page.step("approved")).to_contain_text(pay.finance2.display_name)
    # The payee is filled in with the head of household: finance sees personal data.
    expect(payment_page.paid_field("payee")).to_have_value(household.head_name)
    payment_page.screenshot(screenshots / "payments-payment-approved.png")
    transfer = Transfer(
        payee=household.head_name,
        bank="农村商业银行",
        account_no=ACCOUNT_NO,
        voucher_no="FK-2-0001",
        paid_on=today,
    )
    payment_page.record_transfer(transfer)
    expect(payment_page.successes).to_have_count(1)
    expect(payment_page.errors).to_have_count(0)
    expect(payment_page.status).to_have_attribute("data-status", "paid")
    expect(payment_page.paid_form).to_have_count(0)
    expect(payment_page.payee).to_have_text(household.head_name)
    expect(payment_page.account_no).to_have_text(ACCOUNT_NO)
    expect(payment_page.voucher_no).to_have_text(transfer.voucher_no)
    expect(payment_page.step("paid")).to_contain_text(pay.finance2.display_name)
    payment_page.screenshot(screenshots / "payments-payment-paid.png")
    payment.refresh_from_db()
    account.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.account_no == ACCOUNT_NO
    assert account.paid == account.committed and account.in_process == Decimal("0.00")

    # The signing officer, without payments/view_personal, sees the account number masked.
    officer_view = PaymentPage(officer, base_url, payment.pk).open()
    expect(officer_view.status).to_have_attribute("data-status", "paid")
    expect(officer_view.account_no).to_have_text(mask_bank_account(ACCOUNT_NO))
    expect(officer_view.payee).to_have_text(mask_name(household.head_name))
    officer_view.screenshot(screenshots / "payments-payment-masked.png")

    # The demolition officer records the demolition.
    demolition_page.open()
    demolition_page.record_demolition(
        DemolitionRecord(
            contractor="县第一拆除工程队", demolished_on=today, photos=[demolished_photo]
        )
    )
    expect(demolition_page.successes).to_have_count(1)
    expect(demolition_page.errors).to_have_count(0)
    expect(demolition_page.field_errors).to_have_count(0)
    expect(demolition_page.demolition_form).to_have_count(0)
    expect(demolition_page.demolition_step).to_contain_text(today.isoformat())
    expect(demolition_page.demolition_step).to_contain_text("县第一拆除工程队")
    expect(demolition_page.demolition_photos).to_have_count(1)
    served = demolition_page.fetch(demolition_page.demolition_photos.first)
    assert served.status == 200 and served.body() == PNG_BYTES
    demolition_page.screenshot(screenshots / "demolition-demolished.png")

    # The supervision lists are clear: the house is down and the agreement fully paid.
    rule_page.open()
    expect(rule_page.total).to_have_text("0")
    expect(rule_page.rows).to_have_count(0)
    expect(rule_page.empty).to_be_visible()
    rule_page.screenshot(screenshots / "payments-rule-cleared.png")
    unpaid_page = RulePage(finance, base_url, project.pk, Rule.DEMOLISHED_NOT_PAID).open()
    expect(unpaid_page.total).to_have_text("0")
    expect(unpaid_page.rows).to_have_count(0)
    expect(unpaid_page.empty).to_be_visible()
    project_page.open()
    expect(project_page.rule_count(Rule.PAID_NOT_DEMOLISHED)).to_have_text("0")
    expect(project_page.rule_count(Rule.DEMOLISHED_NOT_PAID)).to_have_text("0")
    project_page.screenshot(screenshots / "payments-project-cleared.png")
