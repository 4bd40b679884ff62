"""The calculation pages: a household's calculations and the form to calculate, the sheet with
its review actions, the project's review queue, the card on the survey household page.

Every view is tried by whom it is for (allowed), by staff without the right (403, or no form),
by staff of another project (404) and with the wrong method (405).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event
from zhengqian.compensation import services
from zhengqian.compensation.models import (
    Calculation,
    CalculationStatus,
    CalculationTransition,
    CollectiveDecision,
    PolicyItem,
    PolicyStatus,
)
from zhengqian.core.models import StaleMark
from zhengqian.core.money import amount_in_words
from zhengqian.core.staleness import announce_change
from zhengqian.testing.factories import grant

pytestmark = pytest.mark.django_db


def household_url(household: Any, action: str = "") -> str:
    return f"/compensation/households/{household.pk}/{action}"


def sheet_url(calculation: Any, action: str = "") -> str:
    return f"/compensation/calculations/{calculation.pk}/{action}"


def queue_url(project: Any, query: str = "") -> str:
    return f"/compensation/projects/{project.pk}/queue/{query}"


def calculated(comp: Any, **kwargs: Any) -> Calculation:
    return services.calculate(
        actor=comp.accountant, household=comp.household, mode="cash", **kwargs
    )


def submitted(comp: Any) -> Calculation:
    return services.submit(actor=comp.accountant, calculation=calculated(comp))


def count_testid(body: str, name: str) -> int:
    return body.count(f'data-testid="{name}"')


class TestHouseholdPage:
    def test_the_accountant_sees_the_history_and_the_form(self, comp, login):  # type: ignore[no-untyped-def]
        calculated(comp)
        r = login(comp.accountant).get(household_url(comp.household))
        assert r.status_code == 200
        body = r.content.decode()
        assert count_testid(body, "history-row") == 1 and count_testid(body, "calculate-form") == 1

    def test_the_supervisor_sees_every_version_and_no_form(self, comp, login):  # type: ignore[no-untyped-def]
        calculated(comp)
        calculated(comp)
        body = login(comp.world.supervisor).get(household_url(comp.household)).content.decode()
        assert count_testid(body, "history-row") == 2
        assert 'data-status="superseded"' in body
        assert count_testid(body, "calculate-form") == 0

    def test_another_projects_staff_and_outsiders_get_404(self, comp, login):  # type: ignore[no-untyped-def]
        for user in (comp.other_accountant, comp.world.other_pm, comp.world.outsider):
            assert login(user).get(household_url(comp.household)).status_code == 404
            r = login(user).post(household_url(comp.household, "calculate/"), {"mode": "cash"})
            assert r.status_code == 404

    def test_anonymous_users_go_to_the_login_page(self, comp, client):  # type: ignore[no-untyped-def]
        r = client.get(household_url(comp.household))
        assert r.status_code == 302 and "login" in r["Location"]

    def test_wrong_methods_are_refused(self, comp, login):  # type: ignore[no-untyped-def]
        client = login(comp.accountant)
        assert client.post(household_url(comp.household)).status_code == 405
        assert client.get(household_url(comp.household, "calculate/")).status_code == 405


class TestCalculate:
    def test_the_accountant_calculates_and_lands_on_the_sheet(self, comp, login):  # type: ignore[no-untyped-def]
        r = login(comp.accountant).post(
            household_url(comp.household, "calculate/"), {"mode": "cash"}
        )
        calculation = Calculation.objects.get(household=comp.household)
        assert r.status_code == 302 and r["Location"] == sheet_url(calculation)
        assert calculation.total == Decimal("1644800.00")
        assert calculation.prepared_by == comp.accountant

    def test_a_reviewer_may_not_calculate(self, comp, login):  # type: ignore[no-untyped-def]
        for user in (comp.policy_reviewer, comp.world.supervisor):
            r = login(user).post(household_url(comp.household, "calculate/"), {"mode": "cash"})
            assert r.status_code == 403
        assert not Calculation.objects.exists()

    def test_without_a_published_policy_the_page_says_so(self, comp, login):  # type: ignore[no-untyped-def]
        type(comp.policy).objects.filter(pk=comp.policy.pk).update(status=PolicyStatus.DRAFT)
        client = login(comp.accountant)
        assert count_testid(client.get(household_url(comp.household)).content.decode(), "no-policy")
        r = client.post(household_url(comp.household, "calculate/"), {"mode": "cash"})
        assert r.status_code == 400
        assert services.current_policy(comp.project) is None
        assert not Calculation.objects.exists()
        assert r.context["form"].non_field_errors()

    def test_exchange_needs_the_area_of_the_new_flats_at_its_field(self, comp, login):  # type: ignore[no-untyped-def]
        r = login(comp.accountant).post(
            household_url(comp.household, "calculate/"), {"mode": "exchange"}
        )
        assert r.status_code == 400
        assert 'data-field-error="exchange_area"' in r.content.decode()

    def test_a_missing_input_names_the_item(self, comp, login):  # type: ignore[no-untyped-def]
        PolicyItem.objects.create(
            policy=comp.policy,
            position=9,
            code="signing_bonus",
            name="按期签约奖励",
            category="incentive",
            rule={
                "type": "tiers",
                "from": "decision_announced",
                "to": "signing",
                "tiers": [{"up_to_days": 30, "amount": "30000"}, {"amount": "10000"}],
            },
        )
        client = login(comp.accountant)
        r = client.post(household_url(comp.household, "calculate/"), {"mode": "cash"})
        assert r.status_code == 400
        errors = " ".join(r.context["form"].non_field_errors())
        assert "signing_bonus" in errors and "signing" in errors
        r = client.post(
            household_url(comp.household, "calculate/"),
            {"mode": "cash", "signing_on": comp.signing_day.isoformat()},
        )
        assert r.status_code == 302
        line = Calculation.objects.get().lines.get(item="signing_bonus")
        assert line.amount == Decimal("30000.00")
        assert ["signing", comp.signing_day.isoformat(), "signing"] in line.inputs

    def test_a_stale_valuation_is_refused(self, comp, login):  # type: ignore[no-untyped-def]
        StaleMark.objects.create(
            household=comp.household,
            target_type="valuation.valuation",
            target_id=comp.valuation.pk,
            source="survey.building",
            source_id="1",
            changes={"measured_area": ["40.00", "41.00"]},
        )
        r = login(comp.accountant).post(
            household_url(comp.household, "calculate/"), {"mode": "cash"}
        )
        assert r.status_code == 400 and r.context["form"].non_field_errors()


class TestSheet:
    def test_every_line_shows_its_rule_inputs_and_sources_and_the_total_in_words(self, comp, login):  # type: ignore[no-untyped-def]
        calculation = calculated(comp)
        body = login(comp.world.supervisor).get(sheet_url(calculation)).content.decode()
        assert count_testid(body, "line") == 3
        for source in ("survey", "valuation", "confirmation", "policy"):
            assert f'data-source="{source}"' in body
        assert amount_in_words(calculation.total) in body
        assert count_testid(body, "diff") == 0 and count_testid(body, "stale-warning") == 0

    def test_an_exception_line_names_its_collective_decision(self, comp, login):  # type: ignore[no-untyped-def]
        decision = CollectiveDecision.objects.create(
            project=comp.project,
            meeting_date=comp.signing_day,
            participants="指挥部班子成员",
            decision="该户搬迁费按6000元计",
            document="compensation/decisions/x.pdf",
            recorded_by=comp.pm,
        )
        calculation = calculated(comp, exceptions={"moving": (Decimal("6000.00"), decision)})
        body = login(comp.accountant).get(sheet_url(calculation)).content.decode()
        assert count_testid(body, "exception") == 1 and "该户搬迁费按6000元计" in body

    def test_the_exchange_balance_says_who_pays(self, comp, login):  # type: ignore[no-untyped-def]
        comp.policy.entitled_price = Decimal("15000")
        comp.policy.above_price = Decimal("19000")
        comp.policy.save()
        calculation = services.calculate(
            actor=comp.accountant,
            household=comp.household,
            mode="exchange",
            exchange_area=Decimal("130.00"),
        )
        body = login(comp.accountant).get(sheet_url(calculation)).content.decode()
        assert count_testid(body, "exchange") == 1
        assert amount_in_words(abs(calculation.exchange_balance)) in body

    def test_another_projects_reviewer_gets_404(self, comp, login):  # type: ignore[no-untyped-def]
        calculation = submitted(comp)
        client = login(comp.other_accountant)
        assert client.get(sheet_url(calculation)).status_code == 404
        r = client.post(sheet_url(calculation, "review/"), {"decision": "approve"})
        assert r.status_code == 404
        assert client.post(sheet_url(calculation, "submit/")).status_code == 404

    def test_the_difference_from_the_previous_version_line_by_line(self, comp, login):  # type: ignore[no-untyped-def]
        calculated(comp)
        decision = CollectiveDecision.objects.create(
            project=comp.project,
            meeting_date=comp.signing_day,
            participants="班子成员",
            decision="搬迁费6000",
            document="compensation/decisions/x.pdf",
            recorded_by=comp.pm,
        )
        second = calculated(comp, exceptions={"moving": (Decimal("6000.00"), decision)})
        r = login(comp.accountant).get(sheet_url(second))
        diff = {row.item: row for row in r.context["sheet"].diff}
        assert diff["moving"].old == Decimal("4800.00") and diff["moving"].new == Decimal("6000.00")
        assert diff["moving"].difference == Decimal("1200.00")
        assert diff["house"].difference == Decimal("0.00")
        assert count_testid(r.content.decode(), "diff-line") == 3

    def test_a_stale_calculation_lists_what_changed(self, comp, login):  # type: ignore[no-untyped-def]
        calculation = calculated(comp)
        announce_change(
            household=comp.household,
            source="valuation.valuation",
            source_id=comp.valuation.pk,
            changes={"total": ["1641250.00", "1700000.00"]},
            actor=comp.valuer,
        )
        client = login(comp.accountant)
        body = client.get(sheet_url(calculation)).content.decode()
        assert count_testid(body, "stale-warning") == 1
        assert "1641250.00" in body and "1700000.00" in body
        # Submitting it is refused with the reason, at the submit form.
        r = client.post(sheet_url(calculation, "submit/"))
        assert r.status_code == 400 and count_testid(r.content.decode(), "submit-error") == 1
        history = client.get(household_url(comp.household)).content.decode()
        assert count_testid(history, "calculation-stale") == 1

    def test_wrong_methods_are_refused(self, comp, login):  # type: ignore[no-untyped-def]
        calculation = calculated(comp)
        client = login(comp.accountant)
        assert client.post(sheet_url(calculation)).status_code == 405
        assert client.get(sheet_url(calculation, "submit/")).status_code == 405
        assert client.get(sheet_url(calculation, "review/")).status_code == 405


class TestSubmit:
    def test_the_preparer_submits(self, comp, login):  # type: ignore[no-untyped-def]
        calculation = calculated(comp)
        client = login(comp.accountant)
        assert count_testid(client.get(sheet_url(calculation)).content.decode(), "submit-form") == 1
        r = client.post(sheet_url(calculation, "submit/"))
        assert r.status_code == 302
        calculation.refresh_from_db()
        assert calculation.status == CalculationStatus.POLICY_REVIEW
        assert Event.objects.filter(event_type="calculation.submit").count() == 1

    def test_another_accountant_sees_no_submit_form_and_is_refused(self, comp, login):  # type: ignore[no-untyped-def]
        calculation = calculated(comp)
        client = login(comp.accountant2)
        assert count_testid(client.get(sheet_url(calculation)).content.decode(), "submit-form") == 0
        assert client.post(sheet_url(calculation, "submit/")).status_code == 403
        calculation.refresh_from_db()
        assert calculation.status == CalculationStatus.DRAFT


class TestReview:
    def test_the_preparer_sees_no_approve_form_and_is_refused(self, comp, login):  # type: ignore[no-untyped-def]
        calculation = submitted(comp)
        client = login(comp.accountant)
        body = client.get(sheet_url(calculation)).content.decode()
        assert count_testid(body, "review-form") == 0 and count_testid(body, "submit-form") == 0
        r = client.post(sheet_url(calculation, "review/"), {"decision": "approve"})
        assert r.status_code == 403

    def test_only_the_steps_role_sees_the_form(self, comp, login):  # type: ignore[no-untyped-def]
        calculation = submitted(comp)
        for user in (comp.accountant2, comp.leader, comp.world.supervisor):
            body = login(user).get(sheet_url(calculation)).content.decode()
            assert count_testid(body, "review-form") == 0
            r = login(user).post(sheet_url(calculation, "review/"), {"decision": "approve"})
            assert r.status_code == 403
        body = login(comp.policy_reviewer).get(sheet_url(calculation)).content.decode()
        assert (
            count_testid(body, "approve-button") == 1 and count_testid(body, "return-button") == 1
        )

    def test_the_chain_approves_step_by_step_up_to_the_leader(self, comp, login):  # type: ignore[no-untyped-def]
        comp.policy.leader_threshold = Decimal("1000000.00")
        comp.policy.save()
        calculation = submitted(comp)
        for user, after in [
            (comp.policy_reviewer, CalculationStatus.ACCOUNTING_REVIEW),
            (comp.accountant2, CalculationStatus.LEADER_REVIEW),
            (comp.leader, CalculationStatus.APPROVED),
        ]:
            r = login(user).post(sheet_url(calculation, "review/"), {"decision": "approve"})
            assert r.status_code == 302
            calculation.refresh_from_db()
            assert calculation.status == after
        body = login(comp.world.supervisor).get(sheet_url(calculation)).content.decode()
        assert count_testid(body, "transition") == 4

    def test_who_approved_a_step_may_return_but_not_approve_the_next(self, comp, login):  # type: ignore[no-untyped-def]
        grant(comp.policy_reviewer, RoleCode.ACCOUNTANT, comp.project)
        calculation = submitted(comp)
        services.review(actor=comp.policy_reviewer, calculation=calculation, approve=True)
        client = login(comp.policy_reviewer)
        body = client.get(sheet_url(calculation)).content.decode()
        assert count_testid(body, "approve-button") == 0
        assert count_testid(body, "return-button") == 1
        r = client.post(sheet_url(calculation, "review/"), {"decision": "approve"})
        assert r.status_code == 403

    def test_a_return_needs_a_reason_at_its_field(self, comp, login):  # type: ignore[no-untyped-def]
        calculation = submitted(comp)
        r = login(comp.policy_reviewer).post(
            sheet_url(calculation, "review/"), {"decision": "return", "reason": " "}
        )
        assert r.status_code == 400
        assert 'data-field-error="reason"' in r.content.decode()
        calculation.refresh_from_db()
        assert calculation.status == CalculationStatus.POLICY_REVIEW

    def test_the_preparer_reads_the_reason_of_a_return(self, comp, login):  # type: ignore[no-untyped-def]
        calculation = submitted(comp)
        r = login(comp.policy_reviewer).post(
            sheet_url(calculation, "review/"), {"decision": "return", "reason": "搬迁费应按两次计"}
        )
        assert r.status_code == 302
        body = login(comp.accountant).get(sheet_url(calculation)).content.decode()
        assert count_testid(body, "returned-reason") == 1 and "搬迁费应按两次计" in body
        assert count_testid(body, "submit-form") == 1
        assert Event.objects.filter(event_type="calculation.return").count() == 1

    def test_a_bad_decision_is_refused(self, comp, login):  # type: ignore[no-untyped-def]
        calculation = submitted(comp)
        r = login(comp.policy_reviewer).post(sheet_url(calculation, "review/"), {"decision": "x"})
        assert r.status_code == 400


class TestQueue:
    def test_waiting_and_returned_calculations_oldest_first(self, comp, login, world):  # type: ignore[no-untyped-def]
        from zhengqian.ownership.tests.conftest import make_household

        first = submitted(comp)
        other = make_household(comp.project, code="Q-2")
        second = Calculation.objects.create(
            household=other,
            number=1,
            policy=comp.policy,
            mode="cash",
            inputs={},
            total=Decimal("1.00"),
            prepared_by=comp.accountant,
            status=CalculationStatus.RETURNED,
        )
        CalculationTransition.objects.create(
            calculation=second,
            from_status=CalculationStatus.POLICY_REVIEW,
            to_status=CalculationStatus.RETURNED,
            actor=comp.policy_reviewer,
            reason="缺材料",
        )
        # The first has waited three days.
        CalculationTransition.objects.filter(calculation=first).update(
            created_at=timezone.now() - dt.timedelta(days=3)
        )
        r = login(comp.policy_reviewer).get(queue_url(comp.project))
        assert r.status_code == 200
        rows = r.context["rows"]
        assert [row.calculation.pk for row in rows] == [first.pk, second.pk]
        assert rows[0].waited_days == 3
        r = login(comp.policy_reviewer).get(queue_url(comp.project, "?step=returned"))
        assert [row.calculation.pk for row in r.context["rows"]] == [second.pk]

    def test_another_projects_staff_get_404(self, comp, login):  # type: ignore[no-untyped-def]
        assert login(comp.other_accountant).get(queue_url(comp.project)).status_code == 404
        assert login(comp.world.outsider).get(queue_url(comp.project)).status_code == 404
        assert login(comp.leader).post(queue_url(comp.project)).status_code == 405


class TestHouseholdSection:
    def test_the_household_page_shows_the_latest_calculation(self, comp, login):  # type: ignore[no-untyped-def]
        calculation = calculated(comp)
        r = login(comp.world.surveyor).get(f"/survey/households/{comp.household.pk}/")
        body = r.content.decode()
        assert count_testid(body, "compensation-section") == 1
        assert amount_in_words(calculation.total) in body
        assert sheet_url(calculation) in body


def test_the_entry_page_lists_the_projects_with_their_policy_and_queue(comp, login):  # type: ignore[no-untyped-def]
    from zhengqian.compensation import services as comp_services

    calc = comp_services.calculate(actor=comp.accountant, household=comp.household, mode="cash")
    comp_services.submit(actor=comp.accountant, calculation=calc)
    body = login(comp.accountant).get("/compensation/").content.decode()
    row = body.split(f'data-project="{comp.project.code}"')[1].split("</tr>")[0]
    assert "版本 1" in row
    assert '<td class="text-end">1</td>' in row  # one calculation waiting for review
    assert comp.world.other_project.code not in body
    assert 'href="/compensation/"' in body  # the menu entry
