"""The compensation policy engine (补偿方案): rules as data, evaluated without running user text.

A policy is a list of items. Each item has a category, a rule (one of the kinds below, with its
parameters as plain JSON), conditions (resettlement mode, household kind, building use) and an
optional minimum and maximum. Evaluating a policy for one household gives one line per item that
applies: the rule in words, every input with where it came from (survey, confirmation,
valuation, signing …) and the amount, rounded once to the fen, half up. Totals are sums of the
rounded lines, per category and overall. Nothing here touches the database: the same inputs and
the same policy always give the same lines.

Rule kinds:
- ``area_rate``: Σ over the household's buildings (of the uses given, if any) of
  area × rate × coefficient; area is ``licensed``, ``unlicensed`` (recognised unlicensed area),
  ``legal`` (licensed + recognised unlicensed) or ``measured``; rate is a fixed amount per m² or the
  valuation's unit price of each building.
- ``per_household``: a fixed amount.
- ``per_person``: an amount per person counted as resettlement population.
- ``monthly``: max(rate × area, or rate per household; monthly minimum) × months.
- ``percent_of``: a percentage of the sum of other items.
- ``tiers``: an amount (or a percentage of other items) chosen by the number of days from a
  project milestone to the household's signing or vacating.
- ``valuation``: a line of the household's valuation (buildings, decoration, ancillaries,
  business stoppage loss).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _gettext


@functools.lru_cache(maxsize=4096)
def _translated(language: str | None, message: str) -> str:
    return _gettext(message)


def _(message: str) -> str:
    """gettext, remembered per language: a batch evaluates the same texts many times."""
    return _translated(get_language(), message)


CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class Category:
    HOUSE_VALUE = "house_value"
    DECORATION = "decoration"
    ANCILLARIES = "ancillaries"
    MOVING = "moving"
    TRANSITION = "transition"
    BUSINESS_LOSS = "business_loss"
    INCENTIVE = "incentive"
    SUBSIDY = "subsidy"
    LAND = "land"
    RESETTLEMENT_SUBSIDY = "resettlement_subsidy"
    ALL = (
        HOUSE_VALUE,
        DECORATION,
        ANCILLARIES,
        MOVING,
        TRANSITION,
        BUSINESS_LOSS,
        INCENTIVE,
        SUBSIDY,
        LAND,
        RESETTLEMENT_SUBSIDY,
    )


class Mode:
    CASH = "cash"
    EXCHANGE = "exchange"
    VOUCHER = "voucher"
    ALL = (CASH, EXCHANGE, VOUCHER)


AREAS = ("licensed", "unlicensed", "legal", "measured")
VALUATION_LINES = ("buildings", "decoration", "ancillaries", "business_loss")
EVENTS = ("signing", "vacating")
RULE_KINDS = (
    "area_rate",
    "per_household",
    "per_person",
    "monthly",
    "percent_of",
    "tiers",
    "valuation",
)


class PolicyError(ValueError):
    """A policy that cannot be evaluated: the item and what is wrong with it."""

    def __init__(self, item: str, message: str) -> None:
        super().__init__(f"{item}: {message}")
        self.item = item
        self.message = message


class MissingInput(ValueError):
    """An input a rule needs is not there for this household (e.g. no valuation yet)."""

    def __init__(self, item: str, name: str) -> None:
        super().__init__(f"{item}: {name}")
        self.item = item
        self.name = name


def fen(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildingIn:
    number: str
    use: str
    measured_area: Decimal
    licensed_area: Decimal = ZERO
    unlicensed_area: Decimal = ZERO  # recognised unlicensed area only
    unit_price: Decimal | None = None  # the valuation's, when valued


@dataclass(frozen=True)
class HouseholdIn:
    kind: str
    mode: str
    buildings: Sequence[BuildingIn]
    eligible_persons: int = 0
    valuation: Mapping[str, Decimal] | None = None  # buildings/decoration/ancillaries/business_loss
    milestones: Mapping[str, dt.date] = field(default_factory=dict)
    events: Mapping[str, dt.date] = field(default_factory=dict)  # signing, vacating


@dataclass(frozen=True)
class Input:
    name: str
    value: str
    source: str  # survey, confirmation, valuation, project, signing, policy


@dataclass(frozen=True)
class Line:
    item: str
    name: str
    category: str
    rule: str
    inputs: tuple[Input, ...]
    amount: Decimal
    limited: str = ""  # "minimum" / "maximum" when a limit applied


@dataclass(frozen=True)
class Result:
    lines: tuple[Line, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    def by_category(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for line in self.lines:
            out[line.category] = out.get(line.category, ZERO) + line.amount
        return out


# --- policy ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    category: str
    rule: Mapping[str, Any]
    modes: tuple[str, ...] = ()  # empty: every mode
    kinds: tuple[str, ...] = ()  # household kinds; empty: every kind
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    def applies(self, household: HouseholdIn) -> bool:
        return (not self.modes or household.mode in self.modes) and (
            not self.kinds or household.kind in self.kinds
        )


def _decimal(item: str, value: Any, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise PolicyError(item, f"{what} is not a number: {value!r}") from None
    if not number.is_finite():
        raise PolicyError(item, f"{what} is not a number: {value!r}")
    return number


def _require(item: str, rule: Mapping[str, Any], key: str) -> Any:
    if key not in rule or rule[key] in (None, ""):
        raise PolicyError(item, f"the rule needs {key!r}")
    return rule[key]


def references(item: Item) -> list[str]:
    """The codes of the other items this item's rule is computed from."""
    kind = item.rule.get("type")
    if kind == "percent_of":
        return list(item.rule.get("of") or [])
    if kind == "tiers":
        return sorted({c for tier in item.rule.get("tiers") or [] for c in tier.get("of") or []})
    return []


