"""The whole way of one household's valuation: entered, confirmed, published, issued,
received, objected to, revised, answered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from zhengqian.valuation import services
from zhengqian.valuation.models import ObjectionKind, ObjectionOutcome, ValuationStatus
from zhengqian.valuation.tests.conftest import enter

pytestmark = pytest.mark.django_db


def test_a_household_valuation_from_entry_to_a_revised_report(chosen):  # type: ignore[no-untyped-def]
    v = enter(chosen.valuer, chosen.household)
    assert v.buildings_total == Decimal("136.00") * 12000
    assert v.total == Decimal("1632000.00") + Decimal("8000.00") + Decimal("1250.00")
    services.valuation_confirm(actor=chosen.valuer, valuation=v)
    services.publish(actor=chosen.pm, project=chosen.project, published_on=dt.date(2026, 4, 10))
    v.refresh_from_db()
    v = services.report_issue(actor=chosen.valuer, valuation=v, issued_on=dt.date(2026, 4, 15))
    assert v.status == ValuationStatus.ISSUED and v.report_generated and v.report_file
    services.report_delivered(actor=chosen.pm, valuation=v, delivered_on=dt.date(2026, 4, 16))
    objection = services.objection_apply(
        actor=chosen.pm,
        valuation=v,
        kind=ObjectionKind.REVIEW,
        applied_on=dt.date(2026, 4, 20),
        grounds="装修评估偏低",
    )
    assert objection.apply_deadline == dt.date(2026, 4, 27)  # the 26th is a Sunday
    with pytest.raises(ValidationError):
        enter(chosen.valuer, chosen.household, price="12000.00")  # not reopened yet: refused
    services.objection_reopen(actor=chosen.valuer, objection=objection)
    enter(chosen.valuer, chosen.household, price="12500.00")
    objection = services.review_answer(
        actor=chosen.valuer,
        objection=objection,
        answered_on=dt.date(2026, 4, 20),
        answer="单价调整",
    )
    assert objection.outcome == ObjectionOutcome.REVISED
    v.refresh_from_db()
    assert v.version == 2 and v.report_version == 1
    v = services.report_issue(actor=chosen.valuer, valuation=v, issued_on=dt.date(2026, 4, 20))
    assert v.report_version == 2
