"""The dashboards' pages: allowed, other project, denied, wrong method; the drill-down list shows
exactly the households behind a figure, masks names and is recorded as an audited read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from zhengqian.audit.models import Event, EventKind
from zhengqian.dashboard import selectors
from zhengqian.dashboard.models import HouseholdProgress
from zhengqian.dashboard.tests.test_selectors import cell, plan
from zhengqian.survey.models import Household

pytestmark = pytest.mark.django_db

LEADER = reverse("dashboard:leader")
HOUSEHOLDS = reverse("dashboard:households")


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    """Pages in English: the assertions read the msgids, whatever the catalogue says."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def household(project: Any, code: str, group: Any = None, **flags: Any) -> Household:
    """A household with its progress row set as given (the stages it has reached)."""
    h = Household.objects.create(
        project=project,
        work_group=group,
        code=code,
        head_name="王小明",
        division_code="330282",
        address="红旗村三组",
    )
    HouseholdProgress.objects.update_or_create(
        household=h,
        defaults={
            "project": project,
            "district_id": project.district_id,
            "group_id": group.pk if group else 0,
            "kind": "residential",
            "area": Decimal("100.00"),
            **flags,
        },
    )
    return h


@pytest.fixture
def homes(world: Any) -> Any:
    world.signed = household(world.project, "A-001", world.group, signed=True)
    world.unsigned = household(world.project, "A-002", world.other_group)
    world.signed2 = household(world.project, "A-003", world.other_group, signed=True)
    world.elsewhere = household(world.other_project, "B-001", signed=True)
    return world


# --- the leader's dashboard ------------------------------------------------------------


def test_the_leader_dashboard_shows_the_users_figures(world: Any, login: Any) -> None:
    cell(world.project, world.group.pk, households=4, signed=1)
    cell(world.other_project, households=9, signed=9)
    response = login(world.pm).get(LEADER)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="total-households">4<' in body
    assert 'data-testid="total-signing-rate">25.00%<' in body
    assert world.other_project.name not in body
    assert "echarts.min.js" in body and 'id="chart-data"' in body


def test_the_leader_dashboard_filters_by_district(world: Any, login: Any) -> None:
    cell(world.project, households=4, signed=1)
    cell(world.other_project, households=9, signed=9)
    response = login(world.supervisor).get(LEADER, {"district": world.other_project.district_id})
    assert response.status_code == 200
    assert 'data-testid="total-households">9<' in response.content.decode()


def test_an_unknown_district_is_refused_at_the_filter(world: Any, login: Any) -> None:
    response = login(world.pm).get(LEADER, {"district": world.other_project.district_id})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_the_leader_dashboard_is_refused_to_a_user_without_dashboards(
    world: Any, login: Any
) -> None:
    assert login(world.outsider).get(LEADER).status_code == 403


def test_the_leader_dashboard_only_reads(world: Any, login: Any) -> None:
    assert login(world.pm).post(LEADER).status_code == 405


def test_the_leader_dashboard_asks_to_log_in(client: Any) -> None:
    response = client.get(LEADER)
    assert response.status_code == 302 and "login" in response["Location"]


# --- the project's dashboard ------------------------------------------------------------