def check_policy(items: Sequence[Item]) -> list[Item]:
    """Every rule complete and well-formed, codes unique, references to existing items and
    without a cycle. Returns the items in an order where each comes after what it refers to."""
    codes = [i.code for i in items]
    seen: set[str] = set()
    for item in items:
        if not item.code:
            raise PolicyError("?", "an item has no code")
        if item.code in seen:
            raise PolicyError(item.code, "the code is used twice")
        seen.add(item.code)
        _check_rule(item)
        if item.category not in Category.ALL:
            raise PolicyError(item.code, f"unknown category {item.category!r}")
        for mode in item.modes:
            if mode not in Mode.ALL:
                raise PolicyError(item.code, f"unknown resettlement mode {mode!r}")
        if item.minimum is not None and item.maximum is not None and item.minimum > item.maximum:
            raise PolicyError(item.code, "the minimum is above the maximum")
        for ref in references(item):
            if ref not in codes:
                raise PolicyError(item.code, f"refers to the missing item {ref!r}")
    return _ordered(items)


def _ordered(items: Sequence[Item]) -> list[Item]:
    by_code = {i.code: i for i in items}
    done: list[Item] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(code: str, path: list[str]) -> None:
        if state.get(code) == 2:
            return
        if state.get(code) == 1:
            cycle = " → ".join([*path[path.index(code) :], code])
            raise PolicyError(code, f"refers to itself through {cycle}")
        state[code] = 1
        for ref in references(by_code[code]):
            visit(ref, [*path, code])
        state[code] = 2
        done.append(by_code[code])

    for item in items:
        visit(item.code, [])
    return done


