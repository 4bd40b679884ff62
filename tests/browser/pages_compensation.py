"""Page objects of the calculation work: a household's calculations, the calculation sheet with
its review actions, the review queue, and the calculation card of the survey household page.
Locators use data-testid / data-* hooks and field names, never translated text."""

from __future__ import annotations

from playwright.sync_api import Locator

from tests.browser.pages import RecordPage


class CalculationHouseholdPage(RecordPage):
    """The versions of a household's calculation and, for accountants, the form."""

    url_name = "compensation:household"

    @property
    def history(self) -> Locator:
        return self.page.get_by_test_id("history-row")

    def calculate(self, mode: str, *, signing_on: str = "", vacating_on: str = "") -> SheetPage:
        form = self.page.get_by_test_id("calculate-form")
        form.locator("select[name=mode]").select_option(mode)
        if signing_on:
            form.locator("input[name=signing_on]").fill(signing_on)
        if vacating_on:
            form.locator("input[name=vacating_on]").fill(vacating_on)
        with self.page.expect_navigation():
            self.page.get_by_test_id("calculate-button").click()
        return SheetPage(self.page, self.base_url, 0)


class SheetPage(RecordPage):
    """The calculation sheet; reached by navigation, or opened by its calculation's pk."""

    url_name = "compensation:calculation"

    @property
    def status(self) -> Locator:
        return self.page.locator("h1 [data-testid=calculation-status]")

    @property
    def lines(self) -> Locator:
        return self.page.get_by_test_id("line")

    @property
    def total_in_words(self) -> Locator:
        return self.page.get_by_test_id("total-in-words")

    @property
    def returned_reason(self) -> Locator:
        return self.page.get_by_test_id("returned-reason")

    @property
    def review_form(self) -> Locator:
        return self.page.get_by_test_id("review-form")

    @property
    def diff_lines(self) -> Locator:
        return self.page.get_by_test_id("diff-line")

    def submit(self) -> None:
        with self.page.expect_navigation():
            self.page.get_by_test_id("submit-button").click()

    def approve(self) -> None:
        with self.page.expect_navigation():
            self.page.get_by_test_id("approve-button").click()

    def give_back(self, reason: str) -> None:
        self.review_form.locator("textarea[name=reason]").fill(reason)
        with self.page.expect_navigation():
            self.page.get_by_test_id("return-button").click()

    def to_household_calculations(self) -> CalculationHouseholdPage:
        with self.page.expect_navigation():
            self.page.locator(".breadcrumb a[href*='/compensation/households/']").click()
        return CalculationHouseholdPage(self.page, self.base_url, 0)


class QueuePage(RecordPage):
    url_name = "compensation:queue"

    @property
    def rows(self) -> Locator:
        return self.page.get_by_test_id("queue-row")

    def open_first(self) -> SheetPage:
        with self.page.expect_navigation():
            self.rows.first.locator("a").first.click()
        return SheetPage(self.page, self.base_url, 0)


class SurveyHouseholdPage(RecordPage):
    url_name = "survey:household_detail"

    @property
    def compensation_section(self) -> Locator:
        return self.page.get_by_test_id("compensation-section")

    @property
    def compensation_total_in_words(self) -> Locator:
        return self.page.get_by_test_id("compensation-total-in-words")

    def open_calculation(self) -> SheetPage:
        with self.page.expect_navigation():
            self.page.get_by_test_id("compensation-link").click()
        return SheetPage(self.page, self.base_url, 0)
