"""Page objects of the agreements work: the agreements section of the survey household page (the
draft button and the household's agreements) and the agreement page (its PDF preview, the
signing form and the signing record). Locators use data-testid / data-* hooks and field names,
never translated text."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page

from tests.browser.pages import RecordPage

# As agreements.forms renders the datetime-local inputs (with seconds).
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
OFFICE_CAPACITIES = ("group_leader", "cadre", "handler", "reviewer")


class HouseholdAgreementsPage(RecordPage):
    """The survey household page, seen for its agreements section."""

    url_name = "survey:household_detail"

    @property
    def section(self) -> Locator:
        return self.page.get_by_test_id("agreements-section")

    @property
    def draft_button(self) -> Locator:
        return self.section.get_by_test_id("draft-button")

    @property
    def no_agreements(self) -> Locator:
        return self.section.get_by_test_id("no-agreements")

    @property
    def agreements(self) -> Locator:
        return self.section.get_by_test_id("household-agreement")

    def agreement(self, number: str) -> Locator:
        return self.section.locator(f"[data-testid=household-agreement][data-number='{number}']")

    def signing_order(self, number: str) -> Locator:
        return self.agreement(number).get_by_test_id("household-agreement-order")

    def signed_on(self, number: str) -> Locator:
        return self.agreement(number).get_by_test_id("household-agreement-signed-on")

    def draft(self) -> AgreementPage:
        """Draft the agreement of the approved calculation; the agreement page opens."""
        with self.page.expect_navigation():
            self.draft_button.click()
        return AgreementPage.here(self.page, self.base_url)


@dataclass
class Signing:
    """What the signing form is filled with: the office signers by capacity (user pks)."""

    signed_at: dt.datetime
    office: dict[str, int]
    scan: Path
    party_capacity: str = "head"


class AgreementPage(RecordPage):
    url_name = "agreements:agreement"

    @classmethod
    def here(cls, page: Page, base_url: str) -> AgreementPage:
        """The agreement page the browser is on (reached by navigation)."""
        found = re.search(r"/agreements/(\d+)/$", page.url)
        if found is None:
            raise AssertionError(f"not on an agreement page: {page.url}")
        return cls(page, base_url, int(found.group(1)))

    @property
    def title(self) -> Locator:
        return self.page.get_by_test_id("page-title")

    @property
    def status(self) -> Locator:
        return self.title.get_by_test_id("agreement-status")

    @property
    def alerts(self) -> Locator:
        return self.page.locator("main > .alert")

    # --- the documents -------------------------------------------------------------------

    @property
    def pdf_preview(self) -> Locator:
        return self.page.get_by_test_id("pdf-preview")

    def fetch_preview(self) -> Any:
        """GET the preview frame's src with the page's session (headless Chromium shows no
        PDF): the APIResponse."""
        src = self.pdf_preview.get_attribute("src")
        assert src, "the PDF preview has no src"
        return self.page.request.get(self.base_url + src if src.startswith("/") else src)

    # --- the signing form ----------------------------------------------------------------

    @property
    def sign_form(self) -> Locator:
        return self.page.get_by_test_id("sign-form")

    def field(self, name: str) -> Locator:
        return self.sign_form.locator(f"[name={name}]")

    def field_error(self, name: str) -> Locator:
        return self.sign_form.locator(f"[data-field-error='{name}']")

    @property
    def field_errors(self) -> Locator:
        return self.sign_form.locator("[data-field-error]")

    def party_choice(self, capacity: str) -> Locator:
        return self.sign_form.locator(f"input[name=party_capacity][value='{capacity}']")

    def fill_signing(self, signing: Signing) -> None:
        self.field("signed_at").fill(signing.signed_at.strftime(DATETIME_FORMAT))
        self.party_choice(signing.party_capacity).check()
        for capacity in OFFICE_CAPACITIES:
            self.field(f"office_{capacity}").select_option(str(signing.office[capacity]))
        self.field("scan").set_input_files(str(signing.scan))

    def submit_signing(self) -> None:
        with self.page.expect_navigation():
            self.sign_form.get_by_test_id("sign-button").click()

    # --- the signing record ----------------------------------------------------------------

    @property
    def signing_record(self) -> Locator:
        return self.page.get_by_test_id("signing-record")

    @property
    def signing_order(self) -> Locator:
        return self.signing_record.get_by_test_id("signing-order")

    @property
    def signed_at(self) -> Locator:
        return self.signing_record.get_by_test_id("signed-at")

    @property
    def signatory(self) -> Locator:
        return self.signing_record.get_by_test_id("signatory")

    @property
    def office_signatures(self) -> Locator:
        return self.signing_record.locator("[data-testid=office-signatures] tbody tr")

    def office_signature(self, capacity: str) -> Locator:
        return self.signing_record.locator(
            f"[data-testid=office-signatures] tr[data-capacity='{capacity}']"
        )

    @property
    def scan_link(self) -> Locator:
        return self.page.get_by_test_id("scan-link")

    def to_household(self) -> HouseholdAgreementsPage:
        with self.page.expect_navigation():
            self.page.get_by_test_id("household-link").click()
        found = re.search(r"/survey/households/(\d+)/", self.page.url)
        assert found is not None, self.page.url
        return HouseholdAgreementsPage(self.page, self.base_url, int(found.group(1)))
