"""The reminder scan: new items told once to each assignee, items past their deadline escalated to
the leaders (work group leader, else the project's leaders), nothing said twice however often the
scan runs, and the scheduled entry points (the task and the management command)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from zhengqian.accounts.roles import Module, RoleCode
from zhengqian.compensation.tests.conftest import comp  # noqa: F401
from zhengqian.reminders import services, tasks, workitems
from zhengqian.reminders.models import Notification, NotificationLevel, ReminderRule, ScanRun
from zhengqian.reminders.scan import run_scan
from zhengqian.testing.concurrency import POSTGRES_ONLY, at_once
from zhengqian.testing.factories import UserFactory, grant
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
KIND = workitems.Kind(
    code="test.scan", label="Test items", module=Module.COMPENSATION, default_working_days=2
)
FRIDAY = dt.date(2026, 11, 13)
MONDAY = dt.date(2026, 11, 16)
TUESDAY = dt.date(2026, 11, 17)
WEDNESDAY = dt.date(2026, 11, 18)


def waiting_item(
    project_id: int,
    assignees: list[int],
    *,
    key: str = "calc:1:review",
    since: dt.date = FRIDAY,
    work_group_id: int | None = None,
    household_id: int | None = None,
    deadline: dt.date | None = None,
) -> workitems.WorkItem:
    return workitems.WorkItem(
        kind=KIND.code,
        key=key,
        project_id=project_id,
        household_id=household_id,
        work_group_id=work_group_id,
        title=f"计算单 {key} 待复核",
        url=f"/compensation/{key}/",
        waiting_since=dt.datetime.combine(since, dt.time(10), tzinfo=SHANGHAI),
        deadline=deadline,
        assignee_ids=frozenset(assignees),
    )


@pytest.fixture
def items():  # type: ignore[no-untyped-def]
    """The fake provider's items: the test puts them in the list."""
    found: list[workitems.WorkItem] = []
    workitems.register(KIND, lambda project_ids, today: list(found))
    yield found
    workitems.unregister(KIND.code)


@pytest.fixture
def leaders(world):  # type: ignore[no-untyped-def]
    """The first work group's leader, and a leader of the project by role."""
    group_leader = UserFactory(username="group_leader", full_name="组长甲")
    world.group.leader = group_leader
    world.group.save(update_fields=["leader"])
    project_leader = UserFactory(username="project_leader", full_name="领导乙")
    grant(project_leader, RoleCode.LEADER, world.project)
    world.accountant.full_name = "会计丙"
    world.accountant.save(update_fields=["full_name"])
    return group_leader, project_leader


@pytest.fixture
def submitted(comp):  # type: ignore[no-untyped-def]  # noqa: F811
    """A calculation submitted for its policy review (the real providers' item)."""
    from zhengqian.compensation import services as compensation

    calculation = compensation.calculate(
        actor=comp.accountant, household=comp.household, mode="cash", signing_on=comp.signing_day
    )
    compensation.submit(actor=comp.accountant, calculation=calculation)
    comp.calculation = calculation
    return comp


def told(user, level=None):  # type: ignore[no-untyped-def]
    rows = Notification.objects.filter(user=user)
    return list(rows.filter(level=level) if level else rows)


class TestNewItems:
    def test_each_assignee_is_told_once(self, world, items):  # type: ignore[no-untyped-def]
        items.append(waiting_item(world.project.pk, [world.accountant.pk, world.pm.pk]))
        run = run_scan(today=MONDAY)
        assert run.items == 1 and run.created == 2 and run.escalated == 0
        (note,) = told(world.accountant)
        assert note.level == NotificationLevel.NEW
        assert note.key == f"new:{KIND.code}:calc:1:review"
        assert note.due_on == TUESDAY  # Friday + 2 working days
        assert note.url == "/compensation/calc:1:review/"
        assert len(told(world.pm)) == 1
        assert run.finished_at is not None and run.problem == ""

    def test_an_item_carrying_its_own_deadline_keeps_it(self, world, items):  # type: ignore[no-untyped-def]
        items.append(
            waiting_item(world.project.pk, [world.accountant.pk], deadline=dt.date(2026, 12, 1))
        )
        run_scan(today=MONDAY)
        assert told(world.accountant)[0].due_on == dt.date(2026, 12, 1)

    def test_the_same_record_in_a_new_state_is_a_new_item(self, world, items):  # type: ignore[no-untyped-def]
        items.append(waiting_item(world.project.pk, [world.accountant.pk]))
        run_scan(today=MONDAY)
        items[0] = waiting_item(world.project.pk, [world.accountant.pk], key="calc:1:approve")
        assert run_scan(today=MONDAY).created == 1
        assert len(told(world.accountant)) == 2


