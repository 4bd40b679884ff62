"""Several desks of the selection hall acting at the same moment: one flat is allocated to one
household only; two households moved to the end at once get distinct places (PostgreSQL, real
concurrent transactions)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhengqian.resettlement import services_selection as sel
from zhengqian.resettlement.models import (
    Choice,
    EntryStatus,
    Flat,
    FlatStatus,
    OrderBy,
    RoundEntry,
)
from zhengqian.resettlement.tests.conftest import effective, stock
from zhengqian.testing.concurrency import POSTGRES_ONLY, at_once

pytestmark = POSTGRES_ONLY

DESKS = 5


def _hall(res: Any) -> tuple[list[RoundEntry], dict[str, Flat]]:
    with transaction.atomic():  # the agreements' payment plans lock their accounts
        households = [
            effective(res, f"C-{i:02d}", licensed_area=Decimal("95.00")).household
            for i in range(1, DESKS + 1)
        ]
    estate = stock(res)
    r = sel.round_create(
        actor=res.officer_r,
        project=res.project,
        name="并发批",
        order_by=OrderBy.SIGNING,
        scheduled_on=timezone.localdate(),
        desks=DESKS,
    )
    sel.round_add_households(actor=res.officer_r, round=r, households=households)
    flats = {f.unit_no: f for f in Flat.objects.filter(estate=estate)}
    sel.round_add_flats(actor=res.officer_r, round=r, flats=flats.values())
    sel.round_fix_order(actor=res.officer_r, round=r)
    sel.round_open(actor=res.officer_r, round=r)
    return list(RoundEntry.objects.filter(round=r).order_by("position")), flats


def test_desks_choosing_the_same_flat_at_once_allocate_it_once(res):
    entries, flats = _hall(res)
    wanted = flats["201"]
    users = [res.officer_r, res.officer_r2]
    outcomes = at_once(
        list(enumerate(entries)),
        lambda item: sel.choose(actor=users[item[0] % 2], entry=item[1], flats=[wanted]),
    )
    assert sorted(outcomes) == ["ok"] + ["taken"] * (DESKS - 1)
    live = Choice.objects.filter(flat=wanted, cancelled_at__isnull=True)
    assert live.count() == 1
    flat = Flat.objects.get(pk=wanted.pk)
    assert flat.status == FlatStatus.ALLOCATED and flat.household_id == live.get().household_id
    statuses = sorted(RoundEntry.objects.values_list("status", flat=True))
    assert statuses == sorted([EntryStatus.CHOSEN] + [EntryStatus.WAITING] * (DESKS - 1))


def test_desks_choosing_different_flats_at_once_all_succeed(res):
    entries, flats = _hall(res)
    # 90 and 105 m² fit 95 m²; only two of them: two succeed, the others find them taken.
    pairs = [(entries[0], flats["201"]), (entries[1], flats["202"]), (entries[2], flats["201"])]
    outcomes = at_once(
        pairs, lambda pair: sel.choose(actor=res.officer_r, entry=pair[0], flats=[pair[1]])
    )
    assert sorted(outcomes) == ["ok", "ok", "taken"]
    assert Choice.objects.count() == 2
    assert Flat.objects.filter(status=FlatStatus.ALLOCATED).count() == 2


def test_two_absences_at_once_take_distinct_last_places(res):
    entries, _flats = _hall(res)
    outcomes = at_once(entries[:2], lambda e: sel.mark_absent(actor=res.officer_r, entry=e))
    assert outcomes == ["ok", "ok"]
    moved = sorted(
        RoundEntry.objects.filter(pk__in=[entries[0].pk, entries[1].pk]).values_list(
            "position", flat=True
        )
    )
    assert moved == [DESKS + 1, DESKS + 2]
