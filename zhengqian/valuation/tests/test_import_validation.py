"""The check of a valuation workbook: each rule of valuation_save, reported at its sheet, row and
column, and a household with any fault skipped as a whole while the others go on."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from openpyxl import Workbook

from zhengqian.accounts.permissions import forget
from zhengqian.accounts.roles import RoleCode
from zhengqian.ownership.tests.conftest import make_household
from zhengqian.projects.models import Milestone
from zhengqian.survey.models import Ancillary, Household, HouseholdKind
from zhengqian.testing.factories import grant
from zhengqian.valuation import excel, imports, services
from zhengqian.valuation.excel import ANCILLARIES, BUILDINGS, DECORATIONS, HOUSEHOLDS
from zhengqian.valuation.models import Valuation, ValuationStatus
from zhengqian.valuation.tests.conftest import DECISION_DAY, enter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    """The messages are compared in English, the language of their msgids."""
    with translation.override("en"):
        yield


# --- Building workbooks ------------------------------------------------------------------


def household(code: str = "H-001", **values: Any) -> list[Any]:
    row = {"household": code, "report_no": f"PG-{code}", "valuation_date": DECISION_DAY}
    row.update(values)
    return HOUSEHOLDS.row(row)


def building(
    code: str = "H-001",
    number: str = "1",
    area: Any = "96.00",
    price: Any = "12000.00",
    value: Any = None,
    **values: Any,
) -> list[Any]:
    if value is None:
        value = Decimal(area) * Decimal(price)
    row = {
        "household": code,
        "building": number,
        "area": _number(area),
        "unit_price": _number(price),
        "value": _number(value),
    }
    row.update(values)
    return BUILDINGS.row(row)


def decoration(
    code: str = "H-001", description: Any = "厨房整体橱柜", amount: Any = "8000.00", **values: Any
) -> list[Any]:
    row = {"household": code, "description": description, "amount": _number(amount)}
    row.update(values)
    return DECORATIONS.row(row)


def ancillary(
    ancillary_id: int,
    code: str = "H-001",
    quantity: Any = "12.50",
    price: Any = "100.00",
    value: Any = None,
) -> list[Any]:
    if value is None:
        value = Decimal(quantity) * Decimal(price)
    return ANCILLARIES.row(
        {
            "household": code,
            "ancillary": ancillary_id,
            "quantity": _number(quantity),
            "unit_price": _number(price),
            "value": _number(value),
        }
    )


def _number(value: Any) -> Any:
    return Decimal(value) if isinstance(value, str) and value[:1].isdigit() else value


def workbook(
    households: list[list[Any]],
    buildings: list[list[Any]] = (),  # type: ignore[assignment]
    decorations: list[list[Any]] = (),  # type: ignore[assignment]
    ancillaries: list[list[Any]] = (),  # type: ignore[assignment]
) -> io.BytesIO:
    out = io.BytesIO()
    excel.write_workbook(
        out,
        rows={
            HOUSEHOLDS.key: households,
            BUILDINGS.key: buildings,
            DECORATIONS.key: decorations,
            ANCILLARIES.key: ancillaries,
        },
        firm="宁波甬信房地产估价有限公司",
        decision_date=None,
    )
    out.seek(0)
    return out


def wall(h: Household) -> int:
    return int(Ancillary.objects.filter(household=h).values_list("pk", flat=True).get())


def complete(h: Household, **header: Any) -> io.BytesIO:
    """A valid workbook for one household of the fixture: its two buildings, one decoration
    item, its wall."""
    return workbook(
        [household(h.code, **header)],
        [building(h.code, "1", "96.00"), building(h.code, "2", "40.00")],
        [decoration(h.code)],
        [ancillary(wall(h), h.code)],
    )


def check(chosen: Any, content: io.BytesIO, actor: Any = None) -> imports.Report:
    return imports.validate_upload(
        actor=actor or chosen.valuer, project=chosen.project, upload=content
    )


def faults(report: imports.Report) -> list[tuple[str, int | None, str, str]]:
    return [(p.sheet, p.row, p.column, p.message) for p in report.problems]


def second_household(chosen: Any, code: str = "H-002") -> Household:
    h = make_household(chosen.project, code=code, work_group=chosen.world.group)
    Ancillary.objects.create(
        household=h, kind="well", description="水井", quantity=Decimal("1"), unit="口"
    )
    return h


# --- A valid file ------------------------------------------------------------------------


class TestAValidFile:
    def test_it_has_no_fault_and_would_write_the_household(self, chosen: Any) -> None:
        report = check(chosen, complete(chosen.household))
        assert report.problems == []
        assert [d.code for d in report.kept] == ["H-001"]
        assert report.summary()["valid"] == {
            "households": 1,
            "buildings": 2,
            "decorations": 1,
            "ancillaries": 1,
        }

    def test_a_household_left_empty_is_left_alone_without_a_fault(self, chosen: Any) -> None:
        second_household(chosen)
        content = workbook(
            [household("H-001"), HOUSEHOLDS.row({"household": "H-002", "kind": "住宅"})],
            [
                building("H-001", "1", "96.00"),
                building("H-001", "2", "40.00"),
                BUILDINGS.row({"household": "H-002", "building": "1"}),
            ],
            [],
            [ancillary(wall(chosen.household)), ANCILLARIES.row({"household": "H-002"})],
        )
        report = check(chosen, content)
        assert report.problems == []
        assert [d.code for d in report.kept] == ["H-001"] and report.blank == 1

    def test_the_cells_are_read_as_excel_gives_them(self, chosen: Any) -> None:
        """Numbers as floats or text, the date as text, codes typed as numbers."""
        h = chosen.household
        content = workbook(
            [household(h.code, valuation_date="2026-03-02", report_no=2026001)],
            [
                building(h.code, "1", 96.0, 12000.0, 1152000.0),
                building(h.code, 2, "40", "12000", "480000"),
            ],
            [],
            [ancillary(wall(h), h.code, 12.5, 100, 1250)],
        )
        report = check(chosen, content)
        assert report.problems == []
        assert report.kept[0].plan is not None
        assert report.kept[0].plan.header["report_no"] == "2026001"


# --- Each rule, at its cell --------------------------------------------------------------


class TestFigures:
    def test_a_value_that_is_not_quantity_times_price_gives_the_exact_figures(
        self, chosen: Any
    ) -> None:
        h = chosen.household
        content = workbook(
            [household(h.code)],
            [building(h.code, "1", "96.00", "12000.00", "1152000.01"), building(h.code, "2", "40")],
            [],
            [ancillary(wall(h), h.code, "12.50", "100.00", "1250.10")],
        )
        assert faults(check(chosen, content)) == [
            (
                "房屋评估",
                2,
                "评估价值",
                "96.00 m² × 12,000.00 = 1,152,000.00, not 1,152,000.01 (difference +0.01).",
            ),
            (
                "附属物评估",
                2,
                "评估价值",
                "12.50 m × 100.00 = 1,250.00, not 1,250.10 (difference +0.10).",
            ),
        ]

    def test_the_value_is_rounded_half_up_to_the_fen(self, chosen: Any) -> None:
        h = chosen.household
        content = workbook(
            [household(h.code)],
            [building(h.code, "1", "96.05", "12000.55", "1152652.83"), building(h.code, "2", "40")],
            [],
            [ancillary(wall(h), h.code)],
        )
        assert check(chosen, content).problems == []

    @pytest.mark.parametrize(
        ("column", "value", "message"),
        [
            ("area", Decimal("-1"), "This cannot be negative."),
            ("area", Decimal("96.001"), "At most two decimals (to the fen)."),
            ("unit_price", "abc", "Enter a unit price in yuan, e.g. 12500.00."),
            ("value", "1e99", "This number is too large."),
            ("notes", "长" * 201, "At most 200 characters; this has 201."),
        ],
    )
    def test_a_bad_number_or_text_is_reported_at_its_cell(
        self, chosen: Any, column: str, value: Any, message: str
    ) -> None:
        h = chosen.household
        row = building(h.code, "1", "96.00")
        row[[c.key for c in BUILDINGS.columns].index(column)] = value
        content = workbook(
            [household(h.code)],
            [row, building(h.code, "2", "40")],
            [],
            [ancillary(wall(h), h.code)],
        )
        report = check(chosen, content)
        header = BUILDINGS.column(column).header
        assert ("房屋评估", 2, header, message) in faults(report)
        assert report.kept == [] and "H-001" in report.skipped

    def test_an_empty_figure_of_a_household_in_the_file_is_required(self, chosen: Any) -> None:
        h = chosen.household
        content = workbook(
            [household(h.code, valuation_date=None)],
            [
                building(h.code, "1", "96.00", value=None),
                BUILDINGS.row({"household": h.code, "building": "2"}),
            ],
            [],
            [ancillary(wall(h), h.code)],
        )
        assert faults(check(chosen, content)) == [
            ("户评估", 2, "价值时点", "Required."),
            ("房屋评估", 3, "评估面积", "Required."),
            ("房屋评估", 3, "评估单价", "Required."),
            ("房屋评估", 3, "评估价值", "Required."),
        ]

    def test_a_decoration_item_needs_its_item_and_amount(self, chosen: Any) -> None:
        h = chosen.household
        content = workbook(
            [household(h.code)],
            [building(h.code, "1"), building(h.code, "2", "40")],
            [decoration(h.code, description=None), decoration(h.code, amount=Decimal("-5"))],
            [ancillary(wall(h), h.code)],
        )
        assert faults(check(chosen, content)) == [
            ("装修", 2, "项目", "Required."),
            ("装修", 3, "金额", "This cannot be negative."),
        ]


class TestBelonging:
    def test_a_building_or_ancillary_of_another_household_is_refused(self, chosen: Any) -> None:
        h = chosen.household
        other = second_household(chosen)
        content = workbook(
            [household(h.code)],
            [building(h.code, "1"), building(h.code, "2", "40"), building(h.code, "3", "10")],
            [decoration(h.code, building="9")],
            [ancillary(wall(h), h.code), ancillary(wall(other), h.code, "1", "800")],
        )
        assert faults(check(chosen, content)) == [
            ("房屋评估", 4, "幢号", "The household H-001 has no building 3."),
            ("装修", 2, "幢号", "The household H-001 has no building 9."),
            ("附属物评估", 3, "附属物编号", f"The household H-001 has no ancillary {wall(other)}."),
        ]

    def test_each_building_and_ancillary_is_valued_once(self, chosen: Any) -> None:
        h = chosen.household
        content = workbook(
            [household(h.code)],
            [building(h.code, "1"), building(h.code, "2", "40"), building(h.code, "1")],
            [],
            [ancillary(wall(h), h.code), ancillary(wall(h), h.code)],
        )
        assert faults(check(chosen, content)) == [
            ("房屋评估", 2, "幢号", "Building 1 is valued on more than one row (rows 2, 4)."),
            ("房屋评估", 4, "幢号", "Building 1 is valued on more than one row (rows 2, 4)."),
            (
                "附属物评估",
                2,
                "附属物编号",
                f"Ancillary {wall(h)} is valued on more than one row (rows 2, 3).",
            ),
            (
                "附属物评估",
                3,
                "附属物编号",
                f"Ancillary {wall(h)} is valued on more than one row (rows 2, 3).",
            ),
        ]

    def test_every_building_and_ancillary_of_a_household_in_the_file_is_valued(
        self, chosen: Any
    ) -> None:
        h = chosen.household
        content = workbook([household(h.code)], [building(h.code, "1")], [decoration(h.code)], [])
        assert faults(check(chosen, content)) == [
            (
                "房屋评估",
                None,
                "幢号",
                "Building 2 of the household H-001 has no row: every building of a household "
                "in the file is valued.",
            ),
            (
                "附属物评估",
                None,
                "附属物编号",
                f"Ancillary {wall(h)} of the household H-001 has no row: every ancillary of a "
                "household in the file is valued.",
            ),
        ]

    def test_an_unknown_household_and_a_row_without_its_household_row(self, chosen: Any) -> None:
        second_household(chosen)
        content = workbook(
            [household("H-404")],
            [building("H-002", "1")],
        )
        assert faults(check(chosen, content)) == [
            ("户评估", 2, "户编号", "The project has no household H-404."),
            ("房屋评估", 2, "户编号", "No household with the code H-002 on the sheet 户评估."),
            (
                "房屋评估",
                None,
                "幢号",
                "Building 2 of the household H-002 has no row: every building of a household "
                "in the file is valued.",
            ),
            (
                "附属物评估",
                None,
                "附属物编号",
                f"Ancillary {wall(Household.objects.get(code='H-002'))} of the household H-002 "
                "has no row: every ancillary of a household in the file is valued.",
            ),
        ]

    def test_a_household_on_two_rows_is_refused(self, chosen: Any) -> None:
        h = chosen.household
        content = complete(h)
        report = check(
            chosen,
            workbook(
                [household(h.code), household(h.code)],
                [building(h.code, "1"), building(h.code, "2", "40")],
                [],
                [ancillary(wall(h), h.code)],
            ),
        )
        message = "The household code H-001 is on more than one row (rows 2, 3)."
        assert faults(report) == [
            ("户评估", 2, "户编号", message),
            ("户评估", 3, "户编号", message),
        ]
        assert check(chosen, content).problems == []


class TestTheValuationRules:
    def test_business_loss_only_for_a_non_residential_household(self, chosen: Any) -> None:
        h = chosen.household
        content = complete(h, business_loss=Decimal("50000.00"))
        assert faults(check(chosen, content)) == [
            (
                "户评估",
                2,
                "停产停业损失",
                "Only a non-residential household has a business stoppage loss.",
            )
        ]
        Household.objects.filter(pk=h.pk).update(kind=HouseholdKind.NON_RESIDENTIAL)
        assert check(chosen, complete(h, business_loss=Decimal("50000.00"))).problems == []

    def test_the_valuation_date_is_the_decision_date_when_it_is_recorded(self, chosen: Any) -> None:
        h = chosen.household
        content = complete(h, valuation_date=dt.date(2026, 3, 1))
        assert check(chosen, content).problems == []  # no decision recorded yet: any date
        Milestone.objects.filter(project=chosen.project, code=services.DECISION_MILESTONE).update(
            actual_date=DECISION_DAY
        )
        assert faults(check(chosen, complete(h, valuation_date=dt.date(2026, 3, 1)))) == [
            (
                "户评估",
                2,
                "价值时点",
                "The valuation date is the day the expropriation decision was announced, "
                "2026-03-02.",
            )
        ]
        assert check(chosen, complete(h)).problems == []

    def test_a_report_number_is_used_once_in_the_file(self, chosen: Any) -> None:
        h = chosen.household
        other = second_household(chosen)
        content = workbook(
            [household(h.code, report_no="PG-1"), household(other.code, report_no="PG-1")],
            [
                building(h.code, "1"),
                building(h.code, "2", "40"),
                building(other.code, "1"),
                building(other.code, "2", "40"),
            ],
            [],
            [ancillary(wall(h), h.code), ancillary(wall(other), other.code, "1", "800")],
        )
        message = "The report number PG-1 is on more than one row (rows 2, 3)."
        assert faults(check(chosen, content)) == [
            ("户评估", 2, "报告编号", message),
            ("户评估", 3, "报告编号", message),
        ]

    def test_a_report_number_of_another_household_of_the_firm_is_refused(self, chosen: Any) -> None:
        other = second_household(chosen)
        enter(chosen.valuer, other, report_no="PG-2026-7")
        content = complete(chosen.household, report_no="PG-2026-7")
        assert faults(check(chosen, content)) == [
            (
                "户评估",
                2,
                "报告编号",
                "The report number PG-2026-7 is already that of household H-002.",
            )
        ]

    def test_an_issued_valuation_is_refused_with_its_code_unless_unchanged(
        self, chosen: Any
    ) -> None:
        h = chosen.household
        valuation = enter(chosen.valuer, h)
        Valuation.objects.filter(pk=valuation.pk).update(status=ValuationStatus.ISSUED)
        changed = workbook(
            [household(h.code)],
            [building(h.code, "1", price="13000.00"), building(h.code, "2", "40")],
            [decoration(h.code)],
            [ancillary(wall(h), h.code)],
        )
        assert faults(check(chosen, changed)) == [
            (
                "户评估",
                2,
                "户编号",
                "The report of household H-001 has been issued: its figures change only "
                "through an objection (re-assessment or expert appraisal).",
            )
        ]
        unchanged = check(chosen, complete(h))
        assert unchanged.problems == [] and unchanged.unchanged == ["H-001"]


class TestWhoMayImport:
    def test_households_outside_the_valuers_work_groups_are_refused(self, chosen: Any) -> None:
        h = chosen.household
        Household.objects.filter(pk=h.pk).update(work_group=chosen.world.other_group)
        chosen.valuer.memberships.filter(project=chosen.project).get().work_groups.set(
            [chosen.world.group]
        )
        forget(chosen.valuer)
        report = check(chosen, complete(h))
        assert faults(report) == [
            ("户评估", 2, "户编号", "The household H-001 is not in your work groups.")
        ]

    def test_a_valuer_of_another_firm_in_the_project_is_refused(self, chosen: Any) -> None:
        grant(chosen.other_valuer, RoleCode.VALUER, chosen.project)
        with pytest.raises(imports.AccessDenied):
            check(chosen, complete(chosen.household), actor=chosen.other_valuer)

    def test_the_office_is_refused(self, chosen: Any) -> None:
        with pytest.raises(imports.AccessDenied):
            check(chosen, complete(chosen.household), actor=chosen.pm)

    def test_nobody_imports_before_a_firm_is_chosen(self, val: Any) -> None:
        grant(val.valuer, RoleCode.VALUER, val.project)
        with pytest.raises(imports.AccessDenied):
            check(val, complete(val.household))


class TestTheFile:
    def test_a_missing_sheet_or_column_is_reported_and_nothing_else(self, chosen: Any) -> None:
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "户评估"
        ws.append(["户编号", "价值时点"])
        ws.append(["H-001", DECISION_DAY])
        out = io.BytesIO()
        wb.save(out)
        out.seek(0)
        report = check(chosen, out)
        assert report.fatal
        assert ("户评估", 1, "报告编号") in [(p.sheet, p.row, p.column) for p in report.problems]
        assert ("房屋评估", None, "") in [(p.sheet, p.row, p.column) for p in report.problems]

    def test_a_file_that_is_not_a_workbook_is_reported(self, chosen: Any) -> None:
        report = check(chosen, io.BytesIO(b"code,value\n"))
        assert report.fatal and "not an Excel workbook" in report.problems[0].message

    def test_a_household_with_a_fault_is_skipped_and_the_others_kept(self, chosen: Any) -> None:
        h = chosen.household
        other = second_household(chosen)
        content = workbook(
            [household(h.code), household(other.code)],
            [
                building(h.code, "1"),
                building(h.code, "2", "40"),
                building(other.code, "1"),
                building(other.code, "2", "40", value="1"),
            ],
            [],
            [ancillary(wall(h), h.code), ancillary(wall(other), other.code, "1", "800")],
        )
        report = check(chosen, content)
        assert [d.code for d in report.kept] == ["H-001"]
        assert list(report.skipped) == ["H-002"]
        assert report.skipped["H-002"].startswith("房屋评估 row 5, 评估价值: ")
