"""A project's plan points: added, changed and removed by those who may change the project, each
with its audit event; every refusal at its field, with nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.audit.models import Event
from zhengqian.dashboard import services
from zhengqian.dashboard.models import PlanPoint

pytestmark = pytest.mark.django_db
JUNE = dt.date(2026, 6, 30)
AUGUST = dt.date(2026, 8, 31)


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def add(world: Any, **changes: Any) -> PlanPoint:
    kwargs: dict[str, Any] = {
        "actor": world.pm,
        "project": world.project,
        "measure": "signed",
        "due_on": JUNE,
        "percent": Decimal("70"),
    }
    kwargs.update(changes)
    return services.plan_point_add(**kwargs)


def field_errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- the services ------------------------------------------------------------------------


def test_a_plan_point_is_added_with_its_audit_event(world: Any) -> None:
    point = add(world)
    assert (point.measure, point.due_on, point.percent) == ("signed", JUNE, Decimal("70"))
    assert point.created_by == world.pm
    [event] = Event.objects.filter(event_type="plan_point.add")
    assert event.project_id == world.project.pk
    assert event.changes["percent"] == [None, "70"]


def test_a_plan_point_is_changed_with_old_and_new_values(world: Any) -> None:
    point = add(world)
    services.plan_point_change(actor=world.pm, point=point, due_on=JUNE, percent=Decimal("75.50"))
    point.refresh_from_db()
    assert point.percent == Decimal("75.50")
    [event] = Event.objects.filter(event_type="plan_point.change")
    assert event.changes == {"percent": ["70.00", "75.50"]}


def test_an_unchanged_point_writes_nothing(world: Any) -> None:
    point = add(world)
    services.plan_point_change(actor=world.pm, point=point, due_on=JUNE, percent=Decimal("70"))
    assert not Event.objects.filter(event_type="plan_point.change").exists()


def test_a_plan_point_is_removed_with_its_audit_event(world: Any) -> None:
    point = add(world)
    services.plan_point_remove(actor=world.pm, point=point)
    assert not PlanPoint.objects.exists()
    [event] = Event.objects.filter(event_type="plan_point.remove")
    assert event.changes["due_on"] == ["2026-06-30", None]


@pytest.mark.parametrize("percent", ["-1", "100.01"])
def test_a_percent_outside_nought_to_a_hundred_is_refused(world: Any, percent: str) -> None:
    with pytest.raises(ValidationError) as exc:
        add(world, percent=Decimal(percent))
    assert field_errors(exc) == {"percent": ["The percent must be between 0 and 100."]}
    assert not PlanPoint.objects.exists() and not Event.objects.exists()


def test_a_date_outside_the_projects_plan_window_is_refused(world: Any) -> None:
    world.project.planned_start = dt.date(2026, 3, 1)
    world.project.planned_demolition_end = dt.date(2026, 10, 31)
    world.project.save(update_fields=["planned_start", "planned_demolition_end"])
    with pytest.raises(ValidationError) as early:
        add(world, due_on=dt.date(2026, 2, 28))
    assert "before the project's planned start" in field_errors(early)["due_on"][0]
    with pytest.raises(ValidationError) as late:
        add(world, due_on=dt.date(2026, 11, 1))
    assert "after the project's planned end of demolition" in field_errors(late)["due_on"][0]
    assert not PlanPoint.objects.exists()


def test_a_later_point_lower_than_an_earlier_one_is_refused(world: Any) -> None:
    add(world)
    with pytest.raises(ValidationError) as exc:
        add(world, due_on=AUGUST, percent=Decimal("60"))
    assert field_errors(exc) == {
        "percent": ["A later point cannot be lower than an earlier one: 70.00 % by 2026-06-30."]
    }
    with pytest.raises(ValidationError) as earlier:
        add(world, due_on=dt.date(2026, 5, 31), percent=Decimal("80"))
    assert "An earlier point cannot be higher" in field_errors(earlier)["percent"][0]
    # The other measure has a plan of its own.
    add(world, measure="demolished", due_on=AUGUST, percent=Decimal("10"))
    assert PlanPoint.objects.count() == 2


def test_a_change_that_breaks_the_order_is_refused(world: Any) -> None:
    add(world)
    last = add(world, due_on=AUGUST, percent=Decimal("100"))
    with pytest.raises(ValidationError) as exc:
        services.plan_point_change(
            actor=world.pm, point=last, due_on=AUGUST, percent=Decimal("69.99")
        )
    assert "cannot be lower" in field_errors(exc)["percent"][0]
    # As high as the point before it is not lower.
    services.plan_point_change(actor=world.pm, point=last, due_on=AUGUST, percent=Decimal("70"))
    last.refresh_from_db()
    assert last.percent == Decimal("70")


def test_two_points_on_one_day_are_refused(world: Any) -> None:
    add(world)
    with pytest.raises(ValidationError) as exc:
        add(world, percent=Decimal("80"))
    assert field_errors(exc) == {"due_on": ["The plan already has a point on this date."]}


@pytest.mark.parametrize("who", ["viewer", "surveyor", "other_pm", "supervisor"])
def test_only_those_who_change_the_project_change_its_plan(world: Any, who: str) -> None:
    with pytest.raises(AccessDenied):
        add(world, actor=getattr(world, who))
    point = add(world)
    with pytest.raises(AccessDenied):
        services.plan_point_change(
            actor=getattr(world, who), point=point, due_on=JUNE, percent=Decimal("1")
        )
    with pytest.raises(AccessDenied):
        services.plan_point_remove(actor=getattr(world, who), point=point)
    assert PlanPoint.objects.get().percent == Decimal("70")


# --- the pages ---------------------------------------------------------------------------


def test_the_form_adds_a_point_and_goes_back_to_the_plan(world: Any, login: Any) -> None:
    url = reverse("dashboard:plan_add", args=[world.project.pk])
    response = login(world.pm).post(
        url, {"measure": "signed", "due_on": "2026-06-30", "percent": "70"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(
        reverse("dashboard:project", args=[world.project.pk]) + "#plan"
    )
    assert PlanPoint.objects.get().percent == Decimal("70")


def test_the_form_shows_a_refusal_at_its_field(world: Any, login: Any) -> None:
    add(world)
    url = reverse("dashboard:plan_add", args=[world.project.pk])
    response = login(world.pm).post(
        url, {"measure": "signed", "due_on": "2026-08-31", "percent": "50"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field-error="percent"' in body and "cannot be lower" in body
    assert PlanPoint.objects.count() == 1


def test_the_form_refuses_a_percent_over_a_hundred_at_the_field(world: Any, login: Any) -> None:
    url = reverse("dashboard:plan_add", args=[world.project.pk])
    response = login(world.pm).post(
        url, {"measure": "signed", "due_on": "2026-08-31", "percent": "101"}
    )
    assert response.status_code == 400
    assert 'data-field-error="percent"' in response.content.decode()
    assert not PlanPoint.objects.exists()


def test_a_point_is_changed_and_removed_from_the_page(world: Any, login: Any) -> None:
    point = add(world)
    client = login(world.pm)
    change = reverse("dashboard:plan_change", args=[world.project.pk, point.pk])
    assert client.post(change, {"due_on": "2026-07-15", "percent": "72"}).status_code == 302
    point.refresh_from_db()
    assert (point.due_on, point.percent) == (dt.date(2026, 7, 15), Decimal("72"))
    refused = client.post(change, {"due_on": "2026-07-15", "percent": "abc"})
    assert refused.status_code == 400
    remove = reverse("dashboard:plan_remove", args=[world.project.pk, point.pk])
    assert client.post(remove).status_code == 302
    assert not PlanPoint.objects.exists()


def test_the_plan_pages_refuse_other_users_and_other_projects(world: Any, login: Any) -> None:
    point = add(world)
    add_url = reverse("dashboard:plan_add", args=[world.project.pk])
    data = {"measure": "signed", "due_on": "2026-08-31", "percent": "90"}
    assert login(world.viewer).post(add_url, data).status_code == 403
    assert login(world.other_pm).post(add_url, data).status_code == 404
    remove = reverse("dashboard:plan_remove", args=[world.project.pk, point.pk])
    assert login(world.other_pm).post(remove).status_code == 404
    # A point reached through another project's address is not found either.
    other = reverse("dashboard:plan_remove", args=[world.other_project.pk, point.pk])
    assert login(world.supervisor).post(other).status_code == 404
    assert PlanPoint.objects.count() == 1


def test_the_plan_pages_accept_only_posts(world: Any, login: Any) -> None:
    point = add(world)
    client = login(world.pm)
    assert client.get(reverse("dashboard:plan_add", args=[world.project.pk])).status_code == 405
    change = reverse("dashboard:plan_change", args=[world.project.pk, point.pk])
    assert client.get(change).status_code == 405
