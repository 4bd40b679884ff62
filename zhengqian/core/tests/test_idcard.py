from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zhengqian.core.idcard import (
    PROVINCE_CODES,
    IdNumber,
    check_digit,
    is_valid_id_number,
    make_id_number,
    parse_id_number,
)

TODAY = date(2025, 6, 15)
# The worked example of GB 11643-1999: a woman born 1949-12-31 in Chaoyang, Beijing.
STANDARD_EXAMPLE = "11010519491231002X"


def rejection(raw: str, *, today: date = TODAY) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        parse_id_number(raw, today=today)
    return error.value


def english(error: ValidationError) -> str:
    with translation.override("en"):
        (message,) = error.messages
    return message


region_codes = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


class TestCheckDigit:
    def test_it_computes_the_check_digit_of_the_standard_example(self) -> None:
        assert check_digit(STANDARD_EXAMPLE[:17]) == "X"

    @pytest.mark.parametrize(
        ("first17", "expected"),
        [
            ("44052418800101001", "4"),
            ("11010119900307803", "X"),
            ("33010219900101123", "4"),
            ("00000000000000000", "1"),
            ("99999999999999999", "3"),
        ],
    )
    def test_it_uses_mod_11_2_weights(self, first17: str, expected: str) -> None:
        weights = [2 ** (17 - index) % 11 for index in range(17)]
        assert weights == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        total = sum(int(digit) * weight for digit, weight in zip(first17, weights, strict=True))
        assert "10X98765432"[total % 11] == expected
        assert check_digit(first17) == expected

    @pytest.mark.parametrize(
        "first17", ["", "1234567890123456", "123456789012345678", "1101051949123100X", "１" * 17]
    )
    def test_it_refuses_anything_but_17_ascii_digits(self, first17: str) -> None:
        with pytest.raises(ValueError, match="17 digits"):
            check_digit(first17)

    @settings(max_examples=200, deadline=None)
    @given(st.from_regex(r"[0-9]{17}", fullmatch=True))
    def test_it_makes_the_weighted_sum_one_modulo_eleven(self, first17: str) -> None:
        # ISO 7064 MOD 11-2: with X worth 10 and the check character weighted 1, the sum of all
        # 18 is congruent to 1 modulo 11.
        weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        character = check_digit(first17)
        value = 10 if character == "X" else int(character)
        total = sum(int(d) * w for d, w in zip(first17, weights, strict=True)) + value
        assert total % 11 == 1


