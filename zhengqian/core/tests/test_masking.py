from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengqian.core.masking import mask_bank_account, mask_id_number, mask_name, mask_phone

MASKERS = [mask_id_number, mask_name, mask_phone, mask_bank_account]

digits = st.text(alphabet="0123456789", min_size=1, max_size=30)


@pytest.mark.parametrize("mask", MASKERS)
@pytest.mark.parametrize("empty", [None, "", "   ", "\u3000"])
def test_it_gives_an_empty_string_for_an_empty_value(
    mask: Callable[[str | None], str], empty: str | None
) -> None:
    assert mask(empty) == ""


class TestMaskIdNumber:
    def test_it_shows_the_first_four_and_last_four_characters(self) -> None:
        assert mask_id_number("330102199001011234") == "3301**********1234"

    def test_it_keeps_a_final_x(self) -> None:
        assert mask_id_number("11010519491231002X") == "1101**********002X"

    def test_it_masks_an_old_15_digit_number_the_same_way(self) -> None:
        assert mask_id_number("110105491231002") == "1101*******1002"

    def test_it_drops_spaces_before_masking(self) -> None:
        assert mask_id_number(" 330102 19900101 1234 ") == "3301**********1234"

    @pytest.mark.parametrize(
        ("value", "masked"),
        [
            ("123456789012", "1234****9012"),
            ("12345678901", "123*****901"),
            ("1234567890", "123****890"),
            ("12345678", "12****78"),
            ("1234567", "1*****7"),
            ("123456", "1****6"),
            ("12345", "*****"),
            ("1234", "****"),
            ("1", "*"),
        ],
    )
    def test_it_shows_fewer_characters_of_a_short_value_to_hide_at_least_four(
        self, value: str, masked: str
    ) -> None:
        assert mask_id_number(value) == masked

    @settings(max_examples=200, deadline=None)
    @given(st.text(alphabet="0123456789X", min_size=1, max_size=30))
    def test_it_keeps_the_length_and_hides_all_but_at_most_eight(self, value: str) -> None:
        masked = mask_id_number(value)
        assert len(masked) == len(value)
        hidden = [index for index, char in enumerate(masked) if char == "*"]
        assert len(hidden) >= min(4, len(value))
        assert len(value) - len(hidden) <= 8
        # One contiguous hidden block in the middle, with the same number shown on each side.
        assert hidden == list(range(hidden[0], hidden[-1] + 1))
        head, tail = hidden[0], len(value) - 1 - hidden[-1]
        assert head == tail <= 4
        assert masked[:head] == value[:head]
        assert masked[len(value) - tail :] == value[len(value) - tail :]


class TestMaskName:
    @pytest.mark.parametrize(
        ("name", "masked"),
        [
            ("张三丰", "张*丰"),
            ("张三", "张*"),
            ("欧阳娜娜", "欧**娜"),
            ("司马相如", "司**如"),
            ("爱新觉罗·溥仪", "爱*****仪"),
            ("John Smith", "J********h"),
        ],
    )
    def test_it_shows_the_first_and_last_character_of_longer_names(
        self, name: str, masked: str
    ) -> None:
        assert mask_name(name) == masked

    def test_it_shows_only_the_surname_of_a_two_character_name(self) -> None:
        assert mask_name("李四") == "李*"

    def test_it_hides_a_one_character_name_entirely(self) -> None:
        assert mask_name("王") == "*"

    def test_it_drops_surrounding_spaces(self) -> None:
        assert mask_name("  张三丰 ") == "张*丰"

    @settings(max_examples=200, deadline=None)
    @given(st.text(alphabet=st.characters(categories=["Lo"]), min_size=1, max_size=12))
    def test_it_keeps_the_length_and_never_shows_more_than_two_characters(self, name: str) -> None:
        masked = mask_name(name)
        assert len(masked) == len(name)
        assert masked.count("*") >= max(1, len(name) - 2)
        if len(name) >= 2:
            assert masked[0] == name[0]


class TestMaskPhone:
    def test_it_shows_the_first_three_and_last_four_digits_of_a_mobile_number(self) -> None:
        assert mask_phone("13812345678") == "138****5678"

    @pytest.mark.parametrize("value", ["138 1234 5678", "138-1234-5678", " 13812345678\n"])
    def test_it_drops_spaces_and_hyphens(self, value: str) -> None:
        assert mask_phone(value) == "138****5678"

    def test_it_masks_a_landline_with_area_code(self) -> None:
        assert mask_phone("0571-87654321") == "057*****4321"

    def test_it_masks_an_international_form_without_showing_more(self) -> None:
        assert mask_phone("+8613812345678") == "+86*******5678"

    @pytest.mark.parametrize(
        ("value", "masked"),
        [("87654321", "87****21"), ("12345", "*****"), ("1234567890", "123****890")],
    )
    def test_it_shows_fewer_digits_of_a_short_number(self, value: str, masked: str) -> None:
        assert mask_phone(value) == masked

    @settings(max_examples=200, deadline=None)
    @given(digits)
    def test_it_never_shows_more_than_seven_digits(self, value: str) -> None:
        masked = mask_phone(value)
        assert len(masked) == len(value)
        assert len(masked) - masked.count("*") <= 7
        assert masked.count("*") >= min(4, len(value))


class TestMaskBankAccount:
    def test_it_shows_the_first_four_and_last_four_digits_in_groups(self) -> None:
        assert mask_bank_account("6222021234567890123") == "6222 **** **** 0123"

    def test_it_hides_the_length_of_the_account(self) -> None:
        assert mask_bank_account("6222021234567890") == "6222 **** **** 7890"
        assert mask_bank_account("622202123456789012345") == "6222 **** **** 2345"

    @pytest.mark.parametrize(
        "value", ["6222 0212 3456 7890 123", "6222-0212-3456-7890-123", " 6222021234567890123 "]
    )
    def test_it_drops_spaces_and_hyphens(self, value: str) -> None:
        assert mask_bank_account(value) == "6222 **** **** 0123"

    @pytest.mark.parametrize(
        ("value", "masked"),
        [
            ("123456789012", "1234 **** **** 9012"),
            ("12345678", "12 **** **** 78"),
            ("123456", "1 **** **** 6"),
            ("12345", "**** ****"),
            ("1", "**** ****"),
        ],
    )
    def test_it_shows_fewer_digits_of_a_short_account(self, value: str, masked: str) -> None:
        assert mask_bank_account(value) == masked

    @settings(max_examples=200, deadline=None)
    @given(digits)
    def test_it_always_has_two_groups_of_four_stars_and_at_most_four_digits_each_side(
        self, value: str
    ) -> None:
        masked = mask_bank_account(value)
        match = re.fullmatch(r"(?:([0-9]{1,4}) )?\*{4} \*{4}(?: ([0-9]{1,4}))?", masked)
        assert match is not None
        head, tail = match.group(1) or "", match.group(2) or ""
        assert value.startswith(head)
        assert value.endswith(tail)
        assert len(value) - len(head) - len(tail) >= min(4, len(value))
