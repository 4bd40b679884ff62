"""Reads of the housing voucher pages, scoped to the user's projects and work groups: the
project's vouchers (by state, expiring soon, lapsed), a voucher with its uses and the state of
the payments they scheduled, the developers, the eligible agreements, the project's summary
and a household's part.

Expiry warnings: the vouchers still open whose last valid day is near are registered as
deadlines (core.deadlines) when the module starts, for the reminders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import OutOfScope, work_group_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements.models import Agreement, AgreementKind, AgreementStatus
from zhengqian.core import deadlines
from zhengqian.payments.models import LIVE, Instalment, Payment, PaymentPlan, PlanKind
from zhengqian.payments.selectors import instalment_state
from zhengqian.projects.models import Project
from zhengqian.resettlement.models import (
    ZERO,
    Developer,
    DeveloperPayment,
    Voucher,
    VoucherStatus,
    VoucherUse,
)
from zhengqian.resettlement.selectors import get_project_for_user, may
from zhengqian.survey.models import Household

EXPIRY_KIND = "resettlement.voucher_expiry"
EXPIRING_DAYS = 30
OPEN = [VoucherStatus.ISSUED, VoucherStatus.PARTLY_USED]
PAGE_SIZE = 50


# --- scope -----------------------------------------------------------------------------------


def groups_of(user: Any, project: Project | int) -> set[int] | None:
    """The work groups whose households' vouchers the user reaches (None: all)."""
    project_id = project if isinstance(project, int) else project.pk
    return work_group_ids_with(user, Module.RESETTLEMENT, Action.VIEW, project_id)


def in_groups(rows: QuerySet[Any], groups: set[int] | None, path: str = "household") -> Any:
    if groups is None:
        return rows
    return rows.filter(**{f"{path}__work_group_id__in": groups})


