from __future__ import annotations

import itertools
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from zhengqian.core.money import (
    MAX_AMOUNT_IN_WORDS,
    amount_in_words,
    to_fen,
    words_to_amount,
)

MAX_FEN = int(MAX_AMOUNT_IN_WORDS * 100)

# Amounts in fen, biased towards zeros because the zero rules are where writing goes wrong.
fen_amounts = st.one_of(
    st.integers(min_value=0, max_value=MAX_FEN),
    st.integers(min_value=0, max_value=99_999),
    st.lists(st.sampled_from("0000000123456789"), min_size=1, max_size=18).map(
        lambda digits: int("".join(digits))
    ),
).map(lambda fen: Decimal(fen) / 100)


def english_messages(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    with translation.override("en"):
        return list(error.value.messages)


class TestToFen:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (Decimal("1.005"), "1.01"),
            (Decimal("1.004999"), "1.00"),
            (Decimal("2.675"), "2.68"),
            (Decimal("-2.675"), "-2.68"),
            (Decimal("-2.674"), "-2.67"),
            (Decimal("0.125"), "0.13"),
            (Decimal("99.995"), "100.00"),
        ],
    )
    def test_it_rounds_half_away_from_zero_to_the_fen(self, value: Decimal, expected: str) -> None:
        assert to_fen(value) == Decimal(expected)
        assert str(to_fen(value)) == expected

    def test_it_gives_an_int_two_decimal_places(self) -> None:
        assert str(to_fen(5)) == "5.00"
        assert str(to_fen(-12)) == "-12.00"

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("12.3", "12.30"),
            ("  12.3\n", "12.30"),
            ("+1.5", "1.50"),
            ("-1.5", "-1.50"),
            (".5", "0.50"),
            ("5.", "5.00"),
            ("0", "0.00"),
            ("1867000000.00", "1867000000.00"),
            ("3.14159", "3.14"),
        ],
    )
    def test_it_reads_plain_decimal_strings(self, text: str, expected: str) -> None:
        assert str(to_fen(text)) == expected

    @pytest.mark.parametrize("value", ["-0.001", "-0.00", Decimal("-0"), Decimal("-0.004")])
    def test_it_never_returns_negative_zero(self, value: Decimal | str) -> None:
        assert str(to_fen(value)) == "0.00"

    def test_it_rounds_amounts_too_long_for_the_default_decimal_precision(self) -> None:
        value = Decimal("123456789012345678901234567890.125")
        assert to_fen(value) == Decimal("123456789012345678901234567890.13")
        assert to_fen(Decimal("1E+30")) == Decimal(10**30)

    @pytest.mark.parametrize("value", [0.1, 1.0, float("nan"), True, False, None, [1], b"1"])
    def test_it_refuses_floats_and_other_types_with_a_type_error(self, value: object) -> None:
        with pytest.raises(TypeError, match="float"):
            to_fen(value)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "   ",
            "abc",
            "1e3",
            "1E-2",
            "1,000.00",
            "1_000",
            "NaN",
            "Infinity",
            "-inf",
            "¥5",
            "5元",
            "1.2.3",
            "--1",
            "+",
            ".",
            "١٢",
            "１２",
        ],
    )
    def test_it_refuses_strings_that_are_not_plain_amounts(self, text: str) -> None:
        with pytest.raises(ValidationError) as error:
            to_fen(text)
        assert error.value.code == "invalid"
        assert english_messages(error) == [f"“{text}” is not a valid amount of money."]

    @pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity")])
    def test_it_refuses_decimals_that_are_not_finite(self, value: Decimal) -> None:
        with pytest.raises(ValidationError) as error:
            to_fen(value)
        assert error.value.code == "invalid"

    @settings(max_examples=200, deadline=None)
    @given(st.decimals(min_value=-(10**15), max_value=10**15, allow_nan=False))
    def test_it_is_within_half_a_fen_and_idempotent(self, value: Decimal) -> None:
        rounded = to_fen(value)
        assert rounded.as_tuple().exponent == -2
        assert abs(rounded - value) <= Decimal("0.005")
        assert to_fen(rounded) == rounded
        assert to_fen(f"{value:f}") == rounded

    @settings(max_examples=200, deadline=None)
    @given(st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False))
    def test_it_reads_a_string_as_it_reads_the_decimal(self, value: Decimal) -> None:
        assert to_fen(f"{value:f}") == to_fen(value)

    @settings(max_examples=200, deadline=None)
    @given(st.integers(min_value=-(10**20), max_value=10**20))
    def test_it_keeps_integers_exact(self, value: int) -> None:
        assert to_fen(value) == value
        assert to_fen(str(value)) == value


