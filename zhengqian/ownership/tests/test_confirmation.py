"""The confirmation of a household: buildings, persons, submission, review, lock."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event
from zhengqian.core.staleness import upstream_changed
from zhengqian.ownership import services
from zhengqian.ownership.models import (
    BuildingConfirmation,
    Confirmation,
    ConfirmationStatus,
    PersonConfirmation,
)
from zhengqian.ownership.tests.conftest import confirm_all, lock_confirmation, make_household
from zhengqian.survey.models import Person, Sex
from zhengqian.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def confirm_big(actor, building, **overrides):  # type: ignore[no-untyped-def]
    values = {
        "licensed_area": Decimal("80.00"),
        "unlicensed_area": Decimal("16.00"),
        "unlicensed_treatment": "recognised",
        "basis": "不动产权证 + 2015年航拍图",
    }
    values.update(overrides)
    return services.building_confirm(actor=actor, building=building, **values)


class TestBuildingConfirm:
    def test_it_records_the_split_and_who_prepared_it(self, own) -> None:  # type: ignore[no-untyped-def]
        bc = confirm_big(own.officer, own.big)
        assert (bc.licensed_area, bc.unlicensed_area) == (Decimal("80.00"), Decimal("16.00"))
        confirmation = Confirmation.objects.get(household=own.household)
        assert confirmation.status == ConfirmationStatus.DRAFT
        assert confirmation.prepared_by == own.officer
        event = Event.objects.get(event_type="buildingconfirmation.create")
        assert event.changes["licensed_area"] == [None, "80.00"]
        assert event.actor_id == own.officer.pk

    def test_it_refuses_a_split_that_does_not_add_up_naming_the_figures(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            confirm_big(own.officer, own.big, unlicensed_area=Decimal("15.50"))
        message = " ".join(exc.value.message_dict["licensed_area"])
        for figure in ("80.00", "15.50", "95.50", "96.00"):
            assert figure in message
        assert not BuildingConfirmation.objects.exists()

    def test_a_split_must_match_to_the_fen(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError):
            confirm_big(own.officer, own.big, unlicensed_area=Decimal("15.99"))

    def test_more_than_two_decimals_are_refused(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            confirm_big(own.officer, own.big, licensed_area="80.001", unlicensed_area="15.999")
        assert "licensed_area" in exc.value.message_dict

    def test_a_negative_area_is_refused(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            confirm_big(own.officer, own.big, licensed_area="100.00", unlicensed_area="-4.00")
        assert "unlicensed_area" in exc.value.message_dict

    def test_an_unlicensed_area_needs_a_treatment(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            confirm_big(own.officer, own.big, unlicensed_treatment="")
        assert "unlicensed_treatment" in exc.value.message_dict

    def test_no_unlicensed_area_takes_no_treatment(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            confirm_big(
                own.officer,
                own.big,
                licensed_area=Decimal("96.00"),
                unlicensed_area=Decimal("0"),
                unlicensed_treatment="recognised",
            )
        assert "unlicensed_treatment" in exc.value.message_dict

    def test_the_treatment_comes_from_the_dictionary(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            confirm_big(own.officer, own.big, unlicensed_treatment="forgiven")
        assert "unlicensed_treatment" in exc.value.message_dict

    def test_a_basis_is_required(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            confirm_big(own.officer, own.big, basis="  ")
        assert "basis" in exc.value.message_dict

    def test_a_second_confirmation_updates_and_announces_the_change(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_big(own.officer, own.big)
        calls = []

        def receiver(sender, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(kwargs)

        upstream_changed.connect(receiver, weak=False)
        try:
            confirm_big(own.officer, own.big, licensed_area="90.00", unlicensed_area="6.00")
        finally:
            upstream_changed.disconnect(receiver)
        assert BuildingConfirmation.objects.get().licensed_area == Decimal("90.00")
        assert calls[0]["changes"]["licensed_area"] == ["80.00", "90.00"]
        assert Event.objects.filter(event_type="buildingconfirmation.update").count() == 1

    def test_saving_the_same_values_again_writes_nothing(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_big(own.officer, own.big)
        before = Event.objects.count()
        confirm_big(own.officer, own.big)
        assert Event.objects.count() == before

    def test_a_surveyor_cannot_confirm(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            confirm_big(own.world.surveyor, own.big)

    def test_the_project_manager_cannot_confirm(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            confirm_big(own.pm, own.big)

    def test_an_officer_of_another_project_cannot_confirm(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            confirm_big(own.other_officer, own.big)

    def test_an_officer_of_another_work_group_cannot_confirm(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            confirm_big(own.group_officer, own.big)

    def test_an_officer_of_the_households_work_group_can(self, own) -> None:  # type: ignore[no-untyped-def]
        officer = UserFactory(username="first_group_officer")
        grant(officer, RoleCode.OWNERSHIP_OFFICER, own.world.project, work_groups=[own.world.group])
        assert confirm_big(officer, own.big).pk

    def test_it_is_refused_while_submitted(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        services.confirmation_submit(actor=own.officer, household=own.household)
        with pytest.raises(ValidationError) as exc:
            confirm_big(own.officer, own.big, licensed_area="90.00", unlicensed_area="6.00")
        assert exc.value.code == "not_editable"

    def test_it_is_refused_once_locked(self, own) -> None:  # type: ignore[no-untyped-def]
        lock_confirmation(own.officer, own.pm, own.household)
        with pytest.raises(ValidationError):
            confirm_big(own.officer, own.big, licensed_area="90.00", unlicensed_area="6.00")


class TestPersonConfirm:
    def test_it_records_eligibility_and_reason(self, own) -> None:  # type: ignore[no-untyped-def]
        pc = services.person_confirm(
            actor=own.officer,
            person=own.spouse,
            eligible=True,
            reason="married_in",
            note="2019年婚入",
        )
        assert (pc.eligible, pc.reason, pc.note) == (True, "married_in", "2019年婚入")
        assert Event.objects.filter(event_type="personconfirmation.create").exists()

    def test_the_reason_comes_from_the_dictionary(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            services.person_confirm(
                actor=own.officer, person=own.head, eligible=True, reason="rich"
            )
        assert "reason" in exc.value.message_dict

    def test_not_eligible_goes_only_with_a_person_who_does_not_count(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            services.person_confirm(
                actor=own.officer, person=own.head, eligible=True, reason="not_eligible"
            )
        assert exc.value.error_dict["reason"][0].code == "reason_mismatch"

    def test_a_person_who_does_not_count_takes_the_reason_not_eligible(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError):
            services.person_confirm(
                actor=own.officer, person=own.head, eligible=False, reason="student"
            )
        pc = services.person_confirm(
            actor=own.officer, person=own.head, eligible=False, reason="not_eligible"
        )
        assert pc.eligible is False

    def test_a_surveyor_cannot_confirm_a_person(self, own) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.person_confirm(
                actor=own.world.surveyor, person=own.head, eligible=True, reason="registered"
            )
        assert not PersonConfirmation.objects.exists()


class TestSubmit:
    def test_it_names_what_is_missing(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_big(own.officer, own.big)
        services.person_confirm(
            actor=own.officer, person=own.head, eligible=True, reason="registered"
        )
        with pytest.raises(ValidationError) as exc:
            services.confirmation_submit(actor=own.officer, household=own.household)
        message = exc.value.messages[0]
        assert "2" in message and "李秀英" in message and "张建国" not in message
        assert Confirmation.objects.get().status == ConfirmationStatus.DRAFT

    def test_a_building_re_measured_after_confirmation_must_be_confirmed_again(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        own.big.measured_area = Decimal("97.00")
        own.big.save()
        with pytest.raises(ValidationError) as exc:
            services.confirmation_submit(actor=own.officer, household=own.household)
        assert exc.value.code == "incomplete"

    def test_a_household_with_nothing_to_confirm_cannot_be_submitted(self, own) -> None:  # type: ignore[no-untyped-def]
        own.household.buildings.all().delete()
        own.household.persons.all().delete()
        with pytest.raises(ValidationError) as exc:
            services.confirmation_submit(actor=own.officer, household=own.household)
        assert exc.value.code == "empty"

    def test_it_appends_a_step_and_an_event(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        confirmation = services.confirmation_submit(actor=own.officer, household=own.household)
        assert confirmation.status == ConfirmationStatus.SUBMITTED
        step = confirmation.transitions.get()
        assert (step.from_status, step.to_status, step.actor) == (
            "draft",
            "submitted",
            own.officer,
        )
        assert Event.objects.get(event_type="confirmation.submit").changes == {
            "status": ["draft", "submitted"]
        }

    def test_it_cannot_be_submitted_twice(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        services.confirmation_submit(actor=own.officer, household=own.household)
        with pytest.raises(ValidationError) as exc:
            services.confirmation_submit(actor=own.officer, household=own.household)
        assert exc.value.code == "wrong_state"

    def test_the_project_manager_cannot_submit(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        with pytest.raises(AccessDenied):
            services.confirmation_submit(actor=own.pm, household=own.household)


class TestReview:
    @pytest.fixture
    def submitted(self, own):  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        services.confirmation_submit(actor=own.officer, household=own.household)
        return own

    def test_the_project_manager_approves_and_locks(self, submitted) -> None:  # type: ignore[no-untyped-def]
        confirmation = services.confirmation_review(
            actor=submitted.pm, household=submitted.household, approve=True
        )
        assert confirmation.status == ConfirmationStatus.LOCKED
        assert confirmation.locked_at is not None
        assert confirmation.reviewed_by == submitted.pm
        steps = list(confirmation.transitions.values_list("from_status", "to_status"))
        assert steps == [("draft", "submitted"), ("submitted", "locked")]
        assert Event.objects.filter(event_type="confirmation.approve").count() == 1

    def test_returning_needs_a_reason_shown_to_the_preparer(self, submitted) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            services.confirmation_review(
                actor=submitted.pm, household=submitted.household, approve=False, reason=" "
            )
        assert "reason" in exc.value.message_dict
        confirmation = services.confirmation_review(
            actor=submitted.pm,
            household=submitted.household,
            approve=False,
            reason="2号房屋无证面积依据不足",
        )
        assert confirmation.status == ConfirmationStatus.RETURNED
        assert confirmation.transitions.last().reason == "2号房屋无证面积依据不足"

    def test_a_returned_confirmation_is_edited_and_submitted_again(self, submitted) -> None:  # type: ignore[no-untyped-def]
        services.confirmation_review(
            actor=submitted.pm, household=submitted.household, approve=False, reason="依据不足"
        )
        confirm_big(submitted.officer, submitted.big, basis="补充：村委会证明")
        confirmation = services.confirmation_submit(
            actor=submitted.officer, household=submitted.household
        )
        assert confirmation.status == ConfirmationStatus.SUBMITTED

    def test_an_officer_cannot_approve(self, submitted) -> None:  # type: ignore[no-untyped-def]
        other = UserFactory(username="officer2")
        grant(other, RoleCode.OWNERSHIP_OFFICER, submitted.world.project)
        with pytest.raises(AccessDenied):
            services.confirmation_review(actor=other, household=submitted.household, approve=True)

    def test_the_project_manager_of_another_project_cannot_approve(self, submitted) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.confirmation_review(
                actor=submitted.world.other_pm, household=submitted.household, approve=True
            )

    def test_a_project_manager_who_prepared_it_cannot_approve_it(self, own) -> None:  # type: ignore[no-untyped-def]
        both = UserFactory(username="both")
        grant(both, RoleCode.OWNERSHIP_OFFICER, own.world.project)
        grant(both, RoleCode.PROJECT_MANAGER, own.world.project)
        confirm_all(both, own.household)
        services.confirmation_submit(actor=both, household=own.household)
        with pytest.raises(AccessDenied):
            services.confirmation_review(actor=both, household=own.household, approve=True)
        with pytest.raises(AccessDenied):
            services.confirmation_review(
                actor=both, household=own.household, approve=False, reason="自己退回"
            )
        assert Confirmation.objects.get().status == ConfirmationStatus.SUBMITTED
        # Someone else may.
        services.confirmation_review(actor=own.pm, household=own.household, approve=True)

    def test_a_project_manager_who_only_submitted_it_cannot_approve_it(self, own) -> None:  # type: ignore[no-untyped-def]
        both = UserFactory(username="both")
        grant(both, RoleCode.OWNERSHIP_OFFICER, own.world.project)
        grant(both, RoleCode.PROJECT_MANAGER, own.world.project)
        confirm_all(own.officer, own.household)
        services.confirmation_submit(actor=both, household=own.household)
        with pytest.raises(AccessDenied):
            services.confirmation_review(actor=both, household=own.household, approve=True)

    def test_a_draft_cannot_be_reviewed(self, own) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        with pytest.raises(ValidationError) as exc:
            services.confirmation_review(actor=own.pm, household=own.household, approve=True)
        assert exc.value.code == "wrong_state"

    def test_a_locked_confirmation_cannot_be_reviewed_again(self, submitted) -> None:  # type: ignore[no-untyped-def]
        services.confirmation_review(
            actor=submitted.pm, household=submitted.household, approve=True
        )
        with pytest.raises(ValidationError):
            services.confirmation_review(
                actor=submitted.pm, household=submitted.household, approve=False, reason="再看看"
            )

    def test_a_person_added_while_waiting_blocks_the_approval(self, submitted) -> None:  # type: ignore[no-untyped-def]
        Person.objects.create(
            household=submitted.household, name="张小明", relation="child", sex=Sex.MALE
        )
        with pytest.raises(ValidationError) as exc:
            services.confirmation_review(
                actor=submitted.pm, household=submitted.household, approve=True
            )
        assert "张小明" in exc.value.messages[0]


def test_households_are_confirmed_independently(own) -> None:  # type: ignore[no-untyped-def]
    other = make_household(own.world.project, code="H-002", work_group=own.world.group)
    lock_confirmation(own.officer, own.pm, own.household)
    assert Confirmation.objects.get(household=own.household).status == ConfirmationStatus.LOCKED
    assert not Confirmation.objects.filter(household=other).exists()