class TestParseIdNumber:
    def test_it_parses_the_standard_example(self) -> None:
        parsed = parse_id_number(STANDARD_EXAMPLE, today=TODAY)
        assert parsed == IdNumber(
            number=STANDARD_EXAMPLE,
            region_code="110105",
            birth_date=date(1949, 12, 31),
            sex="F",
        )

    def test_it_reads_an_odd_seventeenth_digit_as_a_man(self) -> None:
        number = make_id_number("330102", date(1990, 1, 1), 123)
        assert parse_id_number(number, today=TODAY).sex == "M"

    def test_it_reads_an_even_seventeenth_digit_as_a_woman(self) -> None:
        number = make_id_number("330102", date(1990, 1, 1), 120)
        assert parse_id_number(number, today=TODAY).sex == "F"

    @pytest.mark.parametrize(
        "raw",
        [
            "11010519491231002x",
            " 11010519491231002X ",
            "110105 19491231 002X",
            "110105\u300019491231\u3000002x",
            "１１０１０５１９４９１２３１００２Ｘ",
            "１１０１０５１９４９１２３１００２ｘ",
            "\t110105194912310 02X\n",
        ],
    )
    def test_it_ignores_spaces_case_and_full_width_characters(self, raw: str) -> None:
        assert parse_id_number(raw, today=TODAY).number == STANDARD_EXAMPLE

    def test_it_converts_an_old_15_digit_number_to_18_characters(self) -> None:
        parsed = parse_id_number("110105491231002", today=TODAY)
        assert parsed.number == STANDARD_EXAMPLE
        assert parsed.birth_date == date(1949, 12, 31)
        assert parsed.region_code == "110105"
        assert parsed.sex == "F"

    def test_it_reads_the_sex_of_an_old_number_from_its_last_digit(self) -> None:
        assert parse_id_number("330102800101123", today=TODAY).sex == "M"

    @pytest.mark.parametrize("raw", ["", "1", "11010519491231002", "11010519491231002X1", "1" * 16])
    def test_it_refuses_a_number_of_the_wrong_length(self, raw: str) -> None:
        error = rejection(raw)
        assert error.code == "length"
        assert english(error) == (
            f"An ID number has 18 characters (or 15 for the old form); this one has {len(raw)}."
        )

    @pytest.mark.parametrize(
        "raw",
        [
            "1101051949123100XX",
            "X10105194912310021",
            "11010519491231002Y",
            "1101051949-231002X",
            "11010519491231002*",
            "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",
        ],
    )
    def test_it_refuses_characters_other_than_digits_and_a_final_x(self, raw: str) -> None:
        error = rejection(raw)
        assert error.code == "characters"
        assert english(error) == "An ID number has 17 digits followed by a digit or the letter X."

    @pytest.mark.parametrize("raw", ["11010549123100X", "11010549123100A", "1101054912-1002"])
    def test_it_refuses_letters_in_an_old_number(self, raw: str) -> None:
        error = rejection(raw)
        assert error.code == "characters"
        assert english(error) == "An ID number of the old 15-character form has digits only."

    @pytest.mark.parametrize("province", ["00", "10", "16", "20", "24", "30", "38", "40", "47",
                                          "49", "55", "60", "66", "70", "72", "80", "84", "90",
                                          "91", "99"])  # fmt: skip
    def test_it_refuses_a_number_that_does_not_start_with_a_province(self, province: str) -> None:
        first17 = f"{province}0105" + "19491231002"
        error = rejection(first17 + check_digit(first17))
        assert error.code == "region"
        assert english(error) == (
            f"The ID number starts with {province}, which is not a province code."
        )

    def test_it_refuses_an_old_number_that_does_not_start_with_a_province(self) -> None:
        assert rejection("990105491231002").code == "region"

    @pytest.mark.parametrize(
        "province",
        ["11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65", "71", "81", "82",
         "83"],
    )  # fmt: skip
    def test_it_accepts_every_province_of_gb_t_2260(self, province: str) -> None:
        number = make_id_number(f"{province}0101", date(1980, 5, 17), 42)
        assert is_valid_id_number(number, today=TODAY)

    def test_it_knows_exactly_the_province_codes_of_gb_t_2260(self) -> None:
        expected = {
            *map(str, range(11, 16)),
            *map(str, range(21, 24)),
            *map(str, range(31, 38)),
            *map(str, range(41, 47)),
            *map(str, range(50, 55)),
            *map(str, range(61, 66)),
            "71",
            "81",
            "82",
            "83",
        }
        assert expected == PROVINCE_CODES

    @pytest.mark.parametrize(
        ("digits", "shown"),
        [
            ("19490231", "19490231"),
            ("20250229", "20250229"),
            ("19901301", "19901301"),
            ("19900001", "19900001"),
            ("19900100", "19900100"),
            ("19000229", "19000229"),
            ("00000000", "00000000"),
        ],
    )
    def test_it_refuses_a_birth_date_that_is_not_a_real_date(self, digits: str, shown: str) -> None:
        first17 = f"110105{digits}002"
        error = rejection(first17 + check_digit(first17))
        assert error.code == "birth_date"
        assert english(error) == f"The birth date in the ID number, {shown}, is not a real date."

    def test_it_accepts_29_february_of_a_leap_year(self) -> None:
        number = make_id_number("110105", date(2000, 2, 29), 1)
        assert parse_id_number(number, today=TODAY).birth_date == date(2000, 2, 29)

    def test_it_refuses_a_birth_date_before_1900(self) -> None:
        error = rejection("440524188001010014")
        assert error.code == "birth_date"
        assert english(error) == "The birth date in the ID number, 1880-01-01, is before 1900."

    def test_it_accepts_a_birth_date_on_the_first_day_of_1900(self) -> None:
        assert is_valid_id_number(make_id_number("110105", date(1900, 1, 1), 1), today=TODAY)

    def test_it_refuses_a_birth_date_after_today(self) -> None:
        error = rejection(make_id_number("110105", date(2025, 6, 16), 1))
        assert error.code == "birth_date"
        assert english(error) == "The birth date in the ID number, 2025-06-16, is in the future."

    def test_it_accepts_a_birth_date_of_today(self) -> None:
        number = make_id_number("110105", TODAY, 1)
        assert parse_id_number(number, today=TODAY).birth_date == TODAY

    def test_it_uses_the_current_date_in_china_when_no_today_is_given(self) -> None:
        assert is_valid_id_number(make_id_number("110105", date(1990, 1, 1), 1))
        assert not is_valid_id_number(make_id_number("110105", date(9999, 12, 31), 1))

    def test_it_refuses_a_wrong_check_digit_and_names_the_expected_one(self) -> None:
        error = rejection("110105194912310021")
        assert error.code == "check_digit"
        assert english(error) == (
            "The last character of the ID number should be X, not 1; "
            "a digit may have been mistyped."
        )

    def test_it_refuses_a_digit_where_x_is_expected_and_the_reverse(self) -> None:
        number = make_id_number("330102", date(1990, 1, 1), 123)
        wrong = "X" if number[-1] != "X" else "0"
        assert rejection(number[:17] + wrong).code == "check_digit"

    def test_it_checks_length_before_characters(self) -> None:
        assert rejection("ABC").code == "length"

    def test_it_checks_characters_before_region(self) -> None:
        assert rejection("00010519491231002Y").code == "characters"

    def test_it_checks_region_before_birth_date(self) -> None:
        first17 = "00010519491331002"
        assert rejection(first17 + check_digit(first17)).code == "region"

    def test_it_checks_birth_date_before_the_check_digit(self) -> None:
        assert rejection("110105194913310021").code == "birth_date"

    @settings(max_examples=200, deadline=None)
    @given(region_codes, birth_dates, sequences)
    def test_it_parses_every_number_make_id_number_builds(
        self, region_code: str, birth_date: date, sequence: int
    ) -> None:
        number = make_id_number(region_code, birth_date, sequence)
        parsed = parse_id_number(number, today=TODAY)
        assert parsed.number == number
        assert parsed.region_code == region_code
        assert parsed.birth_date == birth_date
        assert parsed.sex == ("M" if sequence % 2 else "F")
        assert parse_id_number(number.lower(), today=TODAY) == parsed

    @settings(max_examples=200, deadline=None)
    @given(region_codes, st.dates(date(1900, 1, 1), date(1999, 12, 31)), sequences)
    def test_it_reads_an_old_number_as_its_18_character_form(
        self, region_code: str, birth_date: date, sequence: int
    ) -> None:
        old = f"{region_code}{birth_date:%y%m%d}{sequence:03d}"
        assert parse_id_number(old, today=TODAY).number == make_id_number(
            region_code, birth_date, sequence
        )

    @settings(max_examples=300, deadline=None)
    @given(region_codes, birth_dates, sequences, st.integers(0, 17), st.sampled_from("0123456789X"))
    def test_it_refuses_any_single_mistyped_character(
        self, region_code: str, birth_date: date, sequence: int, index: int, replacement: str
    ) -> None:
        number = make_id_number(region_code, birth_date, sequence)
        assume(number[index] != replacement)
        mistyped = number[:index] + replacement + number[index + 1 :]
        assert not is_valid_id_number(mistyped, today=TODAY)

    @settings(max_examples=300, deadline=None)
    @given(region_codes, birth_dates, sequences, st.integers(0, 15))
    def test_it_refuses_any_two_swapped_neighbouring_digits(
        self, region_code: str, birth_date: date, sequence: int, index: int
    ) -> None:
        number = make_id_number(region_code, birth_date, sequence)
        assume(number[index] != number[index + 1])
        swapped = number[:index] + number[index + 1] + number[index] + number[index + 2 :]
        assert not is_valid_id_number(swapped, today=TODAY)

    @settings(max_examples=200, deadline=None)
    @given(st.text(max_size=25))
    def test_it_either_parses_or_raises_a_validation_error_for_any_text(self, raw: str) -> None:
        try:
            parsed = parse_id_number(raw, today=TODAY)
        except ValidationError as error:
            assert error.code in {"length", "characters", "region", "birth_date", "check_digit"}
        else:
            assert len(parsed.number) == 18
            assert is_valid_id_number(parsed.number, today=TODAY)


