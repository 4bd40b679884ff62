"""Objections to a valuation: 复核 and then 鉴定, each 10 days to apply and 10 days to answer,
counted in calendar days from the day after the household received the document."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.audit.models import Event
from zhengqian.valuation import services
from zhengqian.valuation.models import ObjectionKind, ObjectionOutcome, ObjectionStatus
from zhengqian.valuation.tests.conftest import enter

pytestmark = pytest.mark.django_db

RECEIVED = dt.date(2026, 5, 25)  # a Monday; ten days later is Thursday 4 June
LAST_DAY = dt.date(2026, 6, 4)


@pytest.fixture
def issued(chosen):  # type: ignore[no-untyped-def]
    v = enter(chosen.valuer, chosen.household)
    services.valuation_confirm(actor=chosen.valuer, valuation=v)
    services.publish(actor=chosen.pm, project=chosen.project, published_on=dt.date(2026, 5, 10))
    v.refresh_from_db()
    v = services.report_issue(actor=chosen.valuer, valuation=v, issued_on=dt.date(2026, 5, 22))
    services.report_delivered(actor=chosen.pm, valuation=v, delivered_on=RECEIVED)
    v.refresh_from_db()
    chosen.valuation = v
    return chosen


def apply(issued, day, kind=ObjectionKind.REVIEW):  # type: ignore[no-untyped-def]
    return services.objection_apply(
        actor=issued.pm,
        valuation=issued.valuation,
        kind=kind,
        applied_on=day,
        grounds="评估单价偏低",
    )


def test_no_application_before_the_household_received_its_report(chosen):  # type: ignore[no-untyped-def]
    v = enter(chosen.valuer, chosen.household)
    with pytest.raises(ValidationError) as exc:
        services.objection_apply(
            actor=chosen.pm, valuation=v, kind="review", applied_on=RECEIVED, grounds="x"
        )
    assert exc.value.error_dict["applied_on"][0].code == "not_started"


def test_the_last_day_to_apply_is_accepted_across_the_month_end(issued):  # type: ignore[no-untyped-def]
    objection = apply(issued, LAST_DAY)
    assert objection.apply_deadline == LAST_DAY
    # Applied on Thursday 4 June: ten days end on Sunday 14 June, so the firm has until Monday.
    assert objection.answer_deadline == dt.date(2026, 6, 15)
    assert objection.total_before == issued.valuation.total
    event = Event.objects.get(event_type="valuation.objection.applied")
    assert event.details["apply_deadline"] == "2026-06-04"


def test_the_day_after_is_refused_with_the_day_the_period_closed(issued):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        apply(issued, LAST_DAY + dt.timedelta(days=1))
    (error,) = exc.value.error_dict["applied_on"]
    assert error.code == "too_late"
    assert "2026-06-04" in str(error.message)
    assert not issued.valuation.objections.exists()


def test_only_the_office_records_an_application_and_only_once(issued):  # type: ignore[no-untyped-def]
    for actor in (issued.valuer, issued.world.surveyor, issued.world.other_pm):
        with pytest.raises(AccessDenied):
            apply_as(issued, actor)
    apply(issued, RECEIVED + dt.timedelta(days=2))
    with pytest.raises(ValidationError) as exc:
        apply(issued, RECEIVED + dt.timedelta(days=3))
    assert exc.value.code == "twice"


def apply_as(issued, actor):  # type: ignore[no-untyped-def]
    return services.objection_apply(
        actor=actor, valuation=issued.valuation, kind="review", applied_on=RECEIVED, grounds="x"
    )


def test_the_firm_upholds_the_value_and_an_answer_after_its_last_day_is_marked_late(issued):  # type: ignore[no-untyped-def]
    objection = apply(issued, LAST_DAY)
    with pytest.raises(AccessDenied):
        services.review_answer(
            actor=issued.pm, objection=objection, answered_on=dt.date(2026, 6, 15), answer="维持"
        )
    objection = services.review_answer(
        actor=issued.valuer, objection=objection, answered_on=dt.date(2026, 6, 15), answer="维持"
    )
    assert objection.outcome == ObjectionOutcome.UPHELD and not objection.answered_late
    objection.answered_on = dt.date(2026, 6, 16)
    assert objection.answered_late


def _answered_review(issued, delivered):  # type: ignore[no-untyped-def]
    objection = apply(issued, RECEIVED + dt.timedelta(days=1))
    objection = services.review_answer(
        actor=issued.valuer,
        objection=objection,
        answered_on=dt.date(2026, 6, 1),
        answer="维持原评估",
    )
    return services.objection_delivered(
        actor=issued.pm, objection=objection, delivered_on=delivered
    )


def test_an_expert_appraisal_follows_the_answered_reassessment_within_ten_days(issued):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        apply(issued, dt.date(2026, 6, 2), kind=ObjectionKind.APPRAISAL)
    assert exc.value.error_dict["applied_on"][0].code == "not_started"
    _answered_review(issued, delivered=dt.date(2026, 6, 16))  # a Tuesday
    with pytest.raises(ValidationError) as exc:
        apply(issued, dt.date(2026, 6, 27), kind=ObjectionKind.APPRAISAL)
    assert exc.value.error_dict["applied_on"][0].code == "too_late"
    appraisal = apply(issued, dt.date(2026, 6, 26), kind=ObjectionKind.APPRAISAL)
    assert appraisal.apply_deadline == dt.date(2026, 6, 26)


def test_experts_finding_the_value_wrong_reopen_it_for_the_firm_to_revise(issued):  # type: ignore[no-untyped-def]
    _answered_review(issued, delivered=dt.date(2026, 6, 2))
    appraisal = apply(issued, dt.date(2026, 6, 5), kind=ObjectionKind.APPRAISAL)
    with pytest.raises(ValidationError, match="专家认定评估结果有误"):
        services.objection_reopen(actor=issued.valuer, objection=appraisal)
    with pytest.raises(AccessDenied):
        services.appraisal_answer(
            actor=issued.valuer,
            objection=appraisal,
            answered_on=dt.date(2026, 6, 10),
            answer="x",
            outcome="revised",
        )
    appraisal = services.appraisal_answer(
        actor=issued.pm,
        objection=appraisal,
        answered_on=dt.date(2026, 6, 10),
        answer="专家委员会鉴定：装修部分评估偏低",
        outcome=ObjectionOutcome.REVISED,
    )
    assert appraisal.status == ObjectionStatus.ANSWERED
    services.objection_reopen(actor=issued.valuer, objection=appraisal)
    enter(issued.valuer, issued.household, price="12300.00")
    appraisal = services.appraisal_revision_done(actor=issued.valuer, objection=appraisal)
    v = issued.valuation
    v.refresh_from_db()
    assert appraisal.total_after == v.total != appraisal.total_before
    assert v.reopened_by is None and v.version == 2
    # The revised report is issued again, and shows the new version.
    v = services.report_issue(actor=issued.valuer, valuation=v, issued_on=dt.date(2026, 6, 12))
    assert v.report_version == 2


def test_a_report_issued_again_after_an_objection_keeps_its_first_issue_date_for_the_firm(
    issued,
):  # type: ignore[no-untyped-def]
    from zhengqian.valuation.stats import firm_performance

    objection = apply(issued, RECEIVED + dt.timedelta(days=1))
    services.objection_reopen(actor=issued.valuer, objection=objection)
    enter(issued.valuer, issued.household, price="12500.00")
    services.review_answer(
        actor=issued.valuer, objection=objection, answered_on=dt.date(2026, 6, 1), answer="调整"
    )
    v = issued.valuation
    v.refresh_from_db()
    v = services.report_issue(actor=issued.valuer, valuation=v, issued_on=dt.date(2026, 6, 12))
    assert (v.first_issued_on, v.issued_on) == (dt.date(2026, 5, 22), dt.date(2026, 6, 12))
    (row,) = firm_performance([issued.project.pk])
    # Due on 30 April, first issued on 22 May: 22 days late, not 43.
    assert (row.issued, row.late, row.days_late) == (1, 1, 22)
