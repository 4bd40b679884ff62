"""Batch calculation: the same lines as one by one, households that cannot be calculated left
out with the reason, a constant number of queries per chunk, and the background path."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.audit.models import Event
from zhengqian.compensation import batch, services, tasks
from zhengqian.compensation.models import BatchStatus, Calculation, CalculationStatus
from zhengqian.ownership.tests.conftest import confirm_all, make_household
from zhengqian.valuation import services as valuation_services
from zhengqian.valuation.tests.conftest import enter

pytestmark = pytest.mark.django_db


def valued(comp, code):  # type: ignore[no-untyped-def]
    household = make_household(comp.project, code=code, work_group=comp.world.group)
    confirm_all(_officer(comp), household)
    v = enter(comp.valuer, household, report_no=f"PG-{code}")
    valuation_services.valuation_confirm(actor=comp.valuer, valuation=v)
    return household


def _officer(comp):  # type: ignore[no-untyped-def]
    from zhengqian.accounts.models import User

    return User.objects.get(username="comp-officer")


def test_a_batch_gives_the_same_lines_as_one_by_one_and_lists_what_it_left_out(comp):  # type: ignore[no-untyped-def]
    second = valued(comp, "H-002")
    bare = make_household(comp.project, code="H-003", work_group=comp.world.group)
    job = batch.batch_start(actor=comp.accountant, project=comp.project, mode="cash")
    assert job.total == 3
    job = batch.run_batch(job)
    assert job.status == BatchStatus.DONE and job.done == 3
    assert set(job.skipped) == {"H-003"} and "valuation" in job.skipped["H-003"]
    assert not Calculation.objects.filter(household=bare).exists()
    for household in (comp.household, second):
        from_batch = Calculation.objects.get(household=household)
        single = services.calculate(actor=comp.accountant, household=household, mode="cash")
        assert [(x.item, x.amount) for x in from_batch.lines.order_by("position")] == [
            (x.item, x.amount) for x in single.lines.order_by("position")
        ]
        from_batch.refresh_from_db()
        assert from_batch.status == CalculationStatus.SUPERSEDED
    event = Event.objects.get(event_type="calculation.batch")
    assert set(event.details["calculations"]) == {str(comp.household.pk), str(second.pk)}


def test_the_queries_of_a_chunk_do_not_grow_with_its_households(comp):  # type: ignore[no-untyped-def]
    def queries(n_households: int) -> int:
        job = batch.batch_start(actor=comp.accountant, project=comp.project, mode="cash")
        with CaptureQueriesContext(connection) as ctx:
            batch.run_batch(job)
        assert job.total == n_households
        # The dashboard's counters change by one row per cell the batch moves (not per
        # household): they are left out of the count.
        return sum(1 for q in ctx.captured_queries if "dashboard_" not in q["sql"])

    queries(1)
    small = queries(1)  # the second run also supersedes the first one's calculation
    for i in range(4):
        valued(comp, f"H-1{i}")
    assert queries(5) == small


def test_the_latest_mode_keeps_each_households_choice(comp):  # type: ignore[no-untyped-def]
    services.calculate(
        actor=comp.accountant,
        household=comp.household,
        mode="exchange",
        exchange_area=Decimal("120.00"),
    )
    job = batch.run_batch(
        batch.batch_start(actor=comp.accountant, project=comp.project, mode="latest")
    )
    latest = Calculation.objects.filter(household=comp.household).order_by("-number").first()
    assert (
        latest.number == 2
        and latest.mode == "exchange"
        and latest.exchange_area == Decimal("120.00")
    )
    assert job.skipped == {}


def test_only_accountants_start_a_batch_and_in_the_background_it_runs_the_same(comp):  # type: ignore[no-untyped-def]
    for actor in (comp.policy_reviewer, comp.world.surveyor, comp.other_accountant):
        with pytest.raises(AccessDenied):
            batch.batch_start(actor=actor, project=comp.project, mode="cash")
    with pytest.raises(ValidationError):
        batch.batch_start(actor=comp.accountant, project=comp.project, mode="barter")
    job = batch.batch_start(actor=comp.accountant, project=comp.project, mode="cash")
    tasks.calculate_batch.enqueue(job.pk)
    job.refresh_from_db()
    assert job.status == BatchStatus.DONE and job.done == 1
