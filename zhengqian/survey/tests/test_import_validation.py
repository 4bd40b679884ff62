"""The check of an uploaded survey workbook: every fault at its sheet, row and column, and nothing
written before the user confirms."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from zhengqian.core.idcard import make_id_number
from zhengqian.survey import excel, imports
from zhengqian.survey.excel import ANCILLARIES, BUILDINGS, HOUSEHOLDS, PERSONS
from zhengqian.survey.models import Ancillary, Building, Household, Person

HH, PS, BD, AN = HOUSEHOLDS.title, PERSONS.title, BUILDINGS.title, ANCILLARIES.title
_serial = itertools.count()


def id_number(born: dt.date = dt.date(1975, 6, 1), *, male: bool = True) -> str:
    """A valid ID number, different from every other one this module makes."""
    n = next(_serial)
    return make_id_number("330282", born, (n % 400) * 2 + 100 + int(male))


def household(code: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": code,
        "work_group": "第一工作组",
        "kind": "住宅",
        "head_name": "",
        "phone": "13805740001",
        "division_code": "330282",
        "address": f"浙江省慈溪市新塘镇红旗村{code}号",
        "land_type": "集体宅基地",
    }
    row.update(values)
    return row


def person(code: str, relation: str = "户主", **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "household": code,
        "name": "张建国",
        "id_number": id_number(),
        "relation": relation,
        "sex": "男",
    }
    row.update(values)
    return row


def building(code: str, number: str = "1", **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "household": code,
        "number": number,
        "structure_type": "砖混结构",
        "use": "住宅",
        "floors": 2,
        "year_built": 1998,
        "measured_area": Decimal("120.50"),
    }
    row.update(values)
    return row


def ancillary(code: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "household": code,
        "kind": "围墙",
        "quantity": Decimal("12.5"),
        "unit": "m",
    }
    row.update(values)
    return row


def workbook(
    households: list[dict[str, Any]],
    persons: list[dict[str, Any]] = (),  # type: ignore[assignment]
    buildings: list[dict[str, Any]] = (),  # type: ignore[assignment]
    ancillaries: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> io.BytesIO:
    """A workbook in the template's format with these rows (keys are column keys)."""
    out = io.BytesIO()
    excel.write_workbook(
        out,
        rows={
            HOUSEHOLDS.key: [HOUSEHOLDS.row(r) for r in households],
            PERSONS.key: [PERSONS.row(r) for r in persons],
            BUILDINGS.key: [BUILDINGS.row(r) for r in buildings],
            ANCILLARIES.key: [ANCILLARIES.row(r) for r in ancillaries],
        },
        choices=excel.Choices(work_groups=["第一工作组"], vocabulary=excel.Vocabulary.load()),
    )
    out.seek(0)
    return out


def check(world: Any, upload: io.BytesIO, actor: Any = None) -> imports.Report:
    with translation.override("en"):
        return imports.validate_upload(
            actor=actor or world.surveyor, project=world.project, upload=upload
        )


def places(report: imports.Report) -> set[tuple[str, int | None, str]]:
    return {(p.sheet, p.row, p.column) for p in report.problems}


def messages_at(report: imports.Report, sheet: str, row: int | None, column: str) -> str:
    place = (sheet, row, column)
    return " | ".join(p.message for p in report.problems if (p.sheet, p.row, p.column) == place)


def message_at(report: imports.Report, sheet: str, row: int | None, column: str) -> str:
    found = messages_at(report, sheet, row, column)
    assert found, f"no problem at {sheet} row {row} column {column}"
    return found


# --- The file with many faults -----------------------------------------------------------------

# (sheet, row, column, a fragment of the message): each a different fault.
EXPECTED: list[tuple[str, int, str, str]] = []


