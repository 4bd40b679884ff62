"""Verifiable random draws (公开随机抽取): the appraisal-firm draw and the flat-choosing lottery.

A draw is committed before it is run: the system picks a secret seed and publishes its SHA-256
hash together with the ordered candidate list. At the draw the seed is revealed, and the
witnesses present (a notary, household representatives) may add a value of their own (e.g. the
number shown by dice thrown in the hall), so that nobody, the system's operators included, could
know the result before that moment. The result is a permutation of the candidates computed from
the seed and the witnesses' value alone; anyone can recompute it:

    python manage.py rerun_draw --seed <seed> [--witness <value>] --candidates <n>

or without this system: for i = n-1 down to 1, j = int(SHA-256("<key>|<i>"), 16) mod (i + 1),
swap positions i and j of [1 … n], where <key> is the seed, followed by "|" and the witnesses'
value when there is one. The first candidate of the resulting order wins a single draw.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

SEED_BYTES = 32


def new_seed() -> str:
    """A fresh secret seed: 64 hex digits from the operating system's random source."""
    return secrets.token_hex(SEED_BYTES)


def seed_hash(seed: str) -> str:
    """The commitment published before the draw."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def draw_key(seed: str, witness: str = "") -> str:
    witness = witness.strip()
    return f"{seed}|{witness}" if witness else seed


def draw_order(seed: str, count: int, *, witness: str = "") -> list[int]:
    """The order of ``count`` candidates (numbered from 1), a Fisher–Yates shuffle by SHA-256."""
    if count < 0:
        raise ValueError("count must not be negative")
    key = draw_key(seed, witness)
    order = list(range(1, count + 1))
    for i in range(count - 1, 0, -1):
        digest = hashlib.sha256(f"{key}|{i}".encode()).hexdigest()
        j = int(digest, 16) % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def ordered(items: Sequence[Any], order: Sequence[int]) -> list[Any]:
    """The items in the drawn order (order numbers start from 1)."""
    return [items[n - 1] for n in order]
