"""The publication of the survey results (调查结果公示) and the duplicate report (杜绝二次补偿)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengqian.audit.models import Event, EventKind
from zhengqian.survey.tests.test_services import (
    HEAD_ID,
    WIFE_ID,
    make_ancillary,
    make_building,
    make_household,
    make_person,
)


def publication_url(world) -> str:  # type: ignore[no-untyped-def]
    return f"/survey/projects/{world.project.pk}/publication/"


def duplicates_url(world) -> str:  # type: ignore[no-untyped-def]
    return f"/survey/projects/{world.project.pk}/duplicates/"


@pytest.fixture
def household(world):  # type: ignore[no-untyped-def]
    h = make_household(
        world.project, work_group=world.group, head_name="张建三", head_id_number=HEAD_ID
    )
    make_building(h, number="1", area="120.50")
    make_building(h, number="2", area="30.25")
    make_ancillary(h, kind="wall", quantity="12.50", unit="米")
    make_ancillary(h, kind="wall", quantity="3.00", unit="米")
    make_ancillary(h, kind="tree", quantity="4", unit="株")
    return h


@pytest.mark.django_db
class TestPublication:
    def test_it_lists_the_households_with_masked_names_and_id_numbers(  # type: ignore[no-untyped-def]
        self, world, household, login
    ):
        r = login(world.surveyor).get(publication_url(world))
        body = r.content.decode()
        assert r.status_code == 200
        assert "张*三" in body and "张建三" not in body
        assert HEAD_ID[:4] + "**********" + HEAD_ID[-4:] in body and HEAD_ID not in body
        assert "150.75" in body  # 120.50 + 30.25
        assert "围墙 15.50米" in body and "树木 4株" in body
        assert "@media print" in body
        [event] = Event.objects.filter(event_type="survey.publication_view")
        assert event.kind == EventKind.READ and event.project_id == world.project.pk
        assert event.details["households"] == 1

    def test_it_can_be_limited_to_one_work_group(self, world, household, login):  # type: ignore[no-untyped-def]
        make_household(world.project, code="H-002", work_group=world.other_group)
        client = login(world.surveyor)
        body = client.get(publication_url(world), {"work_group": world.other_group.pk}).content
        assert b'data-household="H-002"' in body and b'data-household="H-001"' not in body

    def test_the_queries_do_not_grow_with_the_households(self, world, household, login):  # type: ignore[no-untyped-def]
        client = login(world.surveyor)

        def queries() -> int:
            client.get(publication_url(world))
            with CaptureQueriesContext(connection) as captured:
                client.get(publication_url(world))
            return len(captured)

        few = queries()
        for i in range(2, 30):
            h = make_household(world.project, code=f"H-{i:03d}")
            make_building(h)
            make_ancillary(h)
        assert queries() == few

    def test_a_group_surveyor_publishes_only_their_group(self, world, household, login):  # type: ignore[no-untyped-def]
        make_household(world.project, code="H-002", work_group=world.other_group)
        body = login(world.group_surveyor).get(publication_url(world)).content
        assert b'data-household="H-001"' in body and b'data-household="H-002"' not in body

    def test_another_projects_surveyor_gets_404(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.other_surveyor).get(publication_url(world)).status_code == 404

    def test_a_viewer_gets_403(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.viewer).get(publication_url(world)).status_code == 403

    def test_post_is_refused(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.surveyor).post(publication_url(world)).status_code == 405


@pytest.mark.django_db
class TestDuplicateReport:
    def test_it_names_the_households_holding_the_same_numbers(self, world, household, login):  # type: ignore[no-untyped-def]
        make_person(household, name="李秀英", relation="spouse", sex="F", id_number=WIFE_ID)
        elsewhere = make_household(world.other_project, code="B-001", head_id_number=WIFE_ID)
        make_building(household, number="3", title_certificate_no="浙(2019)第1号")
        make_building(elsewhere, number="9", title_certificate_no="浙(2019)第1号")
        r = login(world.surveyor).get(duplicates_url(world))
        body = r.content.decode()
        assert r.status_code == 200
        assert 'data-holder="XM-B/B-001"' in body and 'data-holder="XM-A/H-001"' in body
        assert WIFE_ID not in body and "浙(2019)第1号" in body
        [event] = Event.objects.filter(event_type="survey.duplicates_view")
        assert event.kind == EventKind.READ
        assert event.details == {"id_numbers": 1, "title_certificates": 1, "rush": 0}

    def test_it_lists_building_after_the_announcement(self, world, household, login):  # type: ignore[no-untyped-def]
        world.project.milestones.filter(code="decision_announced").update(
            actual_date=dt.date(2026, 3, 1)
        )
        make_building(household, number="9", built_on=dt.date(2026, 5, 1))
        body = login(world.surveyor).get(duplicates_url(world)).content.decode()
        assert body.count('data-rush="building"') == 1 and "2026-05-01" in body

    def test_another_projects_surveyor_gets_404(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.other_surveyor).get(duplicates_url(world)).status_code == 404

    def test_a_viewer_gets_403(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.viewer).get(duplicates_url(world)).status_code == 403

    def test_post_is_refused(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.surveyor).post(duplicates_url(world)).status_code == 405