def get_voucher_for_user(user: Any, pk: Any) -> Voucher:
    """The voucher if the user reaches its project and household in resettlement; 404."""
    try:
        voucher = Voucher.objects.select_related(
            "project", "household", "agreement", "replaces", "issued_by"
        ).get(pk=int(pk))
    except (Voucher.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("resettlement.voucher", pk) from None
    get_project_for_user(user, voucher.project_id)
    groups = groups_of(user, voucher.project_id)
    if groups is not None and voucher.household.work_group_id not in groups:
        raise OutOfScope("resettlement.voucher", pk)
    return voucher


def get_use_for_user(user: Any, pk: Any) -> VoucherUse:
    try:
        use = VoucherUse.objects.select_related("voucher", "developer").get(pk=int(pk))
    except (VoucherUse.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("resettlement.voucheruse", pk) from None
    use.voucher = get_voucher_for_user(user, use.voucher_id)
    return use


def get_developer_for_user(user: Any, pk: Any) -> Developer:
    try:
        developer = Developer.objects.select_related("project").get(pk=int(pk))
    except (Developer.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("resettlement.developer", pk) from None
    get_project_for_user(user, developer.project_id)
    return developer


# --- lists -----------------------------------------------------------------------------------


def vouchers(
    user: Any,
    project: Project,
    *,
    status: str = "",
    expiring: bool = False,
    today: dt.date | None = None,
) -> QuerySet[Voucher]:
    today = today or timezone.localdate()
    rows = Voucher.objects.filter(project=project).select_related("household")
    rows = in_groups(rows, groups_of(user, project))
    if status:
        rows = rows.filter(status=status)
    if expiring:
        rows = rows.filter(
            status__in=OPEN,
            valid_until__gte=today,
            valid_until__lte=today + dt.timedelta(days=EXPIRING_DAYS),
        )
    return rows.order_by("-issued_on", "-pk")


def expiring(
    project: Project | int, today: dt.date, within_days: int = EXPIRING_DAYS
) -> QuerySet[Voucher]:
    """Open vouchers whose last valid day is from today to `within_days` ahead, soonest
    first (served by the voucher_expiry index)."""
    return (
        Voucher.objects.filter(
            project=project,
            status__in=OPEN,
            valid_until__gte=today,
            valid_until__lte=today + dt.timedelta(days=within_days),
        )
        .select_related("household")
        .order_by("valid_until", "pk")
    )


def lapsed(project: Project | int) -> QuerySet[Voucher]:
    return (
        Voucher.objects.filter(project=project, status=VoucherStatus.LAPSED)
        .select_related("household")
        .order_by("-lapsed_on", "-pk")
    )


def developers(project: Project) -> QuerySet[Developer]:
    return Developer.objects.filter(project=project).order_by("-active", "name")


def active_developers(project: Project | int) -> QuerySet[Developer]:
    return Developer.objects.filter(project=project, active=True).order_by("name")


def eligible_agreements(user: Any, project: Project) -> QuerySet[Agreement]:
    """Effective main voucher agreements without a live voucher, within the user's groups."""
    with_voucher = Voucher.objects.exclude(status=VoucherStatus.CANCELLED).values("agreement_id")
    rows = Agreement.objects.filter(
        project=project,
        parent__isnull=True,
        kind=AgreementKind.VOUCHER,
        status=AgreementStatus.EFFECTIVE,
        void_requested_at__isnull=True,
    ).exclude(pk__in=with_voucher)
    return (
        in_groups(rows, groups_of(user, project))
        .select_related("household")
        .order_by("signing_order", "pk")
    )


# --- a voucher -------------------------------------------------------------------------------


@dataclass
class Stage:
    settlement: DeveloperPayment
    state: str
    live: Payment | None


@dataclass
class UseRow:
    use: VoucherUse
    stages: list[Stage]


def _state(instalment: Instalment, today: dt.date) -> tuple[str, Payment | None]:
    live = next((p for p in instalment.payments.all() if p.status in LIVE), None)
    return instalment_state(instalment, live, today), live


def uses(voucher: Voucher, today: dt.date | None = None) -> list[UseRow]:
    today = today or timezone.localdate()
    rows = (
        VoucherUse.objects.filter(voucher=voucher)
        .select_related("developer")
        .prefetch_related("settlements__instalment__payments")
        .order_by("used_on", "pk")
    )
    found = []
    for use in rows:
        stages = []
        for settlement in sorted(use.settlements.all(), key=lambda s: s.pk):
            state, live = _state(settlement.instalment, today)
            stages.append(Stage(settlement, state, live))
        found.append(UseRow(use, stages))
    return found


@dataclass
class CashItem:
    instalment: Instalment
    state: str
    live: Payment | None


def cash_item(voucher: Voucher, today: dt.date | None = None) -> CashItem | None:
    """The payment of the balance bought back (cashed, or settled at the lapse)."""
    plan = (
        PaymentPlan.objects.filter(
            account__household_id=voucher.household_id,
            kind=PlanKind.VOUCHER_CASH,
            reference=voucher.number,
        )
        .prefetch_related("instalments__payments")
        .first()
    )
    if plan is None:
        return None
    instalment = plan.instalments.all()[0]
    state, live = _state(instalment, today or timezone.localdate())
    return CashItem(instalment, state, live)


def chain(voucher: Voucher) -> list[Voucher]:
    """The voucher's reissues both ways: what it replaced and what replaced it."""
    before: list[Voucher] = []
    current = voucher.replaces
    while current is not None:
        before.insert(0, current)
        current = current.replaces
    after: list[Voucher] = []
    nxt = Voucher.objects.filter(replaces=voucher).first()
    while nxt is not None:
        after.append(nxt)
        nxt = Voucher.objects.filter(replaces=nxt).first()
    return [*before, *after]


# --- summaries -------------------------------------------------------------------------------


@dataclass
class Summary:
    issued: int
    face_value: Decimal
    used: Decimal
    cashed: Decimal
    cash_paid: Decimal
    outstanding: Decimal
    open_count: int
    lapsed_count: int
    lapsed_balance: Decimal
    expiring_count: int
    by_status: dict[str, int]


def summary(user: Any, project: Project, today: dt.date | None = None) -> Summary:
    """Vouchers issued / used / outstanding / lapsed with amounts (a cancelled voucher's
    balance lives on in its reissue, so it is counted there only)."""
    today = today or timezone.localdate()
    groups = groups_of(user, project)
    rows = in_groups(Voucher.objects.filter(project=project), groups)
    live = rows.exclude(status=VoucherStatus.CANCELLED)
    used_all = rows.aggregate(s=Sum("used"))["s"] or ZERO
    totals = live.aggregate(n=Count("pk"), cashed=Sum("cashed"), paid=Sum("cash_paid"))
    # What was issued: the first vouchers (a reissue only carries an old balance on).
    face = rows.filter(replaces__isnull=True).aggregate(s=Sum("face_value"))["s"]
    balance = F("face_value") - F("used") - F("cashed")
    open_rows = live.filter(status__in=OPEN)
    outstanding = open_rows.aggregate(s=Sum(balance))["s"]
    lapsed_rows = live.filter(status=VoucherStatus.LAPSED)
    lapsed_balance = lapsed_rows.aggregate(s=Sum(balance))["s"]
    by_status = {row["status"]: row["n"] for row in rows.values("status").annotate(n=Count("pk"))}
    return Summary(
        issued=totals["n"] or 0,
        face_value=face or ZERO,
        used=used_all,
        cashed=totals["cashed"] or ZERO,
        cash_paid=totals["paid"] or ZERO,
        outstanding=outstanding or ZERO,
        open_count=open_rows.count(),
        lapsed_count=lapsed_rows.count(),
        lapsed_balance=lapsed_balance or ZERO,
        expiring_count=in_groups(expiring(project, today), groups).count(),
        by_status=by_status,
    )


def project_section(user: Any, project: Project) -> dict[str, Any] | None:
    """The vouchers' part of the project overview (None when the project has none and the
    user cannot issue one)."""
    s = summary(user, project)
    if not s.by_status and not may(user, project, Action.CREATE):
        return None
    return {
        "summary": s,
        "url": reverse("resettlement:vouchers", args=[project.pk]),
        "eligible": eligible_agreements(user, project).count(),
    }


def household_part(user: Any, household: Household) -> dict[str, Any] | None:
    """The household's vouchers for its page (None when it has none or the user does not
    reach it in resettlement)."""
    if not may(user, household.project_id, Action.VIEW):
        return None
    groups = groups_of(user, household.project_id)
    if groups is not None and household.work_group_id not in groups:
        return None
    rows = list(Voucher.objects.filter(household=household).order_by("issued_on", "pk"))
    if not rows:
        return None
    return {"vouchers": rows}


# --- expiry deadlines --------------------------------------------------------------------------


def _expiry_deadlines(
    project_ids: Sequence[int], today: dt.date, within_days: int
) -> Iterable[deadlines.Deadline]:
    rows = (
        Voucher.objects.filter(
            project_id__in=list(project_ids),
            status__in=OPEN,
            valid_until__gte=today,
            valid_until__lte=today + dt.timedelta(days=within_days),
        )
        .order_by("valid_until", "pk")
        .values_list("pk", "project_id", "household_id", "number", "valid_until")
    )
    for pk, project_id, household_id, number, valid_until in rows:
        yield deadlines.Deadline(
            kind=EXPIRY_KIND,
            project_id=project_id,
            household_id=household_id,
            due_on=valid_until,
            label=_("Housing voucher %(number)s expires") % {"number": number},
            url=reverse("resettlement:voucher", args=[pk]),
        )


def register_deadlines() -> None:
    """Called when the module starts (ResettlementConfig.ready)."""
    deadlines.register(EXPIRY_KIND, _expiry_deadlines)
