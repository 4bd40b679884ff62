"""The household page's ownership section and the project queues."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from zhengqian.accounts.roles import RoleCode
from zhengqian.ownership import selectors, services
from zhengqian.ownership.models import ConfirmationStatus
from zhengqian.ownership.tests.conftest import confirm_all, lock_confirmation, make_household
from zhengqian.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


class TestHouseholdSection:
    def test_a_new_household_is_a_draft_the_officer_may_edit(self, own) -> None:  # type: ignore[no-untyped-def]
        s = selectors.household_section(own.officer, own.household)
        assert s["visible"] and s["status"] == ConfirmationStatus.DRAFT
        assert s["confirmation"] is None
        assert [r.building.number for r in s["buildings"]] == ["1", "2"]
        assert not any(r.confirmed for r in s["buildings"] + s["persons"])
        assert s["can_edit"] and not s["can_submit"] and not s["can_review"]
        assert not s["can_request_change"]

    def test_it_carries_areas_treatment_and_reason_labels(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        s = selectors.household_section(own.officer, own.household)
        big = s["buildings"][0]
        assert (big.confirmation.licensed_area, big.confirmation.unlicensed_area) == (
            Decimal("80.00"),
            Decimal("16.00"),
        )
        assert big.treatment_label == "认定合法"
        assert s["persons"][0].reason_label == "在册户籍人口"
        assert (s["licensed_total"], s["unlicensed_total"]) == (Decimal("120.00"), Decimal("16.00"))
        assert s["eligible_count"] == 2 and s["complete"] and s["can_submit"]

    def test_the_manager_may_review_what_someone_else_submitted(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        services.confirmation_submit(actor=own.officer, household=own.household)
        pm = selectors.household_section(own.pm, own.household)
        assert pm["can_review"] and not pm["can_edit"]
        officer = selectors.household_section(own.officer, own.household)
        assert not officer["can_review"] and not officer["can_edit"]
        assert [t.to_status for t in officer["transitions"]] == ["submitted"]

    def test_a_manager_who_prepared_it_is_told_someone_else_must_review(self, own) -> None:  # type: ignore[no-untyped-def]
        both = UserFactory(username="both")
        grant(both, RoleCode.OWNERSHIP_OFFICER, own.world.project)
        grant(both, RoleCode.PROJECT_MANAGER, own.world.project)
        confirm_all(both, own.household)
        services.confirmation_submit(actor=both, household=own.household)
        s = selectors.household_section(both, own.household)
        assert not s["can_review"] and s["review_is_own_work"]

    def test_the_return_reason_is_shown_while_returned(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        services.confirmation_submit(actor=own.officer, household=own.household)
        services.confirmation_review(
            actor=own.pm, household=own.household, approve=False, reason="人口依据不足"
        )
        s = selectors.household_section(own.officer, own.household)
        assert s["returned_reason"] == "人口依据不足" and s["can_edit"]

    def test_after_locking_requests_and_decisions(self, own) -> None:  # type: ignore[no-untyped-def]
        lock_confirmation(own.officer, own.pm, own.household)
        surveyor = selectors.household_section(own.world.surveyor, own.household)
        assert surveyor["can_request_change"] and not surveyor["can_edit"]
        assert not selectors.household_section(own.world.accountant, own.household)[
            "can_request_change"
        ]
        services.change_request_create(
            actor=own.world.surveyor,
            household=own.household,
            target_type="survey.building",
            target_id=own.big.pk,
            field="floors",
            new_value="3",
            reason="复核",
        )
        pm = selectors.household_section(own.pm, own.household)
        assert len(pm["change_requests"]) == 1 and pm["can_decide"]
        assert not selectors.household_section(own.world.surveyor, own.household)["can_decide"]

    def test_a_re_measured_building_is_flagged(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        own.big.measured_area = Decimal("97.00")
        own.big.save()
        s = selectors.household_section(own.officer, own.household)
        assert not s["buildings"][0].consistent and not s["complete"] and not s["can_submit"]

    def test_a_valuer_sees_it_but_may_do_nothing(self, own) -> None:  # type: ignore[no-untyped-def]
        valuer = UserFactory(username="valuer")
        grant(valuer, RoleCode.VALUER, own.world.project)
        s = selectors.household_section(valuer, own.household)
        assert s["visible"]
        flags = ("can_edit", "can_submit", "can_review", "can_request_change", "can_decide")
        assert not any(s[f] for f in flags)

    def test_it_is_hidden_from_a_user_without_the_module(self, own) -> None:  # type: ignore[no-untyped-def]
        assert selectors.household_section(own.world.viewer, own.household) == {
            "visible": False,
            "household": own.household,
        }
        assert (
            render_to_string(
                "ownership/_household_section.html",
                {"section": selectors.household_section(own.world.viewer, own.household)},
            ).strip()
            == ""
        )

    def test_the_card_renders_with_links_to_the_pages(self, own) -> None:  # type: ignore[no-untyped-def]
        lock_confirmation(own.officer, own.pm, own.household)
        html = render_to_string(
            "ownership/_household_section.html",
            {"section": selectors.household_section(own.world.surveyor, own.household)},
        )
        assert 'data-status="locked"' in html
        assert f"/ownership/households/{own.household.pk}/" in html
        assert f"/ownership/households/{own.household.pk}/changes/new/" in html
        assert "80.00" in html and "认定合法" in html


class TestQueues:
    def test_statuses_are_counted_with_not_started_as_draft(self, own) -> None:  # type: ignore[no-untyped-def]
        second = make_household(own.world.project, code="H-002", work_group=own.world.group)
        third = make_household(own.world.project, code="H-003", work_group=own.world.group)
        confirm_all(own.officer, second)
        services.confirmation_submit(actor=own.officer, household=second)
        lock_confirmation(own.officer, own.pm, third)
        counts = selectors.status_counts(own.pm, own.world.project)
        assert counts == {"draft": 1, "submitted": 1, "returned": 0, "locked": 1}
        assert [h.code for h in selectors.awaiting_review(own.pm, own.world.project)] == ["H-002"]

    def test_pending_change_requests_are_counted_per_household(self, own) -> None:  # type: ignore[no-untyped-def]
        lock_confirmation(own.officer, own.pm, own.household)
        services.change_request_create(
            actor=own.world.surveyor,
            household=own.household,
            target_type="survey.building",
            target_id=own.big.pk,
            field="floors",
            new_value="3",
            reason="复核",
        )
        row = selectors.confirmation_queue(own.pm, own.world.project).get(pk=own.household.pk)
        assert row.pending == 1 and row.confirmation_status == "locked"
        assert selectors.pending_change_requests(own.pm, own.world.project).count() == 1
        assert not selectors.pending_change_requests(own.world.other_pm, own.world.project).exists()

    def test_queues_are_scoped_to_work_groups(self, own) -> None:  # type: ignore[no-untyped-def]
        make_household(own.world.project, code="H-050", work_group=own.world.other_group)
        codes = [h.code for h in selectors.confirmation_queue(own.group_officer, own.world.project)]
        assert codes == ["H-050"]


@pytest.mark.django_db
def test_the_section_masks_names_for_roles_without_the_personal_data_right(world, login):  # type: ignore[no-untyped-def]
    from zhengqian.ownership.selectors import household_section
    from zhengqian.survey import services as survey_services
    from zhengqian.survey.models import Person

    household = survey_services.household_create(
        actor=world.surveyor,
        project=world.project,
        work_group=world.group,
        code="H-M1",
        head_name="周文建",
        division_code="330282",
        address="慈溪市新塘镇红旗村8号",
    )
    survey_services.member_create(
        actor=world.surveyor,
        household=household,
        model=Person,
        name="周文建",
        relation="head",
        sex="M",
    )
    assert household_section(world.accountant, household)["show_names"] is False
    assert household_section(world.surveyor, household)["show_names"] is True
    body = login(world.accountant).get(f"/survey/households/{household.pk}/").content.decode()
    assert "周*建" in body and "周文建" not in body
