"""Holdouts and the legal path, in headless Chromium: the signing period of project A ended on
31 March 2025 and household H-001, with an approved calculation, signed nothing, so it is on
the holdout list. A signing officer opens its case from the list (the team, its leader and
members, the family and property analyses) and records a negotiation with its minutes (a PDF):
the entry is listed on the case page. The project manager then opens a compensation decision
(补偿决定) proceeding from the household page, records the decision (date, 文号, the PDF) and
its service and announcement: the proceeding's page shows when the household's 15 days to
choose, 60 days to ask for reconsideration and 6 months to sue run out, each moved off a rest
day as the law says, computed here from the same holiday calendar."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, expect

from tests.browser.pages import LoginPage
from tests.browser.pages_holdouts import (
    HoldoutsProjectPage,
    HouseholdLegalPage,
    NegotiationEntry,
    StepRecord,
    Team,
    fetch,
)
from zhengqian.agreements.tests.conftest import PDF_BYTES, agr  # noqa: F401  (its fixture)
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (its fixture)
from zhengqian.core.calendar import office_calendar
from zhengqian.core.workdays import add_months, period_end, roll_to_working_day
from zhengqian.holdouts.models import Case, Negotiation, Reason
from zhengqian.legal.models import Proceeding, ProceedingStep
from zhengqian.legal.paths import LegalPath
from zhengqian.legal.tests.conftest import DECIDED, SERVED, SIGNING_END, legal  # noqa: F401
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (its fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

DECISION_NO = "征补决字〔2025〕1号"
ANNOUNCEMENT_NO = "征补公告〔2025〕1号"


def logged_in(open_page: Any, base_url: str, user: Any, password: str) -> Any:
    page = open_page()
    LoginPage(page, base_url).open().log_in(user.username, password)
    return page


def starts_with_day(day: dt.date) -> re.Pattern[str]:
    """A date cell's text: the date first, then perhaps a badge (Ended, Overdue, …)."""
    return re.compile(rf"^\s*{re.escape(day.isoformat())}(\s|$)")


def expect_date(cell: Locator, day: dt.date) -> None:
    expect(cell).to_have_text(starts_with_day(day))


