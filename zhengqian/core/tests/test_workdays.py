from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengqian.core.workdays import (
    HolidayCalendar,
    UnknownCalendarYear,
    add_days,
    add_months,
    period_end,
    roll_to_working_day,
)

HOLIDAYS_CSV = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "holidays-cn.csv"
CALENDAR = HolidayCalendar.from_csv(HOLIDAYS_CSV)

# Starts late enough in 2026 would run into 2027, which the calendar rightly does not know.
starts = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 6, 30))
counts = st.integers(min_value=0, max_value=100)


def d(text: str) -> date:
    return date.fromisoformat(text)


def days(first: str, last: str) -> list[date]:
    start, end = d(first), d(last)
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


@cache
def reference_kinds() -> dict[str, str]:
    """Read straight from the shared file, sharing no code with the module under test."""
    kinds = {}
    for line in HOLIDAYS_CSV.read_text(encoding="utf-8").splitlines()[1:]:
        text, kind, _name = line.split(",", 2)
        kinds[text] = kind
    return kinds


def reference_is_working_day(day: date) -> bool:
    kind = reference_kinds().get(day.isoformat())
    if kind is not None:
        return kind == "workday"
    return day.weekday() < 5


def test_the_shared_holiday_file_sits_next_to_the_repository() -> None:
    repository = Path(__file__).resolve().parents[3]
    assert (repository / "pyproject.toml").is_file()
    assert HOLIDAYS_CSV.parent.parent.parent == repository.parent
    assert HOLIDAYS_CSV.is_file()


class TestTheCalendarOf2025And2026:
    def test_it_knows_exactly_the_years_in_the_file(self) -> None:
        assert CALENDAR.known_years == frozenset({2025, 2026})

    def test_it_reads_every_row_of_the_file(self) -> None:
        assert len(CALENDAR.holidays) + len(CALENDAR.workdays) == 72
        assert len(CALENDAR.workdays) == 11

    @pytest.mark.parametrize("day", days("2025-10-01", "2025-10-08"))
    def test_national_day_2025_is_eight_days_off(self, day: date) -> None:
        assert not CALENDAR.is_working_day(day)

    def test_the_sunday_before_national_day_2025_is_worked(self) -> None:
        assert d("2025-09-28").weekday() == 6
        assert CALENDAR.is_working_day(d("2025-09-28"))

    def test_the_saturday_after_national_day_2025_is_worked(self) -> None:
        assert d("2025-10-11").weekday() == 5
        assert CALENDAR.is_working_day(d("2025-10-11"))

    def test_an_ordinary_weekend_is_off_and_an_ordinary_weekday_is_worked(self) -> None:
        assert not CALENDAR.is_working_day(d("2025-10-18"))
        assert not CALENDAR.is_working_day(d("2025-10-19"))
        assert CALENDAR.is_working_day(d("2025-10-09"))
        assert CALENDAR.is_working_day(d("2025-10-20"))

    @pytest.mark.parametrize("day", days("2026-02-15", "2026-02-23"))
    def test_spring_festival_2026_is_nine_days_off(self, day: date) -> None:
        assert not CALENDAR.is_working_day(day)

    @pytest.mark.parametrize("day", ["2026-02-14", "2026-02-28"])
    def test_the_saturdays_around_spring_festival_2026_are_worked(self, day: str) -> None:
        assert d(day).weekday() == 5
        assert CALENDAR.is_working_day(d(day))

    @pytest.mark.parametrize(
        "day", ["2025-01-01", "2025-01-28", "2025-02-04", "2025-04-04", "2025-05-05", "2025-06-02",
                "2026-01-02", "2026-04-06", "2026-05-05", "2026-06-19", "2026-09-25", "2026-10-07"]
    )  # fmt: skip
    def test_other_statutory_holidays_are_off(self, day: str) -> None:
        assert not CALENDAR.is_working_day(d(day))

    @pytest.mark.parametrize(
        "day", ["2025-01-26", "2025-02-08", "2025-04-27", "2026-01-04", "2026-05-09", "2026-09-20",
                "2026-10-10"]
    )  # fmt: skip
    def test_other_exchanged_weekend_days_are_worked(self, day: str) -> None:
        assert d(day).weekday() >= 5
        assert CALENDAR.is_working_day(d(day))

    @pytest.mark.parametrize("year", [2025, 2026])
    def test_each_known_year_has_248_working_days(self, year: int) -> None:
        assert CALENDAR.working_days_between(date(year - 1, 12, 31), date(year, 12, 31)) == 248

    @pytest.mark.parametrize("day", [d("2024-12-31"), d("2027-01-01"), d("2027-01-04")])
    def test_it_refuses_to_guess_about_a_year_it_does_not_know(self, day: date) -> None:
        with pytest.raises(UnknownCalendarYear) as error:
            CALENDAR.is_working_day(day)
        assert error.value.year == day.year

    @settings(max_examples=300, deadline=None)
    @given(st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)))
    def test_it_agrees_with_the_file_read_directly_on_every_day(self, day: date) -> None:
        assert CALENDAR.is_working_day(day) == reference_is_working_day(day)


