"""Page objects of the valuation work: the survey's project list and household page as a valuer
meets them, and the valuation page of a household. Locators use data-testid / data-* hooks and
field names, never translated text."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Locator, Page

from tests.browser.pages import BasePage
from tests.browser.pages_survey import HouseholdListPage


class SurveyIndexPage(BasePage):
    """The projects whose households the user may see (the "Households" menu)."""

    url_name = "survey:index"

    @property
    def projects(self) -> Locator:
        return self.page.get_by_test_id("survey-projects").locator("tbody tr[data-project]")

    def project_codes(self) -> list[str]:
        rows = self.projects
        return [rows.nth(i).get_attribute("data-project") or "" for i in range(rows.count())]

    def open_household_list(self, code: str) -> SurveyHouseholdListPage:
        with self.page.expect_navigation():
            self.projects.and_(self.page.locator(f"[data-project='{code}']")).locator(
                "a"
            ).first.click()
        return SurveyHouseholdListPage(self.page, self.base_url)


class SurveyHouseholdListPage(HouseholdListPage):
    def row(self, code: str) -> Locator:
        return self.rows.and_(self.page.locator(f"[data-household='{code}']"))

    def open_household(self, code: str) -> HouseholdPage:
        with self.page.expect_navigation():
            self.row(code).locator("a").first.click()
        return HouseholdPage(self.page, self.base_url)


class HouseholdPage(BasePage):
    """The survey household page, with the modules' cards below it."""

    @property
    def title(self) -> Locator:
        return self.page.get_by_test_id("household-title")

    @property
    def valuation_section(self) -> Locator:
        return self.page.get_by_test_id("valuation-section")

    def valuation_total(self, part: str = "total") -> Locator:
        return self.valuation_section.locator(f"[data-total='{part}']")

    @property
    def valuation_total_in_words(self) -> Locator:
        return self.page.get_by_test_id("valuation-total-in-words")

    @property
    def valuation_status(self) -> Locator:
        return self.page.get_by_test_id("valuation-status")

    def open_valuation(self) -> ValuationPage:
        with self.page.expect_navigation():
            self.page.get_by_test_id("valuation-link").click()
        return ValuationPage(self.page, self.base_url)


class ValuationPage(BasePage):
    """One household's valuation: the survey data it rests on and the valuer's entry."""

    def __init__(self, page: Page, base_url: str, household_id: int | None = None) -> None:
        super().__init__(page, base_url)
        self.household_id = household_id

    def url(self) -> str:
        return self.base_url + reverse("valuation:household", args=[self.household_id])

    @property
    def title(self) -> Locator:
        return self.page.get_by_test_id("page-title")

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("status")

    @property
    def entry_form(self) -> Locator:
        return self.page.get_by_test_id("entry-form")

    def building(self, number: str) -> Locator:
        return self.page.get_by_test_id("entry-buildings").locator(
            f"tbody tr[data-building='{number}']"
        )

    def building_field(self, number: str, field: str) -> Locator:
        return self.building(number).locator(f"input[name$='-{field}']")

    def enter_building(self, number: str, *, unit_price: str, area: str | None = None) -> None:
        """Type as a valuer does; the page fills in the value."""
        if area is not None:
            self.building_field(number, "area").fill(area)
        self.building_field(number, "unit_price").fill(unit_price)

    @property
    def decorations(self) -> Locator:
        return self.page.get_by_test_id("entry-decorations").locator(
            "tbody tr[data-decoration-row]"
        )

    def add_decoration(self, description: str, amount: str) -> None:
        """Fill the first blank decoration row, adding one when none is left."""
        rows = self.decorations
        blank = [
            i
            for i in range(rows.count())
            if not rows.nth(i).locator("input[name$='-description']").input_value()
        ]
        if not blank:
            self.page.get_by_test_id("add-decoration").click()
            blank = [rows.count() - 1]
        row = rows.nth(blank[0])
        row.locator("input[name$='-description']").fill(description)
        row.locator("input[name$='-amount']").fill(amount)

    def field_error(self, name: str) -> Locator:
        return self.page.locator(f"[data-field-error='{name}']")

    @property
    def entered_total(self) -> Locator:
        return self.entry_form.locator("[data-sum-total='all']")

    def save(self) -> None:
        with self.page.expect_navigation():
            self.page.get_by_test_id("save-button").click()

    def summary_total(self, part: str = "total") -> Locator:
        return self.page.get_by_test_id("summary").locator(f"[data-total='{part}']")

    @property
    def messages(self) -> Locator:
        return self.page.locator("main > .alert")

    def back_to_household(self) -> HouseholdPage:
        with self.page.expect_navigation():
            self.page.locator(".breadcrumb a[href*='/survey/households/']").click()
        return HouseholdPage(self.page, self.base_url)
