"""Twenty signing officers drafting at the same moment: numbers without gaps, none twice, and
the signing order likewise (PostgreSQL, real concurrent transactions)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements import services
from zhengqian.agreements.models import Agreement, AgreementStatus
from zhengqian.agreements.tests.conftest import approve, mark_stale, signing
from zhengqian.compensation import services as compensation
from zhengqian.ownership.tests.conftest import lock_confirmation, make_household
from zhengqian.testing.concurrency import POSTGRES_ONLY, at_once
from zhengqian.testing.factories import UserFactory, grant
from zhengqian.valuation import services as valuation_services
from zhengqian.valuation.tests.conftest import enter

pytestmark = POSTGRES_ONLY

N = 20


def _calculations(agr: Any, n: int) -> list[Any]:
    owner = UserFactory(username="own-many")
    grant(owner, RoleCode.OWNERSHIP_OFFICER, agr.project)
    calcs = [agr.calculation]
    for i in range(2, n + 1):
        household = make_household(agr.project, code=f"H-{i:03d}", work_group=agr.world.group)
        lock_confirmation(owner, agr.pm, household)
        valuation_services.valuation_confirm(
            actor=agr.valuer, valuation=enter(agr.valuer, household)
        )
        calc = compensation.calculate(actor=agr.accountant, household=household, mode="cash")
        approve(agr, calc)
        calc.refresh_from_db()
        calcs.append(calc)
    return calcs


def test_twenty_concurrent_drafts_number_without_gaps(agr):  # type: ignore[no-untyped-def]
    calcs = _calculations(agr, N)
    officers = [agr.officer]
    for i in range(1, N):
        officer = UserFactory(username=f"officer-{i}")
        grant(officer, RoleCode.SIGNING_OFFICER, agr.project)
        officers.append(officer)
    # Three of them are refused (their calculation went stale): they must take no number.
    for calc in calcs[-3:]:
        mark_stale(calc)
    outcomes = at_once(
        list(zip(officers, calcs, strict=True)),
        lambda pair: services.draft(actor=pair[0], calculation=pair[1]),
    )
    assert sorted(outcomes) == ["ok"] * (N - 3) + ["stale"] * 3
    sequences = sorted(Agreement.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, N - 3 + 1))
    assert len(set(Agreement.objects.values_list("number", flat=True))) == N - 3
    assert services.series(agr.project).next_number == N - 3 + 1

    # Signing them all at once: signing order numbers 1…17, in the order of the signing
    # transactions, without gaps.
    drafts = list(Agreement.objects.filter(status=AgreementStatus.DRAFT))
    moment = timezone.now()
    outcomes = at_once(drafts, lambda a: signing(agr, a, at=moment))
    assert outcomes == ["ok"] * len(drafts)
    orders = sorted(Agreement.objects.values_list("signing_order", flat=True))
    assert orders == list(range(1, len(drafts) + 1))