class TestAddWorkingDays:
    def test_it_returns_the_start_for_zero_days(self) -> None:
        assert CALENDAR.add_working_days(d("2025-10-01"), 0) == d("2025-10-01")
        assert CALENDAR.add_working_days(d("2030-01-01"), 0) == d("2030-01-01")

    def test_it_does_not_count_the_start(self) -> None:
        assert CALENDAR.add_working_days(d("2025-03-03"), 1) == d("2025-03-04")

    def test_it_skips_the_weekend(self) -> None:
        assert CALENDAR.add_working_days(d("2025-03-07"), 1) == d("2025-03-10")
        assert CALENDAR.add_working_days(d("2025-03-08"), 1) == d("2025-03-10")

    def test_it_counts_ten_working_days_across_national_day_2025(self) -> None:
        # 28 Sep (worked Sunday), 29, 30 Sep, 9, 10, 11 (worked Saturday), 13, 14, 15, 16 Oct.
        assert CALENDAR.add_working_days(d("2025-09-26"), 10) == d("2025-10-16")

    def test_it_lands_on_the_worked_sunday_before_national_day(self) -> None:
        assert CALENDAR.add_working_days(d("2025-09-26"), 1) == d("2025-09-28")

    def test_it_jumps_over_national_day_2025(self) -> None:
        assert CALENDAR.add_working_days(d("2025-09-30"), 1) == d("2025-10-09")
        assert CALENDAR.add_working_days(d("2025-10-03"), 1) == d("2025-10-09")

    def test_it_crosses_spring_festival_2026(self) -> None:
        assert CALENDAR.add_working_days(d("2026-02-13"), 1) == d("2026-02-14")
        assert CALENDAR.add_working_days(d("2026-02-13"), 2) == d("2026-02-24")
        assert CALENDAR.add_working_days(d("2026-02-24"), 4) == d("2026-02-28")
        assert CALENDAR.add_working_days(d("2026-02-24"), 5) == d("2026-03-02")

    def test_it_crosses_the_end_of_a_month_inside_spring_festival_2025(self) -> None:
        assert CALENDAR.add_working_days(d("2025-01-27"), 1) == d("2025-02-05")

    def test_it_crosses_into_the_next_known_year(self) -> None:
        assert CALENDAR.add_working_days(d("2025-12-31"), 1) == d("2026-01-04")

    def test_it_reaches_the_last_working_day_of_the_known_years(self) -> None:
        assert CALENDAR.add_working_days(d("2026-12-30"), 1) == d("2026-12-31")

    def test_it_refuses_to_run_into_an_unknown_year(self) -> None:
        with pytest.raises(UnknownCalendarYear) as error:
            CALENDAR.add_working_days(d("2026-12-30"), 2)
        assert error.value.year == 2027

    def test_it_starts_from_a_day_in_an_unknown_year_as_long_as_it_counts_known_days(
        self,
    ) -> None:
        assert CALENDAR.add_working_days(d("2024-12-31"), 1) == d("2025-01-02")

    def test_it_refuses_a_negative_count(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            CALENDAR.add_working_days(d("2025-03-03"), -1)

    @settings(max_examples=200, deadline=None)
    @given(starts, counts.filter(bool))
    def test_it_always_lands_on_a_working_day(self, start: date, n: int) -> None:
        assert CALENDAR.is_working_day(CALENDAR.add_working_days(start, n))

    @settings(max_examples=200, deadline=None)
    @given(starts, counts)
    def test_working_days_between_counts_back_the_same_number(self, start: date, n: int) -> None:
        assert CALENDAR.working_days_between(start, CALENDAR.add_working_days(start, n)) == n

    @settings(max_examples=100, deadline=None)
    @given(starts, st.integers(0, 50), st.integers(0, 50))
    def test_adding_in_two_steps_is_adding_once(self, start: date, a: int, b: int) -> None:
        in_two_steps = CALENDAR.add_working_days(CALENDAR.add_working_days(start, a), b)
        assert in_two_steps == CALENDAR.add_working_days(start, a + b)

    @settings(max_examples=100, deadline=None)
    @given(starts, counts.filter(bool))
    def test_it_returns_the_first_day_at_which_n_working_days_have_passed(
        self, start: date, n: int
    ) -> None:
        result = CALENDAR.add_working_days(start, n)
        assert CALENDAR.working_days_between(start, result - timedelta(days=1)) == n - 1


class TestWorkingDaysBetween:
    def test_it_counts_after_the_start_up_to_and_including_the_end(self) -> None:
        assert CALENDAR.working_days_between(d("2025-03-03"), d("2025-03-07")) == 4
        assert CALENDAR.working_days_between(d("2025-03-02"), d("2025-03-07")) == 5

    def test_it_is_zero_when_the_end_is_not_after_the_start(self) -> None:
        assert CALENDAR.working_days_between(d("2025-03-03"), d("2025-03-03")) == 0
        assert CALENDAR.working_days_between(d("2025-03-07"), d("2025-03-03")) == 0
        assert CALENDAR.working_days_between(d("2030-01-01"), d("2020-01-01")) == 0

    def test_it_counts_the_working_days_around_national_day_2025(self) -> None:
        assert CALENDAR.working_days_between(d("2025-09-26"), d("2025-10-16")) == 10
        assert CALENDAR.working_days_between(d("2025-09-30"), d("2025-10-08")) == 0

    def test_it_counts_the_working_days_around_spring_festival_2026(self) -> None:
        assert CALENDAR.working_days_between(d("2026-02-13"), d("2026-02-28")) == 6

    def test_it_refuses_a_range_that_reaches_an_unknown_year(self) -> None:
        with pytest.raises(UnknownCalendarYear) as error:
            CALENDAR.working_days_between(d("2026-12-25"), d("2027-01-01"))
        assert error.value.year == 2027
        with pytest.raises(UnknownCalendarYear):
            CALENDAR.working_days_between(d("2024-12-30"), d("2025-01-03"))

    @settings(max_examples=100, deadline=None)
    @given(starts, st.integers(0, 90), st.integers(0, 90))
    def test_it_adds_up_over_consecutive_ranges(self, start: date, a: int, b: int) -> None:
        middle = start + timedelta(days=a)
        end = middle + timedelta(days=b)
        assert CALENDAR.working_days_between(start, middle) + CALENDAR.working_days_between(
            middle, end
        ) == CALENDAR.working_days_between(start, end)


class TestAddDays:
    def test_it_adds_calendar_days_without_counting_the_start(self) -> None:
        assert add_days(d("2025-03-01"), 15) == d("2025-03-16")
        assert add_days(d("2025-12-25"), 10) == d("2026-01-04")
        assert add_days(d("2024-02-28"), 1) == d("2024-02-29")

    def test_it_returns_the_start_for_zero_days(self) -> None:
        assert add_days(d("2025-03-01"), 0) == d("2025-03-01")

    def test_it_counts_backwards_for_a_negative_number(self) -> None:
        assert add_days(d("2025-03-01"), -1) == d("2025-02-28")

    def test_it_needs_no_calendar_so_it_works_in_any_year(self) -> None:
        assert add_days(d("2030-12-31"), 1) == d("2031-01-01")


class TestPeriodEnd:
    def test_it_ends_n_days_after_the_start_without_a_calendar(self) -> None:
        assert period_end(d("2025-03-01"), 15) == d("2025-03-16")

    def test_it_ignores_rest_days_without_a_calendar(self) -> None:
        assert period_end(d("2025-09-16"), 15) == d("2025-10-01")
        assert period_end(d("2026-12-20"), 15) == d("2027-01-04")

    def test_it_keeps_an_end_on_a_working_day(self) -> None:
        assert period_end(d("2025-03-03"), 15, calendar=CALENDAR) == d("2025-03-18")

    def test_it_moves_an_end_on_a_weekend_to_the_monday(self) -> None:
        assert period_end(d("2025-03-01"), 15, calendar=CALENDAR) == d("2025-03-17")

    def test_it_moves_an_end_inside_national_day_to_the_first_day_back(self) -> None:
        assert period_end(d("2025-09-16"), 15, calendar=CALENDAR) == d("2025-10-09")

    def test_it_moves_an_end_inside_spring_festival_2026_to_the_first_day_back(self) -> None:
        assert period_end(d("2026-02-01"), 15, calendar=CALENDAR) == d("2026-02-24")

    def test_it_keeps_an_end_on_a_worked_sunday(self) -> None:
        assert period_end(d("2025-09-13"), 15, calendar=CALENDAR) == d("2025-09-28")

    def test_it_returns_the_start_for_zero_days_moved_like_any_end(self) -> None:
        assert period_end(d("2025-03-03"), 0) == d("2025-03-03")
        assert period_end(d("2025-10-01"), 0, calendar=CALENDAR) == d("2025-10-09")

    def test_it_refuses_to_guess_an_end_in_an_unknown_year(self) -> None:
        with pytest.raises(UnknownCalendarYear) as error:
            period_end(d("2026-12-20"), 15, calendar=CALENDAR)
        assert error.value.year == 2027

    def test_it_refuses_a_negative_period(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            period_end(d("2025-03-03"), -1)

    @settings(max_examples=200, deadline=None)
    @given(starts, st.integers(0, 180))
    def test_it_ends_on_the_first_working_day_not_before_the_plain_end(
        self, start: date, n: int
    ) -> None:
        plain = period_end(start, n)
        end = period_end(start, n, calendar=CALENDAR)
        assert plain == start + timedelta(days=n)
        assert end >= plain
        assert CALENDAR.is_working_day(end)
        assert not any(
            CALENDAR.is_working_day(plain + timedelta(days=offset))
            for offset in range((end - plain).days)
        )


class TestRollToWorkingDay:
    def test_it_keeps_a_working_day(self) -> None:
        assert roll_to_working_day(d("2025-09-28"), CALENDAR) == d("2025-09-28")

    def test_it_moves_a_rest_day_to_the_next_working_day(self) -> None:
        assert roll_to_working_day(d("2025-10-01"), CALENDAR) == d("2025-10-09")
        assert roll_to_working_day(d("2025-03-08"), CALENDAR) == d("2025-03-10")

    def test_it_refuses_to_move_into_an_unknown_year(self) -> None:
        with pytest.raises(UnknownCalendarYear):
            roll_to_working_day(d("2027-01-01"), CALENDAR)


class TestAddMonths:
    @pytest.mark.parametrize(
        ("start", "n", "expected"),
        [
            ("2025-03-15", 6, "2025-09-15"),
            ("2025-01-31", 1, "2025-02-28"),
            ("2024-01-31", 1, "2024-02-29"),
            ("2025-08-31", 6, "2026-02-28"),
            ("2025-03-31", 1, "2025-04-30"),
            ("2025-11-30", 3, "2026-02-28"),
            ("2025-12-15", 1, "2026-01-15"),
            ("2025-07-31", 6, "2026-01-31"),
            ("2024-02-29", 12, "2025-02-28"),
            ("2024-02-29", 48, "2028-02-29"),
            ("2025-03-15", 0, "2025-03-15"),
            ("2025-03-31", -1, "2025-02-28"),
            ("2026-01-15", -1, "2025-12-15"),
            ("2025-05-31", -18, "2023-11-30"),
        ],
    )
    def test_it_moves_to_the_same_day_or_the_month_end(
        self, start: str, n: int, expected: str
    ) -> None:
        assert add_months(d(start), n) == d(expected)

    @pytest.mark.parametrize(("start", "n"), [("9999-12-01", 1), ("0001-01-01", -1)])
    def test_it_refuses_results_outside_the_supported_years(self, start: str, n: int) -> None:
        with pytest.raises(ValueError, match="outside the supported years"):
            add_months(d(start), n)

    def test_it_reaches_the_limits_of_the_supported_years(self) -> None:
        assert add_months(d("9999-11-30"), 1) == d("9999-12-30")
        assert add_months(d("0001-02-28"), -1) == d("0001-01-28")

    @settings(max_examples=300, deadline=None)
    @given(
        st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
        st.integers(-1200, 1200),
    )
    def test_it_moves_exactly_n_months_and_keeps_the_day_when_it_can(
        self, start: date, n: int
    ) -> None:
        result = add_months(start, n)
        assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == n
        month_length = monthrange(result.year, result.month)[1]
        assert result.day == min(start.day, month_length)

    @settings(max_examples=200, deadline=None)
    @given(
        st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 28)).filter(
            lambda day: day.day <= 28
        ),
        st.integers(-600, 600),
        st.integers(-600, 600),
    )
    def test_it_composes_for_days_every_month_has(self, start: date, a: int, b: int) -> None:
        assert add_months(add_months(start, a), b) == add_months(start, a + b)


