"""The survey pages: project overview, household list, household page, forms, unmasking.

Every view is tried by its surveyor (allowed), by staff of another project (404), by a role
without the right (403), with the wrong method (405); a surveyor limited to one work group gets
404 for a household of another group.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengqian.audit.models import Event, EventKind
from zhengqian.core.idcard import make_id_number
from zhengqian.ownership.models import Confirmation, ConfirmationStatus
from zhengqian.survey.models import Ancillary, Building, Household, Person
from zhengqian.survey.tests.test_services import (
    HEAD_ID,
    SON_ID,
    WIFE_ID,
    lock_confirmation,
    make_ancillary,
    make_building,
    make_household,
    make_person,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def events(event_type: str) -> list[Event]:
    return list(Event.objects.filter(event_type=event_type).order_by("seq"))


@pytest.fixture
def household(world):  # type: ignore[no-untyped-def]
    h = make_household(
        world.project, work_group=world.group, head_name="张建国", head_id_number=HEAD_ID
    )
    make_person(h, name="张建国", relation="head", sex="M", id_number=HEAD_ID)
    make_person(h, name="李秀英", relation="spouse", sex="F", id_number=WIFE_ID)
    make_building(
        h, number="1", area="120.50", title_certificate_no="浙(2019)慈溪市不动产权第0001号"
    )
    make_ancillary(h, kind="wall", quantity="12.50", unit="米")
    return h


@pytest.mark.django_db
class TestSurveyIndex:
    def test_it_lists_the_users_projects_with_their_household_counts(self, world, household, login):  # type: ignore[no-untyped-def]
        make_household(world.project, code="H-002", work_group=world.other_group)
        make_household(world.other_project, code="B-001")
        body = login(world.surveyor).get("/survey/").content.decode()
        assert 'data-project="XM-A"' in body and 'data-project="XM-B"' not in body
        assert '<td class="text-end" data-testid="household-count">2</td>' in body

    def test_a_group_surveyor_counts_only_their_groups_households(self, world, household, login):  # type: ignore[no-untyped-def]
        make_household(world.project, code="H-002", work_group=world.other_group)
        body = login(world.group_surveyor).get("/survey/").content.decode()
        assert '<td class="text-end" data-testid="household-count">1</td>' in body

    def test_a_viewer_without_survey_rights_sees_no_project(self, world, login):  # type: ignore[no-untyped-def]
        body = login(world.viewer).get("/survey/").content.decode()
        assert 'data-project="XM-A"' not in body

    def test_the_navigation_leads_there(self, world, login):  # type: ignore[no-untyped-def]
        body = login(world.surveyor).get("/projects/").content.decode()
        assert 'href="/survey/" data-module="survey"' in body

    def test_post_is_refused(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.surveyor).post("/survey/").status_code == 405


def list_url(world) -> str:  # type: ignore[no-untyped-def]
    return f"/survey/projects/{world.project.pk}/households/"


@pytest.mark.django_db
class TestHouseholdList:
    def test_the_surveyor_sees_the_households_with_names_and_masked_id_numbers(  # type: ignore[no-untyped-def]
        self, world, household, login
    ):
        r = login(world.surveyor).get(list_url(world))
        body = r.content.decode()
        assert r.status_code == 200
        assert 'data-household="H-001"' in body and "张建国" in body
        assert HEAD_ID not in body and HEAD_ID[:4] + "*" * 10 + HEAD_ID[-4:] in body
        # No filter, no search event: browsing the list shows only masked data.
        assert not events("household.search")

    def test_a_role_without_personal_data_rights_sees_masked_names(self, world, household, login):  # type: ignore[no-untyped-def]
        body = login(world.accountant).get(list_url(world)).content.decode()
        assert "张*国" in body and "张建国" not in body

    def test_another_projects_surveyor_gets_404(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.other_surveyor).get(list_url(world)).status_code == 404

    def test_a_viewer_gets_403(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.viewer).get(list_url(world)).status_code == 403

    def test_post_is_refused(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.surveyor).post(list_url(world)).status_code == 405

    def test_a_group_surveyor_sees_only_their_group(self, world, household, login):  # type: ignore[no-untyped-def]
        make_household(world.project, code="H-002", work_group=world.other_group)
        make_household(world.project, code="H-003")
        body = login(world.group_surveyor).get(list_url(world)).content.decode()
        assert 'data-household="H-001"' in body
        assert 'data-household="H-002"' not in body and 'data-household="H-003"' not in body

    def test_a_search_by_name_is_recorded_with_its_filters_and_count(self, world, household, login):  # type: ignore[no-untyped-def]
        make_household(world.project, code="H-002", head_name="王小明")
        r = login(world.surveyor).get(list_url(world), {"q": "建国", "kind": "residential"})
        body = r.content.decode()
        assert 'data-household="H-001"' in body and 'data-household="H-002"' not in body
        [event] = events("household.search")
        assert event.kind == EventKind.SEARCH and event.project_id == world.project.pk
        assert event.details == {"query": {"q": "建国", "kind": "residential"}, "results": 1}

    def test_the_address_and_the_code_are_searched_too(self, world, household, login):  # type: ignore[no-untyped-def]
        make_household(world.project, code="H-002", address="浙江省慈溪市解放路8号")
        client = login(world.surveyor)
        body = client.get(list_url(world), {"q": "解放路"}).content.decode()
        assert 'data-household="H-002"' in body and 'data-household="H-001"' not in body
        body = client.get(list_url(world), {"q": "H-001"}).content.decode()
        assert 'data-household="H-001"' in body and 'data-household="H-002"' not in body

    def test_an_id_number_finds_the_household_of_a_member_exactly(self, world, household, login):  # type: ignore[no-untyped-def]
        other = make_household(world.project, code="H-002", head_name="王小明")
        make_person(other, name="王小明", relation="head", id_number=SON_ID)
        client = login(world.surveyor)
        # Typed with a lowercase x, spaces or full-width digits, it is the same number.
        body = client.get(list_url(world), {"id_number": f" {WIFE_ID.lower()} "}).content.decode()
        assert 'data-household="H-001"' in body and 'data-household="H-002"' not in body
        body = client.get(list_url(world), {"id_number": SON_ID}).content.decode()
        assert 'data-household="H-002"' in body and 'data-household="H-001"' not in body
        # Part of a number finds nothing: the search is exact (on the indexed column).
        r = client.get(list_url(world), {"id_number": SON_ID[:10]})
        assert r.status_code == 400 and 'data-field-error="id_number"' in r.content.decode()
        assert events("household.search")[0].details["query"] == {"id_number": WIFE_ID}

    def test_filters_by_work_group_kind_and_derived_status(self, world, household, login):  # type: ignore[no-untyped-def]
        shop = make_household(
            world.project, code="H-002", work_group=world.other_group, kind="non_residential"
        )
        empty = make_household(world.project, code="H-003", work_group=world.other_group)
        Confirmation.objects.create(household=shop, status=ConfirmationStatus.SUBMITTED)
        client = login(world.surveyor)

        def shown(**query: str) -> set[str]:
            body = client.get(list_url(world), query).content.decode()
            return {
                code for code in ("H-001", "H-002", "H-003") if f'data-household="{code}"' in body
            }

        assert shown(work_group=str(world.other_group.pk)) == {"H-002", "H-003"}
        assert shown(kind="non_residential") == {"H-002"}
        assert shown(status="surveyed") == {"H-001"}
        assert shown(status="no_buildings") == {"H-003"}
        assert shown(status="confirmation_submitted") == {"H-002"}
        assert shown(status="confirmation_locked") == set()
        body = client.get(list_url(world), {"status": "confirmation_locked"}).content.decode()
        assert 'data-testid="no-households"' in body
        lock_confirmation(empty)
        assert shown(status="confirmation_locked") == {"H-003"}

    def test_a_work_group_outside_the_users_scope_is_not_a_valid_filter(  # type: ignore[no-untyped-def]
        self, world, household, login
    ):
        r = login(world.group_surveyor).get(
            list_url(world), {"work_group": str(world.other_group.pk)}
        )
        assert r.status_code == 400 and 'data-household="H-001"' not in r.content.decode()

    def test_htmx_gets_the_rows_only(self, world, household, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).get(list_url(world), {"q": "建国"}, **HTMX)
        body = r.content.decode()
        assert r.status_code == 200 and "<html" not in body and 'data-household="H-001"' in body

    def test_htmx_gets_what_to_correct_in_the_rows(self, world, household, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).get(list_url(world), {"id_number": "12345"}, **HTMX)
        body = r.content.decode()
        # HTMX swaps only successful answers, so the error comes as the rows' content.
        assert r.status_code == 200 and 'data-testid="search-errors"' in body
        assert 'data-household="H-001"' not in body and not events("household.search")

    def test_the_list_is_paged_by_fifty(self, world, login):  # type: ignore[no-untyped-def]
        Household.objects.bulk_create(
            Household(
                project=world.project,
                code=f"P-{i:03d}",
                head_name="测试户",
                division_code="330282",
                address="测试地址",
            )
            for i in range(120)
        )
        client = login(world.surveyor)
        body = client.get(list_url(world)).content.decode()
        assert body.count("data-household=") == 50 and "P-049" in body and "P-050" not in body
        body = client.get(list_url(world), {"page": "3"}).content.decode()
        assert body.count("data-household=") == 20 and "P-119" in body

    def test_the_number_of_queries_does_not_grow_with_the_page(self, world, login):  # type: ignore[no-untyped-def]
        client = login(world.surveyor)

        def add(start: int, count: int) -> None:
            for i in range(start, start + count):
                h = make_household(
                    world.project,
                    code=f"Q-{i:03d}",
                    work_group=world.group if i % 2 else world.other_group,
                    head_id_number=make_id_number("330282", dt.date(1970, 1, 1), i),
                )
                make_person(h, name="测试", id_number=h.head_id_number, sex="M" if i % 2 else "F")
                make_building(h)
                make_ancillary(h)
                if i % 3 == 0:
                    Confirmation.objects.create(household=h, status=ConfirmationStatus.DRAFT)

        def queries(**query: str) -> int:
            client.get(list_url(world), query)  # warm the per-process caches
            with CaptureQueriesContext(connection) as captured:
                r = client.get(list_url(world), query)
            assert r.status_code == 200
            return len(captured)

        add(0, 10)
        plain, searched = queries(), queries(kind="residential", status="surveyed")
        add(10, 50)  # 60 households now: a full page of 50
        body = client.get(list_url(world), {"kind": "residential"}).content.decode()
        assert body.count("data-household=") == 50
        assert queries() == plain
        assert queries(kind="residential", status="surveyed") == searched


def detail_url(household: Household) -> str:
    return f"/survey/households/{household.pk}/"


@pytest.mark.django_db
class TestHouseholdPage:
    def test_it_shows_every_record_and_the_view_is_recorded(self, world, household, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).get(detail_url(household))
        body = r.content.decode()
        assert r.status_code == 200
        assert 'data-person="' in body and "李秀英" in body and "配偶" in body
        assert 'data-building="1"' in body and "砖混结构" in body and "120.50" in body
        assert "围墙" in body and "12.50" in body
        assert WIFE_ID not in body and HEAD_ID not in body  # masked until asked for
        [event] = events("household.view")
        assert event.kind == EventKind.READ and event.target_id == str(household.pk)
        assert event.project_id == world.project.pk

    def test_it_includes_the_ownership_confirmation_section(self, world, household, login):  # type: ignore[no-untyped-def]
        Confirmation.objects.create(household=household, status=ConfirmationStatus.DRAFT)
        body = login(world.surveyor).get(detail_url(household)).content.decode()
        assert 'data-testid="ownership-section"' in body

    def test_names_are_masked_for_a_role_without_personal_data_rights(
        self, world, household, login
    ):  # type: ignore[no-untyped-def]
        body = login(world.accountant).get(detail_url(household)).content.decode()
        assert "李*英" in body and 'data-testid="unmask-person"' not in body
        # An accountant reads the survey but may not edit it.
        assert f"/survey/households/{household.pk}/edit/" not in body

    def test_another_projects_surveyor_gets_404(self, world, household, login):  # type: ignore[no-untyped-def]
        assert login(world.other_surveyor).get(detail_url(household)).status_code == 404
        assert events("access.out_of_scope")

    def test_a_group_surveyor_gets_404_for_another_groups_household(self, world, login):  # type: ignore[no-untyped-def]
        theirs = make_household(world.project, code="H-009", work_group=world.other_group)
        assert login(world.group_surveyor).get(detail_url(theirs)).status_code == 404

    def test_a_viewer_gets_403(self, world, household, login):  # type: ignore[no-untyped-def]
        assert login(world.viewer).get(detail_url(household)).status_code == 403

    def test_post_is_refused(self, world, household, login):  # type: ignore[no-untyped-def]
        assert login(world.surveyor).post(detail_url(household)).status_code == 405

    def test_a_number_held_in_another_project_is_flagged_by_codes_only(  # type: ignore[no-untyped-def]
        self, world, household, login
    ):
        elsewhere = make_household(world.other_project, code="B-077", head_name="李秀英")
        make_person(elsewhere, name="李秀英", relation="head", sex="F", id_number=WIFE_ID)
        body = login(world.surveyor).get(detail_url(household)).content.decode()
        assert 'data-testid="duplicate-flags"' in body
        assert 'data-other="XM-B/B-077"' in body
        assert f"/survey/households/{elsewhere.pk}/" not in body

    def test_a_building_after_the_announcement_is_flagged(self, world, household, login):  # type: ignore[no-untyped-def]
        world.project.milestones.filter(code="decision_announced").update(
            actual_date=dt.date(2026, 3, 1)
        )
        make_building(household, number="2", built_on=dt.date(2026, 3, 20))
        body = login(world.surveyor).get(detail_url(household)).content.decode()
        assert 'data-testid="rush-flags"' in body and "2026-03-20" in body


@pytest.mark.django_db
class TestUnmasking:
    def url(self, person: Person) -> str:
        return f"/survey/persons/{person.pk}/unmask/"

    def test_the_surveyor_sees_the_full_number_and_it_is_recorded(self, world, household, login):  # type: ignore[no-untyped-def]
        wife = household.persons.get(relation="spouse")
        r = login(world.surveyor).post(self.url(wife), **HTMX)
        assert r.status_code == 200 and WIFE_ID in r.content.decode()
        assert "<html" not in r.content.decode()
        [event] = events("person.unmask_id")
        assert event.kind == EventKind.READ and event.target_id == str(wife.pk)
        assert event.details == {"household": household.pk, "field": "id_number"}

    def test_without_htmx_a_page_shows_it(self, world, household, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).post(f"/survey/households/{household.pk}/unmask/")
        assert r.status_code == 200 and HEAD_ID in r.content.decode()
        assert events("household.unmask_id")

    def test_an_accountant_may_not_unmask(self, world, household, login):  # type: ignore[no-untyped-def]
        wife = household.persons.get(relation="spouse")
        r = login(world.accountant).post(self.url(wife))
        assert r.status_code == 403 and WIFE_ID not in r.content.decode()
        assert not events("person.unmask_id")

    def test_another_projects_surveyor_gets_404(self, world, household, login):  # type: ignore[no-untyped-def]
        wife = household.persons.get(relation="spouse")
        assert login(world.other_surveyor).post(self.url(wife)).status_code == 404

    def test_get_is_refused(self, world, household, login):  # type: ignore[no-untyped-def]
        wife = household.persons.get(relation="spouse")
        assert login(world.surveyor).get(self.url(wife)).status_code == 405


HOUSEHOLD_POST = {
    "work_group": "",
    "code": "H-200",
    "kind": "residential",
    "head_name": "陈志强",
    "head_id_number": "",
    "phone": "13900002222",
    "division_code": "330282",
    "address": "浙江省慈溪市新塘镇红旗村二组8号",
    "land_type": "collective_homestead",
    "business_licence": "",
    "tenants": "",
    "notes": "",
}


@pytest.mark.django_db
class TestHouseholdForms:
    def create_url(self, world) -> str:  # type: ignore[no-untyped-def]
        return f"/survey/projects/{world.project.pk}/households/new/"

    def test_the_surveyor_creates_a_household(self, world, login):  # type: ignore[no-untyped-def]
        client = login(world.surveyor)
        assert client.get(self.create_url(world)).status_code == 200
        r = client.post(
            self.create_url(world),
            {**HOUSEHOLD_POST, "work_group": world.group.pk, "head_id_number": HEAD_ID.lower()},
        )
        h = Household.objects.get(code="H-200")
        assert r.status_code == 302 and r.url == f"/survey/households/{h.pk}/"
        assert h.head_id_number == HEAD_ID and h.work_group == world.group
        assert h.land_type == "collective_homestead"
        assert events("household.create")[0].actor_id == world.surveyor.pk

    def test_a_residential_household_keeps_no_licence_or_tenants(self, world, login):  # type: ignore[no-untyped-def]
        login(world.surveyor).post(
            self.create_url(world),
            {**HOUSEHOLD_POST, "business_licence": "91330282MA2AB3CD4E", "tenants": "某某"},
        )
        h = Household.objects.get(code="H-200")
        assert h.business_licence == "" and h.tenants == ""

    def test_a_shop_keeps_its_licence_and_tenants(self, world, login):  # type: ignore[no-untyped-def]
        login(world.surveyor).post(
            self.create_url(world),
            {
                **HOUSEHOLD_POST,
                "kind": "non_residential",
                "business_licence": "91330282ma2ab3cd4e",
                "tenants": "慈溪市某某超市",
            },
        )
        h = Household.objects.get(code="H-200")
        assert h.business_licence == "91330282MA2AB3CD4E" and h.tenants == "慈溪市某某超市"

    def test_errors_are_shown_at_their_fields(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).post(
            self.create_url(world),
            {**HOUSEHOLD_POST, "head_id_number": HEAD_ID[:17] + "Z", "division_code": "33"},
        )
        body = r.content.decode()
        assert r.status_code == 400
        assert 'data-field-error="head_id_number"' in body
        assert 'data-field-error="division_code"' in body
        assert not Household.objects.filter(code="H-200").exists()

    def test_a_duplicate_code_is_refused(self, world, household, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).post(self.create_url(world), {**HOUSEHOLD_POST, "code": "H-001"})
        assert r.status_code == 400 and Household.objects.filter(code="H-001").count() == 1

    def test_a_group_surveyor_must_choose_their_group(self, world, login):  # type: ignore[no-untyped-def]
        client = login(world.group_surveyor)
        r = client.post(self.create_url(world), HOUSEHOLD_POST)
        assert r.status_code == 400 and 'data-field-error="work_group"' in r.content.decode()
        r = client.post(
            self.create_url(world), {**HOUSEHOLD_POST, "work_group": world.other_group.pk}
        )
        assert r.status_code == 400 and not Household.objects.exists()

    def test_an_accountant_is_refused(self, world, login):  # type: ignore[no-untyped-def]
        client = login(world.accountant)
        assert client.get(self.create_url(world)).status_code == 403
        assert client.post(self.create_url(world), HOUSEHOLD_POST).status_code == 403
        assert not Household.objects.exists()

    def test_another_projects_surveyor_gets_404(self, world, login):  # type: ignore[no-untyped-def]
        assert (
            login(world.other_surveyor).post(self.create_url(world), HOUSEHOLD_POST).status_code
            == 404
        )

    def test_put_is_refused(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.surveyor).put(self.create_url(world)).status_code == 405

    def test_the_surveyor_edits_a_household_and_the_change_is_audited(
        self, world, household, login
    ):  # type: ignore[no-untyped-def]
        url = f"/survey/households/{household.pk}/edit/"
        client = login(world.surveyor)
        r = client.get(url)
        assert r.status_code == 200 and HEAD_ID in r.content.decode()
        assert events("household.edit_view")  # the form shows the number unmasked
        data = {
            **HOUSEHOLD_POST,
            "code": "H-001",
            "head_name": "张建国",
            "head_id_number": HEAD_ID,
            "work_group": world.group.pk,
            "address": "浙江省慈溪市新塘镇红旗村三组28号",
        }
        r = client.post(url, data)
        assert r.status_code == 302
        [event] = events("household.update")
        assert event.changes["address"] == [
            "浙江省慈溪市新塘镇红旗村三组27号",
            "浙江省慈溪市新塘镇红旗村三组28号",
        ]

    def test_a_locked_household_is_not_edited(self, world, household, login):  # type: ignore[no-untyped-def]
        lock_confirmation(household)
        data = {**HOUSEHOLD_POST, "code": "H-001", "work_group": world.group.pk}
        r = login(world.surveyor).post(f"/survey/households/{household.pk}/edit/", data)
        assert r.status_code == 400 and 'class="alert alert-danger"' in r.content.decode()
        household.refresh_from_db()
        assert household.head_name == "张建国"

    def test_a_viewer_and_an_accountant_may_not_edit(self, world, household, login):  # type: ignore[no-untyped-def]
        url = f"/survey/households/{household.pk}/edit/"
        assert login(world.viewer).get(url).status_code == 403
        assert login(world.accountant).get(url).status_code == 403

    def test_a_group_surveyor_gets_404_for_another_groups_household(self, world, login):  # type: ignore[no-untyped-def]
        theirs = make_household(world.project, code="H-009", work_group=world.other_group)
        url = f"/survey/households/{theirs.pk}/edit/"
        assert login(world.group_surveyor).get(url).status_code == 404

    def test_the_surveyor_deletes_a_household(self, world, household, login):  # type: ignore[no-untyped-def]
        client = login(world.surveyor)
        url = f"/survey/households/{household.pk}/delete/"
        assert client.get(url).status_code == 405
        r = client.post(url)
        assert r.status_code == 302 and r.url == list_url(world)
        assert not Household.objects.filter(pk=household.pk).exists()
        assert events("household.delete")

    def test_an_accountant_may_not_delete(self, world, household, login):  # type: ignore[no-untyped-def]
        r = login(world.accountant).post(f"/survey/households/{household.pk}/delete/")
        assert r.status_code == 403 and Household.objects.filter(pk=household.pk).exists()


@pytest.mark.django_db
class TestMemberForms:
    def test_a_person_gets_sex_and_birth_date_from_the_id_number(self, world, household, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).post(
            f"/survey/households/{household.pk}/persons/new/",
            {
                "name": "张伟",
                "id_number": SON_ID,
                "relation": "child",
                "sex": "",
                "hukou_type": "agricultural",
                "registered_here": "on",
            },
        )
        assert r.status_code == 302 and r.url.endswith(
            f"/survey/households/{household.pk}/#persons"
        )
        son = household.persons.get(name="张伟")
        assert son.sex == "M" and son.birth_date == dt.date(1995, 12, 30)
        assert son.registered_here and son.hukou_type == "agricultural"

    def test_a_person_without_id_number_or_sex_is_refused(self, world, household, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).post(
            f"/survey/households/{household.pk}/persons/new/", {"name": "张伟", "relation": "child"}
        )
        assert r.status_code == 400 and 'data-field-error="sex"' in r.content.decode()

    def test_a_building_area_has_two_decimals(self, world, household, login):  # type: ignore[no-untyped-def]
        url = f"/survey/households/{household.pk}/buildings/new/"
        data = {
            "number": "2",
            "structure_type": "brick_wood",
            "use": "residential",
            "floors": "2",
            "measured_area": "86.755",
            "title_certificate_no": " 浙（2019）慈溪市不动产权第0002号 ",
        }
        client = login(world.surveyor)
        r = client.post(url, data)
        assert r.status_code == 400 and 'data-field-error="measured_area"' in r.content.decode()
        r = client.post(url, {**data, "measured_area": "86.75"})
        assert r.status_code == 302
        building = household.buildings.get(number="2")
        assert str(building.measured_area) == "86.75"
        # Full-width brackets folded, spaces dropped: one spelling for the duplicate check.
        assert building.title_certificate_no == "浙(2019)慈溪市不动产权第0002号"

    def test_a_dictionary_code_that_does_not_exist_is_refused(self, world, household, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).post(
            f"/survey/households/{household.pk}/ancillaries/new/",
            {"kind": "spaceship", "quantity": "1", "unit": "艘"},
        )
        assert r.status_code == 400 and 'data-field-error="kind"' in r.content.decode()

    def test_an_ancillary_is_edited_and_deleted(self, world, household, login):  # type: ignore[no-untyped-def]
        wall = household.ancillaries.get()
        client = login(world.surveyor)
        form = client.get(f"/survey/ancillaries/{wall.pk}/edit/")
        assert form.status_code == 200 and 'value="12.50"' in form.content.decode()
        r = client.post(
            f"/survey/ancillaries/{wall.pk}/edit/",
            {"kind": "wall", "quantity": "15.00", "unit": "米"},
        )
        assert r.status_code == 302
        assert events("ancillary.update")[0].changes == {"quantity": ["12.50", "15.00"]}
        assert client.get(f"/survey/ancillaries/{wall.pk}/delete/").status_code == 405
        assert client.post(f"/survey/ancillaries/{wall.pk}/delete/").status_code == 302
        assert not Ancillary.objects.filter(pk=wall.pk).exists()

    def test_a_locked_household_refuses_the_delete_with_a_message(self, world, household, login):  # type: ignore[no-untyped-def]
        building = household.buildings.get()
        lock_confirmation(household)
        r = login(world.surveyor).post(f"/survey/buildings/{building.pk}/delete/", follow=True)
        assert Building.objects.filter(pk=building.pk).exists()
        assert 'role="alert"' in r.content.decode()

    @pytest.mark.parametrize("path", ["persons", "buildings", "ancillaries"])
    def test_an_accountant_is_refused(self, world, household, login, path):  # type: ignore[no-untyped-def]
        client = login(world.accountant)
        assert client.get(f"/survey/households/{household.pk}/{path}/new/").status_code == 403
        member = getattr(household, path).first()
        assert client.post(f"/survey/{path}/{member.pk}/delete/").status_code == 403
        assert client.get(f"/survey/{path}/{member.pk}/edit/").status_code == 403

    @pytest.mark.parametrize("path", ["persons", "buildings", "ancillaries"])
    def test_another_projects_surveyor_gets_404(self, world, household, login, path):  # type: ignore[no-untyped-def]
        client = login(world.other_surveyor)
        assert client.get(f"/survey/households/{household.pk}/{path}/new/").status_code == 404
        member = getattr(household, path).first()
        assert client.post(f"/survey/{path}/{member.pk}/delete/").status_code == 404
        assert client.get(f"/survey/{path}/{member.pk}/edit/").status_code == 404
        assert getattr(household, path).filter(pk=member.pk).exists()

    def test_an_unknown_member_is_404(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.surveyor).get("/survey/persons/999999/edit/").status_code == 404


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
class TestIndexUse:
    """The list's filters are answered from indexes, never by reading the whole table."""

    def plan(self, world, **data: object) -> str:  # type: ignore[no-untyped-def]
        from zhengqian.survey.forms import HouseholdFilterForm

        form = HouseholdFilterForm(data, work_groups=world.project.work_groups.all())
        assert form.is_valid(), form.errors
        households = form.filter(Household.objects.filter(project=world.project))
        page = households.select_related("work_group").order_by("code")[:50]
        return page.explain() + "\n" + households.explain()

    def test_a_work_group_kind_or_status_filter_searches_the_projects_households(self, world):  # type: ignore[no-untyped-def]
        for data in (
            {"work_group": world.group.pk},
            {"kind": "non_residential", "q": "路"},
            {"status": "surveyed"},
            {"status": "confirmation_locked"},
        ):
            plan = self.plan(world, **data)
            assert "SCAN survey_household" not in plan, plan
            assert "SEARCH survey_household USING INDEX" in plan, plan

    def test_an_id_number_is_found_through_its_indexes_then_by_key(self, world):  # type: ignore[no-untyped-def]
        with CaptureQueriesContext(connection) as captured:
            plan = self.plan(world, id_number=HEAD_ID)
        [lookup] = [q["sql"] for q in captured if "UNION" in q["sql"]]
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {lookup}")  # the log holds the values inline
            lookup_plan = " ".join(str(row) for row in cursor.fetchall())
        assert "household_head_id" in lookup_plan and "person_id_number" in lookup_plan
        assert "SCAN survey_household" not in plan, plan