class TestAge:
    PERSON = IdNumber(
        number="110105199006150011",
        region_code="110105",
        birth_date=date(1990, 6, 15),
        sex="M",
    )
    LEAPLING = IdNumber(
        number="110105200002290011",
        region_code="110105",
        birth_date=date(2000, 2, 29),
        sex="M",
    )

    def test_it_counts_completed_years(self) -> None:
        assert self.PERSON.age_on(date(2025, 6, 14)) == 34

    def test_it_counts_the_birthday_as_reached(self) -> None:
        assert self.PERSON.age_on(date(2025, 6, 15)) == 35

    def test_it_is_zero_on_the_day_of_birth(self) -> None:
        assert self.PERSON.age_on(date(1990, 6, 15)) == 0

    def test_it_makes_someone_born_on_29_february_older_on_1_march_in_common_years(self) -> None:
        assert self.LEAPLING.age_on(date(2025, 2, 28)) == 24
        assert self.LEAPLING.age_on(date(2025, 3, 1)) == 25
        assert self.LEAPLING.age_on(date(2024, 2, 29)) == 24

    def test_it_refuses_a_day_before_the_birth(self) -> None:
        with pytest.raises(ValueError, match="before the birth date"):
            self.PERSON.age_on(date(1990, 6, 14))

    @settings(max_examples=200, deadline=None)
    @given(birth_dates, st.integers(min_value=0, max_value=120))
    def test_it_is_n_on_the_nth_birthday_and_n_minus_one_the_day_before(
        self, birth_date: date, years: int
    ) -> None:
        person = IdNumber("x", "110105", birth_date, "F")
        assume(not (birth_date.month == 2 and birth_date.day == 29))
        birthday = birth_date.replace(year=birth_date.year + years)
        assert person.age_on(birthday) == years
        if years:
            assert person.age_on(date.fromordinal(birthday.toordinal() - 1)) == years - 1


