from __future__ import annotations

import pytest

from zhengqian.audit.models import Event, EventKind
from zhengqian.projects.models import Project


@pytest.mark.django_db
class TestProjectList:
    def test_it_shows_only_the_users_projects(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.pm).get("/projects/")
        assert r.status_code == 200
        assert "甲项目" in r.content.decode() and "乙项目" not in r.content.decode()

    def test_a_system_wide_supervisor_sees_every_project(self, world, login):  # type: ignore[no-untyped-def]
        body = login(world.supervisor).get("/projects/").content.decode()
        assert "甲项目" in body and "乙项目" in body

    def test_an_outsider_sees_none(self, world, login):  # type: ignore[no-untyped-def]
        body = login(world.outsider).get("/projects/").content.decode()
        assert "甲项目" not in body and "乙项目" not in body

    def test_anonymous_users_are_sent_to_the_login_page(self, client, world):  # type: ignore[no-untyped-def]
        r = client.get("/projects/")
        assert r.status_code == 302 and r.url.startswith("/accounts/login/")

    def test_wrong_method_is_refused(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.pm).post("/projects/").status_code == 405


@pytest.mark.django_db
class TestProjectDetail:
    def test_a_member_sees_targets_work_groups_and_milestones(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).get(f"/projects/{world.project.pk}/")
        body = r.content.decode()
        assert r.status_code == 200
        assert "第一工作组" in body and 'data-testid="milestones"' in body
        assert 'data-code="plan_comment_closed"' in body
        # A surveyor may look but not record milestones.
        assert "/milestones/" not in body

    def test_another_projects_id_answers_404_and_is_recorded(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.pm).get(f"/projects/{world.other_project.pk}/")
        assert r.status_code == 404
        event = Event.objects.get(event_type="access.out_of_scope")
        assert event.kind == EventKind.DENIED and event.actor_id == world.pm.pk

    def test_an_unknown_id_answers_404(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.pm).get("/projects/999999/").status_code == 404


@pytest.mark.django_db
class TestProjectCreate:
    data = {
        "code": "XM2026-国-07",
        "name": "老城区改造",
        "kind": "state_owned",
        "target_households": "88",
        "target_building_area": "9650.25",
        "target_land_area": "12.5",
        "planned_start": "2026-12-01",
        "planned_signing_end": "2027-03-31",
        "demolish_within_days": "30",
    }

    def test_a_project_manager_creates_a_project(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.pm).post(
            "/projects/new/", {**self.data, "district": world.project.district_id}
        )
        project = Project.objects.get(code="XM2026-国-07")
        assert r.status_code == 302 and r.url == f"/projects/{project.pk}/"
        assert project.milestones.count() == 15

    def test_invalid_input_is_shown_at_the_field_in_chinese(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.pm).post(
            "/projects/new/",
            {
                **self.data,
                "district": world.project.district_id,
                "target_households": "-3",
                "planned_signing_end": "2026-11-01",
            },
        )
        body = r.content.decode()
        assert r.status_code == 400
        assert 'data-field-error="target_households"' in body
        assert 'data-field-error="planned_signing_end"' in body
        assert "确保该值大于或等于0" in body
        assert not Project.objects.filter(code="XM2026-国-07").exists()

    def test_a_surveyor_is_refused_and_the_attempt_is_recorded(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).post(
            "/projects/new/", {**self.data, "district": world.project.district_id}
        )
        assert r.status_code == 403
        assert not Project.objects.filter(code="XM2026-国-07").exists()
        event = Event.objects.get(event_type="access.denied")
        assert event.actor_id == world.surveyor.pk
        assert event.details["module"] == "projects" and event.details["action"] == "create"


@pytest.mark.django_db
class TestProjectEdit:
    def test_the_manager_edits_the_targets(self, world, login):  # type: ignore[no-untyped-def]
        client = login(world.pm)
        form = client.get(f"/projects/{world.project.pk}/edit/")
        assert form.status_code == 200
        r = client.post(
            f"/projects/{world.project.pk}/edit/",
            {
                "code": "XM-A",
                "name": "甲项目",
                "kind": "collective",
                "status": "active",
                "district": world.project.district_id,
                "target_households": "130",
                "target_building_area": "15000.00",
                "target_land_area": "30.50",
                "demolish_within_days": "45",
            },
        )
        assert r.status_code == 302
        world.project.refresh_from_db()
        assert world.project.target_households == 130
        assert world.project.demolish_within_days == 45
        assert world.project.kind == "state_owned"  # the type field is disabled

    def test_a_viewer_may_not_edit(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.viewer).get(f"/projects/{world.project.pk}/edit/").status_code == 403

    def test_another_projects_manager_gets_404(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.other_pm).get(f"/projects/{world.project.pk}/edit/").status_code == 404


@pytest.mark.django_db
class TestMilestoneRecording:
    def url(self, world, code):  # type: ignore[no-untyped-def]
        m = world.project.milestones.get(code=code)
        return f"/projects/{world.project.pk}/milestones/{m.pk}/record/"

    def test_the_manager_records_a_step(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.pm).post(
            self.url(world, "survey"), {"actual_date": "2026-01-05", "note": "调查公告"}
        )
        assert r.status_code == 302
        assert str(world.project.milestones.get(code="survey").actual_date) == "2026-01-05"

    def test_a_step_out_of_order_is_refused_at_the_date_field(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.pm).post(self.url(world, "plan_published"), {"actual_date": "2026-01-05"})
        body = r.content.decode()
        assert r.status_code == 400
        assert 'data-field-error="actual_date"' in body
        assert world.project.milestones.get(code="plan_published").actual_date is None

    def test_a_surveyor_is_refused(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).post(self.url(world, "survey"), {"actual_date": "2026-01-05"})
        assert r.status_code == 403
        assert world.project.milestones.get(code="survey").actual_date is None

    def test_another_projects_manager_gets_404(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.other_pm).post(self.url(world, "survey"), {"actual_date": "2026-01-05"})
        assert r.status_code == 404

    def test_get_is_not_allowed(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.pm).get(self.url(world, "survey")).status_code == 405

    def test_a_planned_date_is_saved(self, world, login):  # type: ignore[no-untyped-def]
        m = world.project.milestones.get(code="decision_announced")
        r = login(world.pm).post(
            f"/projects/{world.project.pk}/milestones/{m.pk}/plan/", {"planned_date": "2026-12-20"}
        )
        assert r.status_code == 302
        m.refresh_from_db()
        assert str(m.planned_date) == "2026-12-20"


@pytest.mark.django_db
def test_a_work_group_is_added_from_the_project_page(world, login):  # type: ignore[no-untyped-def]
    r = login(world.pm).post(f"/projects/{world.project.pk}/work-groups/", {"name": "第三工作组"})
    assert r.status_code == 302
    assert world.project.work_groups.filter(name="第三工作组").exists()
    r = login(world.viewer).post(
        f"/projects/{world.project.pk}/work-groups/", {"name": "第四工作组"}
    )
    assert r.status_code == 403