class TestEscalation:
    def test_waiting_from_friday_it_is_not_escalated_on_monday_nor_tuesday(
        self, world, items, leaders
    ):  # type: ignore[no-untyped-def]
        items.append(
            waiting_item(world.project.pk, [world.accountant.pk], work_group_id=world.group.pk)
        )
        assert run_scan(today=MONDAY).escalated == 0
        assert run_scan(today=TUESDAY).escalated == 0
        assert not Notification.objects.filter(level=NotificationLevel.ESCALATED).exists()

    def test_due_on_friday_it_goes_up_on_monday_not_at_the_weekend(self, world, items, leaders):  # type: ignore[no-untyped-def]
        group_leader, _project_leader = leaders
        items.append(
            waiting_item(
                world.project.pk,
                [world.accountant.pk],
                since=WEDNESDAY,  # + 2 working days: due Friday 20 November
                work_group_id=world.group.pk,
            )
        )
        assert run_scan(today=dt.date(2026, 11, 21)).escalated == 0  # Saturday
        assert run_scan(today=dt.date(2026, 11, 22)).escalated == 0  # Sunday
        assert run_scan(today=dt.date(2026, 11, 23)).escalated == 1  # Monday
        assert len(told(group_leader, NotificationLevel.ESCALATED)) == 1

    def test_an_item_nobody_may_deal_with_still_goes_up(self, world, items, leaders):  # type: ignore[no-untyped-def]
        group_leader, _project_leader = leaders
        items.append(waiting_item(world.project.pk, [], work_group_id=world.group.pk))
        assert run_scan(today=WEDNESDAY).escalated == 1
        (note,) = told(group_leader, NotificationLevel.ESCALATED)
        assert note.about_user is None and note.title.startswith("计算单 calc:1:review 待复核")

    def test_on_wednesday_it_goes_to_the_work_groups_leader(self, world, items, leaders):  # type: ignore[no-untyped-def]
        group_leader, project_leader = leaders
        items.append(
            waiting_item(world.project.pk, [world.accountant.pk], work_group_id=world.group.pk)
        )
        run = run_scan(today=WEDNESDAY)
        assert run.escalated == 1
        (note,) = told(group_leader, NotificationLevel.ESCALATED)
        assert note.about_user == world.accountant
        assert note.key == f"escalated:{KIND.code}:calc:1:review"
        assert note.due_on == TUESDAY
        assert "会计丙" in note.title and "3" in note.title  # Mon, Tue, Wed
        assert not told(project_leader)

    def test_a_holiday_shifts_the_escalation(self, world, items, leaders):  # type: ignore[no-untyped-def]
        group_leader, _project_leader = leaders
        # Waiting from Friday 3 April 2026; Monday 6 April is Qingming: due Wednesday 8 April.
        items.append(
            waiting_item(
                world.project.pk,
                [world.accountant.pk],
                since=dt.date(2026, 4, 3),
                work_group_id=world.group.pk,
            )
        )
        assert run_scan(today=dt.date(2026, 4, 8)).escalated == 0
        assert run_scan(today=dt.date(2026, 4, 9)).escalated == 1
        assert told(group_leader, NotificationLevel.ESCALATED)[0].due_on == dt.date(2026, 4, 8)

    def test_without_a_group_leader_it_goes_to_the_projects_leaders(self, world, items, leaders):  # type: ignore[no-untyped-def]
        group_leader, project_leader = leaders
        items.append(
            waiting_item(
                world.project.pk, [world.accountant.pk], work_group_id=world.other_group.pk
            )
        )
        items.append(waiting_item(world.project.pk, [world.accountant.pk], key="calc:2:review"))
        assert run_scan(today=WEDNESDAY).escalated == 2
        assert len(told(project_leader, NotificationLevel.ESCALATED)) == 2
        assert not told(group_leader)

    def test_a_group_leader_waiting_himself_goes_to_the_projects_leaders(
        self, world, items, leaders
    ):  # type: ignore[no-untyped-def]
        group_leader, project_leader = leaders
        items.append(
            waiting_item(world.project.pk, [group_leader.pk], work_group_id=world.group.pk)
        )
        run_scan(today=WEDNESDAY)
        (note,) = told(project_leader, NotificationLevel.ESCALATED)
        assert note.about_user == group_leader
        assert not told(group_leader, NotificationLevel.ESCALATED)

    def test_a_leader_of_another_project_is_not_told(self, world, items):  # type: ignore[no-untyped-def]
        elsewhere = UserFactory(username="elsewhere_leader")
        grant(elsewhere, RoleCode.LEADER, world.other_project)
        office_leader = UserFactory(username="office_leader")
        grant(office_leader, RoleCode.LEADER)
        items.append(waiting_item(world.project.pk, [world.accountant.pk]))
        run_scan(today=WEDNESDAY)
        assert not told(elsewhere)
        # No leader in the project or its group: the leaders of all projects are told.
        assert len(told(office_leader, NotificationLevel.ESCALATED)) == 1

    def test_the_projects_rule_overrides_the_office_rule(self, world, items, leaders):  # type: ignore[no-untyped-def]
        group_leader, _project_leader = leaders
        ReminderRule.objects.create(kind=KIND.code, working_days=1)
        ReminderRule.objects.create(kind=KIND.code, project=world.project, working_days=5)
        items.append(
            waiting_item(world.project.pk, [world.accountant.pk], work_group_id=world.group.pk)
        )
        other_pm_item = waiting_item(world.other_project.pk, [world.other_pm.pk], key="calc:9:x")
        items.append(other_pm_item)
        office_leader = UserFactory(username="office_leader")
        grant(office_leader, RoleCode.LEADER)
        run_scan(today=TUESDAY)
        assert not told(group_leader, NotificationLevel.ESCALATED)  # 5 days: due 20 Nov
        # The other project follows the office rule (1 day: due Monday).
        assert [n.about_user for n in told(office_leader)] == [world.other_pm]
        run_scan(today=dt.date(2026, 11, 23))
        assert len(told(group_leader, NotificationLevel.ESCALATED)) == 1

    def test_several_assignees_led_by_one_leader_make_one_escalation(self, world, items, leaders):  # type: ignore[no-untyped-def]
        group_leader, _project_leader = leaders
        items.append(
            waiting_item(
                world.project.pk,
                [world.accountant.pk, world.surveyor.pk],
                work_group_id=world.group.pk,
            )
        )
        run_scan(today=WEDNESDAY)
        (note,) = told(group_leader, NotificationLevel.ESCALATED)
        assert note.about_user_id == min(world.accountant.pk, world.surveyor.pk)


