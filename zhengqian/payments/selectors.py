"""Reads of the payments pages, scoped to the user: the funds summary, the supervision lists,
the finance queue, a household's plans and payments, and the ledger.

Every figure is one aggregate or one indexed query over the maintained household accounts
(HouseholdAccount) or the ledger — never a loop over households — so that the project page
answers in the same time on a project of 100,000 households as on one of 100.
Bank accounts and names are personal data: masked unless the user holds
payments/view_personal; an unmasked view is recorded by the view that shows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils import timezone

from zhengqian.accounts.permissions import OutOfScope, has_perm, work_group_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements.models import Agreement, AgreementKind, AgreementStatus
from zhengqian.payments.models import (
    ZERO,
    FundingSource,
    FundReceipt,
    HouseholdAccount,
    Instalment,
    LedgerEntry,
    PaidIdentity,
    Payment,
    PaymentStatus,
    PlanKind,
    Receivable,
    ReceivableStatus,
)
from zhengqian.projects import selectors as project_selectors
from zhengqian.projects.models import Project
from zhengqian.survey import selectors as survey_selectors
from zhengqian.survey.models import Household

IN_FORCE = [AgreementStatus.PENDING, AgreementStatus.EFFECTIVE]


# --- scope -------------------------------------------------------------------------------


def get_project_for_user(user: Any, pk: Any) -> Project:
    return project_selectors.get_project_for_user(
        user, pk, module=Module.PAYMENTS, action=Action.VIEW
    )


def get_household_for_user(user: Any, pk: Any) -> Household:
    return survey_selectors.get_household_for_user(
        user, pk, module=Module.PAYMENTS, action=Action.VIEW
    )


def get_payment_for_user(user: Any, pk: Any) -> Payment:
    try:
        payment = Payment.objects.select_related(
            "instalment__plan__agreement",
            "account__agreement",
            "requested_by",
            "approved_by",
            "paid_by",
        ).get(pk=int(pk))
    except (Payment.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("payments.payment", pk) from None
    payment.household = get_household_for_user(user, payment.household_id)
    return payment


def get_instalment_for_user(user: Any, pk: Any) -> Instalment:
    """The instalment, when the user reaches its household in payments; an item of
    resettlement also when the user reaches it in resettlement (its officers ask for its
    payment)."""
    try:
        instalment = Instalment.objects.select_related("plan__agreement", "account").get(pk=int(pk))
    except (Instalment.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("payments.instalment", pk) from None
    try:
        get_household_for_user(user, instalment.account.household_id)
    except OutOfScope:
        if instalment.plan.kind == PlanKind.AGREEMENT:
            raise
        survey_selectors.get_household_for_user(
            user,
            instalment.account.household_id,
            module=Module.RESETTLEMENT,
            action=Action.VIEW,
        )
    return instalment


def get_source_for_user(user: Any, pk: Any) -> FundingSource:
    try:
        source = FundingSource.objects.select_related("project").get(pk=int(pk))
    except (FundingSource.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("payments.fundingsource", pk) from None
    get_project_for_user(user, source.project_id)
    return source


def may(user: Any, household: Household, action: Action) -> bool:
    return has_perm(
        user,
        Module.PAYMENTS,
        action,
        project=household.project_id,
        work_group=household.work_group_id,
    )


def may_in_project(user: Any, project: Project | int, action: Action) -> bool:
    return has_perm(user, Module.PAYMENTS, action, project=project)


def sees_personal(user: Any, project: Project | int) -> bool:
    return has_perm(user, Module.PAYMENTS, Action.VIEW_PERSONAL, project=project)


# --- the funds summary -------------------------------------------------------------------


@dataclass(frozen=True)
class Funds:
    budget: Decimal  # planned from all sources
    received: Decimal  # arrived (资金到位)
    committed: Decimal  # agreements signed and in force, as last corrected (their value)
    paid: Decimal  # paid to households, net of returns
    in_process: Decimal  # asked for or approved, not yet paid
    # What is to be paid in cash: the accounts' amounts (what the agreements in force pay in
    # cash, and the items of resettlement) plus the cash of agreements waiting for the
    # signing rate. A property exchange or a housing voucher is not all paid in cash.
    payable: Decimal = ZERO
    collected: Decimal = ZERO  # received from households (receivables)
    receivable: Decimal = ZERO  # still to be received from households

    @property
    def gap(self) -> Decimal:
        """What is still owed to households in cash (已签协议待付款缺口)."""
        return self.payable - self.paid

    @property
    def balance(self) -> Decimal:
        """Money received (from the sources and from households) and not paid out."""
        return self.received + self.collected - self.paid

    @property
    def shortfall(self) -> Decimal:
        """What the signed agreements owe beyond what has arrived (资金缺口), or zero."""
        return max(self.gap - self.balance, ZERO)


def _pending_cash() -> Any:
    """What agreements waiting for the signing rate will pay in cash once in force (see
    payments.services.cash_amount): an aggregate over the few pending agreements."""
    return Sum(
        Case(
            When(parent__isnull=False, then=F("difference")),
            When(kind=AgreementKind.VOUCHER, then=Value(ZERO)),
            When(
                kind=AgreementKind.EXCHANGE,
                then=Greatest(-F("calculation__exchange_balance"), Value(ZERO)),
            ),
            default=F("total"),
            output_field=DecimalField(max_digits=16, decimal_places=2),
        ),
        filter=Q(status=AgreementStatus.PENDING),
    )


def funds(project_id: int) -> Funds:
    """Six aggregates, each over an index of the project."""

    def total(qs: QuerySet[Any], column: str) -> Decimal:
        return qs.aggregate(s=Sum(column))["s"] or ZERO

    # One pass over the (project, status, parent, total, difference) index.
    signed = Agreement.objects.filter(project_id=project_id, status__in=IN_FORCE).aggregate(
        mains=Sum("total", filter=Q(parent__isnull=True)),
        supplements=Sum("difference", filter=Q(parent__isnull=False)),
    )
    pending = Agreement.objects.filter(
        project_id=project_id, status=AgreementStatus.PENDING
    ).aggregate(cash=_pending_cash())
    committed = (signed["mains"] or ZERO) + (signed["supplements"] or ZERO)
    accounts = HouseholdAccount.objects.filter(project_id=project_id, void=False)
    sums = accounts.aggregate(
        committed=Sum("committed"), paid=Sum("paid"), in_process=Sum("in_process")
    )
    owed = Receivable.objects.filter(project_id=project_id).aggregate(
        collected=Sum("amount", filter=Q(status=ReceivableStatus.RECEIVED)),
        open=Sum("amount", filter=Q(status=ReceivableStatus.OPEN)),
    )
    return Funds(
        budget=total(FundingSource.objects.filter(project_id=project_id), "planned"),
        received=total(FundReceipt.objects.filter(project_id=project_id), "amount"),
        committed=committed,
        paid=sums["paid"] or ZERO,
        in_process=sums["in_process"] or ZERO,
        payable=(sums["committed"] or ZERO) + (pending["cash"] or ZERO),
        collected=owed["collected"] or ZERO,
        receivable=owed["open"] or ZERO,
    )


def sources(project_id: int) -> list[FundingSource]:
    rows: list[FundingSource] = list(
        FundingSource.objects.filter(project_id=project_id)
        .annotate(received=Sum("receipts__amount"))
        .order_by("pk")
    )
    for row in rows:
        row.received = row.received or ZERO  # type: ignore[attr-defined]
    return rows


def receipts(project_id: int, limit: int = 20) -> list[FundReceipt]:
    return list(
        FundReceipt.objects.filter(project_id=project_id)
        .select_related("source", "recorded_by")
        .order_by("-received_on", "-pk")[:limit]
    )


# --- the supervision lists ---------------------------------------------------------------


class Rule:
    PAID_NOT_DEMOLISHED = "paid_not_demolished"
    DEMOLISHED_NOT_PAID = "demolished_not_paid"
    DOUBLE = "double"
    OVERDUE = "overdue"
    ALL = (PAID_NOT_DEMOLISHED, DEMOLISHED_NOT_PAID, DOUBLE, OVERDUE)


def paid_before(project: Project, today: dt.date) -> dt.date:
    """Paid on or before this day and still standing: over the project's period (拿钱没拆).
    With 30 days, a house first paid 30 days ago is not yet listed, one paid 31 days ago is."""
    return today - dt.timedelta(days=project.demolish_within_days + 1)


def groups_of(user: Any, project: Project | int) -> set[int] | None:
    """The work groups of the project whose households the user reaches in payments (None:
    all of them): the lists and the ledger show only those."""
    project_id = project if isinstance(project, int) else project.pk
    return work_group_ids_with(user, Module.PAYMENTS, Action.VIEW, project_id)


def _in_groups(rows: QuerySet[Any], groups: set[int] | None, path: str = "household") -> Any:
    if groups is None:
        return rows
    return rows.filter(**{f"{path}__work_group_id__in": groups})


def rule_accounts(
    project: Project, rule: str, today: dt.date, groups: set[int] | None = None
) -> QuerySet[HouseholdAccount]:
    """The accounts a rule lists (not the double-compensation rule, which lists identities),
    of the households of `groups` (None: all)."""
    accounts = _in_groups(
        HouseholdAccount.objects.filter(project_id=project.pk, void=False), groups
    )
    if rule == Rule.PAID_NOT_DEMOLISHED:
        return accounts.filter(
            demolished_on__isnull=True, first_paid_on__lte=paid_before(project, today)
        ).order_by("first_paid_on", "pk")
    if rule == Rule.DEMOLISHED_NOT_PAID:
        return accounts.filter(demolished_on__isnull=False, paid__lt=F("committed")).order_by(
            "demolished_on", "pk"
        )
    if rule == Rule.OVERDUE:
        return accounts.filter(next_due_on__lt=today).order_by("next_due_on", "pk")
    raise ValueError(rule)


def doubles(project_id: int, groups: set[int] | None = None) -> QuerySet[PaidIdentity]:
    """This project's paid ID numbers and title certificates that were also paid in another
    household (of this or another project): 二次补偿."""
    rows = PaidIdentity.objects.filter(project_id=project_id, duplicate=True)
    return _in_groups(rows, groups).order_by("kind", "value", "household_id")


def counts(
    project: Project, today: dt.date | None = None, groups: set[int] | None = None
) -> dict[str, int]:
    today = today or timezone.localdate()
    found = {
        rule: rule_accounts(project, rule, today, groups).count()
        for rule in Rule.ALL
        if rule != Rule.DOUBLE
    }
    # As many as the list has rows: one per ID number or certificate paid elsewhere too.
    found[Rule.DOUBLE] = doubles(project.pk, groups).count()
    return found


@dataclass
class DoubleRow:
    identity: PaidIdentity
    others: list[PaidIdentity] = field(default_factory=list)


def double_rows(project_id: int, identities: Sequence[PaidIdentity]) -> list[DoubleRow]:
    """Each listed identity with the other households where the same value was paid."""
    values = {(i.kind, i.value) for i in identities}
    others: dict[tuple[str, str], list[PaidIdentity]] = {}
    by_kind: dict[str, set[str]] = {}
    for kind, value in values:
        by_kind.setdefault(kind, set()).add(value)
    # One lookup per kind on the (kind, value) index (an OR of pairs would scan the table).
    for kind, kind_values in sorted(by_kind.items()):
        for row in (
            PaidIdentity.objects.filter(kind=kind, value__in=sorted(kind_values))
            .select_related("household", "project")
            .order_by("project_id", "household_id")
        ):
            others.setdefault((row.kind, row.value), []).append(row)
    return [
        DoubleRow(
            identity=i,
            others=[
                o for o in others.get((i.kind, i.value), []) if o.household_id != i.household_id
            ],
        )
        for i in identities
    ]


# --- the finance queue -------------------------------------------------------------------


def queue(project_id: int, groups: set[int] | None = None) -> dict[str, QuerySet[Payment]]:
    """What waits for finance: requests to approve, approved transfers to record, paid
    payments without the household's receipt."""
    base = _in_groups(Payment.objects.filter(project_id=project_id), groups).select_related(
        "household", "instalment__plan__agreement", "requested_by", "approved_by"
    )
    return {
        "requested": base.filter(status=PaymentStatus.REQUESTED).order_by("requested_at"),
        "approved": base.filter(status=PaymentStatus.APPROVED).order_by("approved_at"),
        "no_receipt": base.filter(
            status=PaymentStatus.PAID, receipt_confirmed_at__isnull=True
        ).order_by("paid_on"),
    }


