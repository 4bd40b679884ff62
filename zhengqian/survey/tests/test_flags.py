"""Flags that stop a household being compensated wrongly: the same ID number or title
certificate in another household of any project (杜绝二次补偿), and building after the
announcement (抢建/抢栽)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengqian.projects.procedures import ProjectKind
from zhengqian.survey import flags
from zhengqian.survey.models import Household
from zhengqian.survey.tests.test_services import (
    HEAD_ID,
    SON_ID,
    WIFE_ID,
    make_ancillary,
    make_building,
    make_household,
    make_person,
)
from zhengqian.testing.factories import ProjectFactory

TITLE = "浙(2019)慈溪市不动产权第0001号"


@pytest.fixture
def household(world):  # type: ignore[no-untyped-def]
    h = make_household(world.project, code="A-001", head_id_number=HEAD_ID)
    make_person(h, name="张建国", relation="head", id_number=HEAD_ID)
    make_person(h, name="李秀英", relation="spouse", sex="F", id_number=WIFE_ID)
    make_building(h, number="1", title_certificate_no=TITLE)
    make_building(h, number="2", title_certificate_no="")
    return h


def found(duplicates: list[flags.Duplicate]) -> dict[tuple[str, str], list[str]]:
    return {
        (d.kind, d.value): [f"{o.project_code}/{o.household_code}/{o.role}" for o in d.others]
        for d in duplicates
    }


@pytest.mark.django_db
class TestHouseholdDuplicates:
    def test_a_household_alone_has_none(self, household):  # type: ignore[no-untyped-def]
        assert flags.household_duplicates(household) == []

    def test_a_member_of_another_projects_household_is_found(self, world, household):  # type: ignore[no-untyped-def]
        other = make_household(world.other_project, code="B-001", head_name="王五")
        make_person(other, name="李秀英", relation="child_in_law", sex="F", id_number=WIFE_ID)
        assert found(flags.household_duplicates(household)) == {
            (flags.ID_NUMBER, WIFE_ID): ["XM-B/B-001/member"]
        }

    def test_a_head_recorded_only_on_the_household_is_found_both_ways(self, world, household):  # type: ignore[no-untyped-def]
        # The other household names its head by number, without a person row.
        other = make_household(world.other_project, code="B-002", head_id_number=HEAD_ID)
        assert found(flags.household_duplicates(household)) == {
            (flags.ID_NUMBER, HEAD_ID): ["XM-B/B-002/head"]
        }
        [back] = flags.household_duplicates(other)
        assert back.mine == [other]
        assert [(o.household_code, o.role) for o in back.others] == [("A-001", "head")]

    def test_a_household_that_holds_a_number_twice_is_listed_once_as_head(self, world, household):  # type: ignore[no-untyped-def]
        other = make_household(world.project, code="A-002", head_id_number=HEAD_ID)
        make_person(other, name="张建国", relation="head", id_number=HEAD_ID)
        assert found(flags.household_duplicates(household)) == {
            (flags.ID_NUMBER, HEAD_ID): ["XM-A/A-002/head"]
        }

    def test_the_same_title_certificate_is_found_and_no_empty_one(self, world, household):  # type: ignore[no-untyped-def]
        other = make_household(world.other_project, code="B-003")
        make_building(other, number="7", title_certificate_no=TITLE)
        make_building(other, number="8", title_certificate_no="")
        [dup] = flags.household_duplicates(household)
        assert dup.kind == flags.TITLE and dup.value == TITLE
        assert [b.number for b in dup.mine] == ["1"]
        assert [(o.household_code, o.detail) for o in dup.others] == [("B-003", "7")]

    def test_two_buildings_of_one_household_may_share_a_certificate(self, world, household):  # type: ignore[no-untyped-def]
        make_building(household, number="3", title_certificate_no=TITLE)
        assert flags.household_duplicates(household) == []

    def test_the_lookup_is_two_queries_whatever_the_household_holds(self, world, household):  # type: ignore[no-untyped-def]
        other = make_household(world.other_project, code="B-001", head_id_number=SON_ID)
        make_person(other, name="李秀英", relation="spouse", sex="F", id_number=WIFE_ID)
        make_building(other, number="1", title_certificate_no=TITLE)
        persons, buildings = list(household.persons.all()), list(household.buildings.all())
        with CaptureQueriesContext(connection) as queries:
            result = flags.household_duplicates(household, persons=persons, buildings=buildings)
        assert len(queries) == 2 and len(result) == 2


@pytest.mark.django_db
class TestDuplicateReport:
    def test_it_lists_every_holder_of_a_duplicated_number_in_any_project(self, world, household):  # type: ignore[no-untyped-def]
        b1 = make_household(world.other_project, code="B-001")
        make_person(b1, name="李秀英", relation="head", sex="F", id_number=WIFE_ID)
        make_building(b1, number="1", title_certificate_no=TITLE)
        make_household(world.other_project, code="B-002", head_id_number=WIFE_ID)
        unique = make_household(world.project, code="A-003", head_id_number=SON_ID)
        make_person(unique, name="张伟", relation="head", id_number=SON_ID)

        report = flags.duplicate_report(
            Household.objects.filter(project=world.project), project=world.project
        )
        assert [d.value for d in report.id_numbers] == [WIFE_ID]
        assert [
            (o.project_code, o.household_code, o.role) for o in report.id_numbers[0].others
        ] == [
            ("XM-A", "A-001", "member"),
            ("XM-B", "B-001", "head"),
            ("XM-B", "B-002", "head"),
        ]
        assert [d.value for d in report.titles] == [TITLE]
        assert [(o.household_code, o.detail) for o in report.titles[0].others] == [
            ("A-001", "1"),
            ("B-001", "1"),
        ]
        assert report.duplicate_count == 2

    def test_only_numbers_of_the_households_in_scope_are_reported(self, world):  # type: ignore[no-untyped-def]
        make_household(world.project, code="A-001", work_group=world.group, head_id_number=SON_ID)
        make_household(
            world.project, code="A-002", work_group=world.other_group, head_id_number=WIFE_ID
        )
        make_household(world.other_project, code="B-001", head_id_number=WIFE_ID)
        in_project = Household.objects.filter(project=world.project)

        report = flags.duplicate_report(
            in_project.filter(work_group=world.group), project=world.project
        )
        assert report.duplicate_count == 0
        report = flags.duplicate_report(
            in_project.filter(work_group=world.other_group), project=world.project
        )
        # The holders are named whatever their scope, by their codes only.
        assert [[o.household_code for o in d.others] for d in report.id_numbers] == [
            ["A-002", "B-001"]
        ]


@pytest.mark.django_db
class TestRushBuilding:
    def announce(self, project, code: str, day: dt.date) -> None:  # type: ignore[no-untyped-def]
        project.milestones.filter(code=code).update(actual_date=day)

    @pytest.mark.parametrize(
        ("kind", "step"),
        [
            (ProjectKind.STATE_OWNED, "decision_announced"),
            (ProjectKind.SHANTYTOWN, "decision_announced"),
            (ProjectKind.COLLECTIVE, "pre_announcement"),
            (ProjectKind.AGREEMENT, "plan_published"),
        ],
    )
    def test_each_kind_of_project_counts_from_its_own_announcement(self, kind, step):  # type: ignore[no-untyped-def]
        project = ProjectFactory(kind=kind)
        assert flags.announcement_date(project) is None
        self.announce(project, step, dt.date(2026, 3, 1))
        assert flags.announcement_date(project) == dt.date(2026, 3, 1)

    def test_buildings_and_ancillaries_after_the_day_are_flagged(self, world):  # type: ignore[no-untyped-def]
        self.announce(world.project, "decision_announced", dt.date(2026, 3, 1))
        h = make_household(world.project)
        before = make_building(h, number="1", built_on=dt.date(2026, 2, 28))
        same_day = make_building(h, number="2", built_on=dt.date(2026, 3, 1))
        after = make_building(h, number="3", built_on=dt.date(2026, 3, 2))
        year_after = make_building(h, number="4", year_built=2027)
        same_year = make_building(h, number="5", year_built=2026)
        unknown = make_building(h, number="6")
        trees = make_ancillary(h, kind="tree", unit="株", built_on=dt.date(2026, 4, 1))
        old_wall = make_ancillary(h, built_on=dt.date(2010, 1, 1))

        rush = flags.rush_flags(
            announced_on=flags.announcement_date(world.project),
            buildings=[before, same_day, after, year_after, same_year, unknown],
            ancillaries=[trees, old_wall],
        )
        assert [f.record for f in rush] == [after, year_after, trees]
        assert [f.built for f in rush] == ["2026-03-02", "2027", "2026-04-01"]

        report = flags.duplicate_report(
            Household.objects.filter(project=world.project), project=world.project
        )
        assert report.rush_buildings == [after, year_after]
        assert report.rush_ancillaries == [trees] and report.rush_total == 3

    def test_nothing_is_flagged_before_the_announcement_is_recorded(self, world):  # type: ignore[no-untyped-def]
        h = make_household(world.project)
        b = make_building(h, built_on=dt.date(2030, 1, 1))
        assert flags.rush_flags(announced_on=None, buildings=[b]) == []
        report = flags.duplicate_report(
            Household.objects.filter(project=world.project), project=world.project
        )
        assert report.announced_on is None and report.rush_total == 0
