"""Legal deadlines warned ahead by the scan: each kind with known dates, to the members whose role
works in its module, within its warning days (the kind's default or the rules), once."""

from __future__ import annotations

import datetime as dt

import pytest

from zhengqian.accounts.roles import RoleCode
from zhengqian.core import deadlines
from zhengqian.projects.models import Milestone, ProjectStatus
from zhengqian.reminders import legal
from zhengqian.reminders.models import Notification, NotificationLevel, ReminderRule
from zhengqian.reminders.scan import run_scan
from zhengqian.testing.factories import UserFactory, grant
from zhengqian.valuation import services as valuation_services
from zhengqian.valuation.models import ObjectionKind, Publication
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401
from zhengqian.valuation.tests.test_objections import LAST_DAY, issued  # noqa: F401

pytestmark = pytest.mark.django_db


def warnings(kind: str, user=None) -> list[Notification]:  # type: ignore[no-untyped-def]
    rows = Notification.objects.filter(level=NotificationLevel.WARNING, kind=kind)
    if user is not None:
        rows = rows.filter(user=user)
    return list(rows.order_by("user_id"))


class TestSigningPeriodEnd:
    END = dt.date(2026, 12, 31)

    @pytest.fixture
    def signing(self, world):  # type: ignore[no-untyped-def]
        world.project.planned_signing_end = self.END
        world.project.status = ProjectStatus.ACTIVE
        world.project.save(update_fields=["planned_signing_end", "status"])
        officer = UserFactory(username="signer")
        grant(officer, RoleCode.SIGNING_OFFICER, world.project)
        return officer

    def test_it_is_warned_fourteen_days_ahead_to_the_signing_office(self, world, signing):  # type: ignore[no-untyped-def]
        assert run_scan(today=self.END - dt.timedelta(days=15)).warnings == 0
        run = run_scan(today=self.END - dt.timedelta(days=14))
        assert run.warnings == 2
        assert {n.user for n in warnings(legal.SIGNING_KIND)} == {world.pm, signing}
        note = warnings(legal.SIGNING_KIND, signing)[0]
        assert note.key == f"warning:{legal.SIGNING_KIND}:{world.project.pk}:-:2026-12-31"
        assert note.due_on == self.END and note.household_id is None
        assert not Notification.objects.filter(user__in=[world.surveyor, world.other_pm])

    def test_once_however_often_the_scan_runs(self, world, signing):  # type: ignore[no-untyped-def]
        run_scan(today=self.END - dt.timedelta(days=10))
        run_scan(today=self.END - dt.timedelta(days=9))
        assert run_scan(today=self.END - dt.timedelta(days=9)).warnings == 0
        assert len(warnings(legal.SIGNING_KIND)) == 2

    def test_a_moved_end_is_a_new_warning(self, world, signing):  # type: ignore[no-untyped-def]
        run_scan(today=self.END - dt.timedelta(days=10))
        world.project.planned_signing_end = self.END + dt.timedelta(days=1)
        world.project.save(update_fields=["planned_signing_end"])
        assert run_scan(today=self.END - dt.timedelta(days=9)).warnings == 2

    def test_the_projects_rule_sets_how_far_ahead(self, world, signing):  # type: ignore[no-untyped-def]
        ReminderRule.objects.create(
            kind=legal.SIGNING_KIND, project=world.project, working_days=1, warn_days=1
        )
        assert run_scan(today=self.END - dt.timedelta(days=2)).warnings == 0
        assert run_scan(today=self.END - dt.timedelta(days=1)).warnings == 2

    def test_a_closed_project_is_not_warned(self, world, signing):  # type: ignore[no-untyped-def]
        world.project.status = ProjectStatus.CLOSED
        world.project.save(update_fields=["status"])
        assert run_scan(today=self.END - dt.timedelta(days=3)).warnings == 0

    def test_a_passed_end_is_not_warned(self, world, signing):  # type: ignore[no-untyped-def]
        assert run_scan(today=self.END + dt.timedelta(days=1)).warnings == 0


