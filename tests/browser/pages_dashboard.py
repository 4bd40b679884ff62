"""Page objects of the dashboards: the leader's dashboard (its rows per district, project and
work group, each figure a link) and the list of the households behind a figure. Locators use
data-testid hooks, never translated text."""

from __future__ import annotations

from playwright.sync_api import Locator

from tests.browser.pages import BasePage


class LeaderDashboardPage(BasePage):
    url_name = "dashboard:leader"

    @property
    def title(self) -> Locator:
        return self.page.get_by_test_id("page-title")

    @property
    def total_households(self) -> Locator:
        return self.page.get_by_test_id("total-households")

    @property
    def total_signing_rate(self) -> Locator:
        return self.page.get_by_test_id("total-signing-rate")

    def row(self, level: str, key: int) -> Locator:
        """A district's, project's or work group's row (level: district, project, group)."""
        return self.page.get_by_test_id(f"rows-{level}").get_by_test_id(f"row-{level}-{key}")

    def signing_rate(self, level: str, key: int) -> Locator:
        return self.row(level, key).get_by_test_id("signing-rate")

    def drill_into_signed(self, level: str, key: int) -> HouseholdsPage:
        with self.page.expect_navigation():
            self.signing_rate(level, key).click()
        return HouseholdsPage(self.page, self.base_url)


class HouseholdsPage(BasePage):
    url_name = "dashboard:households"

    @property
    def count(self) -> Locator:
        return self.page.get_by_test_id("count")

    @property
    def rows(self) -> Locator:
        return self.page.get_by_test_id("households").get_by_test_id("household-row")

    @property
    def codes(self) -> Locator:
        return self.rows.get_by_test_id("household-code")
