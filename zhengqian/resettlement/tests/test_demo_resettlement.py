"""The resettlement demo data: seed_demo's first project gets its estates (one late), flats, a
published lottery round with its notary, choices and settlements, an announced round for the
next batch, developers, vouchers in each state, and transition fees up to this month."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from zhengqian.audit.chain import verify_chain
from zhengqian.payments.models import PaymentPlan, PlanKind
from zhengqian.projects.models import Project
from zhengqian.resettlement import selectors_transition
from zhengqian.resettlement.models import (
    Choice,
    DeveloperPayment,
    Estate,
    Flat,
    RoundStatus,
    SelectionRound,
    Settlement,
    TransitionMonth,
    Voucher,
    VoucherStatus,
)

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_the_resettlement_of_the_first_project() -> None:
    call_command("seed_demo", "--households", "100", "--projects", "1", stdout=StringIO())
    project = Project.objects.get()
    today = timezone.localdate()
    late, on_time = (
        Estate.objects.get(project=project, name="滨江花苑安置小区"),
        Estate.objects.get(project=project, name="江南府安置小区"),
    )
    assert late.planned_handover < today and late.actual_handover is None
    assert on_time.planned_handover > today
    assert Flat.objects.filter(project=project).count() == 60
    first = SelectionRound.objects.get(project=project, name__startswith="第一批")
    assert first.status == RoundStatus.PUBLISHED and first.notary and first.seed
    second = SelectionRound.objects.get(project=project, name__startswith="第二批")
    assert second.status == RoundStatus.COMMITTED and second.seed_hash
    chosen = Choice.objects.filter(round=first, cancelled_at__isnull=True)
    assert chosen.exists()
    assert (
        Settlement.objects.filter(round=first).count()
        == first.entries.filter(status="chosen").count()
    )
    statuses = set(Voucher.objects.filter(project=project).values_list("status", flat=True))
    assert {
        VoucherStatus.PARTLY_USED,
        VoucherStatus.CASHED,
        VoucherStatus.LAPSED,
        VoucherStatus.CANCELLED,
    } <= statuses
    assert DeveloperPayment.objects.count() == 2
    months = TransitionMonth.objects.filter(project=project)
    assert months.filter(estate=late, late=True).exists()
    assert PaymentPlan.objects.filter(kind=PlanKind.TRANSITION).count() == months.count()
    overview = selectors_transition.overview(project)
    assert overview.paid > 0 and overview.owed_now > 0
    assert verify_chain().ok
