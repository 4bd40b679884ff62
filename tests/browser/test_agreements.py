"""Drafting and signing an agreement, in headless Chromium: a signing officer opens the household
page of a household whose calculation is approved, drafts the agreement from the page's
agreements section and lands on the agreement page, whose PDF preview serves a PDF. The signing
form is filled in — the time of signing, the head of household, the four office signers, the
scan — first with one person in two capacities, which is refused at the field, then correctly:
the agreement is signed with signing order number 1, and the household page lists it so."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.pages import LoginPage
from tests.browser.pages_agreements import (
    DATETIME_FORMAT,
    HouseholdAgreementsPage,
    Signing,
)
from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements import services
from zhengqian.agreements.models import Agreement, AgreementStatus
from zhengqian.agreements.tests.conftest import PDF_BYTES, agr  # noqa: F401  (the fixture)
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (its fixture)
from zhengqian.survey.models import Household
from zhengqian.testing.factories import grant
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (its fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

DATETIME_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def logged_in(open_page: Any, base_url: str, user: Any, password: str) -> Any:
    page = open_page()
    LoginPage(page, base_url).open().log_in(user.username, password)
    return page


def signing_time_after(drafted_at: dt.datetime) -> dt.datetime:
    """The first whole second after the drafting (the form takes seconds, the drafting time has
    microseconds), waited for so that it is not in the future when the form is sent. The form's
    own default, the time the page was rendered cut to the second, usually falls in the second
    of the drafting, before it, and is refused."""
    at = timezone.localtime(drafted_at).replace(microsecond=0) + dt.timedelta(seconds=1)
    while (wait := (at - timezone.now()).total_seconds()) >= 0:
        time.sleep(wait + 0.05)
    return at


@pytest.mark.browser
def test_a_signing_officer_drafts_and_signs_an_agreement_from_the_household_page(
    agr: SimpleNamespace,  # noqa: F811
    open_page: Any,
    base_url: str,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    # The household's head has the ID number of the head among its members (the fixture leaves
    # it empty); set without the change signals, as the approved calculation does not use it.
    head = agr.household.persons.get(relation="head")
    Household.objects.filter(pk=agr.household.pk).update(head_id_number=head.id_number)
    household = Household.objects.get(pk=agr.household.pk)
    # The officer is also a cadre of the project: offered in both capacities, once at a time.
    grant(agr.officer, RoleCode.COMMUNITY_CADRE, agr.project)
    reviewers = services.approvers(agr.calculation)
    assert agr.accountant2.pk in reviewers
    scan = tmp_path / "signed-scan.pdf"
    scan.write_bytes(PDF_BYTES)

    page = logged_in(open_page, base_url, agr.officer, agr.world.password)
    household_page = HouseholdAgreementsPage(page, base_url, household.pk).open()
    assert household.head_id_number
    expect(household_page.no_agreements).to_be_visible()
    expect(household_page.draft_button).to_be_visible()

    # Drafting opens the agreement page.
    agreement_page = household_page.draft()
    agreement = Agreement.objects.get(household=household)
    assert agreement_page.pk == agreement.pk
    assert agreement.status == AgreementStatus.DRAFT
    expect(agreement_page.status).to_have_attribute("data-status", "draft")
    expect(agreement_page.sign_form).to_be_visible()

    # The PDF preview: a frame whose src serves the agreement's PDF with the session.
    expect(agreement_page.pdf_preview).to_be_attached()
    response = agreement_page.fetch_preview()
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    # How the form comes: datetime-local inputs with seconds, the head of household signing
    # with the surveyed name and ID number, the group leader and the handler chosen already,
    # only the calculation's approvers offered as reviewer.
    signed_at_input = agreement_page.field("signed_at")
    expect(signed_at_input).to_have_attribute("type", "datetime-local")
    expect(signed_at_input).to_have_attribute("step", "1")
    expect(signed_at_input).to_have_value(DATETIME_VALUE)
    for capacity in ("group_leader", "cadre", "handler", "reviewer"):
        time_input = agreement_page.field(f"office_{capacity}_at")
        expect(time_input).to_have_attribute("type", "datetime-local")
        expect(time_input).to_have_value("")
    expect(agreement_page.party_choice("head")).to_be_checked()
    expect(agreement_page.field("party_name")).to_have_value(household.head_name)
    expect(agreement_page.field("party_id_number")).to_have_value(household.head_id_number)
    expect(agreement_page.field("office_group_leader")).to_have_value(str(agr.group_leader.pk))
    expect(agreement_page.field("office_handler")).to_have_value(str(agr.officer.pk))
    offered = agreement_page.field("office_reviewer").locator("option")
    values = {offered.nth(i).get_attribute("value") for i in range(offered.count())}
    assert values == {""} | {str(pk) for pk in reviewers}
    agreement_page.sign_form.scroll_into_view_if_needed()
    agreement_page.screenshot(screenshots / "agreements-draft-sign-form.png")

    at = signing_time_after(agreement.drafted_at)
    office = {
        "group_leader": agr.group_leader.pk,
        "cadre": agr.officer.pk,  # and the handler: one person in two capacities
        "handler": agr.officer.pk,
        "reviewer": agr.accountant2.pk,
    }

    # Refused: the error is at the second capacity's field, and nothing is signed.
    agreement_page.fill_signing(Signing(signed_at=at, office=office, scan=scan))
    agreement_page.submit_signing()
    expect(agreement_page.field_error("office_handler")).to_contain_text(agr.officer.display_name)
    expect(agreement_page.field_errors).to_have_count(1)
    expect(agreement_page.status).to_have_attribute("data-status", "draft")
    expect(agreement_page.signing_record).to_have_count(0)
    agreement_page.screenshot(screenshots / "agreements-sign-refused.png")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.DRAFT and agreement.signing_order is None

    # Signed: the cadre signs as cadre. The refused form kept its values but not the file.
    expect(agreement_page.field("signed_at")).to_have_value(at.strftime(DATETIME_FORMAT))
    agreement_page.fill_signing(
        Signing(signed_at=at, office={**office, "cadre": agr.cadre.pk}, scan=scan)
    )
    agreement_page.submit_signing()
    expect(agreement_page.status).to_have_attribute("data-status", "effective")
    expect(agreement_page.signing_order).to_have_text("1")
    expect(agreement_page.signed_at).to_have_text(at.strftime("%Y-%m-%d %H:%M"))
    expect(agreement_page.signatory).to_contain_text(household.head_name)
    expect(agreement_page.signatory).to_contain_text(household.head_id_number)
    expect(agreement_page.office_signatures).to_have_count(4)
    expect(agreement_page.sign_form).to_have_count(0)
    expect(agreement_page.field_errors).to_have_count(0)
    expect(agreement_page.scan_link).to_be_visible()
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.EFFECTIVE and agreement.signing_order == 1
    assert agreement.signed_at == at
    assert {s.capacity: s.user_id for s in agreement.office_signatures.all()} == {
        **office,
        "cadre": agr.cadre.pk,
    }
    agreement_page.screenshot(screenshots / "agreements-signed.png")

    # The household page lists the signed agreement with its order number.
    household_page = agreement_page.to_household()
    assert household_page.pk == household.pk
    expect(household_page.agreements).to_have_count(1)
    row = household_page.agreement(agreement.number)
    expect(row).to_have_attribute("data-status", "effective")
    expect(household_page.signing_order(agreement.number)).to_have_text("1")
    expect(household_page.signed_on(agreement.number)).to_have_text(at.date().isoformat())
    expect(household_page.draft_button).to_have_count(0)
    household_page.section.scroll_into_view_if_needed()
    household_page.screenshot(screenshots / "agreements-household-section.png")
