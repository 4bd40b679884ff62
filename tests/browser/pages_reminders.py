"""Page objects of the reminders: the header's bell, the notifications, My work."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

from tests.browser.pages import BasePage


class Header:
    """The bell in the header of every page, with the unread count."""

    def __init__(self, page: Page) -> None:
        self.page = page

    @property
    def bell(self) -> Locator:
        return self.page.get_by_test_id("notification-badge")

    @property
    def unread_count(self) -> Locator:
        return self.page.get_by_test_id("unread-count")

    def open_notifications(self, base_url: str) -> NotificationsPage:
        with self.page.expect_navigation():
            self.bell.click()
        return NotificationsPage(self.page, base_url)


class NotificationsPage(BasePage):
    url_name = "reminders:notifications"

    @property
    def notifications(self) -> Locator:
        return self.page.get_by_test_id("notification")

    def unread(self) -> Locator:
        return self.page.locator("[data-testid=notification][data-read='0']")

    def open_first(self) -> None:
        """Open the newest notification: it is marked read and leads to its page."""
        with self.page.expect_navigation():
            self.notifications.first.get_by_test_id("open-notification").click()

    def read_all(self) -> None:
        with self.page.expect_navigation():
            self.page.get_by_test_id("read-all").click()


class MyWorkPage(BasePage):
    url_name = "reminders:my_work"

    @property
    def groups(self) -> Locator:
        return self.page.get_by_test_id("work-group")

    def items(self, kind: str) -> Locator:
        return self.page.locator(
            f"[data-testid=work-group][data-kind='{kind}'] [data-testid=work-item]"
        )

    @property
    def empty(self) -> Locator:
        return self.page.get_by_test_id("my-work-empty")