def _faulty_file(world: Any) -> io.BytesIO:
    """Households F01… each with one fault of their own (or of a member row), and one valid
    household OK1; the rows are laid out in this order on their sheets."""
    Household.objects.create(
        project=world.project,
        code="F03",
        head_name="已有户",
        division_code="330282",
        address="已有地址",
    )
    taken = id_number(dt.date(1960, 1, 1))
    existing = Household.objects.create(
        project=world.project, code="OLD", head_name="王五", division_code="330282", address="x"
    )
    Person.objects.create(
        household=existing, name="王五", relation="head", sex="M", id_number=taken
    )

    bad_check = id_number()
    bad_check = bad_check[:17] + ("0" if bad_check[17] != "0" else "1")
    h: list[dict[str, Any]] = []
    p: list[dict[str, Any]] = []
    b: list[dict[str, Any]] = []
    a: list[dict[str, Any]] = []

    def add(code: str, *, head: bool = True, **values: Any) -> int:
        h.append(household(code, **values))
        if head:
            p.append(person(code))
        return len(h) + 1  # the Excel row of the household

    def expect(sheet: str, row: int, column: str, fragment: str) -> None:
        EXPECTED.append((sheet, row, column, fragment))

    EXPECTED.clear()
    add("OK1")
    b.append(building("OK1"))
    a.append(ancillary("OK1"))
    # 户表
    row = add("", head=False, head_name="无编号")
    expect(HH, row, "户编号", "Required")
    r1 = add("F02")
    r2 = add("F02", head=False)
    expect(HH, r1, "户编号", "more than one row")
    expect(HH, r2, "户编号", "more than one row")
    expect(HH, add("F03"), "户编号", "already has a household F03")
    expect(HH, add("F04", work_group="第九工作组"), "工作组", "no work group")
    expect(HH, add("F05", kind="商铺"), "类型", "住宅 or 非住宅")
    expect(HH, add("F06", head_id_number=bad_check), "户主身份证号", "last character")
    expect(HH, add("F07", phone="12345"), "联系电话", "not a phone number")
    expect(HH, add("F08", division_code="33028"), "行政区划代码", "six digits")
    expect(HH, add("F09", division_code="990101"), "行政区划代码", "province code")
    expect(HH, add("F10", address=None), "地址", "Required")
    expect(HH, add("F11", land_type="宅基"), "土地性质", "Unknown value")
    expect(
        HH,
        add("F12", kind="非住宅", business_licence="91330282MA2ABCDEFI"),
        "统一社会信用代码",
        "unified social credit code",
    )
    expect(
        HH,
        add("F13", business_licence="91330282MA2AB3CD4E"),
        "统一社会信用代码",
        "Only a non-residential",
    )
    expect(HH, add("F14", head_name="张" * 61), "户主姓名", "At most 60")
    expect(HH, add("F15", head=False), "户编号", "no head")
    head16 = id_number()
    row16 = add("F16", head=False, head_id_number=id_number())
    p.append(person("F16", id_number=head16))
    expect(HH, row16, "户主身份证号", "Not the ID number of the head")
    expect(HH, add(excel.EXAMPLE_CODE), "户编号", "example household")
    expect(HH, add("F18", kind="非住宅", head=False), "户主姓名", "Required, unless")

    # 家庭成员: each household below has one person, with the fault.
    def add_person(code: str, **values: Any) -> int:
        h.append(household(code, head_name="张建国"))
        p.append(person(code, **values))
        return len(p) + 1

    # Households for the person faults (their rows continue on 户表, persons after the heads).
    expect(PS, add_person("F19", household="NOPE"), "户编号", "No household with the code NOPE")
    # F19 itself then has no head:
    expect(HH, len(h) + 1, "户编号", "no head")
    expect(PS, add_person("F20", name=None), "姓名", "Required")
    expect(PS, add_person("F21", id_number="33028219800101"), "身份证号", "18 characters")
    expect(PS, add_person("F22", id_number="330282198013321234"), "身份证号", "not a real date")
    expect(PS, add_person("F23", id_number="990282198001011234"), "身份证号", "province code")
    expect(PS, add_person("F24", id_number=3.30282198001012e17), "身份证号", "stored as a number")
    woman = id_number(male=False)
    expect(PS, add_person("F25", id_number=woman, sex="男"), "性别", "other sex")
    expect(
        PS,
        add_person("F26", id_number=id_number(dt.date(1980, 1, 1)), birth_date=dt.date(1980, 1, 2)),
        "出生日期",
        "gives the date of birth 1980-01-01",
    )
    add_person("F27")
    p.append(person("F27", relation="表亲", name="张三"))
    expect(PS, len(p) + 1, "与户主关系", "Unknown value")
    row28 = add_person("F28")
    p.append(person("F28", name="张二"))
    expect(PS, row28, "与户主关系", "more than one head")
    expect(PS, row28 + 1, "与户主关系", "more than one head")
    twice = id_number()
    r29 = add_person("F29", id_number=twice)
    r30 = add_person("F30", id_number=twice)
    expect(PS, r29, "身份证号", "more than once")
    expect(PS, r30, "身份证号", "more than once")
    expect(
        PS, add_person("F31", id_number=taken), "身份证号", "already registered in household OLD"
    )
    expect(PS, add_person("F32", id_number=None, sex="未知"), "性别", "男 or 女")
    expect(PS, add_person("F33", birth_date="1980-13-01"), "出生日期", "Not a date")
    expect(PS, add_person("F34", hukou_type="城镇"), "户口类型", "Unknown value")
    expect(PS, add_person("F35", registered_here="可能"), "户籍在本址", "是 or 否")
    expect(
        PS,
        add_person("F36", id_number=None, birth_date=dt.date.today() + dt.timedelta(days=3)),
        "出生日期",
        "In the future",
    )
    expect(PS, add_person("F37", id_number=None, sex=None), "性别", "no ID number")

    # 房屋
    def add_building(code: str, **values: Any) -> int:
        h.append(household(code))
        p.append(person(code))
        b.append(building(code, **values))
        return len(b) + 1

    expect(BD, add_building("F40", structure_type="砖房"), "结构类型", "Unknown value")
    expect(BD, add_building("F41", floors=0), "层数", "from 1 to 200")
    expect(BD, add_building("F42", floors=2.5), "层数", "whole number")
    expect(BD, add_building("F43", measured_area=Decimal("-1")), "测绘面积（㎡）", "negative")
    expect(BD, add_building("F44", measured_area=12.345), "测绘面积（㎡）", "two decimals")
    expect(BD, add_building("F45", measured_area="约100"), "测绘面积（㎡）", "Not a number")
    expect(BD, add_building("F46", year_built=1700), "建成年份", "from 1800")
    r47 = add_building("F47")
    b.append(building("F47", number="1"))
    expect(BD, r47, "房屋编号", "more than once")
    expect(BD, r47 + 1, "房屋编号", "more than once")
    expect(
        BD,
        add_building("F48", year_built=1998, built_on=dt.date(1999, 5, 1)),
        "建成年份",
        "does not agree",
    )
    expect(BD, add_building("F49", built_on="去年"), "建成日期", "Not a date")
    expect(BD, add_building("F50", use=None), "用途", "Required")

    # 附属物
    def add_ancillary(code: str, **values: Any) -> int:
        h.append(household(code))
        p.append(person(code))
        a.append(ancillary(code, **values))
        return len(a) + 1

    expect(AN, add_ancillary("F60", quantity=-3), "数量", "negative")
    expect(AN, add_ancillary("F61", unit=None), "单位", "Required")
    expect(AN, add_ancillary("F62", kind="鱼塘"), "类型", "Unknown value")
    expect(AN, add_ancillary("F63", unit="平方米平方米平方米平方米"), "单位", "At most 10")
    return workbook(h, p, b, a)