class TestAmountInWords:
    @pytest.mark.parametrize(
        ("amount", "words"),
        [
            ("1867000000.00", "壹拾捌亿陆仟柒佰万元整"),
            ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
            ("325.04", "叁佰贰拾伍元零肆分"),
            (100000, "壹拾万元整"),
            (1000000, "壹佰万元整"),
            (100010, "壹拾万零壹拾元整"),
            (1001, "壹仟零壹元整"),
            ("0.05", "伍分"),
            ("0.50", "伍角整"),
            (10000001, "壹仟万零壹元整"),
            (100000000, "壹亿元整"),
            (100000001, "壹亿零壹元整"),
            (1010000000, "壹拾亿零壹仟万元整"),
            ("20000.00", "贰万元整"),
            (1800000, "壹佰捌拾万元整"),
        ],
    )
    def test_it_writes_the_required_examples(self, amount: str | int, words: str) -> None:
        assert amount_in_words(amount) == words

    @pytest.mark.parametrize(
        ("amount", "words"),
        [
            # The examples of the People's Bank of China rules, in the forms this module chose.
            ("1409.50", "壹仟肆佰零玖元伍角整"),
            ("6007.14", "陆仟零柒元壹角肆分"),
            ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
            ("107000.53", "壹拾万柒仟元零伍角叁分"),
            ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
            ("325.04", "叁佰贰拾伍元零肆分"),
        ],
    )
    def test_it_writes_the_examples_of_the_payment_rules(self, amount: str, words: str) -> None:
        assert amount_in_words(amount) == words

    def test_it_writes_zero_as_zero_yuan_exactly(self) -> None:
        assert amount_in_words(0) == "零元整"
        assert amount_in_words("0.00") == "零元整"
        assert amount_in_words("-0.004") == "零元整"

    def test_it_closes_an_amount_that_ends_at_yuan_with_zheng(self) -> None:
        assert amount_in_words(1) == "壹元整"
        assert amount_in_words(10) == "壹拾元整"

    def test_it_closes_an_amount_that_ends_at_jiao_with_zheng_too(self) -> None:
        assert amount_in_words("1.50") == "壹元伍角整"
        assert amount_in_words("0.5") == "伍角整"
        assert amount_in_words("10.9") == "壹拾元零玖角整"

    def test_it_never_writes_zheng_after_fen(self) -> None:
        assert amount_in_words("1.55") == "壹元伍角伍分"
        assert amount_in_words("1.05") == "壹元零伍分"
        assert amount_in_words("0.01") == "壹分"

    def test_it_writes_zero_once_for_a_run_of_zeros(self) -> None:
        assert amount_in_words(10001) == "壹万零壹元整"
        assert amount_in_words(1000001) == "壹佰万零壹元整"
        assert amount_in_words(100000000001) == "壹仟亿零壹元整"
        assert amount_in_words(1000000001) == "壹拾亿零壹元整"

    def test_it_writes_zero_for_a_gap_inside_a_group_of_four(self) -> None:
        assert amount_in_words(101) == "壹佰零壹元整"
        assert amount_in_words(1010) == "壹仟零壹拾元整"
        assert amount_in_words(1100) == "壹仟壹佰元整"
        assert amount_in_words(1011) == "壹仟零壹拾壹元整"

    def test_it_writes_zero_when_the_lower_group_starts_below_its_thousands(self) -> None:
        assert amount_in_words(10100) == "壹万零壹佰元整"
        assert amount_in_words(12340567) == "壹仟贰佰叁拾肆万零伍佰陆拾柒元整"
        assert amount_in_words(100000100) == "壹亿零壹佰元整"

    def test_it_leaves_out_zero_when_only_trailing_zeros_of_wan_precede_the_thousands(
        self,
    ) -> None:
        assert amount_in_words(107000) == "壹拾万柒仟元整"
        assert amount_in_words(1007000) == "壹佰万柒仟元整"
        assert amount_in_words(12003456) == "壹仟贰佰万叁仟肆佰伍拾陆元整"

    def test_it_writes_zero_after_yi_when_the_yi_digit_is_zero(self) -> None:
        assert amount_in_words(1010000000) == "壹拾亿零壹仟万元整"
        assert amount_in_words(120050000000) == "壹仟贰佰亿零伍仟万元整"

    def test_it_writes_zero_when_a_whole_wan_group_is_skipped(self) -> None:
        assert amount_in_words(100001000) == "壹亿零壹仟元整"
        assert amount_in_words(10000001000) == "壹佰亿零壹仟元整"
        assert amount_in_words(100000010000) == "壹仟亿零壹万元整"

    def test_it_writes_zero_before_jiao_when_the_yuan_digit_is_zero(self) -> None:
        assert amount_in_words("10.50") == "壹拾元零伍角整"
        assert amount_in_words("110000.5") == "壹拾壹万元零伍角整"
        assert amount_in_words("100000000.12") == "壹亿元零壹角贰分"

    def test_it_writes_no_zero_before_jiao_when_the_yuan_digit_is_not_zero(self) -> None:
        assert amount_in_words("11.50") == "壹拾壹元伍角整"

    def test_it_writes_zero_before_fen_when_jiao_is_zero(self) -> None:
        assert amount_in_words("10.05") == "壹拾元零伍分"
        assert amount_in_words("1.01") == "壹元零壹分"

    def test_it_writes_one_zero_only_when_yuan_and_jiao_are_both_zero(self) -> None:
        assert amount_in_words("100.01") == "壹佰元零壹分"

    def test_it_writes_no_zero_yuan_below_one_yuan(self) -> None:
        assert amount_in_words("0.05") == "伍分"
        assert amount_in_words("0.35") == "叁角伍分"
        assert amount_in_words("0.3") == "叁角整"

    def test_it_writes_yi_shi_for_a_leading_ten(self) -> None:
        assert amount_in_words(18) == "壹拾捌元整"
        assert amount_in_words(100000) == "壹拾万元整"
        assert amount_in_words(1800000000) == "壹拾捌亿元整"
        assert amount_in_words(10_0000_0000_0000) == "壹拾万亿元整"

    def test_it_writes_amounts_in_the_wan_yi_range(self) -> None:
        assert amount_in_words(1_0000_0000_0000) == "壹万亿元整"
        assert amount_in_words(1_0001_0000_0000) == "壹万零壹亿元整"
        assert amount_in_words(10_7000_0000_0000) == "壹拾万柒仟亿元整"
        assert amount_in_words("9999999999999.99") == (
            "玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"
        )

    def test_it_writes_the_largest_supported_amount(self) -> None:
        assert amount_in_words(MAX_AMOUNT_IN_WORDS) == (
            "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"
        )

    def test_it_refuses_amounts_above_the_largest_supported(self) -> None:
        with pytest.raises(ValidationError) as error:
            amount_in_words(MAX_AMOUNT_IN_WORDS + Decimal("0.01"))
        assert error.value.code == "too_large"
        assert english_messages(error) == [
            "10000000000000000.00 is too large to be written in words; "
            "the limit is 9999999999999999.99."
        ]
        with pytest.raises(ValidationError):
            amount_in_words(-(MAX_AMOUNT_IN_WORDS + 1))

    def test_it_prefixes_negative_amounts_with_fu(self) -> None:
        assert amount_in_words("-1680.32") == "负壹仟陆佰捌拾元零叁角贰分"
        assert amount_in_words("-0.05") == "负伍分"
        assert amount_in_words(-MAX_AMOUNT_IN_WORDS).startswith("负玖仟")

    def test_it_rounds_to_the_fen_first(self) -> None:
        assert amount_in_words("1.005") == "壹元零壹分"
        assert amount_in_words("0.994") == "玖角玖分"
        assert amount_in_words("0.995") == "壹元整"
        assert amount_in_words(Decimal("99999.999")) == "壹拾万元整"

    def test_it_refuses_floats(self) -> None:
        with pytest.raises(TypeError):
            amount_in_words(1.5)  # type: ignore[arg-type]

    def test_it_refuses_invalid_strings(self) -> None:
        with pytest.raises(ValidationError) as error:
            amount_in_words("twelve")
        assert error.value.code == "invalid"

    @settings(max_examples=300, deadline=None)
    @given(fen_amounts)
    @example(Decimal("0.01"))
    @example(MAX_AMOUNT_IN_WORDS)
    def test_it_follows_the_shape_rules_for_any_amount(self, amount: Decimal) -> None:
        words = amount_in_words(amount)
        if not amount:
            assert words == "零元整"
            return
        assert set(words) <= set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")
        assert "零零" not in words
        assert not re.search("零[拾佰仟万亿元角分整]", words)
        assert not re.search("[拾佰仟][拾佰仟]", words)
        assert words.count("整") <= 1
        assert words.endswith("整") != words.endswith("分")
        assert words.count("元") <= 1
        assert words.count("亿") <= 1
        if amount >= 1:
            assert "元" in words
            assert not words.startswith("零")
        elif amount > 0:
            assert "元" not in words
            assert "零" not in words
        # A 拾 is always preceded by its digit, as the rules require (壹拾, never 拾 alone).
        assert not re.search("(^|[拾佰仟万亿零])拾", words)

    @settings(max_examples=300, deadline=None)
    @given(fen_amounts)
    @example(Decimal("107000.53"))
    @example(Decimal("1010000000"))
    @example(Decimal("100001000"))
    @example(Decimal("10700000000000"))
    def test_it_writes_as_many_zeros_as_the_rules_count_from_the_digits(
        self, amount: Decimal
    ) -> None:
        # An oracle working on digit positions rather than on groups: every maximal run of zeros
        # between two non-zero digits of the integer part is one 零, except a run that lies in
        # the 万 group (positions 4-6, or 12-14 inside the 亿 count) and ends at its 万 digit.
        yuan, cents = divmod(int(amount * 100), 100)
        jiao, fen = divmod(cents, 10)
        expected = 0
        if yuan:
            positions = [index for index, digit in enumerate(reversed(str(yuan))) if digit != "0"]
            for lower, upper in itertools.pairwise(positions):
                if upper - lower == 1:
                    continue
                run_low, run_high = lower + 1, upper - 1
                exempt = (run_low == 4 and run_high <= 6) or (run_low == 12 and run_high <= 14)
                expected += not exempt
            expected += bool((jiao and yuan % 10 == 0) or (not jiao and fen))
        words = amount_in_words(amount)
        if amount:
            assert words.count("零") == expected

    @settings(max_examples=300, deadline=None)
    @given(fen_amounts)
    def test_it_writes_a_negative_amount_as_fu_and_the_positive_amount(
        self, amount: Decimal
    ) -> None:
        if amount:
            assert amount_in_words(-amount) == "负" + amount_in_words(amount)
        else:
            assert amount_in_words(-amount) == "零元整"


