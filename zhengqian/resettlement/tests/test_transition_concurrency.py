"""Two generations of the transition fees at the same moment (the monthly job and an officer's
button): each month is generated and scheduled for payment once (PostgreSQL, real concurrent
transactions)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from django.db import connections, transaction

from zhengqian.payments.models import PaymentPlan, PlanKind
from zhengqian.resettlement import services_transition as svc
from zhengqian.resettlement.models import TransitionMonth
from zhengqian.resettlement.tests.conftest import effective
from zhengqian.resettlement.tests.test_transition import late_estate, moved_out
from zhengqian.testing.concurrency import POSTGRES_ONLY

pytestmark = POSTGRES_ONLY


def test_two_generations_at_once_generate_each_month_once(res):  # type: ignore[no-untyped-def]
    with transaction.atomic():
        late_estate(res)
        for code in ("C-001", "C-002", "C-003"):
            moved_out(res, effective(res, code), dt.date(2025, 1, 10))
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def go(actor: Any) -> None:
        try:
            barrier.wait()
            outcomes.append(
                svc.generate_all(actor=actor, project=res.project, through=dt.date(2026, 1, 1))
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(a,)) for a in (None, res.officer_r)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == 2
    assert [o.failed for o in outcomes] == [[], []]
    assert sum(o.created for o in outcomes) == 33  # 11 months × 3 households, once
    assert TransitionMonth.objects.count() == 33
    assert PaymentPlan.objects.filter(kind=PlanKind.TRANSITION).count() == 33
