"""The reconciliation check (对账): the ledger, the payments, the plans and the household accounts
against the agreements. Each figure is computed twice, from independent records, with grouped
queries (no query per household); every difference is reported with where it is.

- an account's amount agreed = its main agreement's total + the differences of its supplements
  in force (and so every agreement in force has its plan);
- an account's instalments add up to its amount agreed; a plan's instalments (with what
  supplements took off them) add up to the plan;
- an account's amount paid = its paid payments = the ledger's payments out less returns;
- the funds received = the ledger's receipts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

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
)


@dataclass(frozen=True)
class Difference:
    project_id: int
    where: str  # e.g. "agreement XM-2026-000012", "funds received"
    what: str  # which check
    expected: Decimal
    found: Decimal

    def __str__(self) -> str:
        # To the fen: SQLite's sums come back without the trailing zeros.
        return (
            f"project {self.project_id} · {self.where} · {self.what}: "
            f"expected {self.expected:.2f}, found {self.found:.2f} "
            f"(difference {self.found - self.expected:.2f})"
        )


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
        .select_related("agreement")
        .only(
            "pk",
            "project_id",
            "committed",
            "paid",
            "void",
            "agreement__number",
            "agreement__total",
            "agreement__status",
        )
    }
    numbers = {pk: a.agreement.number for pk, a in accounts.items()}

    # 1. Agreed amount against the agreements in force.
    expected: dict[int, Decimal] = {}
    for pk, a in accounts.items():
        if not a.void and a.agreement.status == AgreementStatus.EFFECTIVE:
            expected[pk] = a.agreement.total
    supplements = Agreement.objects.filter(
        scope, parent__isnull=False, status=AgreementStatus.EFFECTIVE
    ).values_list("parent__payment_account", "difference")
    for account_id, difference in supplements:
        if account_id in expected and difference is not None:
            expected[account_id] += difference
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
    for plan_id, project, amount, number in PaymentPlan.objects.filter(
        Q(account__project_id=project_id) if project_id is not None else Q()
    ).values_list("pk", "account__project_id", "amount", "agreement__number"):
        if amount > 0 and plan_parts[plan_id] != amount:
            found.append(
                Difference(
                    project, f"agreement {number}", "plan instalments", amount, plan_parts[plan_id]
                )
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
    return found