class TestWordsToAmount:
    @settings(max_examples=500, deadline=None)
    @given(fen_amounts, st.booleans())
    @example(Decimal("0"), False)
    @example(Decimal("1010000000"), False)
    @example(Decimal("107000.53"), True)
    @example(MAX_AMOUNT_IN_WORDS, True)
    def test_it_reads_back_what_amount_in_words_writes(
        self, amount: Decimal, negative: bool
    ) -> None:
        value = -amount if negative else amount
        assert words_to_amount(amount_in_words(value)) == to_fen(value)

    @pytest.mark.parametrize(
        ("words", "amount"),
        [
            ("人民币壹仟陆佰捌拾元零叁角贰分", "1680.32"),
            ("壹仟陆佰捌拾元叁角贰分", "1680.32"),
            ("壹拾万零柒仟元伍角叁分", "107000.53"),
            ("壹拾万零柒仟元零伍角叁分", "107000.53"),
            ("壹元伍角", "1.50"),
            ("壹元伍角正", "1.50"),
            ("壹元正", "1.00"),
            ("壹元", "1.00"),
            ("零元整", "0.00"),
            ("零元伍角整", "0.50"),
            ("壹拾亿壹仟万元整", "1010000000.00"),
            ("壹 万 元 整", "10000.00"),
            ("负人民币伍分", "-0.05"),
            ("壹万零壹亿元整", "1000100000000.00"),
        ],
    )
    def test_it_reads_the_other_forms_the_rules_allow(self, words: str, amount: str) -> None:
        assert words_to_amount(words) == Decimal(amount)

    @pytest.mark.parametrize(
        "words",
        [
            "",
            "整",
            "元",
            "元整",
            "人民币",
            "负零元整",
            "壹元贰分整",
            "拾元整",
            "壹拾壹佰元整",
            "壹佰壹佰元整",
            "壹壹元整",
            "壹零拾元整",
            "万元整",
            "壹亿万元整",
            "壹万壹万元整",
            "壹亿壹亿元整",
            "壹元零",
            "壹元伍角伍角",
            "一元整",
            "1元整",
            "壹美元",
            "壹元整整",
            "伍角伍",
        ],
    )
    def test_it_refuses_text_it_cannot_read_unambiguously(self, words: str) -> None:
        with pytest.raises(ValidationError) as error:
            words_to_amount(words)
        assert error.value.code == "invalid"
        assert english_messages(error) == [
            f"“{words}” is not an amount written in Chinese capitals."
        ]