# --- a household -------------------------------------------------------------------------


class InstalmentState:
    WAITING = "waiting"  # condition not met
    DUE = "due"  # may be asked for
    OVERDUE = "overdue"
    REQUESTED = "requested"
    APPROVED = "approved"
    PAID = "paid"
    NOTHING = "nothing"  # reduced to zero by a supplement


def instalment_state(instalment: Instalment, live: Payment | None, today: dt.date) -> str:
    if instalment.paid_on is not None:
        return InstalmentState.PAID
    if instalment.amount <= 0:
        return InstalmentState.NOTHING
    if live is not None:
        return str(live.status)
    if instalment.met_on is None:
        return InstalmentState.WAITING
    if instalment.due_on is not None and instalment.due_on < today:
        return InstalmentState.OVERDUE
    return InstalmentState.DUE


@dataclass
class InstalmentRow:
    instalment: Instalment
    state: str
    live: Payment | None
    payments: list[Payment]


@dataclass
class AccountView:
    account: HouseholdAccount
    plans: list[tuple[Any, list[InstalmentRow]]]

    @property
    def owed(self) -> Decimal:
        return self.account.committed - self.account.paid


def household_accounts(household: Household, today: dt.date | None = None) -> list[AccountView]:
    """The household's accounts (the live one first), their plans, instalments and payments:
    four queries."""
    today = today or timezone.localdate()
    accounts = list(
        HouseholdAccount.objects.filter(household=household)
        .select_related("agreement")
        .order_by("void", "-pk")
    )
    if not accounts:
        return []
    ids = [a.pk for a in accounts]
    payments: dict[int, list[Payment]] = {}
    for p in (
        Payment.objects.filter(account_id__in=ids)
        .select_related("requested_by", "approved_by", "paid_by")
        .order_by("requested_at")
    ):
        payments.setdefault(p.instalment_id, []).append(p)
    instalments: dict[int, list[Instalment]] = {}
    for i in Instalment.objects.filter(account_id__in=ids).order_by("plan_id", "position"):
        instalments.setdefault(i.plan_id, []).append(i)
    views = []
    for account in accounts:
        plans = []
        for plan in account.plans.select_related("agreement").order_by("pk"):
            rows = []
            for i in instalments.get(plan.pk, []):
                history = payments.get(i.pk, [])
                live = next(
                    (
                        p
                        for p in history
                        if p.status in (PaymentStatus.REQUESTED, PaymentStatus.APPROVED)
                    ),
                    None,
                )
                rows.append(InstalmentRow(i, instalment_state(i, live, today), live, history))
            plans.append((plan, rows))
        views.append(AccountView(account, plans))
    return views


