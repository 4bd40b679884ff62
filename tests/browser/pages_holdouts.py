"""Page objects of the holdout and legal work: a project's holdout list, the opening of a case,
the case page with its negotiation log, the legal and holdout sections of the survey household
page (opening a proceeding) and a proceeding's page (its steps, their dates and the form to
record the next). Locators use data-testid / data-* hooks and field names, never translated
text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page

from tests.browser.pages import RecordPage
from tests.browser.pages_payments import Messages


def fetch(page: Page, base_url: str, link: Locator) -> Any:
    """GET a link's target (an attachment, a document) with the page's session: the
    APIResponse."""
    href = link.get_attribute("href")
    assert href, "the link has no href"
    return page.request.get(base_url + href if href.startswith("/") else href)


class HoldoutsProjectPage(RecordPage):
    """A project's clearance rates and its holdout list."""

    url_name = "holdouts:project"

    @property
    def listing(self) -> Locator:
        return self.page.get_by_test_id("holdout-list")

    @property
    def rows(self) -> Locator:
        return self.listing.get_by_test_id("holdout-row")

    def row(self, household_code: str) -> Locator:
        return self.listing.locator(f"[data-testid=holdout-row][data-code='{household_code}']")

    def open_case(self, household_code: str) -> CaseOpenPage:
        with self.page.expect_navigation():
            self.row(household_code).get_by_test_id("open-link").click()
        return CaseOpenPage.here(self.page, self.base_url)


@dataclass
class Team:
    """The responsible team and the analyses a case is opened with."""

    team_name: str
    leader: int  # a user's pk
    members: Sequence[int]
    family_analysis: str
    property_analysis: str


class CaseOpenPage(Messages, RecordPage):
    """The opening of a household's case; reached from the holdout list."""

    url_name = "holdouts:case_open"

    @classmethod
    def here(cls, page: Page, base_url: str) -> CaseOpenPage:
        """The opening page the browser is on: the household's pk from the URL
        (…/households/<pk>/open/)."""
        path = page.url.rstrip("/").split("/")
        return cls(page, base_url, int(path[-2]))

    @property
    def reason(self) -> Locator:
        return self.page.get_by_test_id("reason")

    @property
    def form(self) -> Locator:
        return self.page.get_by_test_id("open-form")

    def open_case(self, team: Team) -> CasePage:
        self.form.locator("[name=team_name]").fill(team.team_name)
        self.form.locator("[name=leader]").select_option(str(team.leader))
        self.form.locator("[name=members]").select_option([str(pk) for pk in team.members])
        self.form.locator("[name=family_analysis]").fill(team.family_analysis)
        self.form.locator("[name=property_analysis]").fill(team.property_analysis)
        with self.page.expect_navigation():
            self.form.locator("button[type=submit]").click()
        return CasePage.here(self.page, self.base_url)


@dataclass
class NegotiationEntry:
    """What a negotiation log entry is filled with."""

    held_on: dt.date
    place: str
    household_participants: str
    office_participants: Sequence[int]  # users' pks
    offered: str
    response: str
    attachments: Sequence[Path]


class CasePage(Messages, RecordPage):
    """A holdout case: its summary, team, analyses and negotiation log."""

    url_name = "holdouts:case"

    @classmethod
    def here(cls, page: Page, base_url: str) -> CasePage:
        """The case page the browser is on (after a redirect): its pk from the URL."""
        path = page.url.rstrip("/").split("/")
        return cls(page, base_url, int(path[-1]))

    @property
    def summary(self) -> Locator:
        return self.page.get_by_test_id("case-summary")

    @property
    def reason(self) -> Locator:
        return self.summary.get_by_test_id("reason")

    @property
    def team(self) -> Locator:
        return self.summary.get_by_test_id("team")

    @property
    def field_errors(self) -> Locator:
        return self.page.locator("[data-field-error]")

    @property
    def negotiation_form(self) -> Locator:
        return self.page.get_by_test_id("negotiation-form")

    @property
    def negotiations(self) -> Locator:
        return self.page.get_by_test_id("negotiations").get_by_test_id("negotiation")

    @property
    def no_negotiations(self) -> Locator:
        return self.page.get_by_test_id("no-negotiations")

    def file_links(self, entry: Locator) -> Locator:
        return entry.get_by_test_id("file-link")

    def record_negotiation(self, entry: NegotiationEntry) -> None:
        box = self.negotiation_form
        if box.get_attribute("open") is None:
            box.locator("summary").click()
        form = box.locator("form")
        form.locator("[name=held_on]").fill(entry.held_on.isoformat())
        form.locator("[name=place]").fill(entry.place)
        form.locator("[name=household_participants]").fill(entry.household_participants)
        form.locator("[name=office_participants]").select_option(
            [str(pk) for pk in entry.office_participants]
        )
        form.locator("[name=offered]").fill(entry.offered)
        form.locator("[name=response]").fill(entry.response)
        form.locator("[name=attachments]").set_input_files([str(p) for p in entry.attachments])
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()