def _check_rule(item: Item) -> None:
    rule = item.rule
    kind = rule.get("type")
    code = item.code
    if kind not in RULE_KINDS:
        raise PolicyError(code, f"unknown rule {kind!r}")
    if kind == "area_rate":
        if _require(code, rule, "area") not in AREAS:
            raise PolicyError(code, f"unknown area {rule['area']!r}")
        if not rule.get("valuation_price"):
            _decimal(code, _require(code, rule, "rate"), "the rate")
        _decimal(code, rule.get("coefficient", "1"), "the coefficient")
    elif kind in ("per_household", "per_person"):
        _decimal(code, _require(code, rule, "amount"), "the amount")
    elif kind == "monthly":
        if rule.get("basis", "area") not in ("area", "household"):
            raise PolicyError(code, f"unknown basis {rule.get('basis')!r}")
        if rule.get("basis", "area") == "area" and rule.get("area", "legal") not in AREAS:
            raise PolicyError(code, f"unknown area {rule.get('area')!r}")
        _decimal(code, _require(code, rule, "rate"), "the rate")
        months = _decimal(code, _require(code, rule, "months"), "the months")
        if months < 0:
            raise PolicyError(code, "the months cannot be negative")
        _decimal(code, rule.get("monthly_minimum", "0"), "the monthly minimum")
    elif kind == "percent_of":
        if not rule.get("of"):
            raise PolicyError(code, "the rule needs the items it is a percentage of")
        if code in rule["of"]:
            raise PolicyError(code, f"refers to itself through {code} → {code}")
        _decimal(code, _require(code, rule, "percent"), "the percentage")
    elif kind == "tiers":
        if rule.get("to") not in EVENTS:
            raise PolicyError(code, "the days are counted to the signing or the vacating")
        _require(code, rule, "from")
        tiers = rule.get("tiers") or []
        if not tiers:
            raise PolicyError(code, "the rule needs at least one tier")
        last = -1
        for i, tier in enumerate(tiers):
            limit = tier.get("up_to_days")
            if limit is None and i != len(tiers) - 1:
                raise PolicyError(code, "only the last tier may be open-ended")
            if limit is not None:
                if int(limit) <= last:
                    raise PolicyError(code, "the tiers' days must increase")
                last = int(limit)
            if "percent" in tier:
                _decimal(code, tier["percent"], "a tier's percentage")
                if not tier.get("of"):
                    raise PolicyError(
                        code, "a percentage tier needs the items it is a percentage of"
                    )
            else:
                _decimal(code, _require(code, tier, "amount"), "a tier's amount")
    elif kind == "valuation" and rule.get("line") not in VALUATION_LINES:
        raise PolicyError(code, f"unknown valuation line {rule.get('line')!r}")


# --- evaluation ------------------------------------------------------------------------------


def _area_of(building: BuildingIn, which: str) -> Decimal:
    if which == "licensed":
        return building.licensed_area
    if which == "unlicensed":
        return building.unlicensed_area
    if which == "legal":
        return building.licensed_area + building.unlicensed_area
    return building.measured_area


def _area_labels() -> dict[str, str]:  # translated when it is read
    return {
        "licensed": _("licensed area"),
        "unlicensed": _("recognised unlicensed area"),
        "legal": _("legal area"),
        "measured": _("measured area"),
    }


def _valuation_labels() -> dict[str, str]:
    return {
        "buildings": _("buildings"),
        "decoration": _("decoration"),
        "ancillaries": _("ancillaries"),
        "business_loss": _("business stoppage loss"),
    }


_AREA_SOURCE = {
    "licensed": "confirmation",
    "unlicensed": "confirmation",
    "legal": "confirmation",
    "measured": "survey",
}


def _buildings(rule: Mapping[str, Any], household: HouseholdIn) -> list[BuildingIn]:
    uses = rule.get("uses") or []
    return [b for b in household.buildings if not uses or b.use in uses]


def _fmt(value: Decimal) -> str:
    return f"{value:,.2f}"


def evaluate(
    items: Sequence[Item], household: HouseholdIn, *, ordered: Sequence[Item] | None = None
) -> Result:
    """Evaluate a policy for one household. ``ordered`` is what check_policy returned for these
    items, when many households are evaluated with the same policy (checked once)."""
    if ordered is None:
        ordered = check_policy(items)
    amounts: dict[str, Decimal] = {}
    lines: dict[str, Line] = {}
    for item in ordered:
        if not item.applies(household):
            amounts[item.code] = ZERO
            continue
        raw, rule_text, inputs = _raw(item, household, amounts)
        amount = fen(raw)
        limited = ""
        if item.minimum is not None and amount < item.minimum:
            amount, limited = fen(item.minimum), "minimum"
        if item.maximum is not None and amount > item.maximum:
            amount, limited = fen(item.maximum), "maximum"
        amounts[item.code] = amount
        lines[item.code] = Line(
            item=item.code,
            name=item.name,
            category=item.category,
            rule=rule_text,
            inputs=tuple(inputs),
            amount=amount,
            limited=limited,
        )
    # Lines in the policy's own order, as the reviewer reads them.
    return Result(tuple(lines[i.code] for i in items if i.code in lines))


