"""Transition fees: the months, the end point after handover, the late factor, the minimum, the
projection of a further delay (pure, with known answers), and the generation as payable items
(who receives them, idempotence, one household failing, the right to generate, the command)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements.models import Agreement, AgreementKind
from zhengqian.audit.models import Event
from zhengqian.demolition.models import Vacating
from zhengqian.payments.models import HouseholdAccount, Instalment, PaymentPlan, PlanKind
from zhengqian.payments.tests.conftest import pay_out
from zhengqian.resettlement import services_transition as svc
from zhengqian.resettlement.models import Estate, RoundEntry, SelectionRound, TransitionMonth
from zhengqian.resettlement.tests.conftest import effective, stock
from zhengqian.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

D = Decimal
date = dt.date


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    """Messages in English: the assertions read the msgids, whatever the catalogue says."""
    with translation.override("en"):
        yield


# --- pure rules ----------------------------------------------------------------------------


def terms(**changes: Any) -> svc.Terms:
    values: dict[str, Any] = {
        "moved_out": date(2025, 1, 10),
        "planned": date(2025, 3, 15),
        "handover": date(2025, 5, 20),
        "after_months": 6,
        "base": D("1800.00"),
        "factor": D("2.00"),
    }
    values.update(changes)
    return svc.Terms(**values)


def test_the_period_after_handover_ends_in_its_last_paid_month():
    assert svc.last_paid_month(date(2027, 3, 15), 6) == date(2027, 9, 1)
    assert svc.last_paid_month(date(2027, 3, 1), 6) == date(2027, 9, 1)
    assert svc.last_paid_month(date(2027, 3, 31), 1) == date(2027, 4, 1)  # ends 04-30
    assert svc.last_paid_month(date(2027, 1, 31), 1) == date(2027, 2, 1)  # ends 02-28
    assert svc.last_paid_month(date(2027, 11, 15), 3) == date(2028, 2, 1)
    assert svc.last_paid_month(date(2027, 3, 15), 0) == date(2027, 3, 1)


def test_a_month_is_late_when_it_starts_after_a_promise_that_was_broken():
    planned = date(2027, 3, 15)
    late_handover = date(2027, 5, 2)
    assert not svc.is_late(date(2027, 3, 1), planned, late_handover)
    assert svc.is_late(date(2027, 4, 1), planned, late_handover)
    assert svc.is_late(date(2027, 4, 1), planned, None)  # not handed over yet
    # A promise on the first of a month: that month is not late, the next one is.
    assert not svc.is_late(date(2027, 3, 1), date(2027, 3, 1), None)
    assert svc.is_late(date(2027, 4, 1), date(2027, 3, 1), None)
    # Handed over on time: no month is late, even the months after the promise.
    assert not svc.is_late(date(2027, 6, 1), planned, date(2027, 3, 15))
    assert not svc.is_late(date(2027, 6, 1), planned, date(2027, 2, 1))


def test_months_late_count_the_months_begun_after_the_promise():
    assert svc.months_late(date(2027, 3, 15), date(2027, 3, 31)) == 0
    assert svc.months_late(date(2027, 3, 15), date(2027, 4, 1)) == 1
    assert svc.months_late(date(2027, 3, 15), date(2027, 5, 10)) == 2
    assert svc.months_late(date(2027, 3, 1), date(2027, 3, 20)) == 0


def test_a_late_handover_doubles_every_month_after_the_promise():
    rows = svc.fees(terms())
    assert rows[0].month == date(2025, 1, 1)
    assert rows[-1].month == date(2025, 11, 1)  # 05-20 + 6 months = 11-20
    assert len(rows) == 11
    on_time = [r for r in rows if not r.late]
    assert [r.month.month for r in on_time] == [1, 2, 3]
    assert {r.amount for r in on_time} == {D("1800.00")}
    assert {(r.factor, r.amount) for r in rows if r.late} == {(D("2.00"), D("3600.00"))}
    assert svc.total(rows) == D("34200.00")  # 3 × 1,800 + 8 × 3,600


def test_a_handover_on_time_pays_every_month_at_the_base():
    rows = svc.fees(
        terms(moved_out=date(2025, 2, 5), planned=date(2025, 6, 30), handover=date(2025, 6, 10))
    )
    assert (rows[0].month, rows[-1].month) == (date(2025, 2, 1), date(2025, 12, 1))
    assert not any(r.late for r in rows)
    assert svc.total(rows) == D("19800.00")  # 11 × 1,800


def test_while_not_handed_over_months_come_up_to_the_day_asked():
    rows = svc.fees(terms(handover=None), through=date(2025, 6, 3))
    assert [r.month.month for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r.late for r in rows] == [False, False, False, True, True, True]
    with pytest.raises(ValueError):
        svc.fees(terms(handover=None))


def test_the_end_point_caps_the_months_whatever_the_day_asked():
    rows = svc.fees(terms(), through=date(2026, 8, 1))
    assert rows[-1].month == date(2025, 11, 1)
    assert len(svc.fees(terms(), through=date(2025, 2, 28))) == 2


def test_the_base_is_the_rate_times_the_area_or_the_minimum(res):
    policy = res.policy  # 20 元/m² a month, at least 1,000
    assert svc.base_fee(policy, D("90.00")) == D("1800.00")
    assert svc.base_fee(policy, D("40.00")) == D("1000.00")
    assert svc.base_fee(policy, D("50.00")) == D("1000.00")
    policy.transition_rate = D("12.35")
    assert svc.base_fee(policy, D("88.88")) == D("1097.67")  # 1097.668 rounded once


def test_a_further_delay_of_an_estate_on_time_adds_its_months_and_shifts_the_rest():
    t = terms(moved_out=date(2026, 1, 5), planned=date(2027, 6, 15), handover=None)
    added = svc.added_by_delay(t, today=date(2027, 1, 10), more=3)
    # Expected on 2027-06-15: 24 months at 1,800. Three months later: 27 months, the 9 from
    # 2027-07 at 3,600: 3 months more at 3,600 and six months after handover doubled.
    assert added == svc.Added(3, D("21600.00"))


def test_a_further_delay_of_a_late_estate_counts_from_today():
    t = terms(moved_out=date(2026, 1, 5), planned=date(2027, 6, 15), handover=None)
    added = svc.added_by_delay(t, today=date(2027, 8, 20), more=2)
    assert added == svc.Added(2, D("7200.00"))


def test_no_delay_is_added_to_an_estate_handed_over_or_to_nothing():
    assert svc.added_by_delay(terms(), today=date(2025, 6, 1), more=3) == svc.Added(0, D("0"))
    t = terms(handover=None)
    assert svc.added_by_delay(t, today=date(2025, 6, 1), more=0) == svc.Added(0, D("0"))


# --- generating ---------------------------------------------------------------------------


def moved_out(r: Any, agreement: Agreement, on: dt.date) -> Vacating:
    return Vacating.objects.create(
        project=r.project,
        household=agreement.household,
        agreement=agreement,
        accepted_on=on,
        keys_handed_over=True,
        water_closed=True,
        power_closed=True,
        gas_closed=True,
        household_signatory=agreement.household.head_name,
        accepted_by=r.officer,
        form_scan="demolition/vacating/form.png",
        form_sha256="0" * 64,
        recorded_by=r.officer,
    )


def months_ago(n: int) -> dt.date:
    return svc.add_months(svc.month_start(timezone.localdate()), -n)


def late_estate(r: Any) -> Estate:
    """Promised 2025-03-15, handed over 2025-05-20: every case above in the past."""
    e = stock(r, estate="迟交小区", planned_handover=date(2025, 3, 15))
    Estate.objects.filter(pk=e.pk).update(actual_handover=date(2025, 5, 20))
    e.refresh_from_db()
    return e


def test_a_household_across_a_late_handover_gets_its_months_as_payable_items(res):
    late_estate(res)
    agreement = effective(res, "T-001")
    moved_out(res, agreement, date(2025, 1, 10))
    assert svc.generate(actor=res.officer_r, project=res.project, through=date(2026, 1, 1)) == 11
    months = list(TransitionMonth.objects.filter(household=agreement.household))
    assert months[0].month == date(2025, 1, 1)
    assert months[-1].month == date(2025, 11, 1)
    assert sum(m.amount for m in months) == D("34200.00")
    assert sum(1 for m in months if m.late) == 8
    first = months[0]
    assert (first.area, first.base, first.factor, first.amount) == (
        D("90.00"),
        D("1800.00"),
        D("1.00"),
        D("1800.00"),
    )
    plan = PaymentPlan.objects.get(account__household=agreement.household, reference="2025-04")
    assert (plan.kind, plan.amount) == (PlanKind.TRANSITION, D("3600.00"))
    assert "2025-04" in plan.description
    instalment = months[3].instalment
    assert instalment.plan_id == plan.pk
    assert instalment.met_on == date(2025, 4, 1)
    event = Event.objects.filter(event_type="resettlement.transition").get()
    assert event.details["months"][0] == "2025-01" and len(event.details["months"]) == 11


def test_generating_twice_creates_nothing_twice(res):
    late_estate(res)
    agreement = effective(res, "T-002")
    moved_out(res, agreement, date(2025, 1, 10))
    first = svc.generate(actor=None, project=res.project, through=date(2026, 1, 1))
    rows = list(TransitionMonth.objects.values_list("pk", "month", "amount", "instalment_id"))
    plans = PaymentPlan.objects.filter(kind=PlanKind.TRANSITION).count()
    again = svc.generate(actor=None, project=res.project, through=date(2026, 1, 1))
    assert (first, again) == (11, 0)
    assert list(TransitionMonth.objects.values_list("pk", "month", "amount", "instalment_id")) == (
        rows
    )
    assert PaymentPlan.objects.filter(kind=PlanKind.TRANSITION).count() == plans == 11
    assert Instalment.objects.filter(plan__kind=PlanKind.TRANSITION).count() == 11
    assert Event.objects.filter(event_type="resettlement.transition").count() == 1


def test_months_keep_coming_while_not_handed_over_and_never_beyond_this_month(res):
    stock(res, planned_handover=timezone.localdate() + dt.timedelta(days=400))
    agreement = effective(res, "T-003")
    moved_out(res, agreement, months_ago(3) + dt.timedelta(days=20))
    far = timezone.localdate() + dt.timedelta(days=800)
    assert svc.generate(actor=res.officer_r, project=res.project, through=far) == 4
    months = list(TransitionMonth.objects.order_by("month").values_list("month", "late"))
    assert months == [(months_ago(n), False) for n in (3, 2, 1, 0)]
    # Next month, the month after is added, and only it.
    assert svc.generate(actor=None, project=res.project, through=timezone.localdate()) == 0


def test_the_months_stop_at_the_end_point_after_handover(res):
    e = stock(res, planned_handover=date(2025, 6, 30))
    Estate.objects.filter(pk=e.pk).update(actual_handover=date(2025, 6, 10))
    agreement = effective(res, "T-004")
    moved_out(res, agreement, date(2025, 2, 5))
    assert svc.generate(actor=None, project=res.project, through=date(2026, 6, 1)) == 11
    last = TransitionMonth.objects.order_by("month").last()
    assert last is not None and last.month == date(2025, 12, 1)
    assert not TransitionMonth.objects.filter(late=True).exists()


def test_the_minimum_fee_for_a_small_entitlement(res):
    late_estate(res)
    agreement = effective(res, "T-005", licensed_area=D("40.00"), total=D("400000.00"))
    moved_out(res, agreement, date(2025, 3, 2))
    svc.generate(actor=None, project=res.project, through=date(2025, 4, 30))
    assert list(TransitionMonth.objects.values_list("month", "base", "amount")) == [
        (date(2025, 3, 1), D("1000.00"), D("1000.00")),
        (date(2025, 4, 1), D("1000.00"), D("2000.00")),
    ]


def test_nothing_for_a_household_that_has_not_moved_out_or_is_not_an_exchange(res):
    late_estate(res)
    effective(res, "T-006")  # signed, not moved out
    voucher = effective(res, "T-007", kind=AgreementKind.VOUCHER)
    moved_out(res, voucher, date(2025, 1, 10))
    assert svc.generate(actor=None, project=res.project, through=date(2026, 1, 1)) == 0
    assert svc.waiting_households(res.project) == []


def test_the_estate_of_the_latest_round_decides_before_the_project_default(res):
    soon = stock(res, estate="准时小区", planned_handover=date(2030, 1, 1))
    late = late_estate(res)
    agreement = effective(res, "T-008")
    other = effective(res, "T-009")
    moved_out(res, agreement, date(2025, 1, 10))
    moved_out(res, other, date(2025, 1, 10))
    rnd = SelectionRound.objects.create(
        project=res.project,
        name="第一批",
        order_by="signing",
        scheduled_on=date(2025, 2, 1),
        created_by=res.officer_r,
    )
    rnd.flats.set(late.flats.all())
    RoundEntry.objects.create(
        round=rnd,
        household=agreement.household,
        agreement=agreement,
        entitled_area=D("90.00"),
        flats_allowed=1,
    )
    found = {w.household.code: w for w in svc.waiting_households(res.project)}
    assert (found["T-008"].estate, found["T-008"].assumed) == (late, False)
    # No round, no choice: the estate handed over last (promised latest) is assumed.
    assert (found["T-009"].estate, found["T-009"].assumed) == (soon, True)


def test_a_household_that_fails_is_reported_and_the_others_are_kept(res):
    late_estate(res)
    good = effective(res, "T-010")
    bad = effective(res, "T-011")
    moved_out(res, good, date(2025, 10, 1))
    moved_out(res, bad, date(2025, 10, 1))
    HouseholdAccount.objects.filter(household=bad.household).update(void=True)
    outcome = svc.generate_all(actor=None, project=res.project, through=date(2025, 11, 30))
    assert outcome.created == 2 and outcome.households == 1
    assert [code for code, _reason in outcome.failed] == ["T-011"]
    assert not TransitionMonth.objects.filter(household=bad.household).exists()


def test_a_month_scheduled_already_is_found_again_and_never_booked_with_another_amount(res):
    late_estate(res)
    agreement = effective(res, "T-012")
    moved_out(res, agreement, date(2025, 10, 1))
    svc.generate(actor=None, project=res.project, through=date(2025, 10, 31))
    # The month's row lost while its payment item stays: the item is found again and the new
    # row points at it; nothing is scheduled twice.
    TransitionMonth.objects.all().delete()
    assert svc.generate(actor=None, project=res.project, through=date(2025, 10, 31)) == 1
    assert PaymentPlan.objects.filter(kind=PlanKind.TRANSITION).count() == 1
    # With the policy's rate changed since, the payments module refuses the other amount.
    TransitionMonth.objects.all().delete()
    type(res.policy).objects.filter(pk=res.policy.pk).update(transition_rate=D("25.00"))
    outcome = svc.generate_all(actor=None, project=res.project, through=date(2025, 10, 31))
    assert outcome.created == 0
    assert [code for code, _reason in outcome.failed] == ["T-012"]
    assert "already booked" in outcome.failed[0][1]
    assert PaymentPlan.objects.get(kind=PlanKind.TRANSITION).amount == D("3600.00")


def test_only_who_may_create_in_resettlement_generates(res):
    supervisor = UserFactory(username="supervisor_t")
    grant(supervisor, RoleCode.SUPERVISOR, res.project)
    with pytest.raises(AccessDenied):
        svc.generate(actor=supervisor, project=res.project, through=timezone.localdate())
    with pytest.raises(AccessDenied):
        svc.generate(actor=res.finance, project=res.project, through=timezone.localdate())


def test_a_paid_month_keeps_its_payment(res):
    late_estate(res)
    agreement = effective(res, "T-013")
    moved_out(res, agreement, date(2025, 11, 3))
    svc.generate(actor=None, project=res.project, through=date(2025, 11, 30))
    month = TransitionMonth.objects.get()
    res.officer = res.officer_r  # an item may be asked for by a resettlement officer
    payment = pay_out(res, month.instalment, payee=agreement.household.head_name)
    assert payment.status == "paid"
    month.instalment.refresh_from_db()
    assert month.instalment.paid_on is not None


def test_the_command_generates_and_prints_the_count(res):
    late_estate(res)
    agreement = effective(res, "T-014")
    moved_out(res, agreement, date(2025, 1, 10))
    out = io.StringIO()
    call_command(
        "generate_transition_fees", project=res.project.code, through="2025-02-15", stdout=out
    )
    assert "2 month(s) of transition fee generated." in out.getvalue()
    out = io.StringIO()
    call_command("generate_transition_fees", through="2025-02-15", stdout=out)
    assert "0 month(s) of transition fee generated." in out.getvalue()
    with pytest.raises(CommandError):
        call_command("generate_transition_fees", through="15/02/2025")
    with pytest.raises(CommandError):
        call_command("generate_transition_fees", project="NOPE")
