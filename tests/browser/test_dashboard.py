"""The leader's dashboard in headless Chromium, on records made through the modules themselves:
in project A household H-001 has signed its agreement (the payment fixtures: survey,
valuation, calculation, approval, signing), H-002 and H-003 are only surveyed; project B, in
another district, has two surveyed households. A leader of both projects opens the dashboard,
reads district A's signing rate (1 of 3, 33.33 %) and follows it to the list of its signed
households, which shows H-001 and nothing else; the read is in the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.pages import LoginPage
from tests.browser.pages_dashboard import LeaderDashboardPage
from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements.tests.conftest import agr  # noqa: F401  (its fixture)
from zhengqian.audit.models import Event
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (its fixture)
from zhengqian.ownership.tests.conftest import make_household
from zhengqian.payments.tests.conftest import pay  # noqa: F401  (its fixture)
from zhengqian.testing.factories import PASSWORD, UserFactory, grant
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (its fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.browser
def test_a_leader_drills_down_from_a_districts_signing_rate(
    pay: Any,  # noqa: F811
    open_page: Any,
    base_url: str,
    screenshots: Any,
) -> None:
    project, other = pay.world.project, pay.world.other_project
    make_household(project, code="H-002", work_group=pay.world.group)
    make_household(project, code="H-003", work_group=pay.world.other_group)
    make_household(other, code="B-001")
    make_household(other, code="B-002")
    leader = UserFactory(username="district-leader", first_name="领导")
    grant(leader, RoleCode.LEADER, project)
    grant(leader, RoleCode.LEADER, other)

    page = open_page()
    LoginPage(page, base_url).open().log_in(leader.username, PASSWORD)
    dashboard = LeaderDashboardPage(page, base_url).open()
    expect(dashboard.total_households).to_have_text("5")
    expect(dashboard.total_signing_rate).to_have_text("20.00%")
    expect(dashboard.signing_rate("district", project.district_id)).to_have_text("33.33%")
    expect(dashboard.signing_rate("district", other.district_id)).to_have_text("0.00%")
    dashboard.screenshot(screenshots / "dashboard-leader.png")

    households = dashboard.drill_into_signed("district", project.district_id)
    expect(households.codes).to_have_text(["H-001"])
    households.screenshot(screenshots / "dashboard-households.png")
    [event] = Event.objects.filter(event_type="dashboard.households", actor_id=leader.pk)
    assert event.details == {
        "query": {"district": str(project.district_id), "stage": "signed"},
        "results": 1,
    }