@pytest.mark.django_db
class TestAFileWithManyFaults:
    @pytest.fixture
    def report(self, world: Any) -> imports.Report:
        return check(world, _faulty_file(world))

    def test_it_has_more_than_thirty_different_faults(self, report: imports.Report) -> None:
        kinds = {(column, fragment) for _s, _r, column, fragment in EXPECTED}
        assert len(kinds) >= 40

    def test_each_fault_is_reported_at_its_sheet_row_and_column(
        self, report: imports.Report
    ) -> None:
        wrong = [
            (sheet, row, column, fragment, messages)
            for sheet, row, column, fragment in EXPECTED
            if fragment not in (messages := messages_at(report, sheet, row, column))
        ]
        assert wrong == []

    def test_no_fault_is_reported_that_the_file_does_not_have(self, report: imports.Report) -> None:
        expected = {(s, r, c) for s, r, c, _f in EXPECTED}
        assert places(report) == expected

    def test_only_the_household_without_faults_would_be_imported(
        self, report: imports.Report
    ) -> None:
        assert [d.code for d in report.kept] == ["OK1"]
        assert report.counts() == {"households": 1, "persons": 1, "buildings": 1, "ancillaries": 1}
        assert "F47" in report.skipped and "房屋" in report.skipped["F47"]

    def test_nothing_is_written(self, report: imports.Report) -> None:
        assert set(Household.objects.values_list("code", flat=True)) == {"F03", "OLD"}
        assert Person.objects.count() == 1
        assert not Building.objects.exists() and not Ancillary.objects.exists()

    def test_faults_are_listed_sheet_by_sheet_and_row_by_row(self, report: imports.Report) -> None:
        order = [HH, PS, BD, AN]
        keys = [(order.index(p.sheet), p.row) for p in report.problems]
        assert keys == sorted(keys)


