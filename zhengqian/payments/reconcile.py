"""The reconciliation check (对账): the ledger, the payments, the plans and the household accounts
against the agreements. Each figure is computed twice, from independent records, with grouped
queries (no query per household); every difference is reported with where it is.

- an account's amount agreed = what its main agreement pays in cash (cash_amount) + the
  differences of its supplements in force + its items of resettlement (and so every agreement
  in force has its plan);
- an account's instalments add up to its amount agreed; a plan's instalments (with what
  supplements took off them) add up to the plan;
- an account's amount paid = its paid payments = the ledger's payments out less returns;
- the funds received = the ledger's receipts, and a project's balance is never below zero;
- each payment has its movements: a paid one exactly one payment out of its amount, one that
  came back also one return, any other none; an instalment is marked paid exactly when it has
  a paid payment;
- a receivable received has exactly one collection in the ledger, of its amount; an open or
  cancelled one none;
- the maintained figures the supervision lists read: an account's amount being paid, first
  payment, next due date, and whether its agreement is void.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Min, Q, QuerySet, Sum

from zhengqian.agreements.models import Agreement, AgreementStatus
from zhengqian.payments.models import (
    ZERO,
    EntryKind,
    FundReceipt,
    HouseholdAccount,
    Instalment,
    LedgerEntry,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanKind,
    Receivable,
    ReceivableStatus,
)
from zhengqian.payments.services import cash_amount


@dataclass(frozen=True)
class Difference:
    project_id: int
    where: str  # e.g. "agreement XM-2026-000012", "funds received"
    what: str  # which check
    expected: Any  # an amount, a day, a count or a yes/no
    found: Any

    def __str__(self) -> str:
        head = f"project {self.project_id} · {self.where} · {self.what}: "
        if isinstance(self.expected, Decimal) and isinstance(self.found, Decimal):
            # To the fen: SQLite's sums come back without the trailing zeros.
            return head + (
                f"expected {self.expected:.2f}, found {self.found:.2f} "
                f"(difference {self.found - self.expected:.2f})"
            )
        return head + f"expected {self.expected}, found {self.found}"


def _sums(rows: QuerySet[Any], key: str, value: str) -> dict[int, Decimal]:
    grouped = rows.values_list(key).annotate(s=Sum(value)).values_list(key, "s")
    return {k: v or ZERO for k, v in grouped}


def check(project_id: int | None = None) -> list[Difference]:
    """Every difference found (an empty list: everything reconciles)."""
    scope = Q(project_id=project_id) if project_id is not None else Q()
    found: list[Difference] = []
    accounts = {
        a.pk: a
        for a in HouseholdAccount.objects.filter(scope)
        .select_related("agreement__calculation")
        .only(
            "pk",
            "project_id",
            "committed",
            "paid",
            "void",
            "in_process",
            "first_paid_on",
            "next_due_on",
            "agreement__number",
            "agreement__kind",
            "agreement__total",
            "agreement__status",
            "agreement__calculation__exchange_balance",
        )
    }
    numbers = {pk: a.agreement.number for pk, a in accounts.items()}

    # 1. Agreed amount against the agreements in force.
    expected: dict[int, Decimal] = {}
    for pk, a in accounts.items():
        if not a.void and a.agreement.status == AgreementStatus.EFFECTIVE:
            expected[pk] = cash_amount(a.agreement)
    supplements = Agreement.objects.filter(
        scope, parent__isnull=False, status=AgreementStatus.EFFECTIVE
    ).values_list("parent__payment_account", "difference")
    for account_id, difference in supplements:
        if account_id in expected and difference is not None:
            expected[account_id] += difference
    items = _sums(
        PaymentPlan.objects.filter(_plan_scope(project_id)).exclude(kind=PlanKind.AGREEMENT),
        "account_id",
        "amount",
    )
    for account_id, amount in items.items():
        if account_id in expected:
            expected[account_id] += amount
    for pk, amount in expected.items():
        a = accounts[pk]
        if a.committed != amount:
            found.append(
                Difference(
                    a.project_id, f"agreement {numbers[pk]}", "amount agreed", amount, a.committed
                )
            )
    planless = Agreement.objects.filter(
        scope, status=AgreementStatus.EFFECTIVE, payment_plan__isnull=True
    ).values_list("project_id", "number", "total")
    for pid, number, total in planless:
        found.append(Difference(pid, f"agreement {number}", "payment plan missing", total, ZERO))

    # 2. Instalments against the amount agreed and against their plans.
    by_account = _sums(Instalment.objects.filter(scope), "account_id", "amount")
    for pk, a in accounts.items():
        if a.void:
            continue
        total = by_account.get(pk, ZERO)
        if total != a.committed:
            found.append(
                Difference(
                    a.project_id, f"agreement {numbers[pk]}", "instalments", a.committed, total
                )
            )
    plan_parts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for plan_id, amount, reduction in Instalment.objects.filter(scope).values_list(
        "plan_id", "amount", "reduction"
    ):
        plan_parts[plan_id] += amount + reduction
    for plan_id, project, amount, number, kind, reference in PaymentPlan.objects.filter(
        _plan_scope(project_id)
    ).values_list("pk", "account__project_id", "amount", "agreement__number", "kind", "reference"):
        if amount > 0 and plan_parts[plan_id] != amount:
            where = f"agreement {number}" if number else f"item {kind} {reference}"
            found.append(
                Difference(project, where, "plan instalments", amount, plan_parts[plan_id])
            )

    # 3. Paid: the account, its payments, the ledger.
    paid = _sums(Payment.objects.filter(scope, status=PaymentStatus.PAID), "account_id", "amount")
    ledger: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for account_id, amount in LedgerEntry.objects.filter(
        scope, kind__in=[EntryKind.DISBURSEMENT, EntryKind.RETURN]
    ).values_list("payment__account_id", "amount"):
        ledger[account_id] -= amount
    for pk, a in accounts.items():
        where = f"agreement {numbers[pk]}"
        if paid.get(pk, ZERO) != a.paid:
            found.append(
                Difference(a.project_id, where, "paid (payments)", paid.get(pk, ZERO), a.paid)
            )
        if ledger[pk] != a.paid:
            found.append(Difference(a.project_id, where, "paid (ledger)", ledger[pk], a.paid))

    # 4. Funds received.
    received = _sums(FundReceipt.objects.filter(scope), "project_id", "amount")
    booked = _sums(
        LedgerEntry.objects.filter(scope, kind=EntryKind.RECEIPT), "project_id", "amount"
    )
    for pid in sorted(set(received) | set(booked)):
        if received.get(pid, ZERO) != booked.get(pid, ZERO):
            found.append(
                Difference(
                    pid,
                    "funds received",
                    "ledger receipts",
                    received.get(pid, ZERO),
                    booked.get(pid, ZERO),
                )
            )
    balances = _sums(LedgerEntry.objects.filter(scope), "project_id", "amount")
    for pid, balance in sorted(balances.items()):
        if balance < 0:
            found.append(Difference(pid, "project account", "balance below zero", ZERO, balance))
    found += _movements(scope)
    found += _collections(scope)
    found += _maintained(scope, accounts, numbers)
    return found


def _plan_scope(project_id: int | None) -> Q:
    return Q(account__project_id=project_id) if project_id is not None else Q()


def _collections(scope: Q) -> list[Difference]:
    """Each receivable against the ledger: received, one collection of its amount; otherwise
    none."""
    found: list[Difference] = []
    entries: dict[int, list[Decimal]] = defaultdict(list)
    for receivable_id, amount in LedgerEntry.objects.filter(
        scope, kind=EntryKind.COLLECTION
    ).values_list("receivable_id", "amount"):
        entries[receivable_id].append(amount)
    for pk, project, status, amount in Receivable.objects.filter(scope).values_list(
        "pk", "project_id", "status", "amount"
    ):
        want = [amount] if status == ReceivableStatus.RECEIVED else []
        got = sorted(entries.pop(pk, []))
        if got != want:
            found.append(Difference(project, f"receivable {pk}", "ledger collections", want, got))
    return found


def _movements(scope: Q) -> list[Difference]:
    """Each payment against its ledger entries, and each instalment against its payments."""
    found: list[Difference] = []
    entries: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for payment_id, kind, amount in LedgerEntry.objects.filter(
        scope, payment__isnull=False
    ).values_list("payment_id", "kind", "amount"):
        entries[payment_id].append((kind, amount))
    paid_instalments: set[int] = set()
    for pk, project, status, amount, paid_on, instalment in Payment.objects.filter(
        scope
    ).values_list("pk", "project_id", "status", "amount", "paid_on", "instalment_id"):
        want = []
        if paid_on is not None:  # it went out (paid, or failed after being paid)
            want.append((EntryKind.DISBURSEMENT.value, -amount))
        if status == PaymentStatus.FAILED and paid_on is not None:
            want.append((EntryKind.RETURN.value, amount))
        if status == PaymentStatus.PAID:
            paid_instalments.add(instalment)
        got = sorted(entries.pop(pk, []))
        if got != sorted(want):
            found.append(
                Difference(project, f"payment {pk}", "ledger movements", sorted(want), got)
            )
    for pk, project, paid_on in Instalment.objects.filter(scope).values_list(
        "pk", "project_id", "paid_on"
    ):
        if (paid_on is not None) != (pk in paid_instalments):
            found.append(
                Difference(
                    project,
                    f"instalment {pk}",
                    "marked paid",
                    pk in paid_instalments,
                    paid_on is not None,
                )
            )
    return found


def _maintained(
    scope: Q, accounts: dict[int, HouseholdAccount], numbers: dict[int, str]
) -> list[Difference]:
    """The figures kept on each account for the supervision lists, recomputed."""
    found: list[Difference] = []
    in_process = _sums(
        Payment.objects.filter(scope, status__in=[PaymentStatus.REQUESTED, PaymentStatus.APPROVED]),
        "account_id",
        "amount",
    )
    first_paid = dict(
        Payment.objects.filter(scope, status=PaymentStatus.PAID)
        .values_list("account_id")
        .annotate(d=Min("paid_on"))
        .values_list("account_id", "d")
    )
    next_due = dict(
        Instalment.objects.filter(scope, paid_on__isnull=True, due_on__isnull=False, amount__gt=0)
        .values_list("account_id")
        .annotate(d=Min("due_on"))
        .values_list("account_id", "d")
    )
    void = set(
        HouseholdAccount.objects.filter(scope, agreement__status=AgreementStatus.VOID).values_list(
            "pk", flat=True
        )
    )
    for pk, a in accounts.items():
        where = f"agreement {numbers[pk]}"
        checks = [
            ("being paid", in_process.get(pk, ZERO), a.in_process),
            ("first paid on", first_paid.get(pk), a.first_paid_on),
            ("agreement void", pk in void, a.void),
        ]
        if not a.void:
            checks.append(("next due on", next_due.get(pk), a.next_due_on))
        for what, want, got in checks:
            if want != got:
                found.append(Difference(a.project_id, where, what, want, got))
    return found
