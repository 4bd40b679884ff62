"""A household's entitlement to resettlement flats (产权调换) and the flat combinations that fit
it (上靠/下靠), with the price of each.

- The entitlement belongs to a household whose main agreement is a property exchange and is
  effective. Its entitled area comes from the agreement's calculation under its policy (the
  same function the calculation used); its number of flats is one per `flat_step_area` of
  entitled area, at least one, at most the policy's `max_flats`.
- A combination of flats fits when its total area lies within
  [entitled area − fit_below, entitled area + fit_above].
- Price of a combination: the entitled area is applied first to the flats whose area beyond the
  entitlement would cost most (so the result does not depend on the order of choosing); area
  within the entitlement is priced at the policy's entitled price, area beyond it at the flat's
  price basis (or the policy's price above the entitlement), and entitlement not used is bought
  back at the policy's price below it. Each figure is rounded to the fen once.
- The balance is the price less the household's credit: the agreement's amount as last corrected
  by effective supplements. Positive: the household pays; negative: the household is paid.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from zhengqian.agreements.models import Agreement, AgreementKind, AgreementStatus
from zhengqian.compensation.engine import fen
from zhengqian.compensation.models import Calculation, Policy
from zhengqian.compensation.services import entitled_area
from zhengqian.resettlement.models import Flat
from zhengqian.survey.models import Household

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Entitlement:
    household_id: int
    agreement: Agreement
    calculation: Calculation
    policy: Policy
    area: Decimal
    flats: int
    credit: Decimal

    @property
    def lowest(self) -> Decimal:
        return max(self.area - self.policy.fit_below, ZERO)

    @property
    def highest(self) -> Decimal:
        return self.area + self.policy.fit_above


@dataclass(frozen=True)
class Line:
    flat_id: int
    label: str
    area: Decimal
    within: Decimal
    above: Decimal
    above_price: Decimal


@dataclass(frozen=True)
class Priced:
    """The price of a set of flats against an entitlement."""

    area: Decimal
    within: Decimal
    above: Decimal
    unused: Decimal
    within_amount: Decimal
    above_amount: Decimal
    unused_amount: Decimal
    price: Decimal
    credit: Decimal
    balance: Decimal
    lines: list[Line] = field(default_factory=list)

    @property
    def household_pays(self) -> bool:
        return self.balance > 0

    def inputs(self) -> list[dict[str, str]]:
        """The figures as kept with a settlement (strings, to the fen)."""
        rows = [
            {
                "name": "flat",
                "flat": line.label,
                "area": f"{line.area:.2f}",
                "within": f"{line.within:.2f}",
                "above": f"{line.above:.2f}",
                "above_price": f"{line.above_price:.2f}",
            }
            for line in self.lines
        ]
        rows.append(
            {
                "name": "total",
                "area": f"{self.area:.2f}",
                "within_amount": f"{self.within_amount:.2f}",
                "above_amount": f"{self.above_amount:.2f}",
                "unused": f"{self.unused:.2f}",
                "unused_amount": f"{self.unused_amount:.2f}",
                "price": f"{self.price:.2f}",
                "credit": f"{self.credit:.2f}",
                "balance": f"{self.balance:.2f}",
            }
        )
        return rows


@dataclass(frozen=True)
class Fit:
    flats: tuple[Flat, ...]
    priced: Priced

    @property
    def area(self) -> Decimal:
        return self.priced.area


def live_main(household: Household | int) -> Agreement | None:
    household_id = household if isinstance(household, int) else household.pk
    return (
        Agreement.objects.filter(household_id=household_id, parent__isnull=True)
        .exclude(status=AgreementStatus.VOID)
        .select_related("calculation__policy")
        .first()
    )


def flats_allowed(policy: Policy, area: Decimal) -> int:
    step = policy.flat_step_area if policy.flat_step_area > 0 else Decimal("1")
    return max(1, min(int(area // step), max(policy.max_flats, 1)))


def credit(agreement: Agreement) -> Decimal:
    """The agreement's amount as last corrected by its effective supplements."""
    corrections = agreement.supplements.filter(status=AgreementStatus.EFFECTIVE).aggregate(
        s=Sum("difference")
    )["s"]
    return agreement.total + (corrections or ZERO)


