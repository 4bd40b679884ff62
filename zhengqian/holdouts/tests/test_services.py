"""The holdout list on both sides of each deadline, the clearance rates, and every rule of the
case file and the negotiation log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.audit.models import Event
from zhengqian.demolition.models import Demolition
from zhengqian.demolition.tests.conftest import demolishing, vacating
from zhengqian.holdouts import selectors, services
from zhengqian.holdouts.models import Case, CaseStatus, Negotiation, Reason
from zhengqian.holdouts.tests.conftest import (
    decision,
    negotiating,
    opening,
    set_deadlines,
    text_upload,
    today,
    unsigned,
)
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household
from zhengqian.testing.factories import ProjectFactory

DAY = dt.timedelta(days=1)


def listed(c, on=None):  # type: ignore[no-untyped-def]
    limits = selectors.deadlines(c.project, on)
    rows = selectors.holdouts(Household.objects.filter(project=c.project), limits)
    return {h.code: h.holdout_reason for h in rows}


def codes(err: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return {k: [e.code for e in v] for k, v in err.value.error_dict.items()}


# --- the list ---------------------------------------------------------------------------------


def test_an_unsigned_household_is_listed_only_after_the_signing_period_ended(pay):
    unsigned(pay)
    set_deadlines(pay, signing_end=today())
    assert "H-002" not in listed(pay)
    assert listed(pay, today() + DAY)["H-002"] == Reason.UNSIGNED


def test_the_project_plan_ends_the_signing_period_without_one_in_the_policy(pay):
    unsigned(pay)
    set_deadlines(pay, signing_end=None)
    Project.objects.filter(pk=pay.project.pk).update(planned_signing_end=today() - DAY)
    assert listed(pay)["H-002"] == Reason.UNSIGNED
    Project.objects.filter(pk=pay.project.pk).update(planned_signing_end=today())
    assert "H-002" not in listed(pay)


def test_a_signed_household_is_listed_only_after_the_days_to_vacate(pay):
    set_deadlines(pay, signing_end=today() - DAY, effective_on=today() - dt.timedelta(days=30))
    assert "H-001" not in listed(pay)
    set_deadlines(pay, signing_end=today() - DAY, effective_on=today() - dt.timedelta(days=31))
    assert listed(pay)["H-001"] == Reason.NOT_VACATED


def test_the_row_says_since_when(pay):
    unsigned(pay)
    end = today() - dt.timedelta(days=3)
    effective = today() - dt.timedelta(days=40)
    set_deadlines(pay, signing_end=end, effective_on=effective, vacate_days=10)
    limits = selectors.deadlines(pay.project)
    rows = selectors.list_rows(
        list(selectors.holdouts_for_user(pay.pm, pay.project, limits=limits)), limits
    )
    since = {r.household.code: r.since for r in rows}
    assert since == {"H-001": effective + dt.timedelta(days=11), "H-002": end + DAY}
    assert all("*" in r.head for r in rows)


def test_a_household_leaves_the_list_when_it_is_vacated(pay):
    set_deadlines(pay, effective_on=today() - dt.timedelta(days=31))
    assert "H-001" in listed(pay)
    vacating(pay, accepted_on=today())
    assert "H-001" not in listed(pay)


def test_the_list_filters_by_reason_and_work_group(pay):
    unsigned(pay)
    unsigned(pay, "H-003")
    Household.objects.filter(code="H-003").update(work_group=pay.world.other_group)
    set_deadlines(pay, signing_end=today() - DAY, effective_on=today() - dt.timedelta(days=31))
    by_reason = selectors.holdouts_for_user(pay.pm, pay.project, reason=Reason.UNSIGNED)
    assert [h.code for h in by_reason] == ["H-002", "H-003"]
    by_group = selectors.holdouts_for_user(pay.pm, pay.project, work_group=pay.world.group.pk)
    assert [h.code for h in by_group] == ["H-001", "H-002"]


def test_the_list_is_one_query(pay, django_assert_num_queries):
    for n in range(2, 6):
        unsigned(pay, f"H-00{n}")
    set_deadlines(pay, signing_end=today() - DAY)
    limits = selectors.deadlines(pay.project)
    with django_assert_num_queries(1):
        assert (
            len(list(selectors.holdouts(Household.objects.filter(project=pay.project), limits)))
            == 4
        )


# --- rates ------------------------------------------------------------------------------------


def test_the_rates_per_project_and_district(pay):
    for n in (2, 3, 4):
        unsigned(pay, f"H-00{n}")
    set_deadlines(pay, signing_end=today() - DAY, effective_on=today())
    vacating(pay)
    demolishing(pay)
    rates = selectors.project_rates(pay.project)
    assert (rates.households, rates.signed, rates.demolished, rates.holdouts) == (4, 1, 1, 3)
    assert rates.by_agreements == Decimal("25.0")
    assert rates.by_demolition == Decimal("25.0")
    other = ProjectFactory(code="XM-C", district=pay.project.district)
    unsigned(pay, "H-009")
    Household.objects.filter(code="H-009").update(project=other)
    groups = selectors.district_rates(pay.world.supervisor)
    district = next(d for d in groups if d.name == str(pay.project.district))
    assert {p.project.code for p in district.projects} == {pay.project.code, "XM-C"}
    assert (district.total.households, district.total.signed) == (5, 1)
    assert district.total.by_agreements == Decimal("20.0")
    assert district.total.by_demolition == Decimal("20.0")
    assert Demolition.objects.count() == 1


def test_a_project_without_households_has_no_rate(world):
    rates = selectors.project_rates(world.project)
    assert rates.by_agreements is None and rates.by_demolition is None


# --- cases ------------------------------------------------------------------------------------


def test_a_case_opens_with_the_reason_of_the_list_and_is_audited(pay):
    household = unsigned(pay)
    set_deadlines(pay, signing_end=today() - DAY)
    case = opening(pay, household)
    assert (case.reason, case.since, case.status) == (Reason.UNSIGNED, today(), CaseStatus.OPEN)
    assert set(case.members.all()) == {pay.officer2, pay.cadre}
    event = Event.objects.get(event_type="holdout.case_open")
    assert event.details["reason"] == "unsigned"
    assert selectors.open_case(household) == case


def test_a_case_opened_before_the_deadline_is_at_risk(pay):
    household = unsigned(pay)
    set_deadlines(pay, signing_end=today() + DAY)
    case = opening(pay, household)
    assert (case.reason, case.since) == (Reason.AT_RISK, None)


def test_a_second_open_case_is_refused(pay):
    household = unsigned(pay)
    opening(pay, household)
    with pytest.raises(ValidationError) as err:
        opening(pay, household)
    assert err.value.code == "open_case"


def test_the_database_refuses_a_second_open_case(pay):
    case = opening(pay, unsigned(pay))
    case.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        case.save()


def test_a_vacated_household_gets_no_case(pay):
    vacating(pay)
    with pytest.raises(ValidationError) as err:
        opening(pay)
    assert err.value.code == "vacated"


def test_the_team_is_of_the_project(pay):
    with pytest.raises(ValidationError) as err:
        opening(pay, unsigned(pay), team_name=" ", leader=pay.world.other_pm, members=[None])
    assert codes(err) == {"team_name": ["required"], "leader": ["not_in_project"]}


def test_who_may_open_a_case(pay):
    household = unsigned(pay)
    for user in (pay.accountant, pay.world.viewer, pay.world.other_pm, pay.world.supervisor):
        with pytest.raises(AccessDenied):
            opening(pay, household, actor=user)
    assert opening(pay, household, actor=pay.pm).opened_by == pay.pm


def test_a_case_update_records_what_changed(pay):
    case = opening(pay, unsigned(pay))
    services.case_update(
        actor=pay.officer,
        case=case,
        team_name="第二攻坚清零小组",
        leader=pay.officer2,
        members=[],
        family_analysis="户主年迈",
        property_analysis="附属用房有争议",
    )
    event = Event.objects.get(event_type="holdout.case_update")
    assert set(event.changes) == {"team_name", "leader", "members"}
    services.case_update(
        actor=pay.officer,
        case=case,
        team_name="第二攻坚清零小组",
        leader=pay.officer2,
        members=[],
        family_analysis="户主年迈",
        property_analysis="附属用房有争议",
    )
    assert Event.objects.filter(event_type="holdout.case_update").count() == 1


# --- negotiations -----------------------------------------------------------------------------


def test_a_negotiation_is_logged_with_its_files(pay):
    case = opening(pay)
    entry = negotiating(pay, case, amount=services.policy_total(pay.household))
    assert entry.files.count() == 2
    assert entry.policy_total == pay.calculation.total
    assert set(entry.office_participants.all()) == {pay.officer, pay.cadre}
    event = Event.objects.get(event_type="holdout.negotiation")
    assert event.details["beyond_policy"] is False and len(event.details["files"]) == 2


def test_the_dates_of_a_negotiation(pay):
    case = opening(pay)
    with pytest.raises(ValidationError) as err:
        negotiating(pay, case, held_on=today() + DAY)
    assert codes(err) == {"held_on": ["future"]}
    with pytest.raises(ValidationError) as err:
        negotiating(pay, case, held_on=today() - DAY)
    assert codes(err) == {"held_on": ["too_early"]}


def test_an_amount_beyond_the_policy_needs_a_collective_decision(pay):
    case = opening(pay)
    beyond = pay.calculation.total + Decimal("0.01")
    with pytest.raises(ValidationError) as err:
        negotiating(pay, case, amount=beyond)
    assert codes(err) == {"amount": ["beyond_policy"]}
    minutes = decision(pay.project, pay.pm)
    entry = negotiating(pay, case, amount=beyond, decision=minutes)
    assert entry.decision == minutes
    event = Event.objects.get(event_type="holdout.negotiation")
    assert event.details["beyond_policy"] is True and event.details["decision"] == minutes.pk


def test_an_amount_without_an_approved_calculation_needs_a_decision(pay):
    case = opening(pay, unsigned(pay))
    with pytest.raises(ValidationError) as err:
        negotiating(pay, case, amount=Decimal("1.00"))
    assert codes(err) == {"amount": ["beyond_policy"]}


def test_a_decision_of_another_project_is_refused(pay):
    case = opening(pay)
    minutes = decision(pay.world.other_project, pay.world.other_pm)
    with pytest.raises(ValidationError) as err:
        negotiating(pay, case, amount=pay.calculation.total + 1, decision=minutes)
    assert codes(err) == {"decision": ["other_project"]}


def test_attachments_of_the_wrong_type_are_refused(pay):
    case = opening(pay)
    with pytest.raises(ValidationError) as err:
        negotiating(pay, case, attachments=[text_upload()])
    assert codes(err) == {"attachments": ["type"]}
    assert not Negotiation.objects.exists()


def test_the_required_parts_of_a_negotiation(pay):
    case = opening(pay)
    with pytest.raises(ValidationError) as err:
        negotiating(
            pay,
            case,
            held_on=None,
            place="",
            household_participants="",
            office_participants=[],
            offered="",
            response="",
        )
    assert set(codes(err)) == {
        "held_on",
        "place",
        "household_participants",
        "office_participants",
        "offered",
        "response",
    }


def test_a_negotiation_is_never_changed_or_deleted(pay):
    entry = negotiating(pay, opening(pay), attachments=[])
    entry.place = "别处"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


# --- closing ----------------------------------------------------------------------------------


def test_only_the_project_manager_closes_a_case(pay):
    case = opening(pay)
    with pytest.raises(AccessDenied):
        services.case_close(actor=pay.officer, case=case, closed_on=today(), outcome="signed")
    closed = services.case_close(actor=pay.pm, case=case, closed_on=today(), outcome="signed")
    assert (closed.status, closed.closed_on, closed.closed_by) == (
        CaseStatus.CLEARED,
        today(),
        pay.pm,
    )
    assert Event.objects.get(event_type="holdout.case_close").details["outcome"] == "signed"
    with pytest.raises(ValidationError) as err:
        negotiating(pay, closed)
    assert err.value.code == "closed"


def test_closing_must_be_true_of_the_household(pay):
    case = opening(pay, unsigned(pay))
    with pytest.raises(ValidationError) as err:
        services.case_close(actor=pay.pm, case=case, closed_on=today(), outcome="signed")
    assert codes(err) == {"outcome": ["not_signed"]}
    with pytest.raises(ValidationError) as err:
        services.case_close(actor=pay.pm, case=case, closed_on=today(), outcome="vacated")
    assert codes(err) == {"outcome": ["not_vacated"]}
    with pytest.raises(ValidationError) as err:
        services.case_close(actor=pay.pm, case=case, closed_on=today(), outcome="other")
    assert codes(err) == {"note": ["required"]}
    with pytest.raises(ValidationError) as err:
        services.case_close(
            actor=pay.pm,
            case=case,
            closed_on=today() - DAY,
            outcome="court",
            note="法院裁定强制执行",
        )
    assert codes(err) == {"closed_on": ["too_early"]}
    services.case_close(
        actor=pay.pm, case=case, closed_on=today(), outcome="court", note="法院裁定强制执行"
    )
    # A new case may be opened once the first is closed.
    assert opening(pay, case.household).pk != case.pk
    assert Case.objects.filter(household=case.household).count() == 2


def test_a_household_enforced_by_the_court_leaves_the_list(pay):
    unsigned(pay)
    set_deadlines(pay, signing_end=today() - DAY)
    assert listed(pay)["H-002"] == Reason.UNSIGNED
    case = opening(pay, Household.objects.get(project=pay.project, code="H-002"))
    services.case_close(
        actor=pay.pm, case=case, closed_on=today(), outcome="court", note="法院裁定准予执行"
    )
    assert "H-002" not in listed(pay)


def test_a_stale_calculation_is_no_measure_of_the_policy(pay):
    from zhengqian.agreements.tests.conftest import mark_stale

    case = opening(pay)
    mark_stale(pay.calculation)
    # What the policy gives is no longer known: any amount needs a collective decision.
    with pytest.raises(ValidationError) as err:
        negotiating(pay, case, amount=pay.calculation.total)
    assert codes(err) == {"amount": ["beyond_policy"]}