class TestCompensationPlanPublication:
    PLANNED = dt.date(2026, 12, 10)

    @pytest.fixture
    def planned(self, world):  # type: ignore[no-untyped-def]
        step = Milestone.objects.get(project=world.project, code=legal.PLAN_STEP)
        step.planned_date = self.PLANNED
        step.save(update_fields=["planned_date"])
        return step

    def test_it_is_warned_seven_days_ahead_to_the_project_manager(self, world, planned):  # type: ignore[no-untyped-def]
        assert run_scan(today=self.PLANNED - dt.timedelta(days=8)).warnings == 0
        assert run_scan(today=self.PLANNED - dt.timedelta(days=7)).warnings == 1
        (note,) = warnings(legal.PLAN_KIND)
        assert note.user == world.pm and note.due_on == self.PLANNED
        assert note.url == f"/projects/{world.project.pk}/"

    def test_a_plan_already_published_is_not_warned(self, world, planned):  # type: ignore[no-untyped-def]
        planned.actual_date = dt.date(2026, 12, 1)
        planned.save(update_fields=["actual_date"])
        assert run_scan(today=self.PLANNED - dt.timedelta(days=3)).warnings == 0


class TestValuationObjectionPeriods:
    def test_the_last_day_to_apply_for_a_re_assessment_is_warned(self, issued):  # type: ignore[no-untyped-def]  # noqa: F811
        found = deadlines.upcoming([issued.project.pk], LAST_DAY, 0)
        assert [(d.kind, d.household_id, d.due_on) for d in found] == [
            (legal.OBJECTION_KIND, issued.household.pk, LAST_DAY)
        ]
        assert run_scan(today=LAST_DAY - dt.timedelta(days=4)).warnings == 0
        run_scan(today=LAST_DAY - dt.timedelta(days=3))
        (note,) = warnings(legal.OBJECTION_KIND)
        assert note.user == issued.pm  # the office records the objections
        assert note.household_id == issued.household.pk
        assert note.key == (
            f"warning:{legal.OBJECTION_KIND}:{issued.project.pk}:{issued.household.pk}:2026-06-04"
        )
        assert note.url == f"/valuation/households/{issued.household.pk}/"

    def test_nothing_once_the_household_applied(self, issued):  # type: ignore[no-untyped-def]  # noqa: F811
        valuation_services.objection_apply(
            actor=issued.pm,
            valuation=issued.valuation,
            kind=ObjectionKind.REVIEW,
            applied_on=LAST_DAY - dt.timedelta(days=5),
            grounds="评估单价偏低",
        )
        assert not deadlines.upcoming([issued.project.pk], LAST_DAY - dt.timedelta(days=3), 3)

    def test_the_publication_end_is_warned(self, issued):  # type: ignore[no-untyped-def]  # noqa: F811
        publication = Publication.objects.get(project=issued.project)
        run_scan(today=publication.until - dt.timedelta(days=3))
        (note,) = warnings(legal.PUBLICATION_KIND)
        assert note.user == issued.pm and note.due_on == publication.until


class TestVoucherExpiryAndWorkGroups:
    DUE = dt.date(2026, 12, 20)

    @pytest.fixture
    def expiring(self, world):  # type: ignore[no-untyped-def]
        """A voucher of a household of the first work group expiring on DUE (the real provider
        is put back afterwards)."""
        from zhengqian.ownership.tests.conftest import make_household

        household = make_household(world.project, code="H-V1", work_group=world.group)
        original = deadlines._PROVIDERS.get(legal.VOUCHER_KIND)

        def provider(project_ids, today, within):  # type: ignore[no-untyped-def]
            return [
                deadlines.Deadline(
                    kind=legal.VOUCHER_KIND,
                    project_id=world.project.pk,
                    household_id=household.pk,
                    due_on=self.DUE,
                    label="房票 FP-1 到期",
                    url="/resettlement/vouchers/1/",
                )
            ]

        deadlines.register(legal.VOUCHER_KIND, provider)
        yield household
        if original is not None:
            deadlines.register(legal.VOUCHER_KIND, original)

    def test_only_resettlement_officers_reaching_the_households_group_are_warned(
        self, world, expiring
    ):  # type: ignore[no-untyped-def]
        everywhere = UserFactory(username="res_all")
        grant(everywhere, RoleCode.RESETTLEMENT_OFFICER, world.project)
        in_group = UserFactory(username="res_group")
        grant(in_group, RoleCode.RESETTLEMENT_OFFICER, world.project, work_groups=[world.group])
        other_group = UserFactory(username="res_other")
        grant(
            other_group,
            RoleCode.RESETTLEMENT_OFFICER,
            world.project,
            work_groups=[world.other_group],
        )
        assert run_scan(today=self.DUE - dt.timedelta(days=31)).warnings == 0
        run_scan(today=self.DUE - dt.timedelta(days=30))
        assert {n.user for n in warnings(legal.VOUCHER_KIND)} == {everywhere, in_group}
