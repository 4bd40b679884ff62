"""The verifiable draw: reproducible from its seed, independent of this system, and immutable
once drawn (the database refuses it)."""

from __future__ import annotations

import hashlib
import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from zhengqian.core import draws
from zhengqian.core.models import Draw

SEED = "9f2c6d0e4b7a1c3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"


def independent_order(seed: str, count: int, witness: str = "") -> list[int]:
    """The published recipe, written out again from the module docstring, not from the code."""
    key = f"{seed}|{witness}" if witness else seed
    items = list(range(1, count + 1))
    i = count - 1
    while i >= 1:
        j = int(hashlib.sha256(f"{key}|{i}".encode()).hexdigest(), 16) % (i + 1)
        items[i], items[j] = items[j], items[i]
        i -= 1
    return items


@pytest.mark.parametrize("count", [1, 2, 3, 7, 40])
def test_the_order_is_a_permutation_reproducible_from_the_seed_alone(count):  # type: ignore[no-untyped-def]
    order = draws.draw_order(SEED, count)
    assert sorted(order) == list(range(1, count + 1))
    assert draws.draw_order(SEED, count) == order
    assert independent_order(SEED, count) == order


def test_the_witness_value_changes_the_order_and_is_reproducible_too():  # type: ignore[no-untyped-def]
    plain = draws.draw_order(SEED, 10)
    with_dice = draws.draw_order(SEED, 10, witness="3 5 6")
    assert with_dice == independent_order(SEED, 10, "3 5 6")
    assert with_dice != plain
    # Surrounding blanks typed at the draw do not change the result.
    assert draws.draw_order(SEED, 10, witness=" 3 5 6 ") == with_dice


def test_the_first_place_is_spread_evenly_over_many_seeds():  # type: ignore[no-untyped-def]
    firsts = Counter(draws.draw_order(f"seed-{i}", 3)[0] for i in range(3000))
    assert set(firsts) == {1, 2, 3}
    assert all(900 < n < 1100 for n in firsts.values()), firsts


def test_a_new_seed_is_secret_sized_and_its_hash_is_sha256():  # type: ignore[no-untyped-def]
    seed = draws.new_seed()
    assert len(seed) == 64 and seed != draws.new_seed()
    assert draws.seed_hash(seed) == hashlib.sha256(seed.encode()).hexdigest()


def test_the_rerun_command_prints_the_same_order_and_checks_the_published_hash():  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command(
        "rerun_draw",
        "--seed",
        SEED,
        "--witness",
        "42",
        "--candidates",
        "5",
        "--expect-hash",
        draws.seed_hash(SEED),
        stdout=out,
    )
    expected = " ".join(str(n) for n in draws.draw_order(SEED, 5, witness="42"))
    assert f"order: {expected}" in out.getvalue()
    with pytest.raises(CommandError, match="does not match the published hash"):
        call_command("rerun_draw", "--seed", SEED, "--candidates", "5", "--expect-hash", "0" * 64)


def _draw(user) -> Draw:  # type: ignore[no-untyped-def]
    return Draw.objects.create(
        purpose="test",
        title="test draw",
        candidates=[[1, "甲"], [2, "乙"], [3, "丙"]],
        seed_hash=draws.seed_hash(SEED),
        seed=SEED,
        committed_by=user,
        committed_at=timezone.now(),
    )


# SQLite's RAISE(ABORT) and PostgreSQL's RAISE EXCEPTION arrive as different subclasses.
DB_REFUSALS = DatabaseError


@pytest.mark.django_db
def test_the_database_refuses_changing_a_drawn_draw_and_deleting_any(world):  # type: ignore[no-untyped-def]
    draw = _draw(world.pm)
    # Before the draw, the seed and the candidates are fixed already.
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).update(seed="0" * 64)
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).update(candidates=[[2, "乙"], [1, "甲"], [3, "丙"]])
    # The draw itself is the one change allowed.
    Draw.objects.filter(pk=draw.pk).update(
        order=draws.draw_order(SEED, 3), drawn_at=timezone.now(), drawn_by=world.pm
    )
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).update(order=[1, 2, 3])
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).delete()
    with pytest.raises(DB_REFUSALS), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_draw")
    draw.refresh_from_db()
    assert draw.order == draws.draw_order(SEED, 3)