def household_section(user: Any, household: Household) -> dict[str, Any] | None:
    """The payments section of the household page (None: nothing to show, or no right)."""
    if not may(user, household, Action.VIEW):
        return None
    views = household_accounts(household)
    owed = list(household_receivables(household))
    if not views and not owed:
        return None
    return {
        "household": household,
        "accounts": views,
        "receivables": owed,
        "today": timezone.localdate(),
        "may_request": may(user, household, Action.CREATE),
        "may_receive": may(user, household, Action.CHANGE),
        "personal": sees_personal(user, household.project_id),
    }


# --- receivables ---------------------------------------------------------------------------


def household_receivables(household: Household) -> QuerySet[Receivable]:
    """The household's amounts receivable: open ones first, by due date."""
    return (
        Receivable.objects.filter(household=household)
        .select_related("received_by")
        .order_by(_open_first(), "due_on", "pk")
    )


def _open_first() -> Any:
    return Case(
        When(status=ReceivableStatus.OPEN, then=Value(0)),
        default=Value(1),
    )


def receivables(
    project_id: int, groups: set[int] | None = None, *, status: str = ""
) -> QuerySet[Receivable]:
    """The project's amounts receivable (of the households of `groups`; None: all): open
    ones first, by due date."""
    rows = _in_groups(Receivable.objects.filter(project_id=project_id), groups)
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("household", "received_by").order_by(_open_first(), "due_on", "pk")