def _raw(
    item: Item, household: HouseholdIn, amounts: Mapping[str, Decimal]
) -> tuple[Decimal, str, list[Input]]:
    rule = item.rule
    kind = rule["type"]
    if kind == "area_rate":
        return _area_rate(item, household)
    if kind == "per_household":
        amount = Decimal(str(rule["amount"]))
        return (
            amount,
            _("%(amount)s per household") % {"amount": _fmt(amount)},
            [Input(_("amount"), _fmt(amount), "policy")],
        )
    if kind == "per_person":
        amount = Decimal(str(rule["amount"]))
        n = household.eligible_persons
        return (
            amount * n,
            _("%(n)d × %(amount)s per eligible person") % {"n": n, "amount": _fmt(amount)},
            [
                Input(_("eligible persons"), str(n), "confirmation"),
                Input(_("amount per person"), _fmt(amount), "policy"),
            ],
        )
    if kind == "monthly":
        return _monthly(item, household)
    if kind == "percent_of":
        base = sum((amounts[c] for c in rule["of"]), ZERO)
        percent = Decimal(str(rule["percent"]))
        return (
            base * percent / 100,
            f"{percent}% × ({' + '.join(rule['of'])})",
            [Input(c, _fmt(amounts[c]), "calculation") for c in rule["of"]]
            + [Input(_("percentage"), f"{percent}%", "policy")],
        )
    if kind == "tiers":
        return _tiers(item, household, amounts)
    line = rule["line"]
    if household.valuation is None or line not in household.valuation:
        raise MissingInput(item.code, f"valuation.{line}")
    value = household.valuation[line]
    label = _valuation_labels()[line]
    return (
        value,
        _("valuation: %(line)s") % {"line": label},
        [Input(label, _fmt(value), "valuation")],
    )


def _area_rate(item: Item, household: HouseholdIn) -> tuple[Decimal, str, list[Input]]:
    rule = item.rule
    which = rule["area"]
    coefficient = Decimal(str(rule.get("coefficient", "1")))
    total = ZERO
    inputs: list[Input] = []
    for b in _buildings(rule, household):
        area = _area_of(b, which)
        if rule.get("valuation_price"):
            if b.unit_price is None:
                raise MissingInput(item.code, f"valuation.unit_price[{b.number}]")
            rate, rate_source = b.unit_price, "valuation"
        else:
            rate, rate_source = Decimal(str(rule["rate"])), "policy"
        total += area * rate * coefficient
        inputs.append(
            Input(
                _("building %(number)s %(area)s")
                % {"number": b.number, "area": _area_labels()[which]},
                f"{area:.2f}",
                _AREA_SOURCE[which],
            )
        )
        inputs.append(
            Input(
                _("building %(number)s unit price") % {"number": b.number}, _fmt(rate), rate_source
            )
        )
    if coefficient != 1:
        inputs.append(Input(_("coefficient"), str(coefficient), "policy"))
    rate_text = (
        _("valuation unit price")
        if rule.get("valuation_price")
        else f"{_fmt(Decimal(str(rule['rate'])))}/m²"
    )
    text = f"Σ {_area_labels()[which]} × {rate_text}" + (
        f" × {coefficient}" if coefficient != 1 else ""
    )
    return total, text, inputs


