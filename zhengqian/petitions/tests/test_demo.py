"""The demonstration petitions: a closed one, a repeat, one the escalation picks up, and a
lawsuit with a hearing."""

from __future__ import annotations

import random

import pytest

from zhengqian.ownership.tests.conftest import make_household
from zhengqian.petitions import services
from zhengqian.petitions.demo import seed_petitions
from zhengqian.petitions.models import Hearing, LawCase, PetitionStatus

pytestmark = pytest.mark.django_db


def test_seed_petitions(pet):  # type: ignore[no-untyped-def]
    for n in range(3):
        make_household(pet.project, code=f"H-00{n + 1}", work_group=pet.group)
    made = seed_petitions(pet.project, [pet.officer, pet.pm], random.Random(7))
    assert [p.status for p in made] == [
        PetitionStatus.CLOSED,
        PetitionStatus.ACKNOWLEDGED,
        PetitionStatus.RECEIVED,
    ]
    assert made[1].repeat_of == made[0]
    assert services.escalate_overdue(pet.project.pk) == [made[2]]
    assert LawCase.objects.count() == 1 and Hearing.objects.count() == 1
