"""The legal pages: the household page's section with the opening form, the proceeding's page
with its dates after the decision is recorded, the step form's errors, the project's list and
the documents — each allowed for the right role, 403 without the right, 404 for another
project's staff, 405 for the wrong method."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from zhengqian.audit.models import Event
from zhengqian.core.masking import mask_name
from zhengqian.legal.models import Proceeding, ProceedingStep
from zhengqian.legal.tests.conftest import (
    DECIDED,
    SERVED,
    opened,
    pdf_upload,
    served,
    set_today,
    step,
)

pytestmark = pytest.mark.django_db


def body(response: Any) -> str:
    return response.content.decode()


def household_page(c: Any, user: Any) -> Any:
    return c.login(user).get(f"/survey/households/{c.household.pk}/")


@pytest.fixture
def c(legal, login):  # type: ignore[no-untyped-def]
    legal.login = login
    return legal


# --- the household page's section -------------------------------------------------------------


def test_the_project_manager_is_offered_to_open_a_proceeding(c) -> None:  # type: ignore[no-untyped-def]
    page = household_page(c, c.pm)
    assert page.status_code == 200
    assert 'data-testid="legal-section"' in body(page)
    assert 'data-testid="open-form"' in body(page)


def test_a_signing_officer_is_not_offered_to_open_one(c) -> None:  # type: ignore[no-untyped-def]
    page = household_page(c, c.officer)
    assert 'data-testid="open-form"' not in body(page)


def test_nothing_is_offered_while_the_signing_period_runs(c) -> None:  # type: ignore[no-untyped-def]
    set_today(c.monkeypatch, dt.date(2025, 3, 31))
    assert 'data-testid="legal-section"' not in body(household_page(c, c.pm))


def test_opening_from_the_household_page_leads_to_the_proceeding(c) -> None:  # type: ignore[no-untyped-def]
    response = c.login(c.pm).post(
        f"/legal/households/{c.household.pk}/open/", {"path": "state_owned_decision"}
    )
    proceeding = Proceeding.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/legal/proceedings/{proceeding.pk}/"
    assert 'data-testid="proceeding"' in body(household_page(c, c.pm))


def test_a_refused_opening_goes_back_with_the_reason(c) -> None:  # type: ignore[no-untyped-def]
    response = c.login(c.pm).post(
        f"/legal/households/{c.household.pk}/open/", {"path": "ruling"}, follow=True
    )
    assert not Proceeding.objects.exists()
    assert "has no such legal path" in body(response)


def test_a_signing_officer_cannot_open_one(c) -> None:  # type: ignore[no-untyped-def]
    response = c.login(c.officer).post(
        f"/legal/households/{c.household.pk}/open/", {"path": "state_owned_decision"}
    )
    assert response.status_code == 403
    assert not Proceeding.objects.exists()


def test_another_projects_manager_gets_404_when_opening(c) -> None:  # type: ignore[no-untyped-def]
    response = c.login(c.world.other_pm).post(
        f"/legal/households/{c.household.pk}/open/", {"path": "state_owned_decision"}
    )
    assert response.status_code == 404


def test_opening_by_get_is_not_allowed(c) -> None:  # type: ignore[no-untyped-def]
    assert c.login(c.pm).get(f"/legal/households/{c.household.pk}/open/").status_code == 405


# --- the proceeding's page ---------------------------------------------------------------------


def test_the_dates_appear_after_the_decision_is_recorded(c) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(c)
    client = c.login(c.pm)
    url = f"/legal/proceedings/{proceeding.pk}/"
    response = client.post(
        f"{url}step/",
        {
            "code": "decision",
            "done_on": DECIDED.isoformat(),
            "document_no": "征补决字〔2025〕1号",
            "document": pdf_upload(),
        },
    )
    assert response.status_code == 302
    client.post(f"{url}step/", {"code": "served", "done_on": SERVED.isoformat()})
    page = body(client.get(url))
    assert "征补决字〔2025〕1号" in page
    for day in ("2025-04-18", "2025-06-03", "2025-10-09", "2025-10-10"):
        assert day in page
    assert "Administrative Litigation Law, art. 46" in page
    assert page.count('data-testid="done"') == 2


def test_a_step_too_early_is_shown_again_with_its_date(c) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(c)
    response = c.login(c.pm).post(
        f"/legal/proceedings/{proceeding.pk}/step/",
        {"code": "decision", "done_on": "2025-03-31"},
    )
    assert response.status_code == 400
    assert "2025-04-01" in body(response)
    assert not ProceedingStep.objects.exists()


def test_a_late_step_is_badged(c) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(c)
    step(c, proceeding, "mode_chosen", dt.date(2025, 4, 20), note="住户逾期提交")
    page = body(c.login(c.pm).get(f"/legal/proceedings/{proceeding.pk}/"))
    assert 'data-testid="late"' in page


def test_a_last_date_within_ten_days_is_warned(c) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(c)
    set_today(c.monkeypatch, dt.date(2025, 4, 10))
    page = body(c.login(c.pm).get(f"/legal/proceedings/{proceeding.pk}/"))
    assert "due in 8 days" in page


def test_the_head_is_unmasked_for_the_project_manager_and_the_read_recorded(c) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(c)
    page = body(c.login(c.pm).get(f"/legal/proceedings/{proceeding.pk}/"))
    assert c.household.head_name in page
    assert Event.objects.filter(event_type="legal.personal").exists()


def test_the_head_is_masked_for_a_viewing_role(c) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(c)
    page = c.login(c.cadre).get(f"/legal/proceedings/{proceeding.pk}/")
    assert page.status_code == 200
    assert mask_name(c.household.head_name) in body(page)
    assert 'data-testid="step-form"' not in body(page)


def test_a_viewing_role_cannot_record_a_step(c) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(c)
    response = c.login(c.cadre).post(
        f"/legal/proceedings/{proceeding.pk}/step/",
        {"code": "decision", "done_on": DECIDED.isoformat()},
    )
    assert response.status_code == 403


def test_another_projects_staff_get_404(c) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(c)
    client = c.login(c.world.other_pm)
    assert client.get(f"/legal/proceedings/{proceeding.pk}/").status_code == 404
    assert client.get(f"/legal/projects/{c.project.pk}/").status_code == 404
    response = client.post(
        f"/legal/proceedings/{proceeding.pk}/step/",
        {"code": "decision", "done_on": DECIDED.isoformat()},
    )
    assert response.status_code == 404


def test_recording_by_get_is_not_allowed(c) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(c)
    assert c.login(c.pm).get(f"/legal/proceedings/{proceeding.pk}/step/").status_code == 405


# --- the project's list and the documents -----------------------------------------------------


def test_the_project_lists_proceedings_with_the_next_last_date(c) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(c)
    step(c, proceeding, "reminder", dt.date(2025, 10, 10))
    page = c.login(c.pm).get(f"/legal/projects/{c.project.pk}/")
    assert page.status_code == 200
    text = body(page)
    assert 'data-testid="proceeding-row"' in text
    assert "2026-01-09" in text  # the application's last date


def test_the_document_is_served_and_its_opening_recorded(c) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(c)
    recorded = step(c, proceeding, "decision", DECIDED, document=pdf_upload())
    response = c.login(c.pm).get(f"/legal/documents/{recorded.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert Event.objects.filter(event_type="legal.document").exists()
    assert c.login(c.world.other_pm).get(f"/legal/documents/{recorded.pk}/").status_code == 404


def test_a_step_without_a_document_has_none_to_serve(c) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(c)
    recorded = step(c, proceeding, "decision", DECIDED)
    assert c.login(c.pm).get(f"/legal/documents/{recorded.pk}/").status_code == 404
