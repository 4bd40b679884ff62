"""Notifications of new items, marking read, My work and the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from zhengqian.accounts.models import User
from zhengqian.compensation import services as compensation
from zhengqian.compensation.tests.conftest import comp  # noqa: F401
from zhengqian.core.calendar import office_calendar
from zhengqian.reminders import selectors, services
from zhengqian.reminders.models import Notification, NotificationLevel
from zhengqian.testing.concurrency import POSTGRES_ONLY, at_once
from zhengqian.testing.factories import UserFactory
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    """Pages and titles in English: the assertions read the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def submitted(comp):  # type: ignore[no-untyped-def]  # noqa: F811
    calculation = compensation.calculate(
        actor=comp.accountant, household=comp.household, mode="cash", signing_on=comp.signing_day
    )
    compensation.submit(actor=comp.accountant, calculation=calculation)
    comp.calculation = calculation
    return comp


def today() -> dt.date:
    return timezone.localdate()


# --- services --------------------------------------------------------------------------------


def test_sync_notifies_each_new_item_once(submitted):
    reviewer = submitted.policy_reviewer
    assert services.sync_for_user(user=reviewer, today=today()) == 1
    assert services.sync_for_user(user=reviewer, today=today()) == 0
    (n,) = Notification.objects.filter(user=reviewer)
    assert n.level == NotificationLevel.NEW
    assert n.kind == "compensation.review"
    assert n.key.startswith(f"new:compensation.review:calculation:{submitted.calculation.pk}:")
    assert n.title == "Calculation of household H-001 to review (policy review)"
    assert n.url == reverse("compensation:calculation", args=[submitted.calculation.pk])
    assert n.project_id == submitted.project.pk
    assert n.household_id == submitted.household.pk
    assert n.due_on is not None
    assert selectors.unread_count(reviewer) == 1
    # Nothing waits for the preparer: nothing is said to them.
    assert services.sync_for_user(user=submitted.accountant, today=today()) == 0


def test_the_next_step_is_a_new_notification_for_its_reviewer(submitted):
    services.sync_for_user(user=submitted.policy_reviewer, today=today())
    compensation.review(
        actor=submitted.policy_reviewer, calculation=submitted.calculation, approve=True
    )
    assert services.sync_for_user(user=submitted.policy_reviewer, today=today()) == 0
    assert services.sync_for_user(user=submitted.accountant2, today=today()) == 1
    n = Notification.objects.get(user=submitted.accountant2)
    assert ":accounting_review:" in n.key


def test_mark_read_touches_only_the_users_own_notifications(submitted):
    reviewer, other = submitted.policy_reviewer, submitted.accountant2
    services.sync_for_user(user=reviewer, today=today())
    mine = Notification.objects.get(user=reviewer)
    theirs = Notification.objects.create(
        user=other, level=NotificationLevel.NEW, kind="x", key="new:x:1", title="x"
    )
    assert services.mark_read(user=reviewer, notification_ids=[theirs.pk]) == 0
    assert services.mark_read(user=reviewer, notification_ids=[mine.pk]) == 1
    assert services.mark_read(user=reviewer, notification_ids=[mine.pk]) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert selectors.unread_count(reviewer) == 0


def test_mark_all_read(submitted):
    reviewer = submitted.policy_reviewer
    services.sync_for_user(user=reviewer, today=today())
    Notification.objects.create(
        user=reviewer, level=NotificationLevel.NEW, kind="x", key="new:x:2", title="x"
    )
    assert services.mark_read(user=reviewer) == 0  # nothing named
    assert services.mark_read(user=reviewer, all=True) == 2
    assert selectors.unread_count(reviewer) == 0


# --- My work ---------------------------------------------------------------------------------


def test_my_work_counts_the_wait_and_marks_what_is_overdue(submitted):
    reviewer = submitted.policy_reviewer
    since = timezone.localtime(
        submitted.calculation.transitions.get(to_status="policy_review").created_at
    ).date()
    (group,) = selectors.my_work(reviewer, since)
    assert group.kind.code == "compensation.review"
    (row,) = group.rows
    assert (row.waited_days, row.waited_working_days, row.overdue) == (0, 0, False)

    # A fortnight later, past the deadline of two working days.
    later = since + dt.timedelta(days=14)
    (row,) = selectors.my_work(reviewer, later)[0].rows
    assert row.waited_days == 14
    # Two full weeks: ten weekdays, less the holidays the office calendar has in them.
    assert row.waited_working_days == office_calendar().working_days_between(since, later)
    assert 7 <= row.waited_working_days <= 10
    assert row.overdue is True
    assert row.days_left == (row.item.deadline - later).days
    assert row.days_left < 0
    assert selectors.summary(selectors.my_work(reviewer, later)) == [
        {"code": "compensation.review", "label": group.kind.label, "count": 1, "overdue": 1}
    ]


def test_nothing_waits_for_an_outsider(submitted):
    assert selectors.my_work(submitted.world.outsider, today()) == []


