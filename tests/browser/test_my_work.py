"""My work and the notifications, in headless Chromium: an accountant submits a calculation; the
policy reviewer's header shows one new notification, the reviewer opens it from the list and
lands on the calculation, the notification is read, and My work lists the calculation."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.pages import LoginPage
from tests.browser.pages_compensation import CalculationHouseholdPage, SheetPage
from tests.browser.pages_reminders import Header, MyWorkPage, NotificationsPage
from zhengqian.compensation.models import Calculation
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (the fixture)
from zhengqian.reminders.models import Notification
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (its fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(open_page: Any, base_url: str, user: Any, password: str) -> Any:
    page = open_page()
    LoginPage(page, base_url).open().log_in(user.username, password)
    return page


@pytest.mark.browser
def test_a_submitted_calculation_reaches_its_reviewer(
    comp: SimpleNamespace,  # noqa: F811
    open_page: Any,
    base_url: str,
    screenshots: Path,
) -> None:
    password = comp.world.password
    reviewer = logged_in(open_page, base_url, comp.policy_reviewer, password)
    header = Header(reviewer)
    expect(header.bell).to_have_attribute("data-unread", "0")
    expect(MyWorkPage(reviewer, base_url).open().empty).to_be_visible()

    accountant = logged_in(open_page, base_url, comp.accountant, password)
    sheet = CalculationHouseholdPage(accountant, base_url, comp.household.pk).open()
    sheet = sheet.calculate("cash")
    sheet.submit()
    expect(sheet.status).to_have_attribute("data-status", "policy_review")
    calculation = Calculation.objects.get()
    # Nothing waits for the one who submitted it.
    expect(Header(accountant).bell).to_have_attribute("data-unread", "0")

    reviewer.reload()
    expect(header.unread_count).to_have_text("1")
    reviewer.locator("nav").first.screenshot(path=str(screenshots / "reminders_header_badge.png"))
    notifications = header.open_notifications(base_url)
    expect(notifications.notifications).to_have_count(1)
    expect(notifications.unread()).to_have_count(1)
    expect(header.bell).to_have_attribute("data-unread", "1")  # the badge is loaded
    notifications.screenshot(screenshots / "reminders_notifications.png")
    notifications.open_first()

    review = SheetPage(reviewer, base_url, calculation.pk)
    assert reviewer.url.endswith(f"/compensation/calculations/{calculation.pk}/")
    expect(review.status).to_have_attribute("data-status", "policy_review")
    expect(Header(reviewer).bell).to_have_attribute("data-unread", "0")
    assert Notification.objects.get(user=comp.policy_reviewer).read_at is not None

    work = MyWorkPage(reviewer, base_url).open()
    items = work.items("compensation.review")
    expect(items).to_have_count(1)
    expect(header.bell).to_have_attribute("data-unread", "0")
    expect(items.first.locator("a")).to_have_attribute(
        "href", f"/compensation/calculations/{calculation.pk}/"
    )
    work.screenshot(screenshots / "reminders_my_work.png")

    NotificationsPage(reviewer, base_url).open()
    expect(NotificationsPage(reviewer, base_url).unread()).to_have_count(0)