class TestIdempotence:
    def test_a_second_run_the_same_day_or_the_next_creates_nothing(self, world, items, leaders):  # type: ignore[no-untyped-def]
        items.append(
            waiting_item(world.project.pk, [world.accountant.pk], work_group_id=world.group.pk)
        )
        first = run_scan(today=WEDNESDAY)
        total = Notification.objects.count()
        assert first.created == total == 2
        again = run_scan(today=WEDNESDAY)
        next_day = run_scan(today=dt.date(2026, 11, 19))
        assert (again.created, again.escalated, next_day.created) == (0, 0, 0)
        assert Notification.objects.count() == total
        assert ScanRun.objects.count() == 3

    def test_a_notification_already_read_is_not_said_again(self, world, items):  # type: ignore[no-untyped-def]
        items.append(waiting_item(world.project.pk, [world.accountant.pk]))
        run_scan(today=MONDAY)
        Notification.objects.update(read_at=dt.datetime(2026, 11, 16, 9, tzinfo=dt.UTC))
        run_scan(today=MONDAY)
        assert Notification.objects.count() == 1

    def test_many_items_are_written_in_batches(self, world, items):  # type: ignore[no-untyped-def]
        for n in range(2500):
            items.append(waiting_item(world.project.pk, [world.accountant.pk], key=f"c:{n}"))
        assert run_scan(today=MONDAY).created == 2500
        assert run_scan(today=MONDAY).created == 0
        assert Notification.objects.count() == 2500


