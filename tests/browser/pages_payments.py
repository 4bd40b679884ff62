"""Page objects of the payments and demolition work: a project's payments page (its supervision
lists and their counts), a supervision list, the finance queue, one payment (approval with the
password, the transfer), the payments section of the survey household page (asking for an
instalment's payment) and a household's demolition page (the vacating acceptance and the
demolition). Locators use data-testid / data-* hooks and field names, never translated text."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.urls import reverse
from playwright.sync_api import Locator, Page

from tests.browser.pages import BasePage, RecordPage


class Messages:
    """The messages a page shows at its top after a step (Django's messages framework)."""

    page: Page

    @property
    def errors(self) -> Locator:
        return self.page.locator("main > .alert-danger")

    @property
    def successes(self) -> Locator:
        return self.page.locator("main > .alert-success")


# The checks of the vacating acceptance (腾空验收): keys, water, electricity, gas.
VACATING_TICKS = ("keys_handed_over", "water_closed", "power_closed", "gas_closed")


class PaymentsProjectPage(RecordPage):
    """A project's funds summary with its supervision lists and the finance queue's counts."""

    url_name = "payments:project"

    @property
    def title(self) -> Locator:
        return self.page.get_by_test_id("page-title")

    def rule(self, code: str) -> Locator:
        return self.page.get_by_test_id("supervision").locator(
            f"[data-testid=rule][data-rule='{code}']"
        )

    def rule_count(self, code: str) -> Locator:
        return self.rule(code).get_by_test_id("rule-count")

    def open_rule(self, code: str) -> RulePage:
        with self.page.expect_navigation():
            self.rule(code).get_by_role("link").click()
        return RulePage(self.page, self.base_url, self.pk, code)


class RulePage(BasePage):
    """One supervision list of a project (拿钱没拆, 拆了没付清, …)."""

    url_name = "payments:rule"

    def __init__(self, page: Page, base_url: str, project_pk: int, rule: str) -> None:
        super().__init__(page, base_url)
        self.project_pk = project_pk
        self.rule = rule

    def url(self) -> str:
        return self.base_url + reverse(self.url_name, args=[self.project_pk, self.rule])

    @property
    def total(self) -> Locator:
        return self.page.get_by_test_id("rule-total")

    @property
    def listing(self) -> Locator:
        return self.page.locator(f"[data-testid=rule-list][data-rule='{self.rule}']")

    @property
    def rows(self) -> Locator:
        return self.listing.get_by_test_id("rule-row")

    def row(self, household_code: str) -> Locator:
        return self.listing.locator(f"[data-testid=rule-row][data-household='{household_code}']")

    @property
    def empty(self) -> Locator:
        return self.listing.get_by_test_id("rule-empty")


class QueuePage(RecordPage):
    """The finance queue of a project: requests to approve, transfers to record, receipts."""

    url_name = "payments:queue"

    def section(self, name: str) -> Locator:
        return self.page.locator(f"[data-testid=queue-section][data-section='{name}']")

    def count(self, name: str) -> Locator:
        return self.section(name).get_by_test_id("queue-count")

    def row(self, name: str, payment_pk: int) -> Locator:
        return self.section(name).locator(f"[data-testid=queue-row][data-payment='{payment_pk}']")

    def open_payment(self, name: str, payment_pk: int) -> PaymentPage:
        with self.page.expect_navigation():
            self.row(name, payment_pk).get_by_test_id("queue-open").click()
        return PaymentPage.here(self.page, self.base_url)


@dataclass
class Transfer:
    """The transfer as the bank made it, as the finance officer records it."""

    payee: str
    bank: str
    account_no: str
    voucher_no: str
    paid_on: dt.date


class PaymentPage(Messages, RecordPage):
    url_name = "payments:payment"

    @classmethod
    def here(cls, page: Page, base_url: str) -> PaymentPage:
        """The payment page the browser is on (reached by navigation)."""
        found = re.search(r"/payments/(\d+)/$", page.url)
        if found is None:
            raise AssertionError(f"not on a payment page: {page.url}")
        return cls(page, base_url, int(found.group(1)))

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("page-title").get_by_test_id("payment-status")

    @property
    def amount(self) -> Locator:
        return self.page.get_by_test_id("facts").get_by_test_id("amount")

    def step(self, name: str) -> Locator:
        return self.page.locator(f"[data-testid=step][data-step='{name}']")

    # --- approval --------------------------------------------------------------------------

    @property
    def approve_form(self) -> Locator:
        return self.page.get_by_test_id("approve-form")

    def approve(self, password: str) -> None:
        self.approve_form.locator("[name=password]").fill(password)
        with self.page.expect_navigation():
            self.approve_form.get_by_test_id("approve-button").click()

    # --- the transfer ----------------------------------------------------------------------

    @property
    def paid_form(self) -> Locator:
        return self.page.get_by_test_id("paid-form")

    def paid_field(self, name: str) -> Locator:
        return self.paid_form.locator(f"[name={name}]")

    def record_transfer(self, transfer: Transfer) -> None:
        self.paid_field("payee").fill(transfer.payee)
        self.paid_field("bank").fill(transfer.bank)
        self.paid_field("account_no").fill(transfer.account_no)
        self.paid_field("voucher_no").fill(transfer.voucher_no)
        self.paid_field("paid_on").fill(transfer.paid_on.isoformat())
        with self.page.expect_navigation():
            self.paid_form.get_by_test_id("paid-button").click()

    @property
    def transfer(self) -> Locator:
        return self.page.get_by_test_id("transfer")

    @property
    def payee(self) -> Locator:
        return self.transfer.get_by_test_id("payee")

    @property
    def account_no(self) -> Locator:
        return self.transfer.get_by_test_id("account-no")

    @property
    def voucher_no(self) -> Locator:
        return self.transfer.get_by_test_id("voucher-no")


class HouseholdPaymentsPage(Messages, RecordPage):
    """The survey household page, seen for its payments section."""

    url_name = "survey:household_detail"

    @property
    def section(self) -> Locator:
        return self.page.get_by_test_id("payments-section")

    def instalment(self, position: int) -> Locator:
        return self.section.locator(f"[data-testid=instalment][data-position='{position}']")

    def instalment_payments(self, position: int) -> Locator:
        return self.instalment(position).get_by_test_id("instalment-payment")

    def request_button(self, position: int) -> Locator:
        return self.instalment(position).get_by_test_id("request-button")

    def request_payment(self, position: int) -> None:
        """Ask for the instalment's payment; the household page comes back."""
        with self.page.expect_navigation():
            self.request_button(position).click()


@dataclass
class VacatingAcceptance:
    """What the vacating acceptance form is filled with (the four checks are all ticked)."""

    accepted_on: dt.date
    household_signatory: str
    accepted_by: int  # a user's pk
    scan: Path
    photos: Sequence[Path]


@dataclass
class DemolitionRecord:
    contractor: str
    demolished_on: dt.date
    photos: Sequence[Path]


class DemolitionPage(Messages, RecordPage):
    """A household's vacating and demolition page: its steps, each with its form."""

    url_name = "demolition:household"

    @property
    def section(self) -> Locator:
        return self.page.get_by_test_id("demolition-section")

    @property
    def field_errors(self) -> Locator:
        return self.section.locator("[data-field-error]")

    def _form(self, testid: str) -> Locator:
        """A step's form, folded in a <details> box: opened before it is filled."""
        box = self.section.get_by_test_id(testid)
        if box.get_attribute("open") is None:
            box.locator("summary").click()
        return box.locator("form")

    def fetch(self, link: Locator) -> Any:
        """GET a link's target (a photo, the signed form) with the page's session: the
        APIResponse."""
        href = link.get_attribute("href")
        assert href, "the link has no href"
        return self.page.request.get(self.base_url + href if href.startswith("/") else href)

    # --- vacating ----------------------------------------------------------------------------

    @property
    def vacating_step(self) -> Locator:
        return self.section.get_by_test_id("step-vacating")

    @property
    def vacating_form(self) -> Locator:
        return self.section.get_by_test_id("vacating-form")

    @property
    def acceptance_form_link(self) -> Locator:
        return self.vacating_step.get_by_test_id("acceptance-form-link")

    @property
    def vacating_photos(self) -> Locator:
        return self.vacating_step.get_by_test_id("photo")

    def accept_vacating(self, acceptance: VacatingAcceptance) -> None:
        form = self._form("vacating-form")
        form.locator("[name=accepted_on]").fill(acceptance.accepted_on.isoformat())
        for tick in VACATING_TICKS:
            form.locator(f"[name={tick}]").check()
        form.locator("[name=household_signatory]").fill(acceptance.household_signatory)
        form.locator("[name=accepted_by]").select_option(str(acceptance.accepted_by))
        form.locator("[name=form_scan]").set_input_files(str(acceptance.scan))
        form.locator("[name=photos]").set_input_files([str(p) for p in acceptance.photos])
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()

    # --- demolition --------------------------------------------------------------------------

    @property
    def demolition_step(self) -> Locator:
        return self.section.get_by_test_id("step-demolition")

    @property
    def demolition_form(self) -> Locator:
        return self.section.get_by_test_id("demolition-form")

    @property
    def demolition_photos(self) -> Locator:
        return self.demolition_step.get_by_test_id("photo")

    def record_demolition(self, record: DemolitionRecord) -> None:
        form = self._form("demolition-form")
        form.locator("[name=contractor]").fill(record.contractor)
        form.locator("[name=demolished_on]").fill(record.demolished_on.isoformat())
        form.locator("[name=photos]").set_input_files([str(p) for p in record.photos])
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()
