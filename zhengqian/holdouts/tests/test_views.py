"""Every holdout page for the allowed, another project's, the denied and the wrong method; the
field errors of a refused form; names masked unless the user may see them (an audited read)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from zhengqian.audit.models import Event
from zhengqian.core.sections import household_sections
from zhengqian.holdouts.models import Case, CaseStatus, Negotiation
from zhengqian.holdouts.tests.conftest import (
    negotiating,
    opening,
    pdf_upload,
    set_deadlines,
    text_upload,
    today,
    unsigned,
)

DAY = dt.timedelta(days=1)


def test_the_index_shows_the_rates_by_district(pay, login):
    unsigned(pay)
    set_deadlines(pay, signing_end=today() - DAY)
    response = login(pay.pm).get(reverse("holdouts:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="district-total"' in page
    assert "50.0%" in page
    assert pay.world.other_project.code not in page


def test_the_project_page_lists_the_holdouts_masked(pay, login):
    household = unsigned(pay)
    set_deadlines(pay, signing_end=today() - DAY)
    client = login(pay.officer)
    response = client.get(reverse("holdouts:project", args=[pay.project.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-code="H-002"' in page and household.head_name not in page
    assert reverse("holdouts:case_open", args=[household.pk]) in page
    response = client.get(
        reverse("holdouts:project", args=[pay.project.pk]),
        {"reason": "not_vacated"},
        HTTP_HX_REQUEST="true",
    )
    assert 'data-code="H-002"' not in response.content.decode()
    assert 'data-testid="holdout-list-empty"' in response.content.decode()


def test_other_projects_and_the_viewer_get_404(pay, login):
    case = opening(pay)
    for user in (pay.world.other_pm, pay.world.viewer, pay.world.outsider):
        client = login(user)
        assert client.get(reverse("holdouts:project", args=[pay.project.pk])).status_code == 404
        assert client.get(reverse("holdouts:case", args=[case.pk])).status_code == 404
        assert client.get(reverse("holdouts:case_open", args=[pay.household.pk])).status_code == 404


def test_the_supervisor_views_but_does_not_write(pay, login):
    case = opening(pay)
    client = login(pay.world.supervisor)
    assert client.get(reverse("holdouts:case", args=[case.pk])).status_code == 200
    assert client.post(reverse("holdouts:negotiate", args=[case.pk]), {}).status_code == 403


def test_wrong_methods(pay, login):
    case = opening(pay)
    client = login(pay.pm)
    assert client.post(reverse("holdouts:index")).status_code == 405
    assert client.post(reverse("holdouts:case", args=[case.pk])).status_code == 405
    assert client.get(reverse("holdouts:negotiate", args=[case.pk])).status_code == 405
    assert client.get(reverse("holdouts:case_close", args=[case.pk])).status_code == 405
    assert client.get(reverse("holdouts:case_update", args=[case.pk])).status_code == 405


def test_a_case_is_opened_from_its_page(pay, login):
    household = unsigned(pay)
    client = login(pay.officer)
    url = reverse("holdouts:case_open", args=[household.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"team_name": "", "leader": ""})
    assert response.status_code == 400
    assert 'data-field-error="team_name"' in response.content.decode()
    response = client.post(
        url, {"team_name": "第一攻坚清零小组", "leader": pay.officer.pk, "members": [pay.cadre.pk]}
    )
    case = Case.objects.get(household=household)
    assert response.status_code == 302 and response["Location"] == reverse(
        "holdouts:case", args=[case.pk]
    )
    assert client.get(url).status_code == 302


def test_the_case_page_unmasks_for_the_officer_and_records_it(pay, login):
    case = opening(pay)
    response = login(pay.officer).get(reverse("holdouts:case", args=[case.pk]))
    assert pay.household.head_name in response.content.decode()
    assert Event.objects.filter(event_type="holdout.personal", actor_id=pay.officer.pk).exists()
    response = login(pay.accountant).get(reverse("holdouts:case", args=[case.pk]))
    page = response.content.decode()
    assert response.status_code == 200 and pay.household.head_name not in page
    assert 'data-testid="negotiation-form"' not in page
    assert not Event.objects.filter(
        event_type="holdout.personal", actor_id=pay.accountant.pk
    ).exists()


def test_a_negotiation_is_posted_and_its_errors_shown(pay, login):
    case = opening(pay)
    client = login(pay.officer)
    url = reverse("holdouts:negotiate", args=[case.pk])
    data = {
        "held_on": today().isoformat(),
        "place": "会议室",
        "household_participants": "户主",
        "office_participants": [pay.officer.pk],
        "offered": "按方案",
        "response": "再想想",
        "amount": str(pay.calculation.total + 1),
    }
    response = client.post(url, {**data, "attachments": [text_upload()]})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'data-field-error="amount"' in page and 'data-field-error="attachments"' in page
    data["amount"] = str(pay.calculation.total)
    response = client.post(url, {**data, "attachments": [pdf_upload()]})
    assert response.status_code == 302
    entry = Negotiation.objects.get()
    file_url = reverse("holdouts:file", args=[entry.files.get().pk])
    assert file_url in client.get(reverse("holdouts:case", args=[case.pk])).content.decode()
    assert client.get(file_url).status_code == 200
    assert Event.objects.filter(event_type="holdout.file").exists()
    assert login(pay.world.other_pm).get(file_url).status_code == 404


def test_closing_by_the_signing_officer_is_403_and_by_the_manager_works(pay, login):
    case = opening(pay)
    url = reverse("holdouts:case_close", args=[case.pk])
    data = {"closed_on": today().isoformat(), "outcome": "signed"}
    assert login(pay.officer).post(url, data).status_code == 403
    client = login(pay.pm)
    response = client.post(url, {"closed_on": "", "outcome": "other"})
    assert response.status_code == 400
    assert 'data-field-error="closed_on"' in response.content.decode()
    assert client.post(url, data).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLEARED


def test_the_team_is_changed_from_the_case_page(pay, login):
    case = opening(pay)
    client = login(pay.officer)
    url = reverse("holdouts:case_update", args=[case.pk])
    response = client.post(url, {"team_name": "", "leader": pay.officer.pk})
    assert response.status_code == 400
    assert 'data-field-error="team_name"' in response.content.decode()
    response = client.post(
        url, {"team_name": "第二小组", "leader": pay.officer2.pk, "family_analysis": "新情况"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.team_name, case.leader, case.family_analysis) == (
        "第二小组",
        pay.officer2,
        "新情况",
    )


def test_the_household_page_shows_the_case_and_its_latest_negotiation(pay, login):
    case = opening(pay)
    entry = negotiating(pay, case, attachments=[])
    shown = dict(household_sections(pay.officer, pay.household))
    assert shown["holdouts/_household_section.html"]["latest"] == entry
    assert "holdouts/_household_section.html" not in dict(
        household_sections(pay.world.viewer, pay.household)
    )
    response = login(pay.officer).get(reverse("survey:household_detail", args=[pay.household.pk]))
    page = response.content.decode()
    assert 'data-testid="holdouts-section"' in page
    assert reverse("holdouts:case", args=[case.pk]) in page
