from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from zhengqian.accounts.permissions import AccessDenied, has_perm
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.audit.models import Event
from zhengqian.projects import services
from zhengqian.projects.models import Milestone, Project
from zhengqian.projects.procedures import ProjectKind, template_for
from zhengqian.testing.factories import DistrictFactory, ProjectFactory, UserFactory, grant

D = dt.date


def step(project: Project, code: str) -> Milestone:
    return project.milestones.get(code=code)


def record(actor, project, code, day, note=""):  # type: ignore[no-untyped-def]
    return services.milestone_record(
        actor=actor, milestone=step(project, code), actual_date=day, note=note
    )


@pytest.fixture
def today(monkeypatch):  # type: ignore[no-untyped-def]
    """Pin 'today' so that dates in the tests are always in the past."""

    def pin(day: dt.date) -> None:
        monkeypatch.setattr("zhengqian.projects.services.timezone.localdate", lambda: day)

    pin(D(2026, 11, 21))
    return pin


@pytest.mark.django_db
class TestProjectCreation:
    def test_a_project_manager_creates_a_project_with_the_milestones_of_its_kind(self, world):  # type: ignore[no-untyped-def]
        project = services.project_create(
            actor=world.pm,
            code="XM2026-集-01",
            name="北区三村拆迁",
            kind=ProjectKind.COLLECTIVE,
            district=world.project.district,
            target_households=320,
            target_building_area=Decimal("45210.50"),
            target_land_area=Decimal("186.20"),
        )
        codes = list(project.milestones.order_by("order").values_list("code", flat=True))
        assert codes == [s.code for s in template_for(ProjectKind.COLLECTIVE)]
        assert codes[0] == "pre_announcement"
        event = Event.objects.get(event_type="project.create")
        assert event.changes["target_building_area"] == [None, "45210.50"]
        assert event.project_id == project.pk

    def test_the_creator_becomes_manager_of_the_new_project(self, world):  # type: ignore[no-untyped-def]
        project = services.project_create(
            actor=world.pm,
            code="N1",
            name="新项目",
            kind=ProjectKind.AGREEMENT,
            district=world.project.district,
        )
        assert has_perm(world.pm, Module.PROJECTS, Action.CHANGE, project=project)
        assert not has_perm(world.other_pm, Module.PROJECTS, Action.VIEW, project=project)

    def test_a_surveyor_cannot_create_a_project_and_nothing_is_written(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.project_create(
                actor=world.surveyor,
                code="N2",
                name="x",
                kind=ProjectKind.AGREEMENT,
                district=world.project.district,
            )
        assert not Project.objects.filter(code="N2").exists()
        assert not Event.objects.filter(event_type="project.create").exists()

    def test_a_duplicate_code_is_refused_at_the_field(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            services.project_create(
                actor=world.pm,
                code="XM-A",
                name="重复",
                kind=ProjectKind.AGREEMENT,
                district=world.project.district,
            )
        assert "code" in exc.value.error_dict

    def test_negative_targets_are_refused(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            services.project_create(
                actor=world.pm,
                code="N3",
                name="x",
                kind=ProjectKind.AGREEMENT,
                district=world.project.district,
                target_building_area=Decimal("-1"),
            )
        assert "target_building_area" in exc.value.error_dict


@pytest.mark.django_db
class TestProjectUpdate:
    def test_it_records_old_and_new_values(self, world):  # type: ignore[no-untyped-def]
        services.project_update(
            actor=world.pm, project=world.project, target_households=150, name="甲项目（一期）"
        )
        event = Event.objects.get(event_type="project.update")
        assert event.changes == {
            "name": ["甲项目", "甲项目（一期）"],
            "target_households": [120, 150],
        }

    def test_nothing_changed_writes_no_event(self, world):  # type: ignore[no-untyped-def]
        services.project_update(actor=world.pm, project=world.project, name="甲项目")
        assert not Event.objects.filter(event_type="project.update").exists()

    def test_the_kind_cannot_change(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            services.project_update(
                actor=world.pm, project=world.project, kind=ProjectKind.COLLECTIVE
            )
        assert "kind" in exc.value.error_dict

    def test_the_manager_of_another_project_is_refused(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.project_update(actor=world.other_pm, project=world.project, name="夺取")
        world.project.refresh_from_db()
        assert world.project.name == "甲项目"

    def test_a_work_group_is_added_with_an_event(self, world):  # type: ignore[no-untyped-def]
        group = services.work_group_create(
            actor=world.pm, project=world.project, name="攻坚清零组", leader=world.pm
        )
        assert group.project == world.project
        assert Event.objects.filter(
            event_type="work_group.create", target_id=str(group.pk)
        ).exists()

    def test_a_work_group_name_is_unique_in_its_project(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError):
            services.work_group_create(actor=world.pm, project=world.project, name="第一工作组")


@pytest.mark.django_db
class TestStateOwnedProcedure:
    @pytest.fixture
    def project(self, world, today):  # type: ignore[no-untyped-def]
        record(world.pm, world.project, "survey", D(2026, 1, 5))
        record(world.pm, world.project, "plan_drafted", D(2026, 1, 8))
        record(world.pm, world.project, "plan_published", D(2026, 1, 10))
        return world.project

    def test_a_step_before_its_predecessor_is_refused_and_names_it(self, world, today):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            record(world.pm, world.project, "plan_published", D(2026, 1, 10))
        message = exc.value.message_dict["actual_date"][0]
        assert "征收补偿方案拟定及论证" in message

    def test_the_comment_period_is_refused_one_day_before_thirty_days_have_run(
        self, world, project
    ):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            record(world.pm, project, "plan_comment_closed", D(2026, 2, 8))
        message = exc.value.message_dict["actual_date"][0]
        assert "2026-02-09" in message  # the earliest allowed date
        assert "第十条" in message  # the rule
        assert step(project, "plan_comment_closed").actual_date is None

    def test_the_comment_period_closes_on_the_thirtieth_day(self, world, project):  # type: ignore[no-untyped-def]
        m = record(world.pm, project, "plan_comment_closed", D(2026, 2, 9))
        assert m.actual_date == D(2026, 2, 9) and m.recorded_by == world.pm and not m.late

    def test_the_decision_needs_every_precondition(self, world, project):  # type: ignore[no-untyped-def]
        record(world.pm, project, "plan_comment_closed", D(2026, 2, 9))
        with pytest.raises(ValidationError) as exc:
            record(world.pm, project, "decision_announced", D(2026, 3, 1))
        assert "社会稳定风险评估" in exc.value.message_dict["actual_date"][0]
        record(world.pm, project, "risk_assessment", D(2026, 1, 20))
        record(world.pm, project, "funds_in_place", D(2026, 1, 25))
        assert record(world.pm, project, "decision_announced", D(2026, 3, 1)).actual_date

    def test_an_optional_hearing_does_not_block_the_decision(self, world, project):  # type: ignore[no-untyped-def]
        for code, day in [
            ("plan_comment_closed", D(2026, 2, 9)),
            ("risk_assessment", D(2026, 1, 20)),
            ("funds_in_place", D(2026, 1, 25)),
            ("decision_announced", D(2026, 2, 20)),
        ]:
            record(world.pm, project, code, day)
        assert step(project, "hearing").actual_date is None

    def test_a_step_in_the_future_is_refused(self, world, today):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            record(world.pm, world.project, "survey", D(2026, 11, 22))
        assert "不能晚于今天" in exc.value.message_dict["actual_date"][0]

    def test_a_step_others_rest_on_cannot_be_moved(self, world, project):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError):
            record(world.pm, project, "plan_drafted", D(2026, 1, 9))

    def test_each_record_is_an_audit_event_with_old_and_new_dates(self, world, project):  # type: ignore[no-untyped-def]
        record(world.pm, project, "plan_comment_closed", D(2026, 2, 9), note="公告〔2026〕3号")
        event = Event.objects.filter(event_type="milestone.record").order_by("-seq").first()
        assert event.changes["actual_date"] == [None, "2026-02-09"]
        assert event.changes["note"] == ["", "公告〔2026〕3号"]

    def test_a_surveyor_cannot_record_milestones(self, world, today):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            record(world.surveyor, world.project, "survey", D(2026, 1, 5))


@pytest.mark.django_db
class TestCollectiveProcedure:
    @pytest.fixture
    def project(self, world, today):  # type: ignore[no-untyped-def]
        project = ProjectFactory(code="JT-1", kind=ProjectKind.COLLECTIVE)
        grant(world.pm, RoleCode.PROJECT_MANAGER, project)
        record(world.pm, project, "pre_announcement", D(2025, 9, 26))
        record(world.pm, project, "status_survey", D(2025, 9, 29))
        record(world.pm, project, "risk_assessment", D(2025, 9, 30))
        return project

    def test_the_plan_waits_ten_working_days_across_the_national_day_holiday(self, world, project):  # type: ignore[no-untyped-def]
        # 26 Sep 2025 (Fri) + 10 working days: 28 Sep (a Sunday worked), 29, 30 Sep, then the
        # holiday 1–8 Oct, then 9, 10, 11 (a Saturday worked), 13, 14, 15, 16 Oct.
        with pytest.raises(ValidationError) as exc:
            record(world.pm, project, "plan_announced", D(2025, 10, 15))
        message = exc.value.message_dict["actual_date"][0]
        assert "2025-10-16" in message and "10" in message and "工作日" in message
        assert record(world.pm, project, "plan_announced", D(2025, 10, 16)).actual_date

    def test_a_late_expropriation_announcement_is_recorded_and_flagged(self, world, project):  # type: ignore[no-untyped-def]
        record(world.pm, project, "plan_announced", D(2025, 10, 20))
        record(world.pm, project, "plan_comment_closed", D(2025, 11, 20))
        record(world.pm, project, "agreements_signed", D(2025, 12, 1))
        record(world.pm, project, "application", D(2025, 12, 5))
        record(world.pm, project, "approved", D(2026, 1, 5))
        # 15 working days after 5 Jan 2026 is 26 Jan 2026.
        on_time = record(world.pm, project, "expropriation_announced", D(2026, 1, 26))
        assert not on_time.late
        other = ProjectFactory(code="JT-2", kind=ProjectKind.COLLECTIVE)
        grant(world.pm, RoleCode.PROJECT_MANAGER, other)
        for m in project.milestones.exclude(actual_date=None).exclude(
            code="expropriation_announced"
        ):
            Milestone.objects.filter(project=other, code=m.code).update(actual_date=m.actual_date)
        late = record(world.pm, other, "expropriation_announced", D(2026, 1, 27))
        assert late.late

    def test_a_period_that_reaches_an_unknown_year_says_so(self, world, project, today):  # type: ignore[no-untyped-def]
        today(D(2027, 3, 1))
        for code, day in [
            ("plan_announced", D(2025, 10, 20)),
            ("plan_comment_closed", D(2025, 11, 20)),
            ("agreements_signed", D(2025, 12, 1)),
            ("application", D(2025, 12, 5)),
            ("approved", D(2026, 12, 28)),
        ]:
            record(world.pm, project, code, day)
        with pytest.raises(ValidationError) as exc:
            record(world.pm, project, "expropriation_announced", D(2027, 1, 5))
        assert "2027" in exc.value.message_dict["actual_date"][0]


@pytest.mark.django_db
def test_a_district_is_created_by_a_project_manager_only(world):  # type: ignore[no-untyped-def]
    district = services.district_create(actor=world.pm, code="BQ", name="北区指挥分部")
    assert Event.objects.filter(event_type="district.create", target_id=str(district.pk)).exists()
    with pytest.raises(AccessDenied):
        services.district_create(actor=world.surveyor, code="NQ", name="南区")
    stranger = UserFactory(username="stranger")
    with pytest.raises(AccessDenied):
        services.district_create(actor=stranger, code="NQ", name="南区")
    assert DistrictFactory._meta.model.objects.filter(code="NQ").count() == 0
