"""The policy engine: golden cases from published rules, every rule kind, conditions and limits,
the checks that refuse a policy at publication, and properties over random policies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengqian.compensation.engine import (
    BuildingIn,
    Category,
    Exchange,
    HouseholdIn,
    Item,
    MissingInput,
    Mode,
    PolicyError,
    check_policy,
    evaluate,
    fen,
    voucher_face_value,
)

D = Decimal
DECISION = dt.date(2026, 3, 1)


def home(area: str = "90.00", price: str | None = "20000.00", **kw) -> HouseholdIn:  # type: ignore[no-untyped-def]
    a = D(area)
    return HouseholdIn(
        kind=kw.pop("kind", "residential"),
        mode=kw.pop("mode", Mode.CASH),
        buildings=kw.pop(
            "buildings",
            [
                BuildingIn(
                    "1", "residential", a, licensed_area=a, unit_price=D(price) if price else None
                )
            ],
        ),
        milestones={"decision_announced": DECISION},
        **kw,
    )


HOUSE = Item(
    "house",
    "房屋价值",
    Category.HOUSE_VALUE,
    {"type": "area_rate", "area": "licensed", "valuation_price": True},
)


class TestGolden:
    def test_property_exchange_old_home_against_a_larger_flat(self) -> None:
        # 90 m² at 20,000 = 1,800,000 against 100 m² at 19,000 = 1,900,000: the household pays.
        (line,) = evaluate([HOUSE], home()).lines
        assert line.amount == D("1800000.00")
        balance, _inputs = Exchange(
            old_value=line.amount,
            entitled_area=D("100"),
            new_area=D("100"),
            entitled_price=D("19000"),
            above_price=D("19000"),
            below_price=D("19000"),
        ).settle()
        assert balance == D("100000.00")

    def test_tiered_cash_bonus_vacated_on_day_20(self) -> None:
        cash_bonus = Item(
            "cash_bonus",
            "货币补偿奖励",
            Category.INCENTIVE,
            {
                "type": "tiers",
                "from": "decision_announced",
                "to": "signing",
                "tiers": [{"up_to_days": 30, "percent": "15", "of": ["house"]}, {"amount": "0"}],
            },
            modes=(Mode.CASH,),
        )
        vacating_bonus = Item(
            "vacating_bonus",
            "按期搬迁奖励",
            Category.INCENTIVE,
            {
                "type": "tiers",
                "from": "decision_announced",
                "to": "vacating",
                "tiers": [
                    {"up_to_days": 30, "amount": "30000"},
                    {"up_to_days": 45, "amount": "20000"},
                    {"amount": "10000"},
                ],
            },
        )
        day20 = DECISION + dt.timedelta(days=20)
        household = home(events={"signing": day20, "vacating": day20})
        result = evaluate([HOUSE, cash_bonus, vacating_bonus], household)
        bonus = result.by_category()[Category.INCENTIVE]
        assert bonus == D("300000.00")  # 270,000 + 30,000
        # The same household choosing property exchange gets only the vacating tier.
        exchange = home(mode=Mode.EXCHANGE, events={"signing": day20, "vacating": day20})
        assert evaluate([HOUSE, cash_bonus, vacating_bonus], exchange).by_category()[
            Category.INCENTIVE
        ] == D("30000.00")
        # Day 31 and day 46 fall in the next tiers.
        later = home(events={"signing": day20, "vacating": DECISION + dt.timedelta(days=31)})
        assert evaluate([vacating_bonus], later).total == D("20000.00")
        latest = home(events={"signing": day20, "vacating": DECISION + dt.timedelta(days=46)})
        assert evaluate([vacating_bonus], latest).total == D("10000.00")

    def test_business_stoppage_loss_five_percent_of_house_value(self) -> None:
        loss = Item(
            "loss",
            "停产停业损失",
            Category.BUSINESS_LOSS,
            {"type": "percent_of", "of": ["house"], "percent": "5"},
            kinds=("non_residential",),
        )
        shop = home(area="100.00", kind="non_residential")
        result = evaluate([HOUSE, loss], shop)
        assert result.lines[0].amount == D("2000000.00")
        assert result.lines[1].amount == D("100000.00")
        # A residential household has no such line at all.
        assert [line.item for line in evaluate([HOUSE, loss], home()).lines] == ["house"]

    def test_transition_fee_25_per_m2_per_month_for_80_m2_over_24_months(self) -> None:
        fee = Item(
            "transition",
            "临时安置费",
            Category.TRANSITION,
            {"type": "monthly", "basis": "area", "area": "licensed", "rate": "25", "months": 24},
        )
        assert evaluate([fee], home(area="80.00")).total == D("48000.00")

    def test_moving_fee_20_per_m2_paid_twice_for_80_m2(self) -> None:
        moving = Item(
            "moving",
            "搬迁费",
            Category.MOVING,
            {"type": "area_rate", "area": "licensed", "rate": "20", "coefficient": "2"},
        )
        assert evaluate([moving], home(area="80.00")).total == D("3200.00")


class TestRules:
    def test_area_kinds_uses_and_the_sources_of_inputs(self) -> None:
        buildings = [
            BuildingIn("1", "residential", D("100"), D("80"), D("15"), D("10000")),
            BuildingIn("2", "auxiliary", D("20"), D("0"), D("20"), D("3000")),
        ]
        h = home(buildings=buildings)
        rule = {"type": "area_rate", "rate": "100"}
        for area, expected in [
            ("licensed", 8000),
            ("unlicensed", 3500),
            ("legal", 11500),
            ("measured", 12000),
        ]:
            item = Item("x", "x", Category.SUBSIDY, {**rule, "area": area})
            assert evaluate([item], h).total == D(expected)
        only_homes = Item(
            "x", "x", Category.SUBSIDY, {**rule, "area": "measured", "uses": ["residential"]}
        )
        assert evaluate([only_homes], h).total == D("10000.00")
        (line,) = evaluate([HOUSE], h).lines
        assert line.amount == D("800000.00")  # 80 × 10,000 + 0 × 3,000
        sources = {i.name: i.source for i in line.inputs}
        assert sources["房屋 1 合法面积"] == "confirmation"
        assert sources["房屋 1 单价"] == "valuation"

    def test_per_household_per_person_and_the_monthly_minimum(self) -> None:
        h = home(area="30.00", eligible_persons=3)
        items = [
            Item("a", "a", Category.SUBSIDY, {"type": "per_household", "amount": "5000"}),
            Item(
                "b", "b", Category.RESETTLEMENT_SUBSIDY, {"type": "per_person", "amount": "1200.50"}
            ),
            # 30 m² × 20 = 600 a month, below the 1,000 minimum: 1,000 × 6.
            Item(
                "c",
                "c",
                Category.TRANSITION,
                {
                    "type": "monthly",
                    "area": "licensed",
                    "rate": "20",
                    "months": 6,
                    "monthly_minimum": "1000",
                },
            ),
            Item(
                "d",
                "d",
                Category.TRANSITION,
                {"type": "monthly", "basis": "household", "rate": "800", "months": 3},
            ),
        ]
        amounts = [line.amount for line in evaluate(items, h).lines]
        assert amounts == [D("5000.00"), D("3601.50"), D("6000.00"), D("2400.00")]

    def test_each_line_is_rounded_once_half_up_and_limits_apply_after(self) -> None:
        h = home(area="33.33", price="1234.57")
        (line,) = evaluate([HOUSE], h).lines
        assert line.amount == fen(D("33.33") * D("1234.57")) == D("41148.22")
        capped = Item(
            "cap",
            "cap",
            Category.SUBSIDY,
            {"type": "per_household", "amount": "9000"},
            maximum=D("8000"),
        )
        floored = Item(
            "flo",
            "flo",
            Category.SUBSIDY,
            {"type": "per_household", "amount": "100"},
            minimum=D("500"),
        )
        lines = evaluate([capped, floored], h).lines
        assert [(x.amount, x.limited) for x in lines] == [
            (D("8000.00"), "maximum"),
            (D("500.00"), "minimum"),
        ]

    def test_valuation_lines_and_a_missing_valuation(self) -> None:
        deco = Item(
            "deco", "装修", Category.DECORATION, {"type": "valuation", "line": "decoration"}
        )
        h = home(valuation={"decoration": D("8000.00")})
        assert evaluate([deco], h).total == D("8000.00")
        with pytest.raises(MissingInput) as exc:
            evaluate([deco], home())
        assert exc.value.item == "deco"
        with pytest.raises(MissingInput):
            evaluate([HOUSE], home(price=None))

    def test_a_voucher_is_cash_times_one_plus_the_premium(self) -> None:
        assert voucher_face_value(D("1800000.00"), D("10")) == D("1980000.00")
        assert voucher_face_value(D("1000.01"), D("12.5")) == D("1125.01")

    def test_exchange_with_parts_above_and_below_the_entitlement(self) -> None:
        above, _ = Exchange(
            D("1800000"), D("90"), D("100"), D("19000"), D("22000"), D("19000")
        ).settle()
        assert above == D("1710000") + D("220000") - D("1800000")
        below, _ = Exchange(
            D("1800000"), D("90"), D("80"), D("19000"), D("22000"), D("15000")
        ).settle()
        assert below == D("1520000") - D("150000") - D("1800000")  # the household receives


class TestPolicyChecks:
    @pytest.mark.parametrize(
        ("items", "item", "text"),
        [
            (
                [
                    Item(
                        "a",
                        "a",
                        Category.SUBSIDY,
                        {"type": "percent_of", "of": ["zz"], "percent": "5"},
                    )
                ],
                "a",
                "missing item",
            ),
            (
                [
                    Item(
                        "a",
                        "a",
                        Category.SUBSIDY,
                        {"type": "percent_of", "of": ["b"], "percent": "5"},
                    ),
                    Item(
                        "b",
                        "b",
                        Category.SUBSIDY,
                        {"type": "percent_of", "of": ["a"], "percent": "5"},
                    ),
                ],
                "a",
                "refers to itself",
            ),
            (
                [Item("a", "a", Category.SUBSIDY, {"type": "eval", "code": "1/0"})],
                "a",
                "unknown rule",
            ),
            ([Item("a", "a", Category.SUBSIDY, {"type": "per_household"})], "a", "needs 'amount'"),
            (
                [Item("a", "a", Category.SUBSIDY, {"type": "per_household", "amount": "x"})],
                "a",
                "not a number",
            ),
            ([Item("a", "a", "bonus", {"type": "per_household", "amount": "1"})], "a", "category"),
            (
                [
                    Item(
                        "a",
                        "a",
                        Category.SUBSIDY,
                        {
                            "type": "tiers",
                            "from": "m",
                            "to": "signing",
                            "tiers": [{"amount": "1"}, {"up_to_days": 3, "amount": "2"}],
                        },
                    )
                ],
                "a",
                "open-ended",
            ),
            (
                [
                    Item("a", "a", Category.SUBSIDY, {"type": "per_household", "amount": "1"}),
                    Item("a", "b", Category.SUBSIDY, {"type": "per_household", "amount": "1"}),
                ],
                "a",
                "twice",
            ),
        ],
    )
    def test_a_policy_that_cannot_be_evaluated_is_refused_with_the_item(
        self, items, item, text
    ) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(PolicyError) as exc:
            check_policy(items)
        assert exc.value.item == item and text in exc.value.message

    def test_items_are_evaluated_after_what_they_refer_to_whatever_their_order(self) -> None:
        bonus = Item(
            "bonus",
            "b",
            Category.INCENTIVE,
            {"type": "percent_of", "of": ["house"], "percent": "10"},
        )
        result = evaluate([bonus, HOUSE], home())
        assert [line.item for line in result.lines] == ["bonus", "house"]
        assert result.lines[0].amount == D("180000.00")


money = st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False, allow_infinity=False)
area = st.decimals(min_value=0, max_value=999, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def households(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(1, 4))
    buildings = [
        BuildingIn(
            str(i),
            draw(st.sampled_from(["residential", "auxiliary"])),
            draw(area),
            draw(area),
            draw(area),
            draw(money),
        )
        for i in range(n)
    ]
    day = lambda: DECISION + dt.timedelta(days=draw(st.integers(0, 120)))  # noqa: E731
    return HouseholdIn(
        kind=draw(st.sampled_from(["residential", "non_residential"])),
        mode=draw(st.sampled_from(Mode.ALL)),
        buildings=buildings,
        eligible_persons=draw(st.integers(0, 8)),
        valuation={
            k: draw(money) for k in ("buildings", "decoration", "ancillaries", "business_loss")
        },
        milestones={"decision_announced": DECISION},
        events={"signing": day(), "vacating": day()},
    )


@st.composite
def policies(draw):  # type: ignore[no-untyped-def]
    items = [HOUSE]
    for i in range(draw(st.integers(0, 6))):
        kind = draw(
            st.sampled_from(
                [
                    "area_rate",
                    "per_household",
                    "per_person",
                    "monthly",
                    "percent_of",
                    "tiers",
                    "valuation",
                ]
            )
        )
        rule: dict = {"type": kind}
        if kind == "area_rate":
            rule |= {
                "area": draw(st.sampled_from(["licensed", "unlicensed", "legal", "measured"])),
                "rate": str(draw(money)),
                "coefficient": str(draw(st.decimals(min_value=0, max_value=3, places=2))),
            }
        elif kind in ("per_household", "per_person"):
            rule["amount"] = str(draw(money))
        elif kind == "monthly":
            rule |= {
                "rate": str(draw(money)),
                "months": draw(st.integers(0, 36)),
                "monthly_minimum": str(draw(money)),
            }
        elif kind == "percent_of":
            rule |= {
                "of": [draw(st.sampled_from([x.code for x in items]))],
                "percent": str(draw(st.decimals(min_value=0, max_value=100, places=3))),
            }
        elif kind == "tiers":
            rule |= {
                "from": "decision_announced",
                "to": draw(st.sampled_from(["signing", "vacating"])),
                "tiers": [
                    {"up_to_days": 30, "amount": str(draw(money))},
                    {"percent": "7.5", "of": ["house"]},
                ],
            }
        else:
            rule["line"] = draw(
                st.sampled_from(["buildings", "decoration", "ancillaries", "business_loss"])
            )
        items.append(
            Item(
                f"i{i}",
                f"item {i}",
                draw(st.sampled_from(Category.ALL)),
                rule,
                modes=tuple(draw(st.sets(st.sampled_from(Mode.ALL), max_size=2))),
            )
        )
    return items


@settings(max_examples=300, deadline=None)
@given(policy=policies(), household=households())
def test_the_total_is_the_sum_of_its_lines_in_fen_and_recalculation_is_identical(
    policy, household
) -> None:  # type: ignore[no-untyped-def]
    first = evaluate(policy, household)
    assert first.total == sum(line.amount for line in first.lines)
    assert sum(first.by_category().values()) == first.total
    assert all(line.amount == line.amount.quantize(Decimal("0.01")) for line in first.lines)
    assert evaluate(policy, household) == first