def receivable_totals(project_id: int, groups: set[int] | None = None) -> dict[str, Any]:
    rows = _in_groups(Receivable.objects.filter(project_id=project_id), groups)
    today = timezone.localdate()
    sums = rows.aggregate(
        open=Sum("amount", filter=Q(status=ReceivableStatus.OPEN)),
        overdue=Sum("amount", filter=Q(status=ReceivableStatus.OPEN, due_on__lt=today)),
        received=Sum("amount", filter=Q(status=ReceivableStatus.RECEIVED)),
    )
    return {key: value or ZERO for key, value in sums.items()}


def get_receivable_for_user(user: Any, pk: Any) -> Receivable:
    try:
        receivable = Receivable.objects.select_related("received_by", "created_by").get(pk=int(pk))
    except (Receivable.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("payments.receivable", pk) from None
    receivable.household = get_household_for_user(user, receivable.household_id)
    return receivable


# --- the ledger --------------------------------------------------------------------------


def ledger(
    project_id: int,
    *,
    household_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    groups: set[int] | None = None,
) -> QuerySet[LedgerEntry]:
    """The project's ledger; with `groups`, the funds received and the movements of those
    work groups' households."""
    rows = LedgerEntry.objects.filter(project_id=project_id)
    if groups is not None:
        rows = rows.filter(Q(household__isnull=True) | Q(household__work_group_id__in=groups))
    if household_id is not None:
        rows = rows.filter(household_id=household_id)
    if since is not None:
        rows = rows.filter(occurred_on__gte=since)
    if until is not None:
        rows = rows.filter(occurred_on__lte=until)
    return rows.select_related("household", "recorded_by").order_by("occurred_on", "pk")


def ledger_totals(rows: QuerySet[LedgerEntry]) -> dict[str, Decimal]:
    sums = rows.aggregate(
        received=Sum("amount", filter=Q(kind="receipt")),
        paid=Sum("amount", filter=Q(kind="disbursement")),
        returned=Sum("amount", filter=Q(kind="return")),
        collected=Sum("amount", filter=Q(kind="collection")),
    )
    received = sums["received"] or ZERO
    paid = -(sums["paid"] or ZERO)
    returned = sums["returned"] or ZERO
    collected = sums["collected"] or ZERO
    return {
        "received": received,
        "paid": paid,
        "returned": returned,
        "collected": collected,
        "net_paid": paid - returned,
        "balance": received + collected - paid + returned,
    }


# --- the pages' further reads ------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFunds:
    project: Project
    funds: Funds


def project_rows(user: Any) -> list[ProjectFunds]:
    """The user's projects with their funds summary: six grouped queries for the whole entry
    page, whatever the number of projects and households."""
    projects = list(
        project_selectors.projects_for_user(
            user, module=Module.PAYMENTS, action=Action.VIEW
        ).order_by("code")
    )
    ids = [p.pk for p in projects]

    def grouped(rows: QuerySet[Any], column: str) -> dict[int, Decimal]:
        sums = (
            rows.filter(project_id__in=ids)
            .order_by()
            .values_list("project_id")
            .annotate(s=Sum(column))
            .values_list("project_id", "s")
        )
        return {pk: s or ZERO for pk, s in sums}

    signed = Agreement.objects.filter(status__in=IN_FORCE)
    budget = grouped(FundingSource.objects.all(), "planned")
    received = grouped(FundReceipt.objects.all(), "amount")
    mains = grouped(signed.filter(parent__isnull=True), "total")
    supplements = grouped(signed.filter(parent__isnull=False), "difference")
    accounts = HouseholdAccount.objects.filter(void=False)
    paid = grouped(accounts, "paid")
    in_process = grouped(accounts, "in_process")
    payable = grouped(accounts, "committed")
    pending = dict(
        Agreement.objects.filter(project_id__in=ids, status=AgreementStatus.PENDING)
        .order_by()
        .values_list("project_id")
        .annotate(s=_pending_cash())
        .values_list("project_id", "s")
    )
    receivables = Receivable.objects.exclude(status=ReceivableStatus.CANCELLED)
    collected = grouped(receivables.filter(status=ReceivableStatus.RECEIVED), "amount")
    receivable = grouped(receivables.filter(status=ReceivableStatus.OPEN), "amount")
    return [
        ProjectFunds(
            project=p,
            funds=Funds(
                budget=budget.get(p.pk, ZERO),
                received=received.get(p.pk, ZERO),
                committed=mains.get(p.pk, ZERO) + supplements.get(p.pk, ZERO),
                paid=paid.get(p.pk, ZERO),
                in_process=in_process.get(p.pk, ZERO),
                payable=payable.get(p.pk, ZERO) + (pending.get(p.pk) or ZERO),
                collected=collected.get(p.pk, ZERO),
                receivable=receivable.get(p.pk, ZERO),
            ),
        )
        for p in projects
    ]


def plans_missing(project_id: int) -> int:
    """Effective agreements of the project without their payment plan (made before the
    payments module kept plans): what "make the missing payment plans" would make."""
    return Agreement.objects.filter(
        project_id=project_id, status=AgreementStatus.EFFECTIVE, payment_plan__isnull=True
    ).count()


def queue_counts(project_id: int, groups: set[int] | None = None) -> dict[str, int]:
    return {name: rows.count() for name, rows in queue(project_id, groups).items()}


def household_by_code(project_id: int, code: str) -> Household | None:
    """The project's household of this code (the ledger's filter), or None."""
    return Household.objects.filter(project_id=project_id, code=code.strip()).first()


def with_balance(rows: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    """The rows with `balance`: the project account's balance after each movement, counting
    every movement of the project before it (in ledger order), whatever the rows' filter.
    One indexed sum per row shown: for a page of the ledger, not for a whole export."""
    before = (
        LedgerEntry.objects.filter(project_id=OuterRef("project_id"))
        .filter(
            Q(occurred_on__lt=OuterRef("occurred_on"))
            | Q(occurred_on=OuterRef("occurred_on"), pk__lte=OuterRef("pk"))
        )
        .order_by()
        .values("project_id")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return rows.annotate(balance=Subquery(before))


def ledger_with_balance(
    project_id: int,
    *,
    household_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    groups: set[int] | None = None,
) -> Iterator[tuple[LedgerEntry, Decimal]]:
    """Each row of the filtered ledger with the project account's balance after it, in ledger
    order, read in one pass over the project's ledger (the export)."""
    balance = ZERO
    rows = (
        LedgerEntry.objects.filter(project_id=project_id)
        .select_related("household")
        .order_by("occurred_on", "pk")
    )
    for row in rows.iterator(chunk_size=2000):
        balance += row.amount
        if household_id is not None and row.household_id != household_id:
            continue
        household = row.household
        if groups is not None and household is not None and household.work_group_id not in groups:
            continue
        if since is not None and row.occurred_on < since:
            continue
        if until is not None and row.occurred_on > until:
            continue
        yield row, balance


def household_page(user: Any, household: Household) -> dict[str, Any] | None:
    """The payments section of the household page: the accounts, plans and payments of
    household_section, and the household's own rows of the ledger."""
    section = household_section(user, household)
    if section is None:
        return None
    section["ledger"] = list(
        ledger(household.project_id, household_id=household.pk).select_related(None)
    )
    return section