class TestBuildingACalendar:
    def test_it_knows_the_years_of_its_rows_by_default(self) -> None:
        calendar = HolidayCalendar.from_rows([(d("2030-01-01"), "holiday")])
        assert calendar.known_years == frozenset({2030})
        assert not calendar.is_working_day(d("2030-01-01"))
        assert calendar.is_working_day(d("2030-01-02"))

    def test_it_takes_the_known_years_when_given(self) -> None:
        calendar = HolidayCalendar.from_rows([], known_years=[2031])
        assert calendar.is_working_day(d("2031-01-01"))
        with pytest.raises(UnknownCalendarYear):
            calendar.is_working_day(d("2030-12-31"))

    def test_it_keeps_rows_of_a_year_not_yet_declared_known_without_using_them(self) -> None:
        calendar = HolidayCalendar.from_rows(
            [(d("2030-10-01"), "holiday"), (d("2031-01-01"), "holiday")], known_years=[2030]
        )
        assert not calendar.is_working_day(d("2030-10-01"))
        with pytest.raises(UnknownCalendarYear):
            calendar.is_working_day(d("2031-01-01"))

    def test_it_makes_a_listed_weekend_day_a_working_day(self) -> None:
        calendar = HolidayCalendar.from_rows([(d("2030-01-05"), "workday")])
        assert d("2030-01-05").weekday() == 5
        assert calendar.is_working_day(d("2030-01-05"))
        assert not calendar.is_working_day(d("2030-01-06"))

    def test_it_knows_no_year_without_rows_or_years(self) -> None:
        calendar = HolidayCalendar.from_rows([])
        with pytest.raises(UnknownCalendarYear):
            calendar.is_working_day(d("2025-01-02"))

    def test_it_refuses_an_unknown_kind(self) -> None:
        with pytest.raises(ValidationError) as error:
            HolidayCalendar.from_rows([(d("2030-01-01"), "festival")])
        assert error.value.code == "kind"
        with translation.override("en"):
            assert error.value.messages == [
                "2030-01-01 has the kind “festival”; expected “holiday” or “workday”."
            ]

    def test_it_refuses_a_day_that_is_both_a_holiday_and_a_working_day(self) -> None:
        with pytest.raises(ValidationError) as error:
            HolidayCalendar.from_rows([(d("2030-01-05"), "holiday"), (d("2030-01-05"), "workday")])
        assert error.value.code == "conflict"
        with translation.override("en"):
            assert error.value.messages == [
                "2030-01-05 cannot be both a holiday and a working day."
            ]

    def test_it_refuses_a_weekday_listed_as_a_working_day_in_exchange(self) -> None:
        with pytest.raises(ValidationError) as error:
            HolidayCalendar.from_rows([(d("2030-01-07"), "workday")])
        assert error.value.code == "weekday_workday"
        with translation.override("en"):
            assert error.value.messages == [
                "2030-01-07 is a weekday; only a Saturday or a Sunday can be listed as a "
                "working day in exchange for a holiday."
            ]

    def test_it_refuses_the_same_mistakes_when_built_directly(self) -> None:
        with pytest.raises(ValidationError):
            HolidayCalendar(
                holidays=frozenset({d("2030-01-05")}),
                workdays=frozenset({d("2030-01-05")}),
                known_years=frozenset({2030}),
            )

    def test_it_is_immutable(self) -> None:
        with pytest.raises(AttributeError):
            CALENDAR.known_years = frozenset()  # type: ignore[misc]

    def test_it_reads_a_csv_with_a_byte_order_mark_and_ignores_names(self, tmp_path: Path) -> None:
        path = tmp_path / "holidays.csv"
        path.write_text(
            "\ufeffdate,kind,name\n2030-01-01,holiday,元旦\n\n2030-01-05, workday ,调休上班\n",
            encoding="utf-8",
        )
        calendar = HolidayCalendar.from_csv(path)
        assert calendar.holidays == frozenset({d("2030-01-01")})
        assert calendar.workdays == frozenset({d("2030-01-05")})
        assert calendar.known_years == frozenset({2030})

    def test_it_reads_a_csv_path_given_as_a_string_with_known_years(self, tmp_path: Path) -> None:
        path = tmp_path / "holidays.csv"
        path.write_text("date,kind\n2030-01-01,holiday\n", encoding="utf-8")
        calendar = HolidayCalendar.from_csv(str(path), known_years=[2030, 2031])
        assert calendar.known_years == frozenset({2030, 2031})

    def test_it_names_the_line_of_a_date_it_cannot_read(self, tmp_path: Path) -> None:
        path = tmp_path / "holidays.csv"
        path.write_text(
            "date,kind,name\n2030-01-01,holiday,元旦\n2030/01/02,holiday,元旦\n", encoding="utf-8"
        )
        with pytest.raises(ValidationError) as error:
            HolidayCalendar.from_csv(path)
        assert error.value.code == "date"
        with translation.override("en"):
            assert error.value.messages == [
                "Line 3: “2030/01/02” is not a date written as YYYY-MM-DD."
            ]

    @pytest.mark.parametrize("header", ["day,kind,name", "date,type,name", ""])
    def test_it_refuses_a_csv_without_the_date_and_kind_columns(
        self, tmp_path: Path, header: str
    ) -> None:
        path = tmp_path / "holidays.csv"
        path.write_text(f"{header}\n", encoding="utf-8")
        with pytest.raises(ValidationError) as error:
            HolidayCalendar.from_csv(path)
        assert error.value.code == "columns"

    def test_it_refuses_a_row_with_a_missing_kind(self, tmp_path: Path) -> None:
        path = tmp_path / "holidays.csv"
        path.write_text("date,kind,name\n2030-01-01\n", encoding="utf-8")
        with pytest.raises(ValidationError) as error:
            HolidayCalendar.from_csv(path)
        assert error.value.code == "kind"


class TestUnknownCalendarYear:
    def test_it_carries_the_year(self) -> None:
        assert UnknownCalendarYear(2027).year == 2027

    def test_it_tells_an_administrator_what_to_do(self) -> None:
        with translation.override("en"):
            assert str(UnknownCalendarYear(2027)) == (
                "The holiday calendar has no data for 2027; an administrator must add that "
                "year's holidays."
            )
            assert UnknownCalendarYear(2027).message == str(UnknownCalendarYear(2027))