class TestMakeIdNumber:
    def test_it_builds_the_standard_example(self) -> None:
        assert make_id_number("110105", date(1949, 12, 31), 2) == STANDARD_EXAMPLE

    def test_it_pads_the_sequence_to_three_digits(self) -> None:
        assert make_id_number("330102", date(1990, 1, 1), 7)[14:17] == "007"
        assert make_id_number("330102", date(1990, 1, 1), 0)[14:17] == "000"
        assert make_id_number("330102", date(1990, 1, 1), 999)[14:17] == "999"

    @pytest.mark.parametrize("sequence", [-1, 1000, 12345])
    def test_it_refuses_a_sequence_outside_0_to_999(self, sequence: int) -> None:
        with pytest.raises(ValueError, match="Sequence"):
            make_id_number("330102", date(1990, 1, 1), sequence)

    @pytest.mark.parametrize("region_code", ["", "33010", "3301021", "33010A", "990102", "000000"])
    def test_it_refuses_a_region_code_that_is_not_6_digits_of_a_province(
        self, region_code: str
    ) -> None:
        with pytest.raises(ValueError, match="region code"):
            make_id_number(region_code, date(1990, 1, 1), 1)

    def test_it_refuses_a_birth_date_before_1900(self) -> None:
        with pytest.raises(ValueError, match="before 1900"):
            make_id_number("330102", date(1899, 12, 31), 1)