class TestProblems:
    def test_a_year_the_calendar_does_not_know_is_named_and_nothing_is_escalated(
        self, world, items, leaders
    ):  # type: ignore[no-untyped-def]
        items.append(
            waiting_item(
                world.project.pk,
                [world.accountant.pk],
                since=dt.date(2030, 1, 4),
                work_group_id=world.group.pk,
            )
        )
        run = run_scan(today=dt.date(2030, 1, 10))
        assert run.escalated == 0 and run.created == 1  # the assignee is still told
        assert "2030" in run.problem

    def test_a_failing_provider_is_recorded_on_the_run(self, world):  # type: ignore[no-untyped-def]
        def broken(project_ids, today):  # type: ignore[no-untyped-def]
            raise RuntimeError("provider down")

        workitems.register(KIND, broken)
        try:
            with pytest.raises(RuntimeError):
                run_scan(today=MONDAY)
        finally:
            workitems.unregister(KIND.code)
        run = ScanRun.objects.get()
        assert "provider down" in run.problem and run.finished_at is not None


class TestScheduling:
    def test_the_command_runs_the_scan_as_of_a_day(self, world, items, capsys):  # type: ignore[no-untyped-def]
        items.append(waiting_item(world.project.pk, [world.accountant.pk]))
        call_command("scan_reminders", "--date", "2026-11-16")
        assert "1 notification(s) created" in capsys.readouterr().out
        assert ScanRun.objects.get().day == MONDAY

    def test_the_command_refuses_a_bad_date(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(CommandError):
            call_command("scan_reminders", "--date", "16/11/2026")
        assert not ScanRun.objects.exists()

    def test_the_task_runs_the_scan(self, world, items):  # type: ignore[no-untyped-def]
        items.append(waiting_item(world.project.pk, [world.accountant.pk]))
        result = tasks.scan_reminders.enqueue("2026-11-16")
        assert result.return_value["created"] == 1
        assert Notification.objects.filter(user=world.accountant).count() == 1

    def test_the_items_are_read_in_the_offices_language_whatever_the_callers(self, world):  # type: ignore[no-untyped-def]
        languages: list[str | None] = []

        def provider(project_ids, today):  # type: ignore[no-untyped-def]
            languages.append(translation.get_language())
            return []

        workitems.register(KIND, provider)
        try:
            with translation.override("en"):
                run_scan(today=MONDAY)
        finally:
            workitems.unregister(KIND.code)
        assert languages == ["zh-hans"]


class TestWithTheRealProviders:
    def test_an_empty_office_waits_for_nothing(self, world):  # type: ignore[no-untyped-def]
        assert len(workitems.kinds()) >= 7  # the built-in kinds are registered
        run = run_scan(today=MONDAY)
        assert run.problem == "" and run.items == 0 and run.created == 0

    def test_a_calculation_to_review_is_told_then_escalated(self, submitted):  # type: ignore[no-untyped-def]
        reviewer = submitted.policy_reviewer
        office_leader = UserFactory(username="office_leader")
        grant(office_leader, RoleCode.LEADER)
        today = timezone.localdate()
        run = run_scan(today=today)
        assert run.items >= 1 and run.problem == ""
        (note,) = Notification.objects.filter(user=reviewer)
        assert note.kind == "compensation.review"
        assert note.key.startswith(
            f"new:compensation.review:calculation:{submitted.calculation.pk}:"
        )
        # The header's own sync says nothing more: the same key.
        assert services.sync_for_user(user=reviewer, today=today) == 0
        late = run_scan(today=note.due_on + dt.timedelta(days=1))
        assert late.escalated >= 1
        assert Notification.objects.filter(
            level=NotificationLevel.ESCALATED, about_user=reviewer
        ).exists()


def _postgres_only(cls):  # type: ignore[no-untyped-def]
    for mark in POSTGRES_ONLY:
        cls = mark(cls)
    return cls


@_postgres_only
class TestConcurrentScans:
    def test_scans_at_the_same_moment_say_each_thing_once(self, world, items, leaders):  # type: ignore[no-untyped-def]
        group_leader, _project_leader = leaders
        for n in range(300):
            items.append(
                waiting_item(
                    world.project.pk,
                    [world.accountant.pk, world.pm.pk],
                    key=f"c:{n}",
                    work_group_id=world.group.pk,
                )
            )
        outcomes = at_once([1, 2, 3, 4], lambda _n: run_scan(today=WEDNESDAY))
        assert outcomes == ["ok"] * 4
        assert Notification.objects.filter(level=NotificationLevel.NEW).count() == 600
        assert len(told(group_leader, NotificationLevel.ESCALATED)) == 300
        assert ScanRun.objects.count() == 4 and not ScanRun.objects.exclude(problem="")
