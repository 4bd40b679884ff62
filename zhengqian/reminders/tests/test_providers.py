"""Each provider with known answers: which user is given which item, separation of duties,
work-group scope, other projects unseen, keys that change with the state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements import services as agreements
from zhengqian.agreements.tests.conftest import agr, signing  # noqa: F401
from zhengqian.compensation import services as compensation
from zhengqian.compensation.models import Calculation
from zhengqian.compensation.tests.conftest import comp  # noqa: F401
from zhengqian.core.calendar import office_calendar
from zhengqian.demolition.models import Inspection, Rectification
from zhengqian.ownership import services as ownership
from zhengqian.ownership.models import ChangeRequest
from zhengqian.ownership.tests.conftest import confirm_all, lock_confirmation, make_household, own  # noqa: F401
from zhengqian.payments import services as payments
from zhengqian.payments.models import Instalment
from zhengqian.payments.tests.conftest import pay  # noqa: F401
from zhengqian.petitions.tests.conftest import pet, petition, walk  # noqa: F401
from zhengqian.reminders.providers import Staff
from zhengqian.reminders.tests.conftest import items_of, only
from zhengqian.testing.factories import PASSWORD, UserFactory, grant
from zhengqian.valuation.models import Objection, ObjectionKind
from zhengqian.valuation.tests.conftest import chosen, enter, val  # noqa: F401

pytestmark = pytest.mark.django_db

REVIEW = "compensation.review"


def _calculate(c):  # type: ignore[no-untyped-def]
    return compensation.calculate(
        actor=c.accountant, household=c.household, mode="cash", signing_on=c.signing_day
    )


def _deadline(since: dt.datetime, n: int) -> dt.date:
    return office_calendar().add_working_days(timezone.localtime(since).date(), n)


# --- compensation ----------------------------------------------------------------------------


def test_a_submitted_calculation_waits_for_the_policy_reviewers_of_its_group(comp):  # noqa: F811
    w = comp.world
    in_group = UserFactory(username="group-reviewer")
    grant(in_group, RoleCode.POLICY_REVIEWER, comp.project, work_groups=[w.group])
    other_group = UserFactory(username="other-group-reviewer")
    grant(other_group, RoleCode.POLICY_REVIEWER, comp.project, work_groups=[w.other_group])
    elsewhere = UserFactory(username="elsewhere-reviewer")
    grant(elsewhere, RoleCode.POLICY_REVIEWER, w.other_project)
    calculation = _calculate(comp)
    assert items_of(REVIEW) == []  # being prepared: nobody reviews yet
    compensation.submit(actor=comp.accountant, calculation=calculation)

    item = only(REVIEW)
    transition = calculation.transitions.get(to_status="policy_review")
    assert item.key == f"calculation:{calculation.pk}:policy_review:{transition.pk}"
    assert item.assignee_ids == {comp.policy_reviewer.pk, in_group.pk}
    assert item.household_id == comp.household.pk
    assert item.work_group_id == w.group.pk
    assert item.url == reverse("compensation:calculation", args=[calculation.pk])
    with translation.override("en"):
        assert only(REVIEW).title == "Calculation of household H-001 to review (policy review)"
    assert item.waiting_since == transition.created_at
    assert item.deadline == _deadline(transition.created_at, 2)
    assert items_of(REVIEW, [w.other_project.pk]) == []


def test_the_accounting_review_goes_to_another_accountant_never_the_preparer(comp):  # noqa: F811
    calculation = _calculate(comp)
    compensation.submit(actor=comp.accountant, calculation=calculation)
    before = only(REVIEW).key
    compensation.review(actor=comp.policy_reviewer, calculation=calculation, approve=True)

    item = only(REVIEW)
    assert ":accounting_review:" in item.key and item.key != before
    # accountant prepared it; other_accountant works in project B.
    assert item.assignee_ids == {comp.accountant2.pk}


def test_whoever_approved_a_step_is_not_given_the_next_one(comp):  # noqa: F811
    # The policy reviewer is also an accountant: having approved the policy review, the
    # accounting review is not theirs (compensation.services.review refuses it).
    grant(comp.policy_reviewer, RoleCode.ACCOUNTANT, comp.project)
    calculation = _calculate(comp)
    compensation.submit(actor=comp.accountant, calculation=calculation)
    assert comp.policy_reviewer.pk in only(REVIEW).assignee_ids
    compensation.review(actor=comp.policy_reviewer, calculation=calculation, approve=True)
    assert only(REVIEW).assignee_ids == {comp.accountant2.pk}


def test_above_the_threshold_the_leader_decides(comp):  # noqa: F811
    calculation = _calculate(comp)
    Calculation.objects.filter(pk=calculation.pk).update(needs_leader=True)
    compensation.submit(actor=comp.accountant, calculation=calculation)
    compensation.review(actor=comp.policy_reviewer, calculation=calculation, approve=True)
    compensation.review(actor=comp.accountant2, calculation=calculation, approve=True)

    item = only(REVIEW)
    assert ":leader_review:" in item.key
    assert item.assignee_ids == {comp.leader.pk}


def test_a_returned_calculation_goes_back_to_its_preparer(comp):  # noqa: F811
    calculation = _calculate(comp)
    compensation.submit(actor=comp.accountant, calculation=calculation)
    compensation.review(
        actor=comp.policy_reviewer, calculation=calculation, approve=False, reason="面积有误"
    )
    assert items_of(REVIEW) == []
    item = only("compensation.returned")
    assert item.assignee_ids == {comp.accountant.pk}
    assert item.key.startswith(f"calculation:{calculation.pk}:returned:")

    # Submitted again, it is a new item (a new key), not the one reviewed before.
    first = item.key
    compensation.submit(actor=comp.accountant, calculation=calculation)
    assert items_of("compensation.returned") == []
    again = only(REVIEW)
    assert ":policy_review:" in again.key and again.key != first


def test_a_returned_calculation_whose_preparer_left_goes_to_the_groups_accountants(comp):  # noqa: F811
    calculation = _calculate(comp)
    compensation.submit(actor=comp.accountant, calculation=calculation)
    compensation.review(
        actor=comp.policy_reviewer, calculation=calculation, approve=False, reason="面积有误"
    )
    comp.accountant.is_active = False
    comp.accountant.save(update_fields=["is_active"])
    assert only("compensation.returned").assignee_ids == {comp.accountant2.pk}


# --- agreements and payments -----------------------------------------------------------------


def test_a_drafted_agreement_waits_for_the_signing_officers_until_signed(agr):  # noqa: F811
    agreement = agreements.draft(actor=agr.officer, calculation=agr.calculation)
    item = only("agreements.sign")
    assert item.key == f"agreement:{agreement.pk}:draft"
    assert item.assignee_ids == {agr.officer.pk, agr.officer2.pk}
    assert item.url == reverse("agreements:agreement", args=[agreement.pk])
    assert item.deadline == _deadline(agreement.drafted_at, 5)
    assert items_of("agreements.sign", [agr.world.other_project.pk]) == []
    signing(agr, agreement)
    assert items_of("agreements.sign") == []


def test_a_requested_payment_waits_for_finance_but_not_for_whoever_asked(pay):  # noqa: F811
    instalment = Instalment.objects.get(plan__agreement=pay.agreement, position=1)
    payment = payments.request(actor=pay.finance, instalment=instalment)
    item = only("payments.approve")
    assert item.key == f"payment:{payment.pk}:requested"
    assert item.assignee_ids == {pay.finance2.pk}
    assert item.url == reverse("payments:payment", args=[payment.pk])
    payments.approve(actor=pay.finance2, payment=payment, password=PASSWORD)
    assert items_of("payments.approve") == []


# --- valuation objections --------------------------------------------------------------------


def _objection(c, kind: str) -> Objection:  # type: ignore[no-untyped-def]
    valuation = enter(c.valuer, c.household)
    return Objection.objects.create(
        valuation=valuation,
        kind=kind,
        applied_on=dt.date(2026, 5, 4),
        apply_deadline=dt.date(2026, 5, 5),
        answer_deadline=dt.date(2026, 5, 15),
        grounds="面积认定有误",
        recorded_by=c.pm,
        total_before=Decimal("1000000.00"),
    )


def test_a_reassessment_waits_for_the_valuers_of_the_chosen_firm(chosen):  # noqa: F811
    objection = _objection(chosen, ObjectionKind.REVIEW)
    item = only("valuation.objection")
    assert item.key == f"objection:{objection.pk}:pending"
    assert item.assignee_ids == {chosen.valuer.pk}  # not other_valuer of another firm
    assert item.deadline == dt.date(2026, 5, 15)
    assert item.url == reverse("valuation:household", args=[chosen.household.pk])


def test_an_expert_appraisal_waits_for_the_office(chosen):  # noqa: F811
    _objection(chosen, ObjectionKind.APPRAISAL)
    assert only("valuation.objection").assignee_ids == {chosen.pm.pk}


def test_an_answered_objection_waits_no_more(chosen):  # noqa: F811
    objection = _objection(chosen, ObjectionKind.APPRAISAL)
    Objection.objects.filter(pk=objection.pk).update(status="answered")
    assert items_of("valuation.objection") == []


# --- demolition ------------------------------------------------------------------------------


def test_an_open_rectification_waits_for_the_demolition_officers_of_its_group(world):
    officer = UserFactory(username="demolisher")
    grant(officer, RoleCode.DEMOLITION_OFFICER, world.project)
    other_group = UserFactory(username="demolisher-elsewhere")
    grant(other_group, RoleCode.DEMOLITION_OFFICER, world.project, work_groups=[world.other_group])
    household = make_household(world.project, work_group=world.group)
    inspection = Inspection.objects.create(
        project=world.project,
        household=household,
        inspected_on=dt.date(2026, 6, 1),
        inspector=officer,
        findings={"cover": False},
        failed=1,
        recorded_by=officer,
    )
    rectification = Rectification.objects.create(
        inspection=inspection,
        project=world.project,
        household=household,
        checkpoint="cover",
        problem="裸土未覆盖",
        deadline=dt.date(2026, 6, 3),
    )
    item = only("demolition.rectification")
    assert item.key == f"rectification:{rectification.pk}:open"
    assert item.assignee_ids == {officer.pk}
    assert item.deadline == dt.date(2026, 6, 3)
    assert item.waiting_since == inspection.recorded_at
    Rectification.objects.filter(pk=rectification.pk).update(closed_on=dt.date(2026, 6, 2))
    assert items_of("demolition.rectification") == []


# --- ownership -------------------------------------------------------------------------------


def test_a_submitted_confirmation_waits_for_a_reviewer_who_did_not_prepare_it(own):  # noqa: F811
    # The officer also manages the project: still not the one to review their own work.
    grant(own.officer, RoleCode.PROJECT_MANAGER, own.world.project)
    confirm_all(own.officer, own.household)
    ownership.confirmation_submit(actor=own.officer, household=own.household)
    item = only("ownership.review")
    assert item.key.startswith(f"confirmation:{own.household.confirmation.pk}:submitted:")
    assert item.assignee_ids == {own.pm.pk}
    ownership.confirmation_review(actor=own.pm, household=own.household, approve=True)
    assert items_of("ownership.review") == []


def test_a_change_request_waits_for_an_approver_other_than_who_asked(own):  # noqa: F811
    lock_confirmation(own.officer, own.pm, own.household)
    pm2 = UserFactory(username="pm2")
    grant(pm2, RoleCode.PROJECT_MANAGER, own.world.project)
    cr = ChangeRequest.objects.create(
        household=own.household,
        target_type="survey.building",
        target_id=own.big.pk,
        field="measured_area",
        old_value="96.00",
        new_value="98.00",
        reason="复测",
        requested_by=own.pm,
    )
    item = only("ownership.change_request")
    assert item.key == f"change:{cr.pk}:pending"
    assert item.assignee_ids == {pm2.pk}
    assert item.url == reverse("ownership:change_request_detail", args=[cr.pk])
    assert items_of("ownership.change_request", [own.world.other_project.pk]) == []


# --- who may act -----------------------------------------------------------------------------


def test_staff_reads_the_roles_once_for_all_items(world, django_assert_num_queries):
    with django_assert_num_queries(3):
        staff = Staff(None)
    with django_assert_num_queries(0):
        assert staff.may("survey", "change", world.project.pk, world.group.pk) == {
            world.surveyor.pk,
            world.group_surveyor.pk,
        }
        assert staff.may("survey", "change", world.project.pk, world.other_group.pk) == {
            world.surveyor.pk
        }
        assert staff.may("survey", "change", world.other_project.pk, None) == {
            world.other_surveyor.pk
        }
        assert staff.may("survey", "approve", world.project.pk, None) == set()
        assert staff.holding("accountant", world.project.pk, None) == {world.accountant.pk}


def test_a_projects_rule_sets_the_deadline_of_items_without_their_own(comp):  # noqa: F811
    from zhengqian.reminders.models import ReminderRule

    ReminderRule.objects.create(kind=REVIEW, project=comp.project, working_days=5)
    ReminderRule.objects.create(kind=REVIEW, project=comp.world.other_project, working_days=9)
    calculation = _calculate(comp)
    compensation.submit(actor=comp.accountant, calculation=calculation)
    item = only(REVIEW)
    assert item.deadline == _deadline(item.waiting_since, 5)


# --- petitions -------------------------------------------------------------------------------


def test_a_petition_waits_to_be_assigned_then_with_the_one_assigned(pet):  # noqa: F811
    p = petition(pet)
    item = only("petitions.handle")
    assert item.key == f"petition:{p.pk}:received"
    # Who may move petitions on in the project: the signing officer and the project manager.
    assert item.assignee_ids == {pet.officer.pk, pet.pm.pk}
    assert item.deadline == p.acknowledge_by
    assert timezone.localtime(item.waiting_since).date() == p.received_on
    assert item.url == reverse("petitions:petition", args=[p.pk])
    assert items_of("petitions.handle", [pet.other_project.pk]) == []

    p = walk(pet, p, until="assigned")
    item = only("petitions.handle")
    assert item.key == f"petition:{p.pk}:assigned"
    assert item.assignee_ids == {pet.officer.pk}
    assert item.deadline == p.acknowledge_by

    p = walk(pet, p, until="acknowledged")
    item = only("petitions.handle")
    assert item.key == f"petition:{p.pk}:acknowledged"
    assert item.deadline == p.answer_by

    walk(pet, p, until="answered")
    assert items_of("petitions.handle") == []


# --- set-based -------------------------------------------------------------------------------


def _rectification(world, officer, code: str) -> Rectification:  # type: ignore[no-untyped-def]
    household = make_household(world.project, code=code, work_group=world.group)
    inspection = Inspection.objects.create(
        project=world.project,
        household=household,
        inspected_on=dt.date(2026, 6, 1),
        inspector=officer,
        findings={"cover": False},
        failed=1,
        recorded_by=officer,
    )
    return Rectification.objects.create(
        inspection=inspection,
        project=world.project,
        household=household,
        checkpoint="cover",
        problem="裸土未覆盖",
        deadline=dt.date(2026, 6, 3),
    )


def test_the_queries_of_a_collect_call_do_not_grow_with_the_items(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhengqian.reminders import workitems

    officer = UserFactory(username="demolisher")
    grant(officer, RoleCode.DEMOLITION_OFFICER, world.project)
    _rectification(world, officer, "H-101")
    with CaptureQueriesContext(connection) as one:
        assert len(list(workitems.collect(None, timezone.localdate()))) == 1
    for n in range(2, 7):
        _rectification(world, officer, f"H-10{n}")
    with CaptureQueriesContext(connection) as six:
        assert len(list(workitems.collect(None, timezone.localdate()))) == 6
    assert len(six) == len(one)
    # The memberships and the rules are read once for all the providers of the call.
    assert sum("accounts_membership" in q["sql"] for q in six.captured_queries) <= 2