class HouseholdLegalPage(Messages, RecordPage):
    """The survey household page, seen for its holdout and legal sections."""

    url_name = "survey:household_detail"

    @property
    def holdouts_section(self) -> Locator:
        return self.page.get_by_test_id("holdouts-section")

    @property
    def holdout_case(self) -> Locator:
        return self.holdouts_section.get_by_test_id("holdout-case")

    @property
    def latest_negotiation(self) -> Locator:
        return self.holdouts_section.get_by_test_id("latest-negotiation")

    @property
    def legal_section(self) -> Locator:
        return self.page.get_by_test_id("legal-section")

    @property
    def proceedings(self) -> Locator:
        return self.legal_section.get_by_test_id("proceeding")

    @property
    def open_form(self) -> Locator:
        return self.legal_section.get_by_test_id("open-form")

    def open_proceeding(self, path: str, note: str = "") -> ProceedingPage:
        self.open_form.locator("[name=path]").select_option(path)
        self.open_form.locator("[name=note]").fill(note)
        with self.page.expect_navigation():
            self.open_form.locator("button[type=submit]").click()
        return ProceedingPage.here(self.page, self.base_url)


@dataclass
class StepRecord:
    """A step of a proceeding as the office records it."""

    code: str
    done_on: dt.date
    document_no: str = ""
    document: Path | None = None
    note: str = ""


class ProceedingPage(Messages, RecordPage):
    """A legal proceeding: the path's steps with their earliest and last dates, and the form
    to record the next step."""

    url_name = "legal:proceeding"

    @classmethod
    def here(cls, page: Page, base_url: str) -> ProceedingPage:
        """The proceeding page the browser is on (after a redirect): its pk from the URL."""
        path = page.url.rstrip("/").split("/")
        return cls(page, base_url, int(path[-1]))

    @property
    def title(self) -> Locator:
        return self.page.get_by_test_id("page-title")

    @property
    def total(self) -> Locator:
        return self.page.get_by_test_id("total")

    @property
    def field_errors(self) -> Locator:
        return self.page.locator("[data-field-error]")

    def step(self, code: str) -> Locator:
        return self.page.get_by_test_id("steps").get_by_test_id(f"step-{code}")

    def earliest(self, code: str) -> Locator:
        return self.step(code).get_by_test_id("earliest")

    def latest(self, code: str) -> Locator:
        return self.step(code).get_by_test_id("latest")

    def recorded(self, code: str) -> Locator:
        return self.step(code).get_by_test_id("recorded")

    def document_link(self, code: str) -> Locator:
        return self.recorded(code).get_by_test_id("document-link")

    @property
    def step_form(self) -> Locator:
        return self.page.get_by_test_id("step-form")

    def step_choices(self) -> list[str]:
        options = self.step_form.locator("[name=code] option")
        return [options.nth(i).get_attribute("value") or "" for i in range(options.count())]

    def record_step(self, record: StepRecord) -> None:
        form = self.step_form.locator("form")
        form.locator("[name=code]").select_option(record.code)
        form.locator("[name=done_on]").fill(record.done_on.isoformat())
        form.locator("[name=document_no]").fill(record.document_no)
        if record.document is not None:
            form.locator("[name=document]").set_input_files(str(record.document))
        form.locator("[name=note]").fill(record.note)
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()