# --- Faults of the file as a whole -------------------------------------------------------------


def _bytes(wb: Workbook) -> io.BytesIO:
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


@pytest.mark.django_db
class TestAFileThatCannotBeRead:
    def test_an_empty_file_is_reported(self, world: Any) -> None:
        report = check(world, io.BytesIO(b""))
        assert report.fatal and "empty" in report.problems[0].message

    def test_a_file_that_is_not_a_workbook_is_reported_without_a_traceback(
        self, world: Any
    ) -> None:
        report = check(world, io.BytesIO(b"%PDF-1.7 not a workbook"))
        assert report.fatal and "not an Excel workbook" in report.problems[0].message

    def test_a_damaged_zip_is_reported(self, world: Any) -> None:
        report = check(world, io.BytesIO(b"PK\x03\x04 broken"))
        assert report.fatal and "damaged" in report.problems[0].message

    def test_an_old_xls_file_is_told_to_be_saved_as_xlsx(self, world: Any) -> None:
        report = check(world, io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100))
        assert report.fatal and ".xls" in report.problems[0].message

    def test_wrong_sheet_names_are_reported_by_name(self, world: Any) -> None:
        wb = Workbook()
        wb.active.title = "Sheet1"
        report = check(world, _bytes(wb))
        assert report.fatal
        assert {p.sheet for p in report.problems} == {HH, PS, BD, AN}
        assert all("is missing" in p.message for p in report.problems)

    def test_missing_and_doubled_columns_are_reported_in_row_1(self, world: Any) -> None:
        source = load_workbook(workbook([household("H1")], [person("H1")]))
        ws = source[PS]
        ws.delete_cols(3)  # 身份证号
        ws.cell(row=1, column=ws.max_column + 1, value="姓名")
        report = check(world, _bytes(source))
        assert report.fatal
        assert places(report) == {(PS, 1, "身份证号"), (PS, 1, "姓名")}

    def test_headers_may_be_machine_keys_and_in_any_order(self, world: Any) -> None:
        source = load_workbook(workbook([household("H1")], [person("H1")]))
        ws = source[HH]
        for cell in ws[1]:
            cell.value = HOUSEHOLDS.columns[cell.column - 1].key.upper()
        ws.move_range("A1:A2", cols=ws.max_column)  # 户编号 moved to the end
        report = check(world, _bytes(source))
        assert report.problems == [] and [d.code for d in report.kept] == ["H1"]

    def test_a_sheet_with_too_many_rows_is_refused(
        self, world: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(imports, "MAX_ROWS_PER_SHEET", 2)
        report = check(world, workbook([household(f"H{i}") for i in range(3)]))
        assert report.fatal and "more than 2 rows" in report.problems[0].message

    def test_a_workbook_without_rows_imports_nothing_and_says_so(self, world: Any) -> None:
        report = check(world, workbook([]))
        assert not report.fatal and report.problems == [] and report.kept == []


@pytest.mark.django_db
class TestCellValues:
    def test_dictionary_codes_labels_and_full_width_text_are_all_accepted(self, world: Any) -> None:
        report = check(
            world,
            workbook(
                [household("H1", land_type="collective_homestead", kind="non_residential")],
                [person("H1", relation="ＨＥＡＤ", sex="F", id_number=id_number(male=False))],
                [building("H1", structure_type="brick_concrete", use="Residential")],
            ),
        )
        assert report.problems == []
        draft = report.kept[0]
        assert draft.values["land_type"] == "collective_homestead"
        assert draft.persons[0][1]["relation"] == "head"
        assert draft.buildings[0][1]["structure_type"] == "brick_concrete"

    def test_dates_may_be_excel_dates_or_text(self, world: Any) -> None:
        report = check(
            world,
            workbook(
                [household("H1")],
                [person("H1", birth_date=None)],
                [building("H1", built_on="1998-04-01"), building("H1", "2", built_on="1998/05/01")],
                [ancillary("H1", built_on=dt.datetime(2001, 3, 1, 0, 0))],
            ),
        )
        assert report.problems == []
        draft = report.kept[0]
        assert [v["built_on"] for _r, v in draft.buildings] == [
            dt.date(1998, 4, 1),
            dt.date(1998, 5, 1),
        ]
        assert draft.ancillaries[0][1]["built_on"] == dt.date(2001, 3, 1)

    def test_sex_and_date_of_birth_come_from_the_id_number_when_empty(self, world: Any) -> None:
        number = id_number(dt.date(1972, 2, 29), male=False)
        report = check(
            world,
            workbook(
                [household("H1")], [person("H1", sex=None, birth_date=None, id_number=number)]
            ),
        )
        values = report.kept[0].persons[0][1]
        assert (values["sex"], values["birth_date"]) == ("F", dt.date(1972, 2, 29))

    def test_the_head_fills_in_the_households_head_name_and_id_number(self, world: Any) -> None:
        number = id_number()
        report = check(
            world, workbook([household("H1", head_name=None)], [person("H1", id_number=number)])
        )
        assert report.kept[0].values["head_name"] == "张建国"
        assert report.kept[0].values["head_id_number"] == number

    def test_an_enterprise_needs_no_persons(self, world: Any) -> None:
        report = check(world, workbook([household("H1", kind="非住宅", head_name="某某有限公司")]))
        assert report.problems == [] and report.counts()["households"] == 1

    @pytest.mark.parametrize(
        "phone", ["13805740001", "0574-63001234", "(0574)63001234", "63001234", "400-820-8820"]
    )
    def test_phone_numbers_people_write_are_accepted(self, world: Any, phone: str) -> None:
        report = check(world, workbook([household("H1", phone=phone)], [person("H1")]))
        assert report.problems == []

    def test_a_15_digit_id_number_is_converted_to_18(self, world: Any) -> None:
        report = check(
            world,
            workbook(
                [household("H1")],
                [person("H1", id_number="330282750601123", birth_date=None, sex=None)],
            ),
        )
        number = report.kept[0].persons[0][1]["id_number"]
        assert len(number) == 18 and number.startswith("33028219750601123")

    def test_a_deactivated_dictionary_entry_is_refused(self, world: Any) -> None:
        from zhengqian.core.models import DictionaryEntry

        DictionaryEntry.objects.filter(kind="structure_type", code="simple").update(active=False)
        report = check(
            world,
            workbook(
                [household("H1")], [person("H1")], [building("H1", structure_type="简易结构")]
            ),
        )
        assert "no longer in use" in message_at(report, BD, 2, "结构类型")


@pytest.mark.django_db
class TestWorkGroupScope:
    def test_a_group_limited_surveyor_imports_only_into_their_groups(self, world: Any) -> None:
        out = io.BytesIO()
        excel.write_workbook(
            out,
            rows={
                HOUSEHOLDS.key: [
                    HOUSEHOLDS.row(household("H1", work_group="第一工作组")),
                    HOUSEHOLDS.row(household("H2", work_group="第二工作组")),
                    HOUSEHOLDS.row(household("H3", work_group=None)),
                ],
                PERSONS.key: [PERSONS.row(person(c)) for c in ("H1", "H2", "H3")],
            },
            choices=excel.Choices(work_groups=[], vocabulary=excel.Vocabulary.load()),
        )
        out.seek(0)
        report = check(world, out, actor=world.group_surveyor)
        assert [d.code for d in report.kept] == ["H1"]
        assert "only into your own work groups" in message_at(report, HH, 3, "工作组")
        assert "only into your own work groups" in message_at(report, HH, 4, "工作组")

    def test_a_surveyor_of_the_whole_project_may_leave_the_group_empty(self, world: Any) -> None:
        report = check(world, workbook([household("H1", work_group=None)], [person("H1")]))
        assert report.problems == []


@pytest.mark.django_db
def test_only_a_surveyor_of_the_project_may_check_a_file(world: Any) -> None:
    from zhengqian.accounts.permissions import AccessDenied

    for user in (world.pm, world.accountant, world.other_surveyor, world.outsider):
        with pytest.raises(AccessDenied):
            check(world, workbook([household("H1")]), actor=user)


@pytest.mark.django_db
def test_the_template_reads_back_and_only_its_example_rows_are_refused(world: Any) -> None:
    out = io.BytesIO()
    with translation.override("en"):
        imports.template_for(actor=world.surveyor, project=world.project, out=out)
    out.seek(0)
    wb = load_workbook(out)
    assert wb.sheetnames[:4] == [HH, PS, BD, AN]
    assert wb[excel.LISTS_TITLE].sheet_state == "hidden"
    assert [c.value for c in wb[HH][1]] == [c.header for c in HOUSEHOLDS.columns]
    assert wb[HH]["A1"].comment is not None and "code" in wb[HH]["A1"].comment.text
    # The dropdowns list the labels: the kind, the project's work groups, the dictionaries.
    validations = {str(dv.sqref): dv.formula1 for dv in wb[BD].data_validations.dataValidation}
    assert any(excel.LISTS_TITLE in formula for formula in validations.values())
    lists = list(wb[excel.LISTS_TITLE].iter_cols(values_only=True))
    by_name = {column[0]: [v for v in column[1:] if v] for column in lists}
    assert by_name["work_group"] == ["第一工作组", "第二工作组"]
    assert "砖混结构" in by_name["structure_type"]
    out.seek(0)
    report = check(world, out)
    assert {p.household for p in report.problems} == {excel.EXAMPLE_CODE}
    assert places(report) == {(HH, 2, "户编号")}


def as_excel_saves_it(content: io.BytesIO) -> io.BytesIO:
    """The workbook as Excel or WPS would save it: texts in the shared-strings table instead of
    inline, and a sheet dimension that says "A1" (as some programs write it, wrongly)."""
    strings: list[str] = []
    index: dict[str, int] = {}

    def shared(match: re.Match[str]) -> str:
        text = match.group(3)
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return f'<c {match.group(1)}t="s"{match.group(2)}><v>{index[text]}</v></c>'

    inline = re.compile(r'<c ([^>]*?)t="inlineStr"([^>]*)><is><t[^>]*>(.*?)</t></is></c>', re.S)
    out = io.BytesIO()
    with zipfile.ZipFile(content) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                xml = inline.sub(shared, data.decode())
                # Empty texts (written <c …/> or <c …></c>, as the XML library has it): no cell.
                xml = re.sub(r'<c [^>]*t="inlineStr"[^>/]*(?:/>|></c>)', "", xml)
                xml = re.sub(r"<dimension [^>]*/>", "", xml)
                xml = xml.replace("<sheetData", '<dimension ref="A1"/><sheetData', 1)
                data = xml.encode()
            elif item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    b"</Types>",
                )
            target.writestr(item, data)
        items = "".join(f'<si><t xml:space="preserve">{s}</t></si>' for s in strings)
        target.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>',
        )
    out.seek(0)
    return out


@pytest.mark.django_db
def test_a_workbook_saved_by_excel_reads_the_same_as_our_own(world: Any) -> None:
    content = workbook(
        [household(f"H{i}", notes="备注 <一> & “二”") for i in range(1, 30)],
        [person(f"H{i}", birth_date=None) for i in range(1, 30)],
        [building(f"H{i}", built_on=dt.date(1998, 4, 1)) for i in range(1, 30)],
        [ancillary("H1")],
    )
    ours = check(world, content)
    excels = as_excel_saves_it(io.BytesIO(content.getvalue()))
    with zipfile.ZipFile(excels) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert all(b"inlineStr" not in archive.read(n) for n in sheets)
    assert load_workbook(excels, read_only=True)[HH].max_row == 1  # the dimension says "A1"
    excels.seek(0)
    theirs = check(world, excels)
    assert ours.problems == theirs.problems == []
    assert [(d.code, d.values, d.persons, d.buildings, d.ancillaries) for d in theirs.kept] == [
        (d.code, d.values, d.persons, d.buildings, d.ancillaries) for d in ours.kept
    ]
    assert len(theirs.kept) == 29 and theirs.kept[0].values["notes"] == "备注 <一> & “二”"
    assert excel.estimate_households(excels) == 29
