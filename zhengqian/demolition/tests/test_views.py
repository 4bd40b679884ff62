"""The demolition pages: the entry page, a project's page with its lists, a household's page
and the household page's section with the forms, the writes with their field errors, and the
files — each allowed for the right role, 403 without the right and 404 for another project's
staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from zhengqian.audit.models import Event
from zhengqian.core.masking import mask_name
from zhengqian.demolition.models import Rectification, SitePhoto, Vacating
from zhengqian.demolition.tests.conftest import (
    all_passed,
    inspecting,
    pdf_upload,
    png_upload,
    text_upload,
    today,
    vacating,
)

pytestmark = pytest.mark.django_db


def body(response: Any) -> str:
    return response.content.decode()


def household_url(c: Any, action: str = "") -> str:
    return f"/demolition/households/{c.household.pk}/{action}"


def vacate_data(c: Any, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "accepted_on": today().isoformat(),
        "keys_handed_over": "on",
        "water_closed": "on",
        "power_closed": "on",
        "gas_closed": "on",
        "household_signatory": c.household.head_name,
        "accepted_by": c.demolisher.pk,
        "form_scan": pdf_upload(),
        "photos": [png_upload("a.png"), png_upload("b.png")],
        "note": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- the entry page and the project page ---------------------------------------------------


def test_the_entry_page_lists_the_users_projects_with_counts(pay, login):  # type: ignore[no-untyped-def]
    vacating(pay)
    page = login(pay.demolisher).get("/demolition/")
    assert page.status_code == 200
    html = body(page)
    assert f'data-project="{pay.project.code}"' in html
    assert f'data-project="{pay.world.other_project.code}"' not in html
    assert 'data-testid="count-vacated">1<' in html and 'data-testid="count-in-force">1<' in html


def test_the_navigation_shows_the_module(pay, login):  # type: ignore[no-untyped-def]
    html = body(login(pay.finance).get("/demolition/"))
    assert 'href="/demolition/"' in html


def test_the_project_page_shows_counts_lists_and_masked_names(pay, login):  # type: ignore[no-untyped-def]
    vacating(pay)
    page = login(pay.finance).get(f"/demolition/projects/{pay.project.pk}/")
    assert page.status_code == 200
    html = body(page)
    assert 'data-testid="count-vacated">1<' in html
    assert mask_name(pay.household.head_name) in html
    assert pay.household.head_name not in html
    assert 'data-testid="overdue-count">0<' in html


def test_the_project_page_filters_by_stage_and_answers_htmx_with_the_list(pay, login):  # type: ignore[no-untyped-def]
    client = login(pay.demolisher)
    url = f"/demolition/projects/{pay.project.pk}/"
    waiting = body(client.get(url, {"stage": "waiting"}))
    assert f'data-code="{pay.household.code}"' in waiting
    vacated = client.get(url, {"stage": "vacated"}, HTTP_HX_REQUEST="true")
    html = body(vacated)
    assert 'data-testid="household-list"' in html and "<html" not in html
    assert f'data-code="{pay.household.code}"' not in html


def test_the_project_page_lists_overdue_rectifications_after_their_deadline(pay, login):  # type: ignore[no-untyped-def]
    vacating(pay)
    inspecting(pay, findings={**all_passed(), "roads": False}, problems={"roads": "道路积尘"})
    order = Rectification.objects.get()
    client = login(pay.demolisher)
    url = f"/demolition/projects/{pay.project.pk}/"
    assert 'data-testid="overdue-count">0<' in body(client.get(url))
    # The deadline was yesterday: overdue from today.
    Rectification.objects.filter(pk=order.pk).update(deadline=today() - dt.timedelta(days=1))
    html = body(client.get(url))
    assert 'data-testid="overdue-count">1<' in html
    assert f'data-rectification="{order.pk}"' in html
    Rectification.objects.filter(pk=order.pk).update(deadline=today())
    assert 'data-testid="overdue-count">0<' in body(client.get(url))


def test_another_projects_staff_get_404(pay, login):  # type: ignore[no-untyped-def]
    vacating(pay)
    client = login(pay.world.other_pm)
    assert client.get(f"/demolition/projects/{pay.project.pk}/").status_code == 404
    assert client.get(household_url(pay)).status_code == 404
    assert client.get(household_url(pay, "acceptance-form/")).status_code == 404
    photo = SitePhoto.objects.first()
    assert client.get(f"/demolition/photos/{photo.pk}/").status_code == 404
    assert client.post(household_url(pay, "demolish/"), {}).status_code == 404


def test_the_pages_need_a_login_and_the_right_method(pay, client, login):  # type: ignore[no-untyped-def]
    assert client.get("/demolition/").status_code == 302
    login(pay.demolisher)
    assert client.post("/demolition/").status_code == 405
    assert client.get(household_url(pay, "vacate/")).status_code == 405


# --- the household page and its section ----------------------------------------------------


def test_the_household_page_section_shows_the_forms_to_the_demolition_officer(pay, login):  # type: ignore[no-untyped-def]
    html = body(login(pay.demolisher).get(f"/survey/households/{pay.household.pk}/"))
    assert 'data-testid="demolition-section"' in html
    assert 'data-testid="vacating-form"' in html
    assert 'data-testid="demolition-form"' not in html


def test_the_section_shows_no_form_to_readers(pay, login):  # type: ignore[no-untyped-def]
    vacating(pay)
    html = body(login(pay.finance).get(household_url(pay)))
    assert 'data-testid="demolition-section"' in html
    assert 'data-testid="step-vacating"' in html and 'data-testid="photo"' in html
    assert "<form" not in html.split('data-testid="demolition-section"')[1]


def test_the_section_says_why_nothing_can_be_vacated(pay, login):  # type: ignore[no-untyped-def]
    from zhengqian.agreements import services as agreements

    agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="户主信息有误")
    html = body(login(pay.demolisher).get(household_url(pay)))
    assert 'data-testid="blocked"' in html and pay.agreement.number in html
    assert 'data-testid="vacating-form"' not in html


def test_vacating_is_recorded_from_the_form(pay, login):  # type: ignore[no-untyped-def]
    client = login(pay.demolisher)
    response = client.post(household_url(pay, "vacate/"), vacate_data(pay))
    assert response.status_code == 302 and response["Location"] == household_url(pay)
    vacated = Vacating.objects.get()
    assert SitePhoto.objects.filter(step="vacating").count() == 2
    html = body(client.get(household_url(pay)))
    assert 'data-testid="demolition-form"' in html and 'data-testid="inspection-form"' in html
    assert vacated.accepted_by_id == pay.demolisher.pk


def test_the_vacating_form_shows_field_errors_and_stores_nothing(pay, login):  # type: ignore[no-untyped-def]
    data = vacate_data(pay, gas_closed=None, form_scan=text_upload("form.pdf"))
    response = login(pay.demolisher).post(household_url(pay, "vacate/"), data)
    assert response.status_code == 400
    html = body(response)
    assert 'data-field-error="gas_closed"' in html
    assert 'data-field-error="form_scan"' in html
    assert not Vacating.objects.exists() and not SitePhoto.objects.exists()


def test_a_finance_officer_cannot_post_vacating(pay, login):  # type: ignore[no-untyped-def]
    response = login(pay.finance).post(household_url(pay, "vacate/"), vacate_data(pay))
    assert response.status_code == 403
    assert not Vacating.objects.exists()


def test_demolition_and_clearance_forms(pay, login):  # type: ignore[no-untyped-def]
    vacating(pay)
    client = login(pay.demolisher)
    bad = client.post(household_url(pay, "demolish/"), {"demolished_on": today().isoformat()})
    assert bad.status_code == 400
    assert 'data-field-error="contractor"' in body(bad) and 'data-field-error="photos"' in body(bad)
    good = client.post(
        household_url(pay, "demolish/"),
        {"demolished_on": today().isoformat(), "contractor": "拆除公司", "photos": [png_upload()]},
    )
    assert good.status_code == 302
    bad = client.post(
        household_url(pay, "clear/"),
        {"cleared_on": today().isoformat(), "haulier": "运输公司", "volume": "-1"},
    )
    assert bad.status_code == 400
    assert 'data-field-error="volume"' in body(bad)
    assert 'data-field-error="disposal_site"' in body(bad)
    good = client.post(
        household_url(pay, "clear/"),
        {"cleared_on": today().isoformat(), "haulier": "运输公司", "disposal_site": "消纳场"},
    )
    assert good.status_code == 302
    html = body(client.get(household_url(pay)))
    assert "运输公司" in html and 'data-testid="clearance-form"' not in html


def inspection_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "inspected_on": today().isoformat(),
        **{f"check_{code}": "passed" for code in all_passed()},
    }
    data.update(changes)
    return data


def test_an_inspection_from_the_form_with_a_failed_checkpoint(pay, login):  # type: ignore[no-untyped-def]
    vacating(pay)
    client = login(pay.demolisher)
    bad = client.post(
        household_url(pay, "inspect/"),
        inspection_data(inspector=pay.demolisher.pk, check_wet="failed"),
    )
    assert bad.status_code == 400
    assert 'data-field-error="problem_wet"' in body(bad)
    missing = client.post(
        household_url(pay, "inspect/"), inspection_data(inspector=pay.demolisher.pk, check_wet="")
    )
    assert missing.status_code == 400 and 'data-field-error="__all__"' in body(missing)
    good = client.post(
        household_url(pay, "inspect/"),
        inspection_data(inspector=pay.demolisher.pk, check_wet="failed", problem_wet="未洒水"),
    )
    assert good.status_code == 302
    order = Rectification.objects.get()
    assert order.deadline == today() + dt.timedelta(days=3)
    html = body(client.get(household_url(pay)))
    assert 'data-testid="close-form"' in html and "未洒水" in html
    prefix = f"r{order.pk}"
    bad = client.post(
        f"/demolition/rectifications/{order.pk}/close/",
        {f"{prefix}-closed_on": today().isoformat(), f"{prefix}-closing_note": ""},
    )
    assert bad.status_code == 400
    assert 'data-field-error="closing_note"' in body(bad)
    good = client.post(
        f"/demolition/rectifications/{order.pk}/close/",
        {f"{prefix}-closed_on": today().isoformat(), f"{prefix}-closing_note": "已洒水降尘"},
    )
    assert good.status_code == 302
    order.refresh_from_db()
    assert order.closed_on == today()
    again = client.post(
        f"/demolition/rectifications/{order.pk}/close/",
        {f"{prefix}-closed_on": today().isoformat(), f"{prefix}-closing_note": "再次"},
        follow=True,
    )
    assert again.redirect_chain[-1][0] == household_url(pay)
    # The success of the first closing, then the refusal of the second.
    assert [m.level_tag for m in again.context["messages"]] == ["success", "error"]
    assert Event.objects.filter(event_type="dust.rectify_close").count() == 1


# --- the files -----------------------------------------------------------------------------


def test_photos_and_the_acceptance_form_are_served_to_readers(pay, login):  # type: ignore[no-untyped-def]
    vacating(pay)
    client = login(pay.finance)
    photo = SitePhoto.objects.first()
    response = client.get(f"/demolition/photos/{photo.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    form = client.get(household_url(pay, "acceptance-form/"))
    assert form.status_code == 200 and form["Content-Type"] == "application/pdf"
    assert b"".join(form.streaming_content).startswith(b"%PDF")
    event = Event.objects.get(event_type="demolition.form")
    assert event.actor_id == pay.finance.pk


def test_the_acceptance_form_of_an_unvacated_household_is_404(pay, login):  # type: ignore[no-untyped-def]
    assert login(pay.demolisher).get(household_url(pay, "acceptance-form/")).status_code == 404
