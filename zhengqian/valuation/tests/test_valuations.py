"""Entering, confirming, publishing and issuing a household's valuation; who may; stale marks."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event
from zhengqian.core.models import StaleMark
from zhengqian.core.money import amount_in_words
from zhengqian.core.staleness import upstream_changed
from zhengqian.ownership import services as ownership
from zhengqian.ownership.tests.conftest import lock_confirmation, make_household
from zhengqian.projects.models import Milestone
from zhengqian.survey import services as survey
from zhengqian.survey.models import Building, HouseholdKind
from zhengqian.testing.factories import UserFactory, grant
from zhengqian.valuation import services
from zhengqian.valuation.models import Valuation, ValuationStatus
from zhengqian.valuation.tests.conftest import DECISION_DAY, enter

pytestmark = pytest.mark.django_db


def _line(building: Building, price: str, value: str, area: str | None = None):  # type: ignore[no-untyped-def]
    return services.BuildingLine(building.pk, area or building.measured_area, price, value)


def _save(actor, household, lines, **header):  # type: ignore[no-untyped-def]
    return services.valuation_save(
        actor=actor,
        household=household,
        header={"report_no": "PG-1", "valuation_date": DECISION_DAY, **header},
        buildings=lines,
    )


class TestEntry:
    def test_totals_are_the_sums_of_the_lines_and_the_event_says_what_changed(self, chosen):  # type: ignore[no-untyped-def]
        v = enter(chosen.valuer, chosen.household)
        assert v.status == ValuationStatus.DRAFT and v.firm == chosen.firm
        assert v.buildings_total == Decimal("1632000.00")
        assert v.decoration_total == Decimal("8000.00")
        assert v.ancillaries_total == Decimal("1250.00")
        assert v.total == v.buildings_total + v.decoration_total + v.ancillaries_total
        event = Event.objects.get(event_type="valuation.save")
        assert event.changes["total"] == ["0.00", "1641250.00"]
        assert len(event.changes["buildings"][1]) == 2

    def test_a_value_that_is_not_area_times_price_is_refused_with_the_exact_figures(self, chosen):  # type: ignore[no-untyped-def]
        big = chosen.household.buildings.get(number="1")
        with pytest.raises(ValidationError) as exc:
            _save(chosen.valuer, chosen.household, [_line(big, "12000.00", "1152000.50")])
        (message,) = exc.value.message_dict["buildings-0-value"]
        assert message == "96.00 m² × 12,000.00 = 1,152,000.00，而不是 1,152,000.50（相差 +0.50）。"
        assert not Valuation.objects.exists()  # nothing half-written

    @pytest.mark.parametrize(
        ("price", "code"),
        [("-1", "negative"), ("12.345", "decimals"), ("abc", "invalid"), ("", "required")],
    )
    def test_bad_numbers_are_refused_at_their_field(self, chosen, price, code):  # type: ignore[no-untyped-def]
        big = chosen.household.buildings.get(number="1")
        with pytest.raises(ValidationError) as exc:
            _save(chosen.valuer, chosen.household, [_line(big, price, "0")])
        (error,) = exc.value.error_dict["buildings-0-unit_price"]
        assert error.code == code

    def test_a_building_of_another_household_is_refused(self, chosen):  # type: ignore[no-untyped-def]
        other = make_household(chosen.project, code="H-002")
        foreign = other.buildings.get(number="1")
        with pytest.raises(ValidationError) as exc:
            _save(chosen.valuer, chosen.household, [_line(foreign, "100.00", "9600.00")])
        assert "buildings-0-building" in exc.value.message_dict

    def test_business_loss_only_for_non_residential_households(self, chosen):  # type: ignore[no-untyped-def]
        big = chosen.household.buildings.get(number="1")
        lines = [_line(big, "100.00", "9600.00")]
        with pytest.raises(ValidationError) as exc:
            _save(chosen.valuer, chosen.household, lines, business_loss="5000.00")
        assert "business_loss" in exc.value.message_dict
        chosen.household.kind = HouseholdKind.NON_RESIDENTIAL
        chosen.household.save()
        v = _save(chosen.valuer, chosen.household, lines, business_loss="5000.00")
        assert v.total == Decimal("14600.00")

    def test_the_valuation_date_is_the_day_the_decision_was_announced(self, chosen):  # type: ignore[no-untyped-def]
        Milestone.objects.filter(project=chosen.project, code="decision_announced").update(
            actual_date=DECISION_DAY
        )
        assert services.decision_date(chosen.project.pk) == DECISION_DAY
        big = chosen.household.buildings.get(number="1")
        with pytest.raises(ValidationError) as exc:
            _save(
                chosen.valuer,
                chosen.household,
                [_line(big, "1.00", "96.00")],
                valuation_date=dt.date(2026, 3, 3),
            )
        assert "2026-03-02" in str(exc.value.message_dict["valuation_date"])

    def test_confirming_needs_every_building_and_ancillary_valued(self, chosen):  # type: ignore[no-untyped-def]
        big = chosen.household.buildings.get(number="1")
        v = _save(chosen.valuer, chosen.household, [_line(big, "1.00", "96.00")])
        with pytest.raises(ValidationError) as exc:
            services.valuation_confirm(actor=chosen.valuer, valuation=v)
        assert "房屋 2 尚未评估。" in exc.value.messages[0]
        assert "1 项附属物尚未评估。" in exc.value.messages[0]


class TestWhoMayEnter:
    def test_only_valuers_of_the_chosen_firm_write_valuations(self, chosen):  # type: ignore[no-untyped-def]
        big = chosen.household.buildings.get(number="1")
        lines = [_line(big, "1.00", "96.00")]
        w = chosen.world
        # A valuer of another firm, even if someone gave them the valuer role in the project.
        grant(chosen.other_valuer, RoleCode.VALUER, chosen.project)
        refused = [
            chosen.other_valuer,
            w.pm,
            w.surveyor,
            w.accountant,
            w.viewer,
            w.supervisor,
            w.admin,
            w.other_pm,
            w.outsider,
        ]
        for role in RoleCode:
            if role in (RoleCode.VALUER, RoleCode.ADMIN, RoleCode.SUPERVISOR):
                continue
            user = UserFactory(username=f"entry-{role}")
            grant(user, role, chosen.project)
            refused.append(user)
        for actor in refused:
            with pytest.raises(AccessDenied):
                _save(actor, chosen.household, lines)
        assert not Valuation.objects.exists()
        _save(chosen.valuer, chosen.household, lines)

    def test_before_a_firm_is_chosen_nobody_enters(self, val):  # type: ignore[no-untyped-def]
        grant(val.valuer, RoleCode.VALUER, val.project)
        big = val.household.buildings.get(number="1")
        with pytest.raises(AccessDenied, match="选定评估机构的估价师"):
            _save(val.valuer, val.household, [_line(big, "1.00", "96.00")])

    def test_a_valuer_of_the_chosen_firm_has_no_access_to_another_project(self, chosen):  # type: ignore[no-untyped-def]
        other = make_household(chosen.world.other_project, code="B-001")
        big = other.buildings.get(number="1")
        with pytest.raises(AccessDenied):
            _save(chosen.valuer, other, [_line(big, "1.00", "96.00")])


def _issue(chosen):  # type: ignore[no-untyped-def]
    v = enter(chosen.valuer, chosen.household)
    services.valuation_confirm(actor=chosen.valuer, valuation=v)
    services.publish(actor=chosen.pm, project=chosen.project, published_on=dt.date(2026, 4, 10))
    v.refresh_from_db()
    return services.report_issue(actor=chosen.valuer, valuation=v, issued_on=dt.date(2026, 4, 15))


class TestPublicationAndReport:
    def test_the_publication_lists_confirmed_valuations_with_masked_names(self, chosen):  # type: ignore[no-untyped-def]
        v = enter(chosen.valuer, chosen.household)
        with pytest.raises(ValidationError, match="没有待公示的已确认评估"):
            services.publish(
                actor=chosen.pm, project=chosen.project, published_on=dt.date(2026, 4, 10)
            )
        with pytest.raises(ValidationError, match="须先公示初步评估结果"):
            services.valuation_confirm(actor=chosen.valuer, valuation=v)
            services.report_issue(actor=chosen.valuer, valuation=v, issued_on=dt.date(2026, 4, 15))
        publication = services.publish(
            actor=chosen.pm, project=chosen.project, published_on=dt.date(2026, 4, 10)
        )
        (row,) = publication.rows
        assert row["code"] == "H-001" and row["head"] == "张*国" and row["total"] == "1641250.00"
        assert publication.until == dt.date(2026, 4, 20)
        with pytest.raises(AccessDenied):
            services.publish(
                actor=chosen.valuer, project=chosen.project, published_on=dt.date(2026, 4, 10)
            )

    def test_the_generated_report_carries_the_figures_and_the_amount_in_words(self, chosen):  # type: ignore[no-untyped-def]
        v = _issue(chosen)
        assert v.status == ValuationStatus.ISSUED and v.report_generated and v.report_version == 1
        v.report_file.open("rb")
        text = "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(v.report_file.read())).pages
        )
        v.report_file.close()
        assert "PG-H-001" in text
        assert "1,641,250.00" in text
        assert amount_in_words(Decimal("1641250.00")) in text
        assert "1,152,000.00" in text  # building 1: 96 m² × 12,000
        assert "张*国" in text and "张建国" not in text

    def test_an_issued_valuation_changes_only_through_an_objection(self, chosen):  # type: ignore[no-untyped-def]
        _issue(chosen)
        with pytest.raises(ValidationError, match="异议程序"):
            enter(chosen.valuer, chosen.household, price="13000.00")


class TestStaleness:
    def test_a_survey_change_marks_the_valuation_stale_until_the_valuer_reconfirms(self, chosen):  # type: ignore[no-untyped-def]
        v = enter(chosen.valuer, chosen.household)
        services.valuation_confirm(actor=chosen.valuer, valuation=v)
        small = chosen.household.buildings.get(number="2")
        survey.member_update(
            actor=chosen.world.surveyor, instance=small, measured_area=Decimal("42.00")
        )
        (mark,) = services.stale_marks(v)
        assert mark.source == "survey.building"
        assert mark.changes == {"measured_area": ["40.00", "42.00"]}
        assert services.is_stale(v)
        with pytest.raises(ValidationError, match="没有待公示的已确认评估"):
            services.publish(
                actor=chosen.pm, project=chosen.project, published_on=dt.date(2026, 4, 10)
            )
        # The valuer adjusts the figures and re-confirms: the mark is settled.
        enter(chosen.valuer, chosen.household)
        services.valuation_confirm(actor=chosen.valuer, valuation=v)
        assert not services.is_stale(v)
        assert StaleMark.objects.get(pk=mark.pk).resolved_at is not None

    def test_a_new_building_and_an_approved_change_request_mark_it_stale_too(self, chosen):  # type: ignore[no-untyped-def]
        v = enter(chosen.valuer, chosen.household)
        survey.member_create(
            actor=chosen.world.surveyor,
            household=chosen.household,
            model=Building,
            number="3",
            structure_type="simple",
            use="auxiliary",
            measured_area=Decimal("10.00"),
        )
        assert [m.source for m in services.stale_marks(v)] == ["survey.building"]
        officer = UserFactory(username="own-officer")
        grant(officer, RoleCode.OWNERSHIP_OFFICER, chosen.project)
        lock_confirmation(officer, chosen.pm, chosen.household)
        big = chosen.household.buildings.get(number="1")
        cr = ownership.change_request_create(
            actor=chosen.world.surveyor,
            household=chosen.household,
            target_type="survey.building",
            target_id=big.pk,
            field="structure_type",
            new_value="steel_concrete",
            reason="复核发现为钢混结构",
        )
        ownership.change_request_decide(actor=chosen.pm, change_request=cr, approve=True)
        assert [m.source for m in services.stale_marks(v)][-1] == "survey.building"
        assert services.stale_marks(v)[-1].changes == {
            "structure_type": ["brick_concrete", "steel_concrete"]
        }

    def test_changes_a_valuation_does_not_rest_on_leave_it_alone(self, chosen):  # type: ignore[no-untyped-def]
        v = enter(chosen.valuer, chosen.household)
        head = chosen.household.persons.get(relation="head")
        survey.member_update(actor=chosen.world.surveyor, instance=head, notes="户主")
        survey.household_update(
            actor=chosen.world.surveyor, household=chosen.household, phone="13800000000"
        )
        assert services.stale_marks(v) == []

    def test_a_revised_value_is_announced_to_the_calculation(self, chosen):  # type: ignore[no-untyped-def]
        calls = []

        def listen(sender, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(kwargs)

        upstream_changed.connect(listen, weak=False, dispatch_uid="valuation-test")
        try:
            v = _issue(chosen)
            services.report_delivered(
                actor=chosen.pm, valuation=v, delivered_on=dt.date(2026, 4, 16)
            )
            objection = services.objection_apply(
                actor=chosen.pm,
                valuation=v,
                kind="review",
                applied_on=dt.date(2026, 4, 20),
                grounds="偏低",
            )
            services.objection_reopen(actor=chosen.valuer, objection=objection)
            enter(chosen.valuer, chosen.household, price="12500.00")
            services.review_answer(
                actor=chosen.valuer,
                objection=objection,
                answered_on=dt.date(2026, 4, 25),
                answer="调整",
            )
        finally:
            upstream_changed.disconnect(dispatch_uid="valuation-test")
        (call,) = [c for c in calls if c["source"] == "valuation.valuation"]
        assert call["changes"] == {"total": ["1641250.00", "1709250.00"]}
        assert call["household"].pk == chosen.household.pk


class TestIssuedAndStale:
    def test_an_issued_valuation_whose_survey_changed_is_revised_and_announced(self, chosen):  # type: ignore[no-untyped-def]
        calls = []

        def listen(sender, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(kwargs)

        v = _issue(chosen)
        officer = UserFactory(username="own-officer2")
        grant(officer, RoleCode.OWNERSHIP_OFFICER, chosen.project)
        lock_confirmation(officer, chosen.pm, chosen.household)
        small = chosen.household.buildings.get(number="2")
        cr = ownership.change_request_create(
            actor=chosen.world.surveyor,
            household=chosen.household,
            target_type="survey.building",
            target_id=small.pk,
            field="measured_area",
            new_value="42.00",
            reason="复测面积有误",
            paired={
                "licensed_area": "0.00",
                "unlicensed_area": "42.00",
                "unlicensed_treatment": "recognised",
            },
        )
        ownership.change_request_decide(actor=chosen.pm, change_request=cr, approve=True)
        assert services.is_stale(v)
        upstream_changed.connect(listen, weak=False, dispatch_uid="valuation-test-2")
        try:
            enter(chosen.valuer, chosen.household)  # 42 m² now: 24,000 more
        finally:
            upstream_changed.disconnect(dispatch_uid="valuation-test-2")
        v.refresh_from_db()
        assert v.version == 2 and v.total == Decimal("1665250.00")
        (call,) = [c for c in calls if c["source"] == "valuation.valuation"]
        assert call["changes"] == {"total": ["1641250.00", "1665250.00"]}
        services.valuation_confirm(actor=chosen.valuer, valuation=v)
        assert not services.is_stale(v)
        with pytest.raises(ValidationError, match="异议程序"):
            enter(chosen.valuer, chosen.household, price="1.00")
        v = services.report_issue(actor=chosen.valuer, valuation=v, issued_on=dt.date(2026, 4, 20))
        assert v.report_version == 2

    def test_changed_figures_leave_the_publication_until_published_again(self, chosen):  # type: ignore[no-untyped-def]
        v = enter(chosen.valuer, chosen.household)
        services.valuation_confirm(actor=chosen.valuer, valuation=v)
        services.publish(actor=chosen.pm, project=chosen.project, published_on=dt.date(2026, 4, 10))
        v = enter(chosen.valuer, chosen.household, price="12100.00")
        assert v.publication_id is None
        services.valuation_confirm(actor=chosen.valuer, valuation=v)
        with pytest.raises(ValidationError, match="须先公示初步评估结果"):
            services.report_issue(actor=chosen.valuer, valuation=v, issued_on=dt.date(2026, 4, 15))
