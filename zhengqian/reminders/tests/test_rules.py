"""Reminder rules: how long an item may wait (project rule, else office rule, else the kind's
default), deadlines in working days with the holiday calendar, who may set the rules, and the
rules page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import Module
from zhengqian.audit.models import Event
from zhengqian.core import services as core_services
from zhengqian.reminders import legal, rules, workitems
from zhengqian.reminders.models import ReminderRule

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
KIND = workitems.Kind(
    code="test.rules", label="Test items", module=Module.COMPENSATION, default_working_days=2
)
OWN_DEADLINE = workitems.Kind(
    code="test.own", label="Own deadline", module=Module.COMPENSATION, default_working_days=None
)


@pytest.fixture(autouse=True)
def kinds():  # type: ignore[no-untyped-def]
    workitems.register(KIND, lambda project_ids, today: [])
    workitems.register(OWN_DEADLINE, lambda project_ids, today: [])
    yield
    workitems.unregister(KIND.code)
    workitems.unregister(OWN_DEADLINE.code)


@pytest.fixture
def english(client, settings):  # type: ignore[no-untyped-def]
    """Pages and messages in English: the assertions read the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=SHANGHAI)


class TestHowLongAnItemMayWait:
    def test_it_uses_the_kinds_default_without_a_rule(self, world):  # type: ignore[no-untyped-def]
        assert rules.working_days_for(KIND.code, world.project.pk) == 2

    def test_the_office_rule_overrides_the_default(self, world):  # type: ignore[no-untyped-def]
        ReminderRule.objects.create(kind=KIND.code, working_days=4)
        assert rules.working_days_for(KIND.code, world.project.pk) == 4
        assert rules.working_days_for(KIND.code, None) == 4

    def test_the_projects_rule_overrides_the_office_rule_in_that_project_only(self, world):  # type: ignore[no-untyped-def]
        ReminderRule.objects.create(kind=KIND.code, working_days=4)
        ReminderRule.objects.create(kind=KIND.code, project=world.project, working_days=6)
        assert rules.working_days_for(KIND.code, world.project.pk) == 6
        assert rules.working_days_for(KIND.code, world.other_project.pk) == 4

    def test_a_kind_carrying_its_own_deadline_still_has_a_number(self, world):  # type: ignore[no-untyped-def]
        assert rules.working_days_for(OWN_DEADLINE.code, world.project.pk) == (
            rules.FALLBACK_WORKING_DAYS
        )

    def test_warn_days_come_from_the_legal_kind_then_the_rules(self, world):  # type: ignore[no-untyped-def]
        assert rules.warn_days_for(legal.SIGNING_KIND, world.project.pk) == 14
        assert rules.warn_days_for("unknown.kind", world.project.pk) == rules.DEFAULT_WARN_DAYS
        ReminderRule.objects.create(kind=legal.SIGNING_KIND, working_days=1, warn_days=20)
        ReminderRule.objects.create(
            kind=legal.SIGNING_KIND, project=world.project, working_days=1, warn_days=5
        )
        assert rules.warn_days_for(legal.SIGNING_KIND, world.project.pk) == 5
        assert rules.warn_days_for(legal.SIGNING_KIND, world.other_project.pk) == 20

    def test_the_book_reads_the_rules_in_one_query(self, world, django_assert_num_queries):  # type: ignore[no-untyped-def]
        ReminderRule.objects.create(kind=KIND.code, working_days=4)
        with django_assert_num_queries(1):
            book = rules.RuleBook.load()
            for _ in range(50):
                book.working_days(KIND.code, world.project.pk)
                book.warn_days(KIND.code, world.project.pk)


class TestDeadlines:
    def test_two_working_days_from_a_friday_end_on_tuesday(self, world):  # type: ignore[no-untyped-def]
        assert rules.deadline_for(KIND.code, world.project.pk, at("2026-11-13")) == dt.date(
            2026, 11, 17
        )

    def test_the_day_is_the_offices_day_not_utcs(self, world):  # type: ignore[no-untyped-def]
        # 16:30 UTC on Thursday is already Friday in Shanghai: counted from Friday.
        thursday_utc = dt.datetime(2026, 11, 12, 16, 30, tzinfo=dt.UTC)
        assert rules.deadline_for(KIND.code, world.project.pk, thursday_utc) == dt.date(
            2026, 11, 17
        )
        earlier_utc = dt.datetime(2026, 11, 12, 15, 59, tzinfo=dt.UTC)
        assert rules.deadline_for(KIND.code, world.project.pk, earlier_utc) == dt.date(2026, 11, 16)

    def test_a_holiday_of_the_calendar_shifts_the_deadline(self, world):  # type: ignore[no-untyped-def]
        # 2026-04-06 (Monday) is Qingming in the office calendar.
        assert rules.deadline_for(KIND.code, world.project.pk, at("2026-04-03")) == dt.date(
            2026, 4, 8
        )

    def test_an_imported_year_with_a_holiday_and_a_working_weekend(self, world):  # type: ignore[no-untyped-def]
        core_services.calendar_import(
            actor=world.admin,
            csv_text=(
                "date,kind,name\n"
                "2027-03-08,holiday,测试假日\n"
                "2027-03-09,holiday,测试假日\n"
                "2027-03-13,workday,调休上班\n"
            ),
        )
        # Friday 5 March: Monday and Tuesday are holidays, so Wednesday and Thursday count.
        assert rules.deadline_for(KIND.code, world.project.pk, at("2027-03-05")) == dt.date(
            2027, 3, 11
        )
        # Thursday 11 March + 2: Friday and the Saturday worked in exchange.
        assert rules.deadline_for(KIND.code, world.project.pk, at("2027-03-11")) == dt.date(
            2027, 3, 13
        )