def test_the_project_dashboard_shows_its_funnel_and_plan(world: Any, login: Any) -> None:
    cell(world.project, households=20, signed=8, demolished=2)
    plan(world.project, "signed", (dt.date(2026, 6, 30), "70"))
    response = login(world.viewer).get(reverse("dashboard:project", args=[world.project.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "40.00%" in body and "10.00%" in body
    assert 'data-testid="plan-point-' in body
    # A viewer reads the plan but is offered no form to change it.
    assert 'data-testid="plan-form"' not in body


def test_the_project_manager_is_offered_the_plan_form(world: Any, login: Any) -> None:
    response = login(world.pm).get(reverse("dashboard:project", args=[world.project.pk]))
    assert 'data-testid="plan-form"' in response.content.decode()


def test_another_projects_dashboard_is_not_found(world: Any, login: Any) -> None:
    url = reverse("dashboard:project", args=[world.project.pk])
    assert login(world.other_pm).get(url).status_code == 404
    assert login(world.outsider).get(url).status_code == 404


def test_the_project_dashboard_only_reads(world: Any, login: Any) -> None:
    url = reverse("dashboard:project", args=[world.project.pk])
    assert login(world.pm).post(url).status_code == 405


def test_the_project_page_links_to_its_dashboard(world: Any, login: Any) -> None:
    response = login(world.pm).get(reverse("projects:detail", args=[world.project.pk]))
    assert reverse("dashboard:project", args=[world.project.pk]) in response.content.decode()


def test_the_menu_has_the_dashboard(world: Any, login: Any) -> None:
    response = login(world.viewer).get(LEADER)
    assert f'href="{LEADER}" data-module="dashboard"' in response.content.decode()


# --- the households behind a figure -------------------------------------------------------


def codes(response: Any) -> list[str]:
    return [row.code for row in response.context["rows"]]


def test_the_list_shows_exactly_the_households_behind_the_figure(homes: Any, login: Any) -> None:
    response = login(homes.supervisor).get(
        HOUSEHOLDS, {"project": homes.project.pk, "stage": "signed"}
    )
    assert response.status_code == 200
    assert codes(response) == ["A-001", "A-003"]
    unsigned = login(homes.supervisor).get(
        HOUSEHOLDS, {"project": homes.project.pk, "stage": "signed", "without": "1"}
    )
    assert codes(unsigned) == ["A-002"]
    by_district = login(homes.supervisor).get(
        HOUSEHOLDS, {"district": homes.other_project.district_id}
    )
    assert codes(by_district) == ["B-001"]


def test_the_list_links_each_household_to_its_page(homes: Any, login: Any) -> None:
    response = login(homes.supervisor).get(HOUSEHOLDS, {"project": homes.project.pk})
    body = response.content.decode()
    assert reverse("survey:household_detail", args=[homes.signed.pk]) in body


def test_names_are_masked_for_a_user_without_personal_data(homes: Any, login: Any) -> None:
    response = login(homes.viewer).get(HOUSEHOLDS, {"stage": "signed"})
    body = response.content.decode()
    assert "王*明" in body and "王小明" not in body
    shown = login(homes.supervisor).get(HOUSEHOLDS, {"stage": "signed"})
    assert "王小明" in shown.content.decode()


def test_the_list_keeps_to_the_users_projects_and_groups(homes: Any, login: Any) -> None:
    response = login(homes.other_pm).get(HOUSEHOLDS, {"project": homes.project.pk})
    assert response.status_code == 200 and codes(response) == []
    grouped = login(homes.group_surveyor).get(HOUSEHOLDS)
    assert codes(grouped) == ["A-001"]


def test_the_list_is_recorded_with_its_filters_and_count(homes: Any, login: Any) -> None:
    login(homes.supervisor).get(HOUSEHOLDS, {"project": homes.project.pk, "stage": "signed"})
    [event] = Event.objects.filter(event_type="dashboard.households")
    assert event.kind == EventKind.SEARCH
    assert event.actor_id == homes.supervisor.pk
    assert event.project_id == homes.project.pk
    assert event.details == {
        "query": {"project": str(homes.project.pk), "stage": "signed"},
        "results": 2,
    }


def test_a_filter_the_list_does_not_know_is_refused(homes: Any, login: Any) -> None:
    response = login(homes.supervisor).get(HOUSEHOLDS, {"stage": "bribed"})
    assert response.status_code == 400
    assert "cannot be filtered" in response.content.decode()
    assert not Event.objects.filter(event_type="dashboard.households").exists()
    assert login(homes.supervisor).get(HOUSEHOLDS, {"group": "x"}).status_code == 400


def test_the_list_is_refused_to_a_user_without_dashboards(homes: Any, login: Any) -> None:
    assert login(homes.outsider).get(HOUSEHOLDS).status_code == 403


def test_the_list_only_reads(homes: Any, login: Any) -> None:
    assert login(homes.supervisor).post(HOUSEHOLDS).status_code == 405


def test_the_list_answers_htmx_with_its_rows(homes: Any, login: Any) -> None:
    response = login(homes.supervisor).get(HOUSEHOLDS, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="household-rows"' in body and "<html" not in body


def test_many_work_groups_are_listed_for_one_district_only(
    world: Any, login: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(selectors, "GROUP_ROWS", 1)
    cell(world.project, world.group.pk, households=4, signed=1)
    cell(world.project, world.other_group.pk, households=2)
    body = login(world.pm).get(LEADER).content.decode()
    assert 'data-testid="groups-hint"' in body and 'data-testid="rows-group"' not in body
    # The rankings still cover every group.
    assert f'data-testid="row-group-{world.group.pk}"' not in body
    assert "ranking-group-signing" in body