def for_household(household: Household | int) -> Entitlement | None:
    """The household's entitlement, or None unless its main agreement is an effective property
    exchange."""
    agreement = live_main(household)
    if (
        agreement is None
        or agreement.kind != AgreementKind.EXCHANGE
        or agreement.status != AgreementStatus.EFFECTIVE
    ):
        return None
    calculation = agreement.calculation
    policy = calculation.policy
    area = entitled_area(policy, calculation.inputs)
    return Entitlement(
        household_id=agreement.household_id,
        agreement=agreement,
        calculation=calculation,
        policy=policy,
        area=area,
        flats=flats_allowed(policy, area),
        credit=credit(agreement),
    )


def _above_price(policy: Policy, flat: Flat) -> Decimal:
    return flat.price_basis if flat.price_basis is not None else policy.above_price


def price(entitlement: Entitlement, flats: Sequence[Flat]) -> Priced:
    policy = entitlement.policy
    left = entitlement.area
    lines: list[Line] = []
    for flat in sorted(flats, key=lambda f: (-_above_price(policy, f), f.pk or 0)):
        within = min(flat.area, left)
        left -= within
        lines.append(
            Line(
                flat_id=flat.pk,
                label=str(flat),
                area=flat.area,
                within=within,
                above=flat.area - within,
                above_price=_above_price(policy, flat),
            )
        )
    area = sum((f.area for f in flats), ZERO)
    within = sum((line.within for line in lines), ZERO)
    above = area - within
    unused = max(entitlement.area - area, ZERO)
    within_amount = fen(within * policy.entitled_price)
    above_amount = fen(sum((line.above * line.above_price for line in lines), ZERO))
    unused_amount = fen(unused * policy.below_price)
    total = within_amount + above_amount - unused_amount
    return Priced(
        area=area,
        within=within,
        above=above,
        unused=unused,
        within_amount=within_amount,
        above_amount=above_amount,
        unused_amount=unused_amount,
        price=total,
        credit=entitlement.credit,
        balance=total - entitlement.credit,
        lines=lines,
    )


def fits_area(entitlement: Entitlement, area: Decimal) -> bool:
    return entitlement.lowest <= area <= entitlement.highest


def refusal(entitlement: Entitlement, flats: Sequence[Flat]) -> str | None:
    """Why this set of flats does not fit the entitlement (a code), or None when it does."""
    if not flats:
        return "empty"
    if len(flats) > entitlement.flats:
        return "too_many"
    if len({f.pk for f in flats}) != len(flats):
        return "duplicate"
    area = sum((f.area for f in flats), ZERO)
    if area < entitlement.lowest:
        return "too_small"
    if area > entitlement.highest:
        return "too_large"
    return None


def fits(entitlement: Entitlement, flats: Iterable[Flat], *, limit: int = 50) -> list[Fit]:
    """The combinations of one to `entitlement.flats` of the given flats whose area fits, the
    closest to the entitled area first (then fewer flats, then smaller flats), at most `limit`.

    Combinations are enumerated over the flats sorted by area, in whole hundredths of a m²,
    pruned by the area window (the last flat of a combination is found by bisection), and the
    best are kept in a bounded heap: every fitting combination is considered, and a stock of
    thousands of flats is answered in a fraction of a second."""
    pool = sorted(flats, key=lambda f: (f.area, f.pk or 0))
    cents = [int(f.area * 100) for f in pool]
    low = int(entitlement.lowest * 100)
    high = int(entitlement.highest * 100)
    target = int(entitlement.area * 100)

    def combos(
        start: int, chosen: tuple[int, ...], total: int, room: int
    ) -> Iterator[tuple[int, tuple[int, ...]]]:
        if chosen and low <= total <= high:
            yield total, chosen
        if room == 0:
            return
        end = bisect.bisect_right(cents, high - total, lo=start)
        if room == 1:
            begin = max(start, bisect.bisect_left(cents, low - total, lo=start))
            for i in range(begin, end):
                yield total + cents[i], (*chosen, i)
            return
        for i in range(start, end):
            yield from combos(i + 1, (*chosen, i), total + cents[i], room - 1)

    best = heapq.nsmallest(
        limit,
        combos(0, (), 0, entitlement.flats),
        key=lambda found: (abs(found[0] - target), len(found[1]), found[1]),
    )
    chosen = [tuple(pool[i] for i in indices) for _total, indices in best]
    return [Fit(flats=c, priced=price(entitlement, c)) for c in chosen]
