"""A selection day in headless Chromium: three households of a round choose in signing order.
The first chooses a flat at its desk; the second is not there and is moved to the end of the
round; the third chooses; the second, called again, chooses last. The board of flats follows.
The resettlement officer closes the round and publishes it: the published result shows the three
allocations with masked names, and a finance officer (no right to personal data) reads the same
page."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.pages import LoginPage
from tests.browser.pages_selection import ResultPage, RoundPage, SelectionDayPage
from zhengqian.core.masking import mask_name
from zhengqian.resettlement import services_selection as sel
from zhengqian.resettlement.models import (
    EntryStatus,
    Flat,
    FlatStatus,
    OrderBy,
    RoundEntry,
    RoundStatus,
    SelectionRound,
    Settlement,
)
from zhengqian.resettlement.tests.conftest import (  # noqa: F401  (the fixtures)
    agr,
    chosen,
    comp,
    effective,
    res,
    stock,
    val,
)

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
# Three households of 95 m² each (one flat of 80–110 m²).
CODES = ("S-001", "S-002", "S-003")
FLATS = [
    ("101", "三室两厅", D("90.00")),
    ("102", "三室两厅", D("95.00")),
    ("103", "三室两厅", D("100.00")),
    ("104", "两室一厅", D("60.00")),
]


def logged_in(open_page: Any, base_url: str, user: Any, password: str) -> Any:
    page = open_page()
    LoginPage(page, base_url).open().log_in(user.username, password)
    return page


def open_round(r: SimpleNamespace) -> SelectionRound:
    with transaction.atomic():
        households = [effective(r, code, licensed_area=D("95.00")).household for code in CODES]
        estate = stock(r, flats=FLATS)
        found = sel.round_create(
            actor=r.officer_r,
            project=r.project,
            name="第一批选房",
            order_by=OrderBy.SIGNING,
            scheduled_on=timezone.localdate(),
            venue="安置办大厅",
        )
        sel.round_add_households(actor=r.officer_r, round=found, households=households)
        sel.round_add_flats(
            actor=r.officer_r, round=found, flats=Flat.objects.filter(estate=estate)
        )
        sel.round_fix_order(actor=r.officer_r, round=found)
        sel.round_open(actor=r.officer_r, round=found)
    return found


@pytest.mark.browser
def test_a_selection_day_with_an_absent_household(
    res: SimpleNamespace,  # noqa: F811
    open_page: Any,
    base_url: str,
    screenshots: Path,
) -> None:
    password = res.world.password
    r = open_round(res)
    first, second, third = CODES

    officer = logged_in(open_page, base_url, res.officer_r, password)
    day = SelectionDayPage(officer, base_url, r.pk).open()
    # One desk: the first household in signing order is called.
    expect(day.desks).to_have_count(1)
    expect(day.place(first)).to_have_text("1")
    expect(day.combination(first, ["102"])).to_be_visible()
    expect(day.combination(first, ["104"])).to_have_count(0)  # 60 m² does not fit
    expect(day.board_flat("102")).to_have_attribute("data-taken", "0")
    day.screenshot(screenshots / "selection-day-first-called.png")

    day.choose(first, ["102"])
    expect(day.done).to_be_visible()
    expect(day.hall_errors).to_have_count(0)
    expect(day.desk(second)).to_be_visible()
    # The board refreshes itself (polling).
    expect(day.board_flat("102")).to_have_attribute("data-taken", "1")
    expect(day.combination(second, ["102"])).to_have_count(0)

    # The second household is not in the hall: moved to the end.
    day.mark_absent(second)
    expect(day.desk(third)).to_be_visible()
    expect(day.desk(second)).to_have_count(0)
    assert RoundEntry.objects.get(round=r, household__code=second).position == 4

    day.choose(third, ["103"])
    # Called again at the end, the second household chooses last.
    expect(day.desk(second)).to_be_visible()
    expect(day.place(second)).to_have_text("4")
    day.screenshot(screenshots / "selection-day-called-again.png")
    day.choose(second, ["101"])
    expect(day.desks).to_have_count(0)
    expect(day.hall.get_by_test_id("hall-empty")).to_be_visible()
    expect(day.board_flat("101")).to_have_attribute("data-taken", "1")
    day.screenshot(screenshots / "selection-day-done.png")

    allocated = dict(
        Flat.objects.filter(status=FlatStatus.ALLOCATED).values_list("unit_no", "household__code")
    )
    assert allocated == {"102": first, "103": third, "101": second}
    statuses = set(RoundEntry.objects.filter(round=r).values_list("status", flat=True))
    assert statuses == {EntryStatus.CHOSEN}

    # Close and publish from the round's page.
    round_page = RoundPage(officer, base_url, r.pk).open()
    round_page.close()
    expect(round_page.successes).to_have_count(1)
    expect(round_page.status).to_have_text(str(RoundStatus.CLOSED.label))
    assert Settlement.objects.filter(round=r).count() == 3
    result = round_page.publish()
    expect(result.rows).to_have_count(3)
    households = {h.code: h for h in (e.household for e in RoundEntry.objects.filter(round=r))}
    for code, unit in ((first, "102"), (second, "101"), (third, "103")):
        expect(result.name(code)).to_have_text(mask_name(households[code].head_name))
        expect(result.flats(code)).to_contain_text(f"1幢 {unit}")
    # The published order: the drawn (signing) places.
    expect(result.rows.nth(0)).to_have_attribute("data-household", first)
    result.screenshot(screenshots / "selection-result.png")
    for h in households.values():
        expect(result.page.locator("main")).not_to_contain_text(h.head_name)

    # A finance officer reads the same published, masked result.
    finance = logged_in(open_page, base_url, res.finance, password)
    public = ResultPage(finance, base_url, r.pk).open()
    expect(public.rows).to_have_count(3)
    expect(public.name(second)).to_have_text(mask_name(households[second].head_name))