def test_working_days_beyond_the_calendar_count_monday_to_friday():
    # 2031-01-03 is a Friday: Mon 6 .. Fri 10 are five working days, the weekend none.
    assert selectors.working_days_between(None, dt.date(2031, 1, 3), dt.date(2031, 1, 12)) == 5


# --- views -----------------------------------------------------------------------------------


def test_the_badge_notifies_and_counts(submitted, login):
    client = login(submitted.policy_reviewer)
    response = client.get(reverse("reminders:badge"))
    assert response.status_code == 200
    assert 'data-unread="1"' in response.content.decode()
    assert Notification.objects.filter(user=submitted.policy_reviewer).count() == 1


def test_the_badge_of_someone_with_nothing_shows_no_count(submitted, login):
    response = login(submitted.accountant).get(reverse("reminders:badge"))
    assert 'data-unread="0"' in response.content.decode()
    assert 'data-testid="unread-count"' not in response.content.decode()


def test_the_pages_ask_for_a_login(client):
    for name in ("reminders:my_work", "reminders:notifications", "reminders:badge"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


def test_my_work_lists_the_item(submitted, login):
    response = login(submitted.policy_reviewer).get(reverse("reminders:my_work"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Calculation of household H-001 to review (policy review)" in body
    assert reverse("compensation:calculation", args=[submitted.calculation.pk]) in body
    assert "甲项目" in body


def test_my_work_of_someone_with_nothing(submitted, login):
    response = login(submitted.world.outsider).get(reverse("reminders:my_work"))
    assert 'data-testid="my-work-empty"' in response.content.decode()


def test_the_home_page_sums_up_my_work(submitted, login):
    body = login(submitted.policy_reviewer).get(reverse("home")).content.decode()
    assert 'data-testid="work-summary"' in body
    assert "Calculations to review" in body
    body = login(submitted.world.outsider).get(reverse("home")).content.decode()
    assert 'data-testid="work-summary"' not in body


def test_the_list_and_opening_a_notification(submitted, login):
    client = login(submitted.policy_reviewer)
    services.sync_for_user(user=submitted.policy_reviewer, today=today())
    n = Notification.objects.get(user=submitted.policy_reviewer)
    body = client.get(reverse("reminders:notifications")).content.decode()
    assert n.title in body and 'data-read="0"' in body

    response = client.post(reverse("reminders:read", args=[n.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "compensation:calculation", args=[submitted.calculation.pk]
    )
    n.refresh_from_db()
    assert n.read_at is not None


def test_opening_is_a_post(submitted, login):
    services.sync_for_user(user=submitted.policy_reviewer, today=today())
    n = Notification.objects.get(user=submitted.policy_reviewer)
    client = login(submitted.policy_reviewer)
    assert client.get(reverse("reminders:read", args=[n.pk])).status_code == 405
    assert client.get(reverse("reminders:read_all")).status_code == 405
    n.refresh_from_db()
    assert n.read_at is None


def test_another_users_notification_is_not_found(submitted, login):
    services.sync_for_user(user=submitted.policy_reviewer, today=today())
    n = Notification.objects.get(user=submitted.policy_reviewer)
    response = login(submitted.accountant2).post(reverse("reminders:read", args=[n.pk]))
    assert response.status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_a_link_to_another_site_is_not_followed(submitted, login):
    user = submitted.policy_reviewer
    n = Notification.objects.create(
        user=user, level="new", kind="x", key="new:x:3", title="x", url="https://example.org/"
    )
    response = login(user).post(reverse("reminders:read", args=[n.pk]))
    assert response["Location"] == reverse("reminders:notifications")


def test_read_all(submitted, login):
    user = submitted.policy_reviewer
    services.sync_for_user(user=user, today=today())
    other = UserFactory(username="someone")
    Notification.objects.create(user=other, level="new", kind="x", key="new:x:4", title="x")
    response = login(user).post(reverse("reminders:read_all"))
    assert response.status_code == 302
    assert selectors.unread_count(user) == 0
    assert selectors.unread_count(other) == 1


def test_an_htmx_request_gets_the_list_alone(submitted, login):
    response = login(submitted.policy_reviewer).get(
        reverse("reminders:my_work"), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert 'data-testid="my-work"' in body and "<html" not in body
    assert body.count('data-testid="work-item"') == 1


def test_the_pages_answer_only_get(submitted, login):
    client = login(submitted.policy_reviewer)
    for name in ("reminders:my_work", "reminders:notifications", "reminders:badge"):
        assert client.post(reverse(name)).status_code == 405


def _postgres_only(test):  # type: ignore[no-untyped-def]
    for mark in POSTGRES_ONLY:
        test = mark(test)
    return test


@_postgres_only
def test_two_syncs_at_once_notify_once(submitted):
    reviewer = submitted.policy_reviewer
    outcomes = at_once(
        [reviewer.pk, reviewer.pk, reviewer.pk],
        lambda pk: services.sync_for_user(user=User.objects.get(pk=pk), today=today()),
    )
    assert outcomes == ["ok", "ok", "ok"]
    assert Notification.objects.filter(user=reviewer).count() == 1