class TestSettingRules:
    def test_the_administrator_sets_the_office_rule_audited(self, world):  # type: ignore[no-untyped-def]
        rule = rules.rule_set(actor=world.admin, kind=KIND.code, working_days=3)
        assert rule.project is None and rule.working_days == 3
        event = Event.objects.get(event_type="reminders.rule_set")
        assert event.changes["working_days"] == [None, 3]

    def test_setting_the_same_again_records_nothing(self, world):  # type: ignore[no-untyped-def]
        rules.rule_set(actor=world.admin, kind=KIND.code, working_days=3)
        rules.rule_set(actor=world.admin, kind=KIND.code, working_days=3)
        assert Event.objects.filter(event_type="reminders.rule_set").count() == 1
        rules.rule_set(actor=world.admin, kind=KIND.code, working_days=5)
        assert ReminderRule.objects.get(kind=KIND.code).working_days == 5
        assert ReminderRule.objects.filter(kind=KIND.code).count() == 1

    def test_a_project_manager_may_not_set_the_office_rule(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            rules.rule_set(actor=world.pm, kind=KIND.code, working_days=3)
        assert not ReminderRule.objects.exists()

    def test_the_project_manager_sets_the_rule_of_the_project(self, world):  # type: ignore[no-untyped-def]
        rule = rules.rule_set(actor=world.pm, kind=KIND.code, project=world.project, working_days=5)
        assert rule.project == world.project
        assert Event.objects.get(event_type="reminders.rule_set").project_id == world.project.pk

    @pytest.mark.parametrize("who", ["other_pm", "surveyor", "admin", "supervisor", "outsider"])
    def test_others_may_not_set_the_rule_of_the_project(self, world, who):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            rules.rule_set(
                actor=getattr(world, who), kind=KIND.code, project=world.project, working_days=5
            )
        assert not ReminderRule.objects.exists()

    @pytest.mark.parametrize(
        ("kind", "days", "warn", "field"),
        [
            ("no.such.kind", 2, 3, "kind"),
            (KIND.code, 0, 3, "working_days"),
            (KIND.code, 366, 3, "working_days"),
            (KIND.code, 2, -1, "warn_days"),
        ],
    )
    def test_bad_values_are_refused_at_their_field(self, world, kind, days, warn, field):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as error:
            rules.rule_set(actor=world.admin, kind=kind, working_days=days, warn_days=warn)
        assert field in error.value.error_dict
        assert not ReminderRule.objects.exists()
        assert not Event.objects.filter(event_type="reminders.rule_set").exists()

    def test_removing_the_projects_rule_goes_back_to_the_office_rule(self, world):  # type: ignore[no-untyped-def]
        rules.rule_set(actor=world.admin, kind=KIND.code, working_days=3)
        own = rules.rule_set(actor=world.pm, kind=KIND.code, project=world.project, working_days=7)
        rules.rule_remove(actor=world.pm, rule=own)
        assert rules.working_days_for(KIND.code, world.project.pk) == 3
        assert Event.objects.filter(event_type="reminders.rule_remove").count() == 1

    def test_a_project_manager_may_not_remove_the_office_rule(self, world):  # type: ignore[no-untyped-def]
        office = rules.rule_set(actor=world.admin, kind=KIND.code, working_days=3)
        with pytest.raises(AccessDenied):
            rules.rule_remove(actor=world.pm, rule=office)
        assert ReminderRule.objects.filter(pk=office.pk).exists()


class TestRulesPage:
    def test_the_administrator_sees_every_kind_with_its_default(self, world, login, english):  # type: ignore[no-untyped-def]
        response = login(world.admin).get(reverse("reminders:rules"))
        assert response.status_code == 200
        body = response.content.decode()
        assert 'data-kind="test.rules"' in body
        assert f'data-kind="{legal.SIGNING_KIND}"' in body
        assert "2 working days" in body
        assert "Set office rule" in body

    def test_the_project_manager_sees_the_page_without_the_office_rule(self, world, login, english):  # type: ignore[no-untyped-def]
        rules.rule_set(actor=world.admin, kind=KIND.code, working_days=3)
        rules.rule_set(
            actor=world.other_pm, kind=KIND.code, project=world.other_project, working_days=9
        )
        response = login(world.pm).get(reverse("reminders:rules"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Set office rule" not in body
        assert "Set for project" in body
        assert world.other_project.code not in body  # another project's rule is not shown

    @pytest.mark.parametrize("who", ["surveyor", "viewer", "outsider"])
    def test_others_are_refused_the_page(self, world, login, who):  # type: ignore[no-untyped-def]
        assert login(getattr(world, who)).get(reverse("reminders:rules")).status_code == 403

    def test_the_project_manager_sets_the_projects_rule(self, world, login):  # type: ignore[no-untyped-def]
        url = reverse("reminders:rule_edit", args=[KIND.code]) + f"?project={world.project.pk}"
        client = login(world.pm)
        assert client.get(url).status_code == 200
        response = client.post(url, {"working_days": "4"})
        assert response.status_code == 302
        rule = ReminderRule.objects.get(kind=KIND.code, project=world.project)
        assert rule.working_days == 4 and rule.updated_by == world.pm

    def test_a_legal_kind_asks_only_the_warning_days(self, world, login):  # type: ignore[no-untyped-def]
        url = reverse("reminders:rule_edit", args=[legal.SIGNING_KIND])
        response = login(world.admin).post(url, {"warn_days": "21"})
        assert response.status_code == 302
        assert rules.warn_days_for(legal.SIGNING_KIND, world.project.pk) == 21

    def test_bad_input_is_shown_at_the_field(self, world, login, english):  # type: ignore[no-untyped-def]
        url = reverse("reminders:rule_edit", args=[KIND.code])
        response = login(world.admin).post(url, {"working_days": "0"})
        assert response.status_code == 400
        assert "greater than or equal to 1" in response.content.decode()
        assert not ReminderRule.objects.exists()

    def test_another_projects_manager_gets_not_found(self, world, login):  # type: ignore[no-untyped-def]
        url = reverse("reminders:rule_edit", args=[KIND.code]) + f"?project={world.project.pk}"
        assert login(world.other_pm).post(url, {"working_days": "4"}).status_code == 404
        assert not ReminderRule.objects.exists()

    def test_the_project_manager_is_refused_the_office_rule(self, world, login):  # type: ignore[no-untyped-def]
        url = reverse("reminders:rule_edit", args=[KIND.code])
        assert login(world.pm).post(url, {"working_days": "4"}).status_code == 403
        assert not ReminderRule.objects.exists()

    def test_an_unknown_kind_is_not_found(self, world, login):  # type: ignore[no-untyped-def]
        url = reverse("reminders:rule_edit", args=["no.such.kind"])
        assert login(world.admin).get(url).status_code == 404

    def test_removing_takes_a_post(self, world, login):  # type: ignore[no-untyped-def]
        rule = rules.rule_set(actor=world.pm, kind=KIND.code, project=world.project, working_days=7)
        url = reverse("reminders:rule_remove", args=[rule.pk])
        assert login(world.pm).get(url).status_code == 405
        assert login(world.other_pm).post(url).status_code == 404
        assert login(world.pm).post(url).status_code == 302
        assert not ReminderRule.objects.exists()
