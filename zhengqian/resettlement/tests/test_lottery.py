"""The lottery of a selection round is fair: over thousands of seeds each candidate is equally
likely at each place (a chi-square test at p = 0.001, its critical value computed here), and a
biased shuffle is caught by the same test."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from statistics import NormalDist

from zhengqian.core import draws

CANDIDATES = 8
SEEDS = 4000
P_VALUE = 0.001


def chi_square_critical(dof: int, p: float = P_VALUE) -> float:
    """The upper critical value of the chi-square distribution (Wilson–Hilferty: accurate to
    well under 1 % for these degrees of freedom)."""
    z = NormalDist().inv_cdf(1 - p)
    k = float(dof)
    return k * (1 - 2 / (9 * k) + z * math.sqrt(2 / (9 * k))) ** 3


def seeds(count: int = SEEDS) -> list[str]:
    return [hashlib.sha256(f"fairness-{i}".encode()).hexdigest() for i in range(count)]


def table(order_of: Callable[[str], list[int]]) -> list[list[int]]:
    """counts[place][candidate] over the seeds."""
    counts = [[0] * CANDIDATES for _ in range(CANDIDATES)]
    for seed in seeds():
        for place, candidate in enumerate(order_of(seed)):
            counts[place][candidate - 1] += 1
    return counts


def chi_square(row: list[int]) -> float:
    expected = sum(row) / len(row)
    return sum((n - expected) ** 2 / expected for n in row)


def fair(counts: list[list[int]]) -> bool:
    """Every place's distribution over the candidates, and every candidate's over the places,
    passes the test."""
    critical = chi_square_critical(CANDIDATES - 1)
    columns = [list(col) for col in zip(*counts, strict=True)]
    return all(chi_square(row) < critical for row in counts + columns)


def test_critical_values_match_the_tables():
    # Published values of the chi-square distribution at p = 0.001.
    for dof, published in [(7, 24.322), (10, 29.588), (49, 85.351)]:
        assert abs(chi_square_critical(dof) - published) / published < 0.01


def test_each_candidate_is_equally_likely_at_each_place():
    counts = table(lambda seed: draws.draw_order(seed, CANDIDATES))
    assert fair(counts)
    # And within tolerance of 1/8 everywhere: five standard deviations of a binomial count.
    p = 1 / CANDIDATES
    tolerance = 5 * math.sqrt(SEEDS * p * (1 - p))
    assert all(abs(n - SEEDS * p) < tolerance for row in counts for n in row)
    # The whole table too (the 49 degrees of freedom of an 8 × 8 table with fixed margins).
    expected = SEEDS / CANDIDATES
    total = sum((n - expected) ** 2 / expected for row in counts for n in row)
    assert total < chi_square_critical((CANDIDATES - 1) ** 2)


def test_fair_with_a_witness_value_too():
    counts = table(lambda seed: draws.draw_order(seed, CANDIDATES, witness="3 5 1"))
    assert fair(counts)


def _sattolo(seed: str, count: int) -> list[int]:
    """A classic mistake (j drawn below i instead of up to it): only cyclic permutations, so no
    candidate ever keeps its own place."""
    order = list(range(1, count + 1))
    for i in range(count - 1, 0, -1):
        j = int(hashlib.sha256(f"{seed}|{i}".encode()).hexdigest(), 16) % i
        order[i], order[j] = order[j], order[i]
    return order


def _first_heavy(seed: str, count: int) -> list[int]:
    """A shuffle that keeps the first candidate first one time in four more than it should."""
    order = draws.draw_order(seed, count)
    if int(seed[:2], 16) < 64 and order[0] != 1:
        k = order.index(1)
        order[0], order[k] = order[k], order[0]
    return order


def test_the_test_catches_a_biased_shuffle():
    assert not fair(table(lambda seed: _sattolo(seed, CANDIDATES)))
    assert not fair(table(lambda seed: _first_heavy(seed, CANDIDATES)))


def test_the_same_seed_and_witness_give_the_same_order():
    seed = draws.new_seed()
    assert draws.draw_order(seed, 50, witness="7") == draws.draw_order(seed, 50, witness="7")
    assert draws.draw_order(seed, 50, witness="7") != draws.draw_order(seed, 50, witness="8")
    assert sorted(draws.draw_order(seed, 50)) == list(range(1, 51))
