"""The transition fee pages: the project's page (households, estates, owed now), the projection
of a further delay (full page and HTMX partial), the generation button, the overview section
and the household's part — allowed for the resettlement staff, 403 without the right to
create, 404 for another project's staff, and the wrong methods refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone, translation

from zhengqian.accounts.roles import RoleCode
from zhengqian.resettlement import selectors_transition as sel
from zhengqian.resettlement import services_transition as svc
from zhengqian.resettlement.models import Estate, TransitionMonth
from zhengqian.resettlement.tests.conftest import effective, stock
from zhengqian.resettlement.tests.test_transition import moved_out
from zhengqian.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    """Pages and messages in English: the assertions read the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def body(response: Any) -> str:
    return response.content.decode()


def url(r: Any, action: str = "") -> str:
    return f"/resettlement/projects/{r.project.pk}/transition/{action}"


def three_months_late(r: Any) -> tuple[Estate, Any]:
    """An estate promised three months ago and not handed over; a household that moved out
    five months ago waiting for it (its months not generated yet)."""
    today = timezone.localdate()
    promised = svc.add_months(today, -3)
    estate = stock(r, estate="滨江安置小区", planned_handover=promised)
    agreement = effective(r, "V-001")
    moved_out(r, agreement, svc.add_months(svc.month_start(today), -5))
    return estate, agreement


def test_the_page_shows_the_waiting_households_and_what_is_owed_now(res, login):  # type: ignore[no-untyped-def]
    three_months_late(res)
    page = login(res.officer_r).get(url(res))
    assert page.status_code == 200
    html = body(page)
    assert 'data-household="V-001"' in html
    assert 'data-testid="count-receiving">1<' in html
    assert 'data-testid="count-generated">0<' in html
    # Six months: three up to the promise (1,800) and three after it (3,600), none generated.
    assert 'data-testid="amount-owed">16,200.00<' in html
    assert 'data-estate="滨江安置小区" data-late="3"' in html
    assert 'data-testid="estate-assumed"' in html  # no round, no choice yet
    assert 'data-testid="generate"' in html


def test_generating_from_the_page_schedules_the_months(res, login):  # type: ignore[no-untyped-def]
    _estate, agreement = three_months_late(res)
    client = login(res.officer_r)
    response = client.post(url(res, "generate/"))
    assert response.status_code == 302 and response["Location"] == url(res)
    assert TransitionMonth.objects.filter(household=agreement.household).count() == 6
    html = body(client.get(url(res)))
    assert "6 months of transition fee were generated." in html
    assert 'data-testid="count-generated">6<' in html
    assert 'data-testid="amount-owed">16,200.00<' in html  # generated, unpaid
    client.post(url(res, "generate/"))
    assert "Every month up to this month was already generated." in body(client.get(url(res)))
    assert TransitionMonth.objects.count() == 6


def test_the_projection_of_a_further_delay(res, login):  # type: ignore[no-untyped-def]
    three_months_late(res)
    client = login(res.officer_r)
    # Late already: expected today; two months more add two months at 3,600.
    html = body(client.get(url(res), {"more": "2"}))
    assert 'data-testid="projection-amount">7,200.00<' in html
    partial = client.get(url(res), {"more": "2"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in body(partial)
    assert 'data-testid="projection-amount">7,200.00<' in body(partial)
    wrong = body(client.get(url(res), {"more": "0"}, headers={"HX-Request": "true"}))
    assert "Give at least one month." in wrong


def test_the_projection_function_sums_per_estate(res):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    on_time = stock(res, estate="准时小区", planned_handover=svc.add_months(today, 12))
    a = effective(res, "V-002")
    moved_out(res, a, svc.add_months(svc.month_start(today), -1))
    waiting = svc.waiting_households(res.project)
    [row] = sel.projection(waiting, more=3, today=today)
    assert row.estate == on_time and row.households == 1
    # Three months more at 3,600 and the six months after handover doubled (6 × 1,800).
    assert (row.months, row.amount) == (3, D("21600.00"))


def test_a_viewer_without_the_right_to_create_cannot_generate(res, login):  # type: ignore[no-untyped-def]
    three_months_late(res)
    supervisor = UserFactory(username="supervisor_v")
    grant(supervisor, RoleCode.SUPERVISOR, res.project)
    client = login(supervisor)
    page = client.get(url(res))
    assert page.status_code == 200
    assert 'data-testid="generate"' not in body(page)
    assert client.post(url(res, "generate/")).status_code == 403
    assert not TransitionMonth.objects.exists()


def test_another_projects_staff_get_404(res, login):  # type: ignore[no-untyped-def]
    three_months_late(res)
    other = UserFactory(username="resettler_other")
    grant(other, RoleCode.RESETTLEMENT_OFFICER, res.world.other_project)
    client = login(other)
    assert client.get(url(res)).status_code == 404
    assert client.post(url(res, "generate/")).status_code == 404
    assert not TransitionMonth.objects.exists()


def test_the_pages_need_a_login_and_the_right_method(res, client, login):  # type: ignore[no-untyped-def]
    assert client.get(url(res)).status_code == 302
    login(res.officer_r)
    assert client.post(url(res)).status_code == 405
    assert client.get(url(res, "generate/")).status_code == 405


def test_the_section_and_the_household_part(res):  # type: ignore[no-untyped-def]
    _estate, agreement = three_months_late(res)
    svc.generate(actor=None, project=res.project, through=svc.add_months(timezone.localdate(), -1))
    section = sel.project_section(res.officer_r, res.project)
    assert section is not None
    assert (section["receiving"], section["months_generated"], section["late_estates"]) == (
        1,
        5,
        1,
    )
    assert section["owed_now"] == D("16200.00")
    part = sel.household_part(res.officer_r, agreement.household)
    assert part is not None
    assert [state for _m, state in part["months"]] == ["open"] * 5
    assert [f.month for f in part["pending"]] == [svc.month_start(timezone.localdate())]
    assert part["pending"][0].late and part["pending"][0].amount == D("3600.00")
    outsider = UserFactory(username="outsider_v")
    assert sel.project_section(outsider, res.project) is None
    assert sel.household_part(outsider, agreement.household) is None
    assert sel.household_part(res.officer_r, res.household) is None  # a cash household

    request = RequestFactory().get("/")
    request.user = res.officer_r
    html = render_to_string(
        "resettlement/transition/_household_part.html",
        {"part": part, "household": agreement.household},
        request=request,
    )
    assert html.count('data-testid="transition-month"') == 5
    assert 'data-late="1"' in html and 'data-state="open"' in html
    html = render_to_string(
        "resettlement/transition/_project_section.html",
        {"section": section, "project": res.project},
        request=request,
    )
    assert 'data-testid="section-owed">16,200.00<' in html


def test_the_estate_handed_over_late_shows_its_delay(res, login):  # type: ignore[no-untyped-def]
    estate, _agreement = three_months_late(res)
    handed_over = estate.planned_handover + dt.timedelta(days=40)
    Estate.objects.filter(pk=estate.pk).update(actual_handover=handed_over)
    html = body(login(res.officer_r).get(url(res)))
    late = svc.months_late(estate.planned_handover, handed_over)
    assert late in (1, 2)
    assert f'data-estate="滨江安置小区" data-late="{late}"' in html
