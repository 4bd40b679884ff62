"""Page objects of the survey's Excel import: the upload page, the import's report, and the
household list it leads to. Locators use data-testid / data-* hooks, never translated text."""

from __future__ import annotations

from pathlib import Path

from django.urls import reverse
from playwright.sync_api import Locator, Page

from tests.browser.pages import BasePage


class SurveyImportPage(BasePage):
    """Where a surveyor downloads the template and uploads a filled-in workbook."""

    def __init__(self, page: Page, base_url: str, project_id: int) -> None:
        super().__init__(page, base_url)
        self.project_id = project_id

    def url(self) -> str:
        return self.base_url + reverse("survey:import_start", args=[self.project_id])

    @property
    def template_link(self) -> Locator:
        return self.page.get_by_test_id("template-link")

    def download_template(self, folder: Path) -> Path:
        with self.page.expect_download() as download:
            self.template_link.click()
        target = folder / download.value.suggested_filename
        download.value.save_as(target)
        return target

    def upload(self, workbook: Path) -> SurveyImportReportPage:
        form = self.page.get_by_test_id("upload-form")
        form.locator("input[type=file][name=file]").set_input_files(str(workbook))
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()
        return SurveyImportReportPage(self.page, self.base_url)


class SurveyImportReportPage(BasePage):
    """One import: what the check found, and the button that imports."""

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("import-status").locator("[data-status]")

    @property
    def errors(self) -> Locator:
        return self.page.get_by_test_id("import-errors")

    def error_at(self, sheet: str, row: int, column: str) -> Locator:
        return self.errors.locator(
            f"tbody tr[data-sheet='{sheet}'][data-row='{row}'][data-column='{column}']"
        )

    @property
    def errors_download(self) -> Locator:
        return self.page.get_by_test_id("errors-download")

    def valid_count(self, what: str) -> Locator:
        return self.page.get_by_test_id("valid-counts").locator(f"[data-count='{what}']")

    def imported_count(self, what: str) -> Locator:
        return self.page.get_by_test_id("imported-counts").locator(f"[data-count='{what}']")

    @property
    def confirm_button(self) -> Locator:
        return self.page.get_by_test_id("confirm-form").locator("button[type=submit]")

    def confirm(self) -> None:
        with self.page.expect_navigation():
            self.confirm_button.click()

    @property
    def upload_again_link(self) -> Locator:
        return self.page.get_by_test_id("upload-again")

    def upload_again(self, project_id: int) -> SurveyImportPage:
        with self.page.expect_navigation():
            self.upload_again_link.click()
        return SurveyImportPage(self.page, self.base_url, project_id)

    @property
    def household_list_link(self) -> Locator:
        return self.page.get_by_test_id("household-list-link")

    def open_household_list(self) -> HouseholdListPage:
        with self.page.expect_navigation():
            self.household_list_link.click()
        return HouseholdListPage(self.page, self.base_url)


class HouseholdListPage(BasePage):
    @property
    def rows(self) -> Locator:
        return self.page.get_by_test_id("household-list").locator("tbody tr[data-household]")

    def codes(self) -> list[str]:
        return [
            self.rows.nth(i).get_attribute("data-household") or "" for i in range(self.rows.count())
        ]
