"""What a valuer reaches: the households of the projects their firm was chosen for, in the
survey and in the valuation pages, with personal data masked and nothing to change outside the
valuation; and the reads of the valuation page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhengqian.accounts.models import Membership
from zhengqian.accounts.permissions import OutOfScope, forget
from zhengqian.accounts.roles import RoleCode
from zhengqian.core.idcard import make_id_number
from zhengqian.core.models import StaleMark
from zhengqian.ownership.models import BuildingConfirmation
from zhengqian.ownership.tests.conftest import make_household
from zhengqian.survey.models import Building, Household
from zhengqian.valuation import selectors, services
from zhengqian.valuation.models import ObjectionKind, Valuation
from zhengqian.valuation.tests.conftest import enter

pytestmark = pytest.mark.django_db

HEAD_ID = make_id_number("330282", dt.date(1970, 3, 8), 11)


@pytest.fixture
def elsewhere(chosen):  # type: ignore[no-untyped-def]
    """A household of project B, where the firm was not chosen."""
    return make_household(chosen.world.other_project, code="B-001")


class TestScope:
    def test_the_assigned_projects_are_those_where_the_firm_was_chosen(self, chosen):  # type: ignore[no-untyped-def]
        assert list(selectors.assigned_projects(chosen.valuer)) == [chosen.project]
        assert not selectors.assigned_projects(chosen.other_valuer).exists()
        assert selectors.assigned_project_ids(chosen.pm) == set()

    def test_a_valuer_reaches_the_assigned_projects_households_only(self, chosen, elsewhere):  # type: ignore[no-untyped-def]
        world = chosen.world
        assert list(selectors.households_for_user(chosen.valuer, chosen.project)) == [
            chosen.household
        ]
        assert not selectors.households_for_user(chosen.valuer, world.other_project).exists()
        assert selectors.get_household_for_user(chosen.valuer, chosen.household.pk)
        with pytest.raises(OutOfScope):
            selectors.get_household_for_user(chosen.valuer, elsewhere.pk)
        with pytest.raises(OutOfScope):
            selectors.get_household_for_user(chosen.other_valuer, chosen.household.pk)

    def test_a_valuer_role_granted_for_every_project_is_not_honoured(self, chosen, elsewhere):  # type: ignore[no-untyped-def]
        Membership.objects.create(user=chosen.valuer, role=RoleCode.VALUER, project=None)
        forget(chosen.valuer)
        assert not selectors.households_for_user(chosen.valuer, chosen.world.other_project).exists()
        with pytest.raises(OutOfScope):
            selectors.get_household_for_user(chosen.valuer, elsewhere.pk)
        assert not selectors.household_section(chosen.valuer, elsewhere)["visible"]

    def test_office_staff_reach_their_projects_households(self, chosen, elsewhere):  # type: ignore[no-untyped-def]
        world = chosen.world
        assert selectors.households_for_user(world.pm, chosen.project).exists()
        assert selectors.get_household_for_user(world.other_pm, elsewhere.pk) == elsewhere
        with pytest.raises(OutOfScope):
            selectors.get_household_for_user(world.other_pm, chosen.household.pk)

    def test_only_the_chosen_firms_valuers_may_enter(self, chosen):  # type: ignore[no-untyped-def]
        assert selectors.may_enter(chosen.valuer, chosen.household)
        assert not selectors.may_enter(chosen.pm, chosen.household)
        assert not selectors.may_enter(chosen.world.surveyor, chosen.household)


class TestTheValuerInTheSurvey:
    """The valuer reads the survey of the assigned project, masked, and changes nothing."""

    def test_the_survey_lists_only_the_assigned_project(self, chosen, elsewhere, login):  # type: ignore[no-untyped-def]
        client = login(chosen.valuer)
        body = client.get("/survey/").content.decode()
        assert 'data-project="XM-A"' in body and 'data-project="XM-B"' not in body
        listing = client.get(f"/survey/projects/{chosen.project.pk}/households/").content.decode()
        assert 'data-household="H-001"' in listing and "张*国" in listing
        assert "张建国" not in listing
        other = f"/survey/projects/{chosen.world.other_project.pk}/households/"
        assert client.get(other).status_code == 404
        assert client.get(f"/survey/households/{elsewhere.pk}/").status_code == 404
        assert client.get(f"/valuation/households/{elsewhere.pk}/").status_code == 404

    def test_personal_data_is_masked_on_the_household_page(self, chosen, login):  # type: ignore[no-untyped-def]
        Household.objects.filter(pk=chosen.household.pk).update(
            head_id_number=HEAD_ID, phone="13805740001"
        )
        client = login(chosen.valuer)
        body = client.get(f"/survey/households/{chosen.household.pk}/").content.decode()
        assert "张*国" in body and "张建国" not in body
        assert HEAD_ID not in body and "13805740001" not in body
        assert 'data-testid="unmask-head"' not in body
        assert 'data-testid="valuation-section"' in body
        r = client.post(f"/survey/households/{chosen.household.pk}/unmask/")
        assert r.status_code == 403

    def test_survey_and_ownership_changes_are_refused(self, chosen, login):  # type: ignore[no-untyped-def]
        client = login(chosen.valuer)
        h = chosen.household
        building = h.buildings.get(number="1")
        attempts = [
            (f"/survey/households/{h.pk}/edit/", {"code": "H-001", "head_name": "王五"}),
            (f"/survey/households/{h.pk}/buildings/new/", {"number": "9"}),
            (f"/survey/buildings/{building.pk}/edit/", {"measured_area": "1.00"}),
            (f"/survey/buildings/{building.pk}/delete/", {}),
            (
                f"/ownership/households/{h.pk}/buildings/{building.pk}/",
                {
                    f"b{building.pk}-licensed_area": "96.00",
                    f"b{building.pk}-unlicensed_area": "0.00",
                    f"b{building.pk}-basis": "证",
                },
            ),
        ]
        for path, data in attempts:
            assert client.post(path, data).status_code == 403, path
        assert h.buildings.count() == 2
        assert Building.objects.get(pk=building.pk).measured_area == Decimal("96.00")
        assert not BuildingConfirmation.objects.exists()


class TestTheValuationPage:
    def test_it_reads_the_rows_with_their_confirmation_and_valuation(self, chosen):  # type: ignore[no-untyped-def]
        enter(chosen.valuer, chosen.household)
        page = selectors.household_page(chosen.valuer, chosen.household)
        assert [r.building.number for r in page.buildings] == ["1", "2"]
        assert page.buildings[0].line is not None and page.buildings[0].line.value == Decimal(
            "1152000.00"
        )
        assert page.buildings[0].structure == "砖混结构"
        assert page.ancillaries[0].line is not None
        assert [d.description for d in page.decorations] == ["厨房整体橱柜"]
        assert page.head_name == "张*国" and page.may_enter and not page.may_review
        assert page.can_save and page.can_confirm and not page.can_issue
        assert page.firm == chosen.firm

    def test_the_project_manager_reviews_but_does_not_enter(self, chosen):  # type: ignore[no-untyped-def]
        page = selectors.household_page(chosen.pm, chosen.household)
        assert page.may_review and not page.may_enter and not page.can_save
        assert page.valuation is None and page.status_label

    def test_a_stale_mark_reads_as_what_changed(self, chosen):  # type: ignore[no-untyped-def]
        v = enter(chosen.valuer, chosen.household)
        building = chosen.household.buildings.get(number="2")
        StaleMark.objects.create(
            household=chosen.household,
            target_type="valuation.valuation",
            target_id=v.pk,
            source="survey.building",
            source_id=str(building.pk),
            changes={
                "measured_area": ["40.00", "42.50"],
                "structure_type": ["simple", "brick_concrete"],
            },
        )
        [area, structure] = selectors.household_page(chosen.valuer, chosen.household).stale
        assert "2" in area.source and area.old == "40.00" and area.new == "42.50"
        assert area.field == str(Building._meta.get_field("measured_area").verbose_name)
        assert structure.new == "砖混结构"  # the dictionary label, not the code

    def test_the_objection_actions_follow_the_kind_and_the_state(self, chosen, settings, tmp_path):  # type: ignore[no-untyped-def]
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(tmp_path)},
            },
        }
        v = enter(chosen.valuer, chosen.household)
        services.valuation_confirm(actor=chosen.valuer, valuation=v)
        day = timezone.localdate()
        services.publish(actor=chosen.pm, project=chosen.project, published_on=day)
        v.refresh_from_db()
        v = services.report_issue(actor=chosen.valuer, valuation=v, issued_on=day)
        services.report_delivered(actor=chosen.pm, valuation=v, delivered_on=day)
        services.objection_apply(
            actor=chosen.pm, valuation=v, kind=ObjectionKind.REVIEW, applied_on=day, grounds="偏低"
        )
        firm = selectors.household_page(chosen.valuer, chosen.household)
        office = selectors.household_page(chosen.pm, chosen.household)
        [row] = firm.objections
        assert firm.objection_actions(row) == {
            "reopen": True,
            "review_answer": True,
            "appraisal_answer": False,
            "revision_done": False,
            "delivered": False,
        }
        assert not any(office.objection_actions(office.objections[0]).values())
        # Ten days, moved past a weekend or holiday when the tenth is one.
        assert row.days_left is not None and row.days_left >= 10 and not row.late
        # The appraisal's period has not started: the page says why.
        [window] = office.windows
        assert window.kind == ObjectionKind.APPRAISAL and not window.open and window.why_not

    def test_the_section_of_a_household_without_valuation(self, chosen):  # type: ignore[no-untyped-def]
        section = selectors.household_section(chosen.pm, chosen.household)
        assert section["visible"] and section["valuation"] is None
        assert section["firm"] == chosen.firm and section["objections"] == []
        assert not selectors.household_section(chosen.world.viewer, chosen.household)["visible"]

    def test_the_page_reads_the_same_number_of_queries_for_20_buildings(self, chosen):  # type: ignore[no-untyped-def]
        small = make_household(chosen.project, code="H-010", work_group=chosen.world.group)
        large = make_household(chosen.project, code="H-020", work_group=chosen.world.group)
        Building.objects.bulk_create(
            Building(
                household=large,
                number=str(n),
                structure_type="brick_concrete",
                use="residential",
                measured_area=Decimal("60.00"),
            )
            for n in range(3, 21)
        )
        counts = []
        for household in (small, large):
            enter(chosen.valuer, household)
            assert Valuation.objects.filter(household=household).exists()
            selectors.household_page(chosen.valuer, household)  # the roles, memoised
            with CaptureQueriesContext(connection) as captured:
                page = selectors.household_page(chosen.valuer, household)
            counts.append(len(captured))
        assert len(page.buildings) == 20
        assert counts[0] == counts[1], counts
