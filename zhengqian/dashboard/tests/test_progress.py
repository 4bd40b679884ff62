"""The progress summaries follow each household's records: the row, its cell and its days move
with every step and back, in bulk paths once, and the nightly rebuild finds nothing to fix."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from zhengqian.agreements import services as agreements
from zhengqian.dashboard import progress
from zhengqian.dashboard.models import HouseholdProgress, ProgressCell, ProgressDay
from zhengqian.demolition.tests.conftest import demolishing, vacating
from zhengqian.holdouts import services as holdouts
from zhengqian.holdouts.tests.conftest import opening
from zhengqian.ownership.tests.conftest import make_household
from zhengqian.payments.models import Instalment
from zhengqian.payments.tests.conftest import pay_out
from zhengqian.projects.models import WorkGroup
from zhengqian.survey.models import Building, Household
from zhengqian.testing.concurrency import POSTGRES_ONLY, at_once
from zhengqian.testing.factories import PASSWORD, DistrictFactory
from zhengqian.valuation import services as valuation_services

AREA = Decimal("136.00")  # make_household's two buildings: 96 + 40 m²
AGREED = Decimal("1644800.00")  # the pay fixture's cash agreement
FIRST = Decimal("1151360.00")  # its first instalment, 70 %


def row(household: Any) -> HouseholdProgress:
    return HouseholdProgress.objects.get(pk=household.pk)


def stages(household: Any) -> set[str]:
    r = row(household)
    names = ("surveyed", "confirmed", "valued", "calculated", "approved", "signed", "paid")
    names += ("vacated", "demolished", "holdout")
    return {name for name in names if getattr(r, name)}


def cell(project: Any, group: Any, mode: str = "cash", kind: str = "residential") -> ProgressCell:
    return ProgressCell.objects.get(
        project=project, group_id=group.pk if group else 0, kind=kind, mode=mode
    )


def days(project: Any) -> dict[dt.date, tuple[int, int, int, int]]:
    return {
        d.day: (d.signed, d.paid, d.vacated, d.demolished)
        for d in ProgressDay.objects.filter(project=project)
        if d.signed or d.paid or d.vacated or d.demolished
    }


def no_drift() -> progress.Drift:
    return progress.rebuild(fix=False)


def instalments(agreement: Any) -> list[Instalment]:
    return list(Instalment.objects.filter(plan__agreement=agreement).order_by("position"))


# --- The whole way of a household -------------------------------------------------------------


def test_a_household_moves_through_every_stage_with_its_cell_and_days(pay):
    today = pay.agreement.signed_on
    h, p, g = pay.household, pay.project, pay.world.group
    assert stages(h) == {"surveyed", "confirmed", "calculated", "approved", "signed"}
    r = row(h)
    assert (r.mode, r.area, r.amount_agreed, r.amount_paid) == ("cash", AREA, AGREED, 0)
    assert (r.signed_on, r.district_id, r.group_id) == (today, p.district_id, g.pk)
    c = cell(p, g)
    assert (c.households, c.signed, c.paid, c.area, c.area_signed) == (1, 1, 0, AREA, AREA)
    assert days(p) == {today: (1, 0, 0, 0)}

    pay_out(pay, instalments(pay.agreement)[0])
    assert "paid" not in stages(h)
    assert row(h).amount_paid == FIRST
    assert cell(p, g).amount_paid == FIRST

    vacating(pay)
    assert "vacated" in stages(h)
    assert row(h).vacated_on == today
    pay_out(pay, instalments(pay.agreement)[1])
    assert "paid" in stages(h)
    assert (row(h).paid_on, row(h).amount_paid) == (today, AGREED)

    demolishing(pay)
    assert stages(h) == {
        "surveyed",
        "confirmed",
        "calculated",
        "approved",
        "signed",
        "paid",
        "vacated",
        "demolished",
    }
    c = cell(p, g)
    assert (c.households, c.signed, c.paid, c.vacated, c.demolished) == (1, 1, 1, 1, 1)
    assert (c.area_demolished, c.amount_agreed, c.amount_paid) == (AREA, AGREED, AGREED)
    assert days(p) == {today: (1, 1, 1, 1)}
    assert not no_drift().found


def test_a_voided_agreement_takes_the_household_out_of_signed_and_its_day(pay):
    h, p, g = pay.household, pay.project, pay.world.group
    agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="户主身份有误")
    agreements.void_decide(actor=pay.pm, agreement=pay.agreement, approve=True, password=PASSWORD)

    assert stages(h) == {"surveyed", "confirmed", "calculated", "approved"}
    r = row(h)
    # The mode now comes from the latest calculation; the void account no longer counts.
    assert (r.mode, r.signed_on, r.amount_agreed) == ("cash", None, 0)
    c = cell(p, g)
    assert (c.households, c.signed, c.area_signed, c.amount_agreed) == (1, 0, 0, 0)
    assert days(p) == {}
    assert not no_drift().found


def test_an_issued_valuation_counts_as_valued(comp):
    assert "valued" not in stages(comp.household)  # confirmed by the valuer only
    valuation_services.publish(
        actor=comp.pm, project=comp.project, published_on=dt.date(2026, 5, 10)
    )
    comp.valuation.refresh_from_db()
    valuation_services.report_issue(
        actor=comp.valuer, valuation=comp.valuation, issued_on=dt.date(2026, 5, 22)
    )
    assert "valued" in stages(comp.household)
    assert cell(comp.project, comp.world.group, mode="").valued == 1


def test_an_open_holdout_case_counts_until_it_is_cleared(pay):
    case = opening(pay)
    assert "holdout" in stages(pay.household)
    assert cell(pay.project, pay.world.group).holdouts == 1
    holdouts.case_close(
        actor=pay.pm, case=case, closed_on=case.opened_on, outcome="other", note="另行处理"
    )
    assert "holdout" not in stages(pay.household)
    assert cell(pay.project, pay.world.group).holdouts == 0


# --- Survey records, groups, projects, deletion ------------------------------------------------


def test_buildings_make_a_household_surveyed_and_give_its_area(world):
    h = Household.objects.create(
        project=world.project,
        code="H-009",
        head_name="王五",
        division_code="330282",
        address="红旗村",
    )
    assert stages(h) == set()
    assert (row(h).mode, row(h).group_id, row(h).area) == ("", 0, 0)
    empty = cell(world.project, None, mode="")
    assert (empty.households, empty.surveyed) == (1, 0)

    b = Building.objects.create(
        household=h, number="1", structure_type="brick", use="residential", measured_area="80.50"
    )
    assert stages(h) == {"surveyed"}
    assert cell(world.project, None, mode="").area == Decimal("80.50")
    b.delete()
    assert stages(h) == set()
    assert cell(world.project, None, mode="").area == 0


def test_a_household_moved_to_another_group_moves_its_counts(world):
    h = make_household(world.project, code="H-010", work_group=world.group)
    h.work_group = world.other_group
    h.save()
    assert cell(world.project, world.group, mode="").households == 0
    moved = cell(world.project, world.other_group, mode="")
    assert (moved.households, moved.surveyed, moved.area) == (1, 1, AREA)


def test_a_deleted_work_group_leaves_its_households_without_a_group(world):
    h = make_household(world.project, code="H-011", work_group=world.other_group)
    WorkGroup.objects.filter(pk=world.other_group.pk).get().delete()
    assert row(h).group_id == 0
    assert cell(world.project, None, mode="").households == 1
    assert not no_drift().found


def test_a_project_moved_to_another_district_takes_its_households(world):
    h = make_household(world.project, code="H-012", work_group=world.group)
    district = DistrictFactory()
    world.project.district = district
    world.project.save()
    assert row(h).district_id == district.pk
    assert cell(world.project, world.group, mode="").district_id == district.pk


def test_a_deleted_household_is_taken_out_of_its_counters(world):
    h = make_household(world.project, code="H-013", work_group=world.group)
    keep = make_household(world.project, code="H-014", work_group=world.group)
    h.delete()
    assert not HouseholdProgress.objects.filter(pk=h.pk).exists()
    c = cell(world.project, world.group, mode="")
    assert (c.households, c.surveyed, c.area) == (1, 1, AREA)
    assert row(keep).surveyed
    assert not no_drift().found


# --- Deferred refreshes and touch ---------------------------------------------------------------


def test_deferred_refreshes_each_household_once_on_leaving_the_outermost_block(world, monkeypatch):
    calls: list[list[int]] = []
    real = progress.refresh
    monkeypatch.setattr(progress, "refresh", lambda ids: calls.append(sorted(ids)) or real(ids))
    with transaction.atomic():
        with progress.deferred():
            h = make_household(world.project, code="H-020", work_group=world.group)
            with progress.deferred():
                other = make_household(world.project, code="H-021", work_group=world.group)
            assert not HouseholdProgress.objects.filter(pk__in=[h.pk, other.pk]).exists()
            assert calls == []
        assert calls == [sorted([h.pk, other.pk])]
        assert cell(world.project, world.group, mode="").households == 2


def test_deferred_refreshes_nothing_when_its_block_fails(world):
    with pytest.raises(RuntimeError), progress.deferred():
        h = make_household(world.project, code="H-022", work_group=world.group)
        raise RuntimeError("stop")
    assert not HouseholdProgress.objects.filter(pk=h.pk).exists()


def test_touch_refreshes_a_household_written_without_signals(world):
    h = make_household(world.project, code="H-023", work_group=world.group)
    Building.objects.filter(household=h).update(measured_area=Decimal("10.00"))
    assert row(h).area == AREA
    progress.touch([h.pk])
    assert row(h).area == Decimal("20.00")
    assert cell(world.project, world.group, mode="").area == Decimal("20.00")


def test_a_lapsed_project_takes_its_pending_agreements_out_of_signed(agr):
    from zhengqian.agreements.models import AgreementStatus
    from zhengqian.agreements.tests.conftest import signing
    from zhengqian.compensation.models import Policy

    # The agreements take effect at 80 % signed within the signing period; 1 of 2 signed.
    today = dt.date.today()
    policy = Policy.objects.filter(pk=agr.calculation.policy_id)
    policy.update(effect_threshold=Decimal("80.00"), signing_period_end=today + dt.timedelta(5))
    make_household(agr.project, code="H-002", work_group=agr.world.group)
    agreement = signing(agr, agreements.draft(actor=agr.officer, calculation=agr.calculation))
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.PENDING
    assert "signed" in stages(agr.household)
    agreements.settle(project_id=agr.project.pk, today=today + dt.timedelta(6), actor=None)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.LAPSED
    assert "signed" not in stages(agr.household)
    assert days(agr.project) == {}


# --- The nightly rebuild ---------------------------------------------------------------------


def test_rebuild_check_finds_and_rebuild_fixes_every_drift(pay):
    h, p, g = pay.household, pay.project, pay.world.group
    HouseholdProgress.objects.filter(pk=h.pk).update(valued=True)
    ProgressCell.objects.filter(project=p, group_id=g.pk, mode="cash").update(households=5)
    ProgressDay.objects.all().delete()
    with pytest.raises(CommandError, match="rows: 1, cells: 1, days: 1 differed"):
        call_command("rebuild_progress", "--check")
    assert row(h).valued is True  # --check changes nothing

    call_command("rebuild_progress")
    assert row(h).valued is False
    assert cell(p, g).valued == 0
    assert cell(p, g).households == 1
    assert days(p) == {pay.agreement.signed_on: (1, 0, 0, 0)}
    call_command("rebuild_progress", "--check")


def test_rebuild_of_one_project_leaves_the_others(pay):
    other = make_household(pay.world.other_project, code="B-001")
    HouseholdProgress.objects.filter(pk__in=[pay.household.pk, other.pk]).update(area=0)
    call_command("rebuild_progress", "--project", pay.project.code)
    assert row(pay.household).area == AREA
    assert row(other).area == 0
    with pytest.raises(CommandError):
        call_command("rebuild_progress", "--check", "--project", pay.world.other_project.code)


def test_rebuild_refuses_an_unknown_project(db):
    with pytest.raises(CommandError, match="No project with the code 'NOPE'"):
        call_command("rebuild_progress", "--project", "NOPE")


def test_the_demo_data_has_no_drift(db):
    from zhengqian.core.demo import seed_demo

    seed_demo(households=40, projects=2, casework=True)
    assert HouseholdProgress.objects.count() == 40
    assert progress.rebuild(fix=False) == progress.Drift()
    call_command("rebuild_progress", "--check")


# --- At the same time (PostgreSQL) --------------------------------------------------------------


def postgres_only(test: Any) -> Any:
    for mark in reversed(POSTGRES_ONLY):
        test = mark(test)
    return test


@postgres_only
def test_households_of_one_cell_refreshed_at_once_are_all_counted(world):
    households = [
        make_household(world.project, code=f"H-{n:03d}", work_group=world.group) for n in range(4)
    ]
    # As if the counters had never been kept: the first refreshes all create the same cell.
    HouseholdProgress.objects.all().delete()
    ProgressCell.objects.all().delete()

    def refresh(household: Any) -> None:
        with transaction.atomic():
            progress.refresh([household.pk])

    assert at_once(households, refresh) == ["ok"] * 4
    c = cell(world.project, world.group, mode="")
    assert (c.households, c.surveyed, c.area) == (4, 4, AREA * 4)

    # Each household's area changes at once: every difference is added.
    Building.objects.filter(household__in=households, number="2").update(measured_area=0)
    assert at_once(households, refresh) == ["ok"] * 4
    assert cell(world.project, world.group, mode="").area == Decimal("96.00") * 4
    assert not no_drift().found
