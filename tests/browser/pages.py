"""Page objects: what a user sees and does on each screen, so the tests read like the work.

Locators use the ``data-testid`` / ``data-*`` hooks and form field names, never translated text,
so that the tests hold in both languages.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Self

from django.urls import reverse
from playwright.sync_api import Locator, Page


class BasePage:
    url_name = "home"

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")

    def url(self) -> str:
        return self.base_url + reverse(self.url_name)

    def open(self) -> Self:
        self.page.goto(self.url())
        return self

    @property
    def html(self) -> Locator:
        return self.page.locator("html")

    @property
    def current_user(self) -> Locator:
        return self.page.get_by_test_id("current-user")

    @property
    def language_select(self) -> Locator:
        return self.page.get_by_test_id("language-switch").first.locator("select[name=language]")

    @property
    def log_out_button(self) -> Locator:
        return self.page.locator("form[action$='/accounts/logout/'] button[type=submit]")

    def nav_link(self, module: str) -> Locator:
        return self.page.locator(f"nav a[data-module='{module}']")

    def switch_language(self, code: str) -> None:
        """The switch submits itself on change; wait for the page it leads to."""
        with self.page.expect_navigation():
            self.language_select.select_option(code)

    def log_out(self) -> None:
        with self.page.expect_navigation():
            self.log_out_button.click()

    def screenshot(self, path: Path) -> Path:
        self.page.screenshot(path=str(path), full_page=True)
        return path


class RecordPage(BasePage):
    """A page of one record: its URL takes the record's primary key."""

    def __init__(self, page: Page, base_url: str, pk: int) -> None:
        super().__init__(page, base_url)
        self.pk = pk

    def url(self) -> str:
        return self.base_url + reverse(self.url_name, args=[self.pk])


class LoginPage(BasePage):
    url_name = "accounts:login"

    @property
    def form(self) -> Locator:
        return self.page.locator("form:has(input[name=username])")

    @property
    def submit_button(self) -> Locator:
        return self.form.locator("button[type=submit]")

    @property
    def error(self) -> Locator:
        return self.form.locator(".alert-danger")

    @property
    def locked_out(self) -> Locator:
        return self.page.get_by_test_id("locked-out")

    def log_in(self, username: str, password: str) -> None:
        self.form.locator("input[name=username]").fill(username)
        self.form.locator("input[name=password]").fill(password)
        with self.page.expect_navigation():
            self.submit_button.click()


class HomePage(BasePage):
    """Where a login lands: the user's own projects."""

    url_name = "home"

    @property
    def project_list(self) -> Locator:
        return self.page.get_by_test_id("project-list")

    def project_link(self, name: str) -> Locator:
        return self.project_list.get_by_role("link", name=name, exact=True)

    def open_project(self, name: str) -> ProjectPage:
        with self.page.expect_navigation():
            self.project_link(name).click()
        return ProjectPage(self.page, self.base_url)


class ProjectListPage(HomePage):
    url_name = "projects:list"


class ProjectPage(BasePage):
    """A project's detail page; opened from a list, so it has no URL of its own here."""

    @property
    def title(self) -> Locator:
        return self.page.get_by_test_id("project-title")

    @property
    def milestones(self) -> Locator:
        return self.page.get_by_test_id("milestones")

    def milestone(self, code: str) -> Locator:
        return self.milestones.locator(f"tbody tr[data-code='{code}']")

    def record_milestone(self, code: str, on: dt.date, note: str = "") -> None:
        form = self.milestone(code).locator("form[action$='/record/']")
        form.locator("input[name=actual_date]").fill(on.isoformat())
        form.locator("input[name=note]").fill(note)
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()

    def field_error(self, code: str, field: str = "actual_date") -> Locator:
        return self.milestone(code).locator(f"[data-field-error='{field}']")

    @property
    def alerts(self) -> Locator:
        return self.page.locator("main .alert")


class AuditTrailPage(BasePage):
    url_name = "audit:trail"

    @property
    def trail(self) -> Locator:
        return self.page.get_by_test_id("trail")

    @property
    def rows(self) -> Locator:
        return self.trail.locator("tbody tr")

    def filter_by_user(self, username: str) -> None:
        form = self.page.locator("form[method=get]:has(input[name=actor])")
        form.locator("input[name=actor]").fill(username)
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()

    def column(self, index: int) -> list[str]:
        """The text of one column (0-based) over the rows shown."""
        return [
            text.strip()
            for text in self.rows.locator(f"td:nth-child({index + 1})").all_inner_texts()
        ]

    def users(self) -> list[str]:
        return self.column(2)

    def event_types(self) -> list[str]:
        """The event type codes (the cell also shows a readable label)."""
        cells = self.rows.locator("td[data-event-type]")
        return [cells.nth(i).get_attribute("data-event-type") or "" for i in range(cells.count())]
