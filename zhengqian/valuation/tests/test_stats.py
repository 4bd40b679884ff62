"""Appraisal-firm performance on a constructed case: reports on time and late against the due
date set at the choice of the firm, objections by kind and outcome, answers given late."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest
from openpyxl import load_workbook

from zhengqian.ownership.tests.conftest import make_household
from zhengqian.valuation import services, stats
from zhengqian.valuation.models import (
    Objection,
    ObjectionKind,
    ObjectionOutcome,
    ObjectionStatus,
    Valuation,
    ValuationStatus,
)
from zhengqian.valuation.tests.conftest import enter

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 4, 30)  # the `chosen` fixture's reports_due_on


def issued(valuer: Any, household: Any, on: dt.date) -> Valuation:
    valuation = enter(valuer, household)
    Valuation.objects.filter(pk=valuation.pk).update(status=ValuationStatus.ISSUED, issued_on=on)
    valuation.refresh_from_db()
    return valuation


def objection(
    valuation: Valuation,
    kind: ObjectionKind,
    *,
    applied_on: dt.date,
    answered_on: dt.date | None = None,
    outcome: str = "",
) -> Objection:
    return Objection.objects.create(
        valuation=valuation,
        kind=kind,
        applied_on=applied_on,
        apply_deadline=applied_on,
        answer_deadline=applied_on + dt.timedelta(days=10),
        grounds="评估价格偏低",
        recorded_by=valuation.prepared_by,
        total_before=valuation.total,
        status=ObjectionStatus.ANSWERED if answered_on else ObjectionStatus.PENDING,
        outcome=outcome,
        answered_on=answered_on,
    )


@pytest.fixture
def case(chosen):  # type: ignore[no-untyped-def]
    """Project A (due 30 April): two reports on time, two late by 3 and 10 days, one valuation
    confirmed but not issued, one still being entered; objections of both kinds. Project B:
    its firm chosen without a due date, one report issued."""
    w = chosen.world
    h = {1: chosen.household}
    for n in range(2, 7):
        h[n] = make_household(w.project, code=f"H-00{n}", work_group=w.group)
    v1 = issued(chosen.valuer, h[1], dt.date(2026, 4, 15))
    issued(chosen.valuer, h[2], DUE)  # on the day itself: on time
    v3 = issued(chosen.valuer, h[3], dt.date(2026, 5, 3))
    v4 = issued(chosen.valuer, h[4], dt.date(2026, 5, 10))
    services.valuation_confirm(actor=chosen.valuer, valuation=enter(chosen.valuer, h[5]))
    enter(chosen.valuer, h[6])

    review, appraisal = ObjectionKind.REVIEW, ObjectionKind.APPRAISAL
    revised, upheld = ObjectionOutcome.REVISED, ObjectionOutcome.UPHELD
    # H-001: re-assessment answered two days late with a new value; then an appraisal pending.
    objection(
        v1,
        review,
        applied_on=dt.date(2026, 4, 20),
        answered_on=dt.date(2026, 5, 2),
        outcome=revised,
    )
    objection(v1, appraisal, applied_on=dt.date(2026, 5, 8))
    # H-003: re-assessment answered in time, value upheld.
    objection(
        v3, review, applied_on=dt.date(2026, 5, 5), answered_on=dt.date(2026, 5, 15), outcome=upheld
    )
    # H-004: the experts changed the value, a day late.
    objection(
        v4,
        appraisal,
        applied_on=dt.date(2026, 5, 12),
        answered_on=dt.date(2026, 5, 23),
        outcome=revised,
    )

    services.selection_negotiate(
        actor=w.other_pm,
        project=w.other_project,
        firm=chosen.other_firm,
        decided_on=dt.date(2026, 3, 6),
        record_text="协商一致",
    )
    issued(chosen.other_valuer, make_household(w.other_project, code="B-001"), dt.date(2026, 6, 1))
    return SimpleNamespace(val=chosen, h=h)


def row_of(rows: list[stats.FirmPerformance], firm_id: int) -> stats.FirmPerformance:
    (row,) = [r for r in rows if r.firm_id == firm_id]
    return row


def test_reports_are_counted_on_time_and_late_against_the_due_date(case) -> None:  # type: ignore[no-untyped-def]
    row = row_of(stats.firm_performance([case.val.project.pk]), case.val.firm.pk)
    assert row.reports_due_on == DUE
    assert (row.valued, row.issued, row.on_time, row.late) == (5, 4, 2, 2)
    assert str(row.average_days_late) == "6.5"  # (3 + 10) / 2, over the late reports only


def test_objections_are_counted_by_kind_outcome_and_lateness(case) -> None:  # type: ignore[no-untyped-def]
    row = row_of(stats.firm_performance([case.val.project.pk]), case.val.firm.pk)
    assert (row.reviews, row.appraisals, row.objections) == (2, 2, 4)
    assert row.revised == 2  # the revised re-assessment and the revised appraisal
    assert row.reviews_answered_late == 1 and row.appraisals_answered_late == 1


def test_each_project_has_its_own_row(case) -> None:  # type: ignore[no-untyped-def]
    rows = stats.firm_performance([case.val.project.pk, case.val.world.other_project.pk])
    assert [(r.project_code, r.firm_name) for r in rows] == [
        ("XM-A", case.val.firm.name),
        ("XM-B", case.val.other_firm.name),
    ]
    other = rows[1]
    # Without a due date a report is neither on time nor late.
    assert other.issued == 1 and other.on_time is None and other.late is None
    assert other.average_days_late is None and other.objections == 0


def test_a_chosen_firm_without_valuations_has_a_row_of_zeros(chosen) -> None:  # type: ignore[no-untyped-def]
    (row,) = stats.firm_performance([chosen.project.pk])
    assert (row.valued, row.issued, row.on_time, row.late, row.objections) == (0, 0, 0, 0, 0)
    assert row.average_days_late is None


def test_the_figures_take_the_same_few_queries_however_many_households(
    case, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(3):
        stats.firm_performance([case.val.project.pk])
    for n in range(7, 12):
        issued(
            case.val.valuer,
            make_household(case.val.project, code=f"H-0{n:02d}"),
            dt.date(2026, 5, n),
        )
    with django_assert_num_queries(3):
        row = row_of(stats.firm_performance([case.val.project.pk]), case.val.firm.pk)
    assert row.late == 7


def test_the_workbook_has_a_row_per_firm(case) -> None:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    stats.write_performance(out, stats.firm_performance([case.val.project.pk]))
    out.seek(0)
    rows = list(load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][2:] == (
        case.val.firm.name,
        dt.datetime(2026, 4, 30),
        5,
        4,
        2,
        2,
        6.5,
        2,
        2,
        2,
        1,
        1,
    )
