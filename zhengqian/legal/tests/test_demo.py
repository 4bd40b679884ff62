"""The demo's legal data: nothing while the signing period runs, one proceeding with its
decision made and served once it has ended."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from zhengqian.legal.demo import seed_legal
from zhengqian.legal.models import Proceeding, ProceedingStep
from zhengqian.legal.tests.conftest import set_today

pytestmark = pytest.mark.django_db


def test_it_leaves_empty_handed_while_the_signing_period_runs(legal) -> None:  # type: ignore[no-untyped-def]
    set_today(legal.monkeypatch, dt.date(2025, 3, 31))
    counts = seed_legal(project=legal.project, users={"pm": legal.pm}, rng=random.Random(1))
    assert (counts.proceedings, counts.steps) == (0, 0)
    assert not Proceeding.objects.exists()


def test_it_opens_a_proceeding_for_a_household_without_agreement(legal) -> None:  # type: ignore[no-untyped-def]
    counts = seed_legal(project=legal.project, users={"pm": legal.pm}, rng=random.Random(1))
    assert (counts.proceedings, counts.steps) == (1, 2)
    proceeding = Proceeding.objects.get()
    assert proceeding.household == legal.household
    assert set(ProceedingStep.objects.values_list("code", flat=True)) == {"decision", "served"}