def _monthly(item: Item, household: HouseholdIn) -> tuple[Decimal, str, list[Input]]:
    rule = item.rule
    rate = Decimal(str(rule["rate"]))
    months = Decimal(str(rule["months"]))
    minimum = Decimal(str(rule.get("monthly_minimum", "0")))
    inputs: list[Input] = []
    if rule.get("basis", "area") == "area":
        which = rule.get("area", "legal")
        area = sum((_area_of(b, which) for b in _buildings(rule, household)), ZERO)
        monthly = area * rate
        inputs.append(Input(_area_labels()[which], f"{area:.2f}", _AREA_SOURCE[which]))
        text = _("max(%(area)s × %(rate)s/m², %(minimum)s) × %(months)s months") % {
            "area": _area_labels()[which],
            "rate": _fmt(rate),
            "minimum": _fmt(minimum),
            "months": months,
        }
    else:
        monthly = rate
        text = _("max(%(rate)s, %(minimum)s) × %(months)s months") % {
            "rate": _fmt(rate),
            "minimum": _fmt(minimum),
            "months": months,
        }
    inputs += [
        Input(_("monthly rate"), _fmt(rate), "policy"),
        Input(_("months"), str(months), "policy"),
    ]
    if minimum:
        inputs.append(Input(_("monthly minimum"), _fmt(minimum), "policy"))
    return max(monthly, minimum) * months, text, inputs


def _tiers(
    item: Item, household: HouseholdIn, amounts: Mapping[str, Decimal]
) -> tuple[Decimal, str, list[Input]]:
    rule = item.rule
    start = household.milestones.get(rule["from"])
    if start is None:
        raise MissingInput(item.code, f"milestone.{rule['from']}")
    end = household.events.get(rule["to"])
    if end is None:
        raise MissingInput(item.code, f"{rule['to']} date")
    days = (end - start).days
    inputs = [
        Input(rule["from"], start.isoformat(), "project"),
        Input(rule["to"], end.isoformat(), rule["to"]),
        Input(_("days"), str(days), "calculation"),
    ]
    for tier in rule["tiers"]:
        limit = tier.get("up_to_days")
        if limit is None or days <= int(limit):
            within = _("≤ %(n)s days") % {"n": limit} if limit is not None else _("later")
            if "percent" in tier:
                base = sum((amounts[c] for c in tier["of"]), ZERO)
                percent = Decimal(str(tier["percent"]))
                inputs += [Input(c, _fmt(amounts[c]), "calculation") for c in tier["of"]]
                return (
                    base * percent / 100,
                    _("%(days)s days (%(within)s): %(percent)s%% × (%(items)s)")
                    % {
                        "days": days,
                        "within": within,
                        "percent": percent,
                        "items": " + ".join(tier["of"]),
                    },
                    inputs,
                )
            amount = Decimal(str(tier["amount"]))
            text = _("%(days)s days (%(within)s): %(amount)s") % {
                "days": days,
                "within": within,
                "amount": _fmt(amount),
            }
            return amount, text, inputs
    return ZERO, _("%(days)s days: no tier") % {"days": days}, inputs


# --- resettlement modes ----------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """Property exchange (产权调换): the old home's value against the new flats' price."""

    old_value: Decimal
    entitled_area: Decimal
    new_area: Decimal
    entitled_price: Decimal
    above_price: Decimal
    below_price: Decimal

    def settle(self) -> tuple[Decimal, list[Input]]:
        """What the household pays (positive) or receives (negative), to the fen.

        The part of the new area within the entitlement is settled at the entitled price, the
        part above it at the above-entitlement price; an unused entitlement is bought back at the
        below-entitlement price.
        """
        within = min(self.new_area, self.entitled_area)
        above = max(self.new_area - self.entitled_area, ZERO)
        below = max(self.entitled_area - self.new_area, ZERO)
        price = within * self.entitled_price + above * self.above_price - below * self.below_price
        balance = fen(price) - fen(self.old_value)
        inputs = [
            Input(_("old home value"), _fmt(self.old_value), "calculation"),
            Input(_("entitled area"), f"{self.entitled_area:.2f}", "calculation"),
            Input(_("new area"), f"{self.new_area:.2f}", "resettlement"),
            Input(_("area within entitlement"), f"{within:.2f}", "calculation"),
            Input(_("area above entitlement"), f"{above:.2f}", "calculation"),
            Input(_("entitlement not used"), f"{below:.2f}", "calculation"),
        ]
        return balance, inputs


def voucher_face_value(cash: Decimal, premium_percent: Decimal) -> Decimal:
    """Housing voucher (房票): cash compensation × (1 + premium), to the fen."""
    return fen(cash * (1 + premium_percent / 100))