@pytest.mark.browser
def test_a_holdouts_case_is_negotiated_then_a_compensation_decision_shows_its_periods(
    legal: SimpleNamespace,  # noqa: F811
    open_page: Any,
    base_url: str,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    c = legal
    household = c.household
    password = c.world.password
    # The negotiation happens today: a case is opened today and no entry may be dated before it.
    today = timezone.localdate()
    assert today > SIGNING_END
    minutes = tmp_path / "negotiation-minutes.pdf"
    minutes.write_bytes(PDF_BYTES)
    decision_scan = tmp_path / "compensation-decision.pdf"
    decision_scan.write_bytes(PDF_BYTES)

    # A signing officer finds the household on the holdout list: unsigned since the day after
    # the signing period ended, no case yet.
    officer = logged_in(open_page, base_url, c.officer, password)
    project_page = HoldoutsProjectPage(officer, base_url, c.project.pk).open()
    expect(project_page.rows).to_have_count(1)
    row = project_page.row(household.code)
    expect(row).to_have_attribute("data-reason", Reason.UNSIGNED.value)
    expect(row.get_by_test_id("since")).to_have_text(
        (SIGNING_END + dt.timedelta(days=1)).isoformat()
    )
    expect(row.get_by_test_id("case-link")).to_have_count(0)
    project_page.screenshot(screenshots / "holdouts-project-list.png")

    # … opens a case for it, with the team and the analyses.
    open_page_ = project_page.open_case(household.code)
    assert open_page_.pk == household.pk
    expect(open_page_.reason).to_contain_text(str(Reason.UNSIGNED.label))
    team = Team(
        team_name="第一攻坚清零小组",
        leader=c.officer.pk,
        members=[c.officer2.pk, c.cadre.pk],
        family_analysis="户主年迈，子女在外务工，由长子拿主意",
        property_analysis="附属用房面积有争议，要求按主房标准补偿",
    )
    open_page_.screenshot(screenshots / "holdouts-case-open.png")
    case_page = open_page_.open_case(team)
    expect(case_page.successes).to_have_count(1)
    expect(case_page.errors).to_have_count(0)
    case = Case.objects.get(household=household)
    assert case_page.pk == case.pk
    assert case.reason == Reason.UNSIGNED and case.opened_on == today
    assert set(case.members.values_list("pk", flat=True)) == set(team.members)
    expect(case_page.reason).to_contain_text((SIGNING_END + dt.timedelta(days=1)).isoformat())
    expect(case_page.team).to_contain_text(team.team_name)
    expect(case_page.team).to_contain_text(c.officer.display_name)
    expect(case_page.team).to_contain_text(c.cadre.display_name)
    expect(case_page.summary).to_contain_text(team.family_analysis)
    expect(case_page.summary).to_contain_text(team.property_analysis)
    expect(case_page.no_negotiations).to_be_visible()

    # … and records the first negotiation, with its minutes.
    entry = NegotiationEntry(
        held_on=today,
        place="指挥部二楼会议室",
        household_participants="户主及长子",
        office_participants=[c.officer.pk, c.cadre.pk],
        offered="按已审定的补偿方案货币补偿，另协助联系过渡用房",
        response="对附属用房面积仍有异议，要求再测量",
        attachments=[minutes],
    )
    case_page.record_negotiation(entry)
    expect(case_page.successes).to_have_count(1)
    expect(case_page.errors).to_have_count(0)
    expect(case_page.field_errors).to_have_count(0)
    expect(case_page.no_negotiations).to_have_count(0)
    expect(case_page.negotiations).to_have_count(1)
    logged = case_page.negotiations.first
    for text in (
        today.isoformat(),
        entry.place,
        entry.household_participants,
        c.officer.display_name,
        c.cadre.display_name,
        entry.offered,
        entry.response,
    ):
        expect(logged).to_contain_text(text)
    files = case_page.file_links(logged)
    expect(files).to_have_count(1)
    expect(files.first).to_have_text(minutes.name)
    served_file = fetch(officer, base_url, files.first)
    assert served_file.status == 200
    assert served_file.headers["content-type"] == "application/pdf"
    assert served_file.body() == PDF_BYTES
    case_page.screenshot(screenshots / "holdouts-case-negotiated.png")
    negotiation = Negotiation.objects.get(case=case)
    assert negotiation.held_on == today and negotiation.files.count() == 1

    # The project manager sees the case on the household page and opens a compensation
    # decision proceeding there (the legal today is the fixture's, in January 2026).
    manager = logged_in(open_page, base_url, c.pm, password)
    household_page = HouseholdLegalPage(manager, base_url, household.pk).open()
    expect(household_page.holdout_case).to_contain_text(team.team_name)
    expect(household_page.latest_negotiation).to_contain_text(today.isoformat())
    expect(household_page.proceedings).to_have_count(0)
    expect(household_page.open_form).to_be_visible()
    household_page.legal_section.scroll_into_view_if_needed()
    household_page.screenshot(screenshots / "legal-household-section.png")
    proceeding_page = household_page.open_proceeding(
        LegalPath.STATE_OWNED_DECISION, note="签约期满未签约"
    )
    expect(proceeding_page.successes).to_have_count(1)
    expect(proceeding_page.errors).to_have_count(0)
    proceeding = Proceeding.objects.get(household=household)
    assert proceeding_page.pk == proceeding.pk
    assert proceeding.path == LegalPath.STATE_OWNED_DECISION
    assert proceeding.signing_end == SIGNING_END and proceeding.total == c.calculation.total
    expect_date(proceeding_page.earliest("decision"), SIGNING_END + dt.timedelta(days=1))
    expect(proceeding_page.latest("choice_end")).to_have_text("")
    assert proceeding_page.step_choices() == ["decision"]

    # The decision is recorded with its 文号 and the signed document …
    proceeding_page.record_step(
        StepRecord(
            code="decision", done_on=DECIDED, document_no=DECISION_NO, document=decision_scan
        )
    )
    expect(proceeding_page.successes).to_have_count(1)
    expect(proceeding_page.field_errors).to_have_count(0)
    decided = proceeding_page.recorded("decision")
    expect(decided.get_by_test_id("done")).to_be_visible()
    expect(decided).to_contain_text(DECIDED.isoformat())
    expect(decided).to_contain_text(DECISION_NO)
    served_doc = fetch(manager, base_url, proceeding_page.document_link("decision"))
    assert served_doc.status == 200
    assert served_doc.headers["content-type"] == "application/pdf"
    assert served_doc.body() == PDF_BYTES
    expect_date(proceeding_page.earliest("served"), DECIDED)
    assert proceeding_page.step_choices() == ["served"]
    proceeding_page.screenshot(screenshots / "legal-decision-recorded.png")

    # … then its service and announcement, from which the household's periods run.
    proceeding_page.record_step(
        StepRecord(code="served", done_on=SERVED, document_no=ANNOUNCEMENT_NO)
    )
    expect(proceeding_page.successes).to_have_count(1)
    expect(proceeding_page.field_errors).to_have_count(0)
    expect(proceeding_page.recorded("served")).to_contain_text(SERVED.isoformat())
    expect(proceeding_page.recorded("served")).to_contain_text(ANNOUNCEMENT_NO)

    # The day of service is not counted; a period ending on a rest day ends on the next
    # working day (民法典 arts. 201–203).
    calendar = office_calendar()
    choice_end = period_end(SERVED, 15, calendar=calendar)
    reconsideration_end = period_end(SERVED, 60, calendar=calendar)
    litigation_end = roll_to_working_day(add_months(SERVED, 6), calendar)
    # The dates chosen make the rule matter: two of the three periods end on a holiday.
    assert reconsideration_end != SERVED + dt.timedelta(days=60)
    assert litigation_end != add_months(SERVED, 6)
    expect_date(proceeding_page.latest("choice_end"), choice_end)
    expect_date(proceeding_page.latest("mode_chosen"), choice_end)
    expect_date(proceeding_page.latest("reconsideration_end"), reconsideration_end)
    expect_date(proceeding_page.latest("litigation_end"), litigation_end)
    # The reminder to comply may follow only once both periods to appeal are over.
    expect_date(
        proceeding_page.earliest("reminder"),
        max(reconsideration_end, litigation_end) + dt.timedelta(days=1),
    )
    proceeding_page.screenshot(screenshots / "legal-decision-served.png")
    assert list(
        ProceedingStep.objects.filter(proceeding=proceeding)
        .order_by("done_on")
        .values_list("code", "done_on", "document_no")
    ) == [("decision", DECIDED, DECISION_NO), ("served", SERVED, ANNOUNCEMENT_NO)]
