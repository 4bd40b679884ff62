"""A valuer of the appraisal firm chosen for a project logs in, in headless Chromium: sees only
that project, opens a household from the survey list, enters the value of its buildings (the page
computes value = area × unit price to the fen as the unit price is typed), saves, and finds the
valuation on the household page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.pages import HomePage, LoginPage
from tests.browser.pages_valuation import SurveyIndexPage
from zhengqian.core.money import amount_in_words
from zhengqian.ownership.tests.conftest import make_household
from zhengqian.survey.models import Ancillary
from zhengqian.valuation import services
from zhengqian.valuation.models import Valuation
from zhengqian.valuation.tests.conftest import DECISION_DAY, make_firm, make_valuer

pytestmark = pytest.mark.django_db(transaction=True)


def firm_chosen_for(world: SimpleNamespace) -> Any:
    """Project A's decision announced and its firm chosen by negotiation; a household in each
    project. Returns the firm's valuer."""
    world.project.milestones.filter(code="decision_announced").update(actual_date=DECISION_DAY)
    firm = make_firm("宁波甬信房地产估价有限公司")
    valuer = make_valuer(firm, "valuer1")
    household = make_household(world.project, code="H-001", work_group=world.group)
    Ancillary.objects.create(
        household=household, kind="wall", description="围墙", quantity=Decimal("12.50"), unit="m"
    )
    make_household(world.other_project, code="B-001")
    services.selection_negotiate(
        actor=world.pm,
        project=world.project,
        firm=firm,
        decided_on=dt.date(2026, 3, 5),
        record_text="被征收人协商一致，选定宁波甬信。",
    )
    return valuer


@pytest.mark.browser
def test_a_valuer_enters_the_buildings_value_and_the_household_page_shows_it(
    world: SimpleNamespace, page: Any, base_url: str, screenshots: Path
) -> None:
    firm_chosen_for(world)
    LoginPage(page, base_url).open().log_in("valuer1", world.password)
    home = HomePage(page, base_url)
    expect(home.current_user).to_contain_text("valuer1")
    expect(home.project_link(world.project.name)).to_be_visible()
    expect(home.project_list).not_to_contain_text(world.other_project.name)

    survey = SurveyIndexPage(page, base_url).open()
    assert survey.project_codes() == ["XM-A"]
    listing = survey.open_household_list("XM-A")
    assert listing.codes() == ["H-001"]
    expect(listing.row("H-001")).to_contain_text("张*国")  # the valuer sees names masked
    household = listing.open_household("H-001")
    expect(household.title).to_contain_text("张*国")
    expect(household.valuation_section).to_have_attribute("data-status", "none")

    valuation = household.open_valuation()
    expect(valuation.entry_form).to_be_visible()
    expect(valuation.building_field("1", "area")).to_have_value("96.00")
    # 96.00 m² × 12,345.67 = 1,185,184.32 exactly; 40.25 m² × 8,000.55 = 322,022.1375 → .14
    valuation.enter_building("1", unit_price="12345.67")
    expect(valuation.building_field("1", "value")).to_have_value("1185184.32")
    valuation.enter_building("2", area="40.25", unit_price="8000.55")
    expect(valuation.building_field("2", "value")).to_have_value("322022.14")
    expect(valuation.entered_total).to_have_text("1,507,206.46")
    valuation.add_decoration("厨房整体橱柜", "8000.00")
    valuation.add_decoration("木地板", "3600.50")  # a row the page adds
    expect(valuation.decorations).to_have_count(2)
    expect(valuation.entered_total).to_have_text("1,518,806.96")
    valuation.screenshot(screenshots / "valuation-entry.png")

    valuation.save()
    expect(valuation.messages.first).to_be_visible()
    expect(valuation.summary_total("buildings")).to_have_text("1,507,206.46")
    expect(valuation.summary_total("decoration")).to_have_text("11,600.50")
    v = Valuation.objects.get()
    assert v.buildings_total == Decimal("1507206.46") and v.prepared_by is not None
    assert v.total == Decimal("1518806.96") and v.decorations.count() == 2

    household = valuation.back_to_household()
    expect(household.valuation_status).to_be_visible()
    expect(household.valuation_section).to_have_attribute("data-status", "draft")
    expect(household.valuation_total("buildings")).to_have_text("1,507,206.46")
    expect(household.valuation_total()).to_have_text("1,518,806.96")
    expect(household.valuation_total_in_words).to_contain_text(amount_in_words(v.total))
    household.valuation_section.scroll_into_view_if_needed()
    household.screenshot(screenshots / "valuation-household-page.png")
