"""The review chain of a calculation, in headless Chromium: an accountant calculates and
submits, the policy reviewer returns it with a reason, the accountant reads the reason,
recalculates and submits again, the policy reviewer approves, a second accountant approves, the
leader approves (the total is above the policy's threshold), and the household page shows the
approved calculation with its amount in words."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.pages import LoginPage
from tests.browser.pages_compensation import (
    CalculationHouseholdPage,
    QueuePage,
    SheetPage,
    SurveyHouseholdPage,
)
from zhengqian.compensation.models import Calculation, CalculationStatus
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (the fixture)
from zhengqian.core.money import amount_in_words
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (its fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(open_page: Any, base_url: str, user: Any, password: str) -> Any:
    page = open_page()
    LoginPage(page, base_url).open().log_in(user.username, password)
    return page


@pytest.mark.browser
def test_a_calculation_goes_through_its_review_chain_after_a_return(
    comp: SimpleNamespace,  # noqa: F811
    open_page: Any,
    base_url: str,
    screenshots: Path,
) -> None:
    comp.policy.leader_threshold = Decimal("1000000.00")
    comp.policy.save()  # set directly: the service refuses to change a published version
    password = comp.world.password
    household = comp.household

    accountant = logged_in(open_page, base_url, comp.accountant, password)
    sheet = CalculationHouseholdPage(accountant, base_url, household.pk).open().calculate("cash")
    expect(sheet.status).to_have_attribute("data-status", "draft")
    expect(sheet.lines).to_have_count(3)
    sheet.submit()
    expect(sheet.status).to_have_attribute("data-status", "policy_review")
    first = Calculation.objects.get()

    reviewer = logged_in(open_page, base_url, comp.policy_reviewer, password)
    queue = QueuePage(reviewer, base_url, comp.project.pk).open()
    expect(queue.rows).to_have_count(1)
    review = queue.open_first()
    review.give_back("搬迁费应按两次计，请复核")
    expect(review.status).to_have_attribute("data-status", "returned")

    sheet = SheetPage(accountant, base_url, first.pk).open()
    expect(sheet.returned_reason).to_contain_text("搬迁费应按两次计，请复核")
    sheet = sheet.to_household_calculations().calculate("cash")
    expect(sheet.diff_lines).to_have_count(3)
    sheet.submit()
    second = Calculation.objects.get(number=2)
    assert second.needs_leader

    review = SheetPage(reviewer, base_url, second.pk).open()
    review.approve()
    expect(review.status).to_have_attribute("data-status", "accounting_review")
    expect(review.review_form).to_have_count(0)

    accountant2 = logged_in(open_page, base_url, comp.accountant2, password)
    check = SheetPage(accountant2, base_url, second.pk).open()
    check.approve()
    expect(check.status).to_have_attribute("data-status", "leader_review")

    leader = logged_in(open_page, base_url, comp.leader, password)
    decision = SheetPage(leader, base_url, second.pk).open()
    decision.approve()
    expect(decision.status).to_have_attribute("data-status", "approved")
    second.refresh_from_db()
    assert second.status == CalculationStatus.APPROVED
    assert list(second.transitions.values_list("to_status", flat=True)) == [
        "policy_review",
        "accounting_review",
        "leader_review",
        "approved",
    ]

    page = SurveyHouseholdPage(accountant, base_url, household.pk).open()
    expect(page.compensation_section).to_have_attribute("data-status", "approved")
    expect(page.compensation_total_in_words).to_have_text(amount_in_words(second.total))
    page.compensation_section.scroll_into_view_if_needed()
    page.screenshot(screenshots / "compensation-household-page.png")
    approved = page.open_calculation()
    expect(approved.total_in_words).to_contain_text(amount_in_words(second.total))
    approved.screenshot(screenshots / "compensation-sheet.png")
