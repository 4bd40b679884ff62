"""Policy versions, calculations from the household's data, the review chain, staleness."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.audit.models import Event
from zhengqian.compensation import services
from zhengqian.compensation.models import (
    Calculation,
    CalculationStatus,
    CollectiveDecision,
    PolicyStatus,
)
from zhengqian.compensation.tests.conftest import HOUSE
from zhengqian.core.money import amount_in_words
from zhengqian.valuation.tests.conftest import enter

pytestmark = pytest.mark.django_db


class TestPolicy:
    def test_a_published_version_is_frozen_and_a_new_draft_copies_it(self, comp):  # type: ignore[no-untyped-def]
        assert comp.policy.status == PolicyStatus.PUBLISHED
        with pytest.raises(ValidationError) as exc:
            services.policy_update(actor=comp.pm, policy=comp.policy, title="改")
        assert exc.value.code == "frozen"
        draft = services.policy_draft(actor=comp.pm, project=comp.project)
        assert draft.version == 2 and draft.status == PolicyStatus.DRAFT
        assert [i.code for i in draft.items.order_by("position")] == [
            "house",
            "decoration",
            "moving",
        ]
        assert draft.leader_threshold == Decimal("2000000.00")
        # The draft does not apply until it is published.
        assert services.current_policy(comp.project) == comp.policy

    def test_an_item_that_cannot_be_evaluated_is_refused_with_its_name(self, comp):  # type: ignore[no-untyped-def]
        draft = services.policy_draft(actor=comp.pm, project=comp.project)
        with pytest.raises(ValidationError) as exc:
            services.policy_item_save(
                actor=comp.pm,
                policy=draft,
                code="bonus",
                name="奖励",
                category="incentive",
                rule={"type": "percent_of", "of": ["nothing"], "percent": "5"},
            )
        assert "bonus" in str(exc.value.message_dict["rule"]) and "nothing" in str(
            exc.value.message_dict["rule"]
        )
        assert not draft.items.filter(code="bonus").exists()

    def test_only_the_project_manager_writes_the_policy(self, comp):  # type: ignore[no-untyped-def]
        for actor in (comp.accountant, comp.policy_reviewer, comp.leader, comp.world.other_pm):
            with pytest.raises(AccessDenied):
                services.policy_draft(actor=actor, project=comp.project)


class TestCalculation:
    def test_lines_come_from_survey_confirmation_and_valuation_with_their_sources(self, comp):  # type: ignore[no-untyped-def]
        calc = services.calculate(actor=comp.accountant, household=comp.household, mode="cash")
        lines = {line.item: line for line in calc.lines.all()}
        # 136 m² × 12,000 (the valuation's unit price); decoration 8,000; moving 80 licensed
        # m² of building 1 + 40 of building 2 × 20 × 2.
        assert lines["house"].amount == Decimal("1632000.00")
        assert lines["decoration"].amount == Decimal("8000.00")
        assert lines["moving"].amount == Decimal("4800.00")
        assert calc.total == Decimal("1644800.00")
        assert calc.totals == {
            "house_value": "1632000.00",
            "decoration": "8000.00",
            "moving": "4800.00",
        }
        sources = {name: source for name, _value, source in lines["house"].inputs}
        assert sources["房屋 1 单价"] == "valuation"
        assert sources["房屋 1 测绘面积"] == "survey"
        assert amount_in_words(calc.total) == "壹佰陆拾肆万肆仟捌佰元整"
        assert services.recalculated_lines(calc) == [
            (line.item, line.amount) for line in calc.lines.order_by("position")
        ]
        assert not calc.needs_leader

    def test_exchange_and_voucher_settlements(self, comp):  # type: ignore[no-untyped-def]
        policy = comp.policy
        policy.entitled_price = Decimal("15000")
        policy.above_price = Decimal("19000")
        policy.below_price = Decimal("12000")
        policy.voucher_premium = Decimal("10")
        policy.save()  # set directly: the service refuses to change a published version
        calc = services.calculate(
            actor=comp.accountant,
            household=comp.household,
            mode="exchange",
            exchange_area=Decimal("130.00"),
        )
        # Entitled: the licensed area (80 m² of building 1 and the 40 m² of building 2).
        entitled = services.entitled_area(policy, calc.inputs)
        assert entitled == Decimal("120.00")
        within = min(Decimal("130"), entitled)
        expected = (
            within * 15000
            + max(Decimal("130") - entitled, 0) * 19000
            - max(entitled - Decimal("130"), 0) * 12000
            - calc.total
        )
        assert calc.exchange_balance == expected
        voucher = services.calculate(
            actor=comp.accountant, household=comp.household, mode="voucher"
        )
        assert voucher.voucher_value == (voucher.total * Decimal("1.10")).quantize(Decimal("0.01"))
        calc.refresh_from_db()
        assert calc.status == CalculationStatus.SUPERSEDED and voucher.number == 2

    def test_no_calculation_on_a_stale_valuation_or_without_a_policy(self, comp, world):  # type: ignore[no-untyped-def]
        small = comp.household.buildings.get(number="2")
        from zhengqian.core.models import StaleMark

        StaleMark.objects.create(
            household=comp.household,
            target_type="valuation.valuation",
            target_id=comp.valuation.pk,
            source="survey.building",
            source_id=str(small.pk),
            changes={"measured_area": ["40.00", "41.00"]},
        )
        with pytest.raises(ValidationError) as exc:
            services.calculate(actor=comp.accountant, household=comp.household, mode="cash")
        assert exc.value.code == "valuation_stale"

    def test_an_exception_needs_a_collective_decision_and_goes_to_the_leader(self, comp):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError):
            services.calculate(
                actor=comp.accountant,
                household=comp.household,
                mode="cash",
                exceptions={"moving": (Decimal("6000.00"), None)},
            )
        decision = CollectiveDecision.objects.create(
            project=comp.project,
            meeting_date=comp.signing_day,
            participants="指挥部班子成员",
            decision="该户搬迁费按6000元计",
            document="compensation/decisions/x.pdf",
            recorded_by=comp.pm,
        )
        calc = services.calculate(
            actor=comp.accountant,
            household=comp.household,
            mode="cash",
            exceptions={"moving": (Decimal("6000.00"), decision)},
        )
        line = calc.lines.get(item="moving")
        assert (line.policy_amount, line.amount, line.exception) == (
            Decimal("4800.00"),
            Decimal("6000.00"),
            decision,
        )
        assert calc.needs_leader and calc.total == Decimal("1646000.00")


class TestReview:
    def _submitted(self, comp):  # type: ignore[no-untyped-def]
        calc = services.calculate(actor=comp.accountant, household=comp.household, mode="cash")
        return services.submit(actor=comp.accountant, calculation=calc)

    def test_policy_review_then_accounting_review_approve(self, comp):  # type: ignore[no-untyped-def]
        calc = self._submitted(comp)
        with pytest.raises(AccessDenied):  # accountants review figures, not the policy step
            services.review(actor=comp.accountant2, calculation=calc, approve=True)
        calc = services.review(actor=comp.policy_reviewer, calculation=calc, approve=True)
        assert calc.status == CalculationStatus.ACCOUNTING_REVIEW
        with pytest.raises(AccessDenied, match="编制人不能审核"):
            services.review(actor=comp.accountant, calculation=calc, approve=True)
        calc = services.review(actor=comp.accountant2, calculation=calc, approve=True)
        assert calc.status == CalculationStatus.APPROVED
        steps = list(calc.transitions.values_list("from_status", "to_status", "actor__username"))
        assert steps == [
            ("draft", "policy_review", "accountant"),
            ("policy_review", "accounting_review", "policy_reviewer"),
            ("accounting_review", "approved", "accountant2"),
        ]
        assert Event.objects.filter(event_type="calculation.approve").count() == 2

    def test_a_return_goes_back_to_the_preparer_with_its_reason(self, comp):  # type: ignore[no-untyped-def]
        calc = self._submitted(comp)
        with pytest.raises(ValidationError):
            services.review(actor=comp.policy_reviewer, calculation=calc, approve=False, reason=" ")
        calc = services.review(
            actor=comp.policy_reviewer, calculation=calc, approve=False, reason="搬迁费应按两次计"
        )
        assert calc.status == CalculationStatus.RETURNED
        assert calc.transitions.last().reason == "搬迁费应按两次计"
        with pytest.raises(AccessDenied):
            services.submit(actor=comp.accountant2, calculation=calc)
        services.submit(actor=comp.accountant, calculation=calc)

    def test_above_the_threshold_the_leader_approves_last(self, comp):  # type: ignore[no-untyped-def]
        comp.policy.leader_threshold = Decimal("1000000.00")
        comp.policy.save()
        calc = self._submitted(comp)
        assert calc.needs_leader
        services.review(actor=comp.policy_reviewer, calculation=calc, approve=True)
        calc = services.review(actor=comp.accountant2, calculation=calc, approve=True)
        assert calc.status == CalculationStatus.LEADER_REVIEW
        with pytest.raises(AccessDenied):
            services.review(actor=comp.accountant2, calculation=calc, approve=True)
        calc = services.review(actor=comp.leader, calculation=calc, approve=True)
        assert calc.status == CalculationStatus.APPROVED

    def test_another_projects_accountant_cannot_review(self, comp):  # type: ignore[no-untyped-def]
        calc = self._submitted(comp)
        services.review(actor=comp.policy_reviewer, calculation=calc, approve=True)
        with pytest.raises(AccessDenied):
            services.review(actor=comp.other_accountant, calculation=calc, approve=True)


class TestStaleness:
    def test_a_survey_or_valuation_change_marks_the_calculation_stale(self, comp):  # type: ignore[no-untyped-def]
        calc = services.calculate(actor=comp.accountant, household=comp.household, mode="cash")
        from zhengqian.core.staleness import announce_change

        head = comp.household.persons.get(relation="head")
        announce_change(
            household=comp.household,
            source="survey.person",
            source_id=head.pk,
            changes={"notes": ["", "无关修改"]},
            actor=comp.world.surveyor,
        )
        assert not services.is_stale(calc)

        announce_change(
            household=comp.household,
            source="valuation.valuation",
            source_id=comp.valuation.pk,
            changes={"total": ["1641250.00", "1700000.00"]},
            actor=comp.valuer,
        )
        assert services.is_stale(calc)
        with pytest.raises(ValidationError) as exc:
            services.submit(actor=comp.accountant, calculation=calc)
        assert exc.value.code == "stale"
        assert Calculation.objects.filter(household=comp.household).count() == 1
        assert HOUSE["code"] == "house"
        assert enter  # the valuation helper stays importable for the next tests


@pytest.mark.parametrize(
    ("source", "changes", "stale"),
    [
        ("survey.building", {"measured_area": ["96.00", "98.00"]}, True),
        ("survey.ancillary", {"quantity": ["12.50", "13.00"]}, True),
        ("ownership.buildingconfirmation", {"licensed_area": ["80.00", "82.00"]}, True),
        ("ownership.personconfirmation", {"eligible": [True, False]}, True),
        ("valuation.valuation", {"total": ["1641250.00", "1700000.00"]}, True),
        ("survey.household", {"kind": ["residential", "non_residential"]}, True),
        ("survey.household", {"phone": ["", "13800000000"]}, False),
        ("survey.person", {"notes": ["", "x"]}, False),
    ],
)
def test_staleness_from_each_upstream_module(comp, source, changes, stale):  # type: ignore[no-untyped-def]
    from zhengqian.core.models import StaleMark
    from zhengqian.core.staleness import announce_change

    calc = services.calculate(actor=comp.accountant, household=comp.household, mode="cash")
    announce_change(
        household=comp.household, source=source, source_id=1, changes=changes, actor=comp.pm
    )
    assert services.is_stale(calc) is stale
    if stale:
        mark = StaleMark.objects.get(target_type=services.STALE_TARGET, target_id=calc.pk)
        assert (mark.source, mark.changes) == (source, changes)


def test_a_tier_counted_from_a_step_the_project_does_not_have_is_refused_at_publication(comp):  # type: ignore[no-untyped-def]
    draft = services.policy_draft(actor=comp.pm, project=comp.project)
    services.policy_item_save(
        actor=comp.pm,
        policy=draft,
        code="early",
        name="签约奖励",
        category="incentive",
        rule={
            "type": "tiers",
            "from": "pre_announcement",  # a step of collective-land projects only
            "to": "signing",
            "tiers": [{"up_to_days": 30, "amount": "30000"}, {"amount": "0"}],
        },
    )
    with pytest.raises(ValidationError) as exc:
        services.policy_publish(actor=comp.pm, policy=draft)
    message = str(exc.value.message_dict["items"])
    assert "early" in message and "pre_announcement" in message
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT
