"""The survey's Excel format (调查数据导入模板): sheets and columns, the template and the export.

One workbook holds a project's survey on four sheets — 户表 (households), 家庭成员 (persons),
房屋 (buildings), 附属物 (ancillaries) — joined by the household code (户编号). Row 1 of each
sheet holds the column headers; data starts on row 2.

The workbook machinery (reading and writing, streamed; the faults and their report) is shared
with the other modules' imports and lives in zhengqian.core.excel; its names are re-exported
here for the survey's code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, Final

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengqian.core import excel as workbook
from zhengqian.core.dictionaries import DictionaryKind
from zhengqian.core.excel import (
    DATE_FORMAT,
    FIRST_DATA_ROW,
    HEADER_ROW,
    INSTRUCTIONS_TITLE,
    LISTS_TITLE,
    XLSX_CONTENT_TYPE,
    Column,
    ColumnKind,
    Problem,
    SheetReader,
    SheetSpec,
    UnreadableWorkbook,
    WorkbookReader,
    fold,
    write_problems,
)
from zhengqian.core.idcard import make_id_number
from zhengqian.survey.models import Ancillary, Building, Household, HouseholdKind, Person, Sex

__all__ = [
    "ANCILLARIES",
    "BUILDINGS",
    "DATE_FORMAT",
    "FIRST_DATA_ROW",
    "HEADER_ROW",
    "HOUSEHOLDS",
    "INSTRUCTIONS_TITLE",
    "LISTS_TITLE",
    "PERSONS",
    "SHEETS",
    "XLSX_CONTENT_TYPE",
    "Choices",
    "Column",
    "ColumnKind",
    "Problem",
    "SheetReader",
    "SheetSpec",
    "UnreadableWorkbook",
    "Vocabulary",
    "WorkbookReader",
    "estimate_households",
    "example_rows",
    "fold",
    "write_problems",
    "write_workbook",
]

# The household code of the template's example rows: left in a file, they are refused (not
# silently imported as a household called 示例).
EXAMPLE_CODE: Final = "示例-0001"

KIND_LABELS: Final = {
    HouseholdKind.RESIDENTIAL.value: "住宅",
    HouseholdKind.NON_RESIDENTIAL.value: "非住宅",
}
SEX_LABELS: Final = {Sex.MALE.value: "男", Sex.FEMALE.value: "女"}
YES: Final = "是"
NO: Final = "否"


def _max_length(model: type[models.Model], name: str) -> int | None:
    model_field = model._meta.get_field(name)
    if isinstance(model_field, models.CharField):
        return model_field.max_length
    return None


def _col(model: type[models.Model], key: str, header: str, kind: ColumnKind, **kw: Any) -> Column:
    max_length = None
    if kind in (ColumnKind.TEXT, ColumnKind.HOUSEHOLD) and key != "household":
        max_length = _max_length(model, key)
    elif key == "household":
        max_length = _max_length(Household, "code")
    return Column(key=key, header=header, kind=kind, max_length=max_length, **kw)


_HOUSEHOLD_REF_HINT = gettext_lazy("Required. The household code, as on the sheet 户表.")


def _household_ref(model: type[models.Model]) -> Column:
    """The first column of the member sheets: the household the row belongs to."""
    return _col(
        model, "household", "户编号", ColumnKind.HOUSEHOLD, required=True, hint=_HOUSEHOLD_REF_HINT
    )


def _notes(model: type[models.Model]) -> Column:
    return _col(model, "notes", "备注", ColumnKind.TEXT, hint=gettext_lazy("Free text."))


HOUSEHOLDS: Final = SheetSpec(
    key="households",
    title="户表",
    model=Household,
    description=gettext_lazy("One row per household (family, enterprise or shop)."),
    columns=(
        _col(
            Household,
            "code",
            "户编号",
            ColumnKind.HOUSEHOLD,
            required=True,
            hint=gettext_lazy(
                "Required. Unique within the project; the other sheets refer to it. "
                "The import adds new households: a code that the project already has is refused."
            ),
        ),
        _col(
            Household,
            "work_group",
            "工作组",
            ColumnKind.WORK_GROUP,
            hint=gettext_lazy("The name of one of the project's work groups, or empty."),
            width=16,
        ),
        _col(
            Household,
            "kind",
            "类型",
            ColumnKind.HOUSEHOLD_KIND,
            hint=gettext_lazy("住宅 (residential) or 非住宅 (non-residential); empty means 住宅."),
            width=10,
        ),
        _col(
            Household,
            "head_name",
            "户主姓名",
            ColumnKind.TEXT,
            hint=gettext_lazy(
                "The head of household, or the enterprise's name. May be left empty when the "
                "sheet 家庭成员 lists the head (relation 户主)."
            ),
        ),
        _col(
            Household,
            "head_id_number",
            "户主身份证号",
            ColumnKind.ID_NUMBER,
            hint=gettext_lazy(
                "18 characters; taken from the head on the sheet 家庭成员 when empty. "
                "Type it as text: Excel keeps only 15 digits of a number."
            ),
            width=22,
        ),
        _col(
            Household,
            "phone",
            "联系电话",
            ColumnKind.PHONE,
            hint=gettext_lazy("A mobile number (11 digits) or a landline with its area code."),
        ),
        _col(
            Household,
            "division_code",
            "行政区划代码",
            ColumnKind.DIVISION,
            required=True,
            hint=gettext_lazy("Required. The six-digit code (GB/T 2260) of the county."),
        ),
        _col(
            Household,
            "address",
            "地址",
            ColumnKind.TEXT,
            required=True,
            hint=gettext_lazy("Required. The address of the property."),
            width=36,
        ),
        _col(
            Household,
            "land_type",
            "土地性质",
            ColumnKind.DICTIONARY,
            dictionary=DictionaryKind.LAND_TYPE,
            hint=gettext_lazy("One of the listed land types, or empty."),
        ),
        _col(
            Household,
            "business_licence",
            "统一社会信用代码",
            ColumnKind.LICENCE,
            hint=gettext_lazy(
                "Only for 非住宅: 18 digits and capital letters. Optional, because the survey "
                "often meets a shop before its papers."
            ),
            width=22,
        ),
        _col(
            Household,
            "tenants",
            "承租户",
            ColumnKind.TEXT,
            hint=gettext_lazy(
                "Only for 非住宅: tenants using the property, one per line (Alt+Enter)."
            ),
            width=20,
        ),
        _notes(Household),
    ),
)

PERSONS: Final = SheetSpec(
    key="persons",
    title="家庭成员",
    model=Person,
    description=gettext_lazy(
        "One row per person. A residential household has exactly one head (relation 户主)."
    ),
    columns=(
        _household_ref(Person),
        _col(
            Person, "name", "姓名", ColumnKind.TEXT, required=True, hint=gettext_lazy("Required.")
        ),
        _col(
            Person,
            "id_number",
            "身份证号",
            ColumnKind.ID_NUMBER,
            hint=gettext_lazy(
                "18 characters (the old 15-digit form is converted), checked with its check "
                "digit; unique in the project. Empty for a newborn without one."
            ),
            width=22,
        ),
        _col(
            Person,
            "relation",
            "与户主关系",
            ColumnKind.DICTIONARY,
            required=True,
            dictionary=DictionaryKind.RELATION,
            hint=gettext_lazy("Required. One of the listed relations; 户主 for the head."),
        ),
        _col(
            Person,
            "sex",
            "性别",
            ColumnKind.SEX,
            hint=gettext_lazy("男 or 女; taken from the ID number when empty."),
            width=8,
        ),
        _col(
            Person,
            "birth_date",
            "出生日期",
            ColumnKind.DATE,
            hint=gettext_lazy("A date (YYYY-MM-DD); must agree with the ID number."),
            width=12,
        ),
        _col(
            Person,
            "hukou_type",
            "户口类型",
            ColumnKind.DICTIONARY,
            dictionary=DictionaryKind.HUKOU_TYPE,
            hint=gettext_lazy("One of the listed types, or empty."),
        ),
        _col(
            Person,
            "registered_here",
            "户籍在本址",
            ColumnKind.BOOLEAN,
            hint=gettext_lazy("是 or 否; empty means 是."),
            width=10,
        ),
        _col(
            Person,
            "hukou_place",
            "户籍地",
            ColumnKind.TEXT,
            hint=gettext_lazy("Where the registration is, when not at this address."),
            width=24,
        ),
        _col(
            Person,
            "special_status",
            "特殊身份",
            ColumnKind.DICTIONARY,
            dictionary=DictionaryKind.SPECIAL_STATUS,
            hint=gettext_lazy("One of the listed statuses, or empty."),
        ),
        _notes(Person),
    ),
)

BUILDINGS: Final = SheetSpec(
    key="buildings",
    title="房屋",
    model=Building,
    description=gettext_lazy("One row per building; the building number is unique per household."),
    columns=(
        _household_ref(Building),
        _col(
            Building,
            "number",
            "房屋编号",
            ColumnKind.TEXT,
            required=True,
            hint=gettext_lazy("Required. Unique within the household (1, 2, …)."),
            width=10,
        ),
        _col(
            Building,
            "structure_type",
            "结构类型",
            ColumnKind.DICTIONARY,
            required=True,
            dictionary=DictionaryKind.STRUCTURE_TYPE,
            hint=gettext_lazy("Required. One of the listed structure types."),
        ),
        _col(
            Building,
            "use",
            "用途",
            ColumnKind.DICTIONARY,
            required=True,
            dictionary=DictionaryKind.BUILDING_USE,
            hint=gettext_lazy("Required. One of the listed uses."),
        ),
        _col(
            Building,
            "floors",
            "层数",
            ColumnKind.FLOORS,
            required=True,
            hint=gettext_lazy("Required. A whole number from 1 to 200."),
            width=8,
        ),
        _col(
            Building,
            "year_built",
            "建成年份",
            ColumnKind.YEAR,
            hint=gettext_lazy("A year from 1800 to this year, or empty."),
            width=10,
        ),
        _col(
            Building,
            "measured_area",
            "测绘面积（㎡）",
            ColumnKind.DECIMAL,
            required=True,
            hint=gettext_lazy("Required. Square metres, at least 0, at most two decimals."),
        ),
        _col(
            Building,
            "title_certificate_no",
            "不动产权证号",
            ColumnKind.TEXT,
            hint=gettext_lazy("Empty when the building has none."),
            width=30,
            compact=True,
        ),
        _col(
            Building,
            "built_on",
            "建成日期",
            ColumnKind.DATE,
            hint=gettext_lazy("A date (YYYY-MM-DD), where known."),
            width=12,
        ),
        _notes(Building),
    ),
)

ANCILLARIES: Final = SheetSpec(
    key="ancillaries",
    title="附属物",
    model=Ancillary,
    description=gettext_lazy("One row per ancillary structure or crop."),
    columns=(
        _household_ref(Ancillary),
        _col(
            Ancillary,
            "kind",
            "类型",
            ColumnKind.DICTIONARY,
            required=True,
            dictionary=DictionaryKind.ANCILLARY_TYPE,
            hint=gettext_lazy("Required. One of the listed types."),
        ),
        _col(
            Ancillary,
            "description",
            "描述",
            ColumnKind.TEXT,
            hint=gettext_lazy("What it is (material, species …)."),
            width=20,
        ),
        _col(
            Ancillary,
            "quantity",
            "数量",
            ColumnKind.DECIMAL,
            required=True,
            hint=gettext_lazy("Required. At least 0, at most two decimals."),
            width=10,
        ),
        _col(
            Ancillary,
            "unit",
            "单位",
            ColumnKind.TEXT,
            required=True,
            hint=gettext_lazy("Required. m, m², 株, 口 …"),
            width=8,
        ),
        _col(
            Ancillary,
            "built_on",
            "建成/种植日期",
            ColumnKind.DATE,
            hint=gettext_lazy("A date (YYYY-MM-DD), where known."),
            width=14,
        ),
        _notes(Ancillary),
    ),
)

SHEETS: Final = (HOUSEHOLDS, PERSONS, BUILDINGS, ANCILLARIES)

# The dictionary kinds the format uses, loaded with one query.
DICTIONARY_KINDS: Final = tuple(
    sorted({c.dictionary for s in SHEETS for c in s.columns if c.dictionary})
)


class Vocabulary(workbook.Vocabulary):
    """The dictionary entries of the survey's format (see zhengqian.core.excel.Vocabulary)."""

    @classmethod
    def load(cls, kinds: Iterable[str] = DICTIONARY_KINDS) -> Vocabulary:
        vocabulary = super().load(kinds)
        assert isinstance(vocabulary, Vocabulary)
        return vocabulary


def estimate_households(fileobj: IO[bytes]) -> int | None:
    """Rows on the sheet 户表 (see zhengqian.core.excel.estimate_rows)."""
    return workbook.estimate_rows(fileobj, HOUSEHOLDS)


# --- Writing -------------------------------------------------------------------------------------


@dataclass
class Choices:
    """The lists a workbook offers in its dropdowns (on the hidden sheet 选项)."""

    work_groups: list[str]
    vocabulary: Vocabulary


def _list_columns(choices: Choices) -> list[tuple[str, list[str]]]:
    """(list name, values) in the order of the hidden sheet's columns."""
    lists: list[tuple[str, list[str]]] = [
        ("kind", list(KIND_LABELS.values())),
        ("sex", list(SEX_LABELS.values())),
        ("boolean", [YES, NO]),
        ("work_group", choices.work_groups),
    ]
    lists += [(kind, choices.vocabulary.active_labels(kind)) for kind in DICTIONARY_KINDS]
    return lists


def _list_name(column: Column) -> str | None:
    return {
        ColumnKind.HOUSEHOLD_KIND: "kind",
        ColumnKind.SEX: "sex",
        ColumnKind.BOOLEAN: "boolean",
        ColumnKind.WORK_GROUP: "work_group",
        ColumnKind.DICTIONARY: column.dictionary,
    }.get(column.kind)


def _instructions(choices: Choices) -> workbook.Instructions:
    extra = []
    if choices.work_groups:
        extra.append((_("Work groups of the project"), "、".join(choices.work_groups)))
    return workbook.Instructions(
        title=_("How to fill in the survey import template"),
        lines=(
            _(
                "Fill in the four sheets 户表, 家庭成员, 房屋 and 附属物; keep row 1 "
                "(the column names)."
            ),
            _(
                "Each person, building and ancillary names its household by the household code "
                "(户编号)."
            ),
            _(
                "The import adds new households. A household code that the project already has "
                "is refused; change existing households on their pages."
            ),
            _(
                "Every row is checked before anything is saved. A household with any fault, in "
                "its own row or in a row of its persons, buildings or ancillaries, is skipped as "
                "a whole; you may import the others, or correct the file and upload it again."
            ),
            _("Delete the grey example rows (household %(code)s) before you upload.")
            % {"code": EXAMPLE_CODE},
            _("Columns with red names are required. Dates are written YYYY-MM-DD."),
        ),
        extra=extra,
    )


def write_workbook(
    out: IO[bytes],
    *,
    rows: Mapping[str, Iterable[Sequence[Any]]],
    choices: Choices,
    example: bool = False,
) -> None:
    """Write a workbook in the format: the four sheets with the given rows (in column order),
    the instructions and the hidden lists behind the dropdowns. ``example`` rows are greyed."""
    workbook.write_workbook(
        out,
        specs=SHEETS,
        rows=rows,
        instructions=_instructions(choices),
        lists=_list_columns(choices),
        list_name=_list_name,
        example=example,
    )


def example_rows(choices: Choices) -> dict[str, list[list[Any]]]:
    """The template's example household: one family with a house and a wall."""
    v = choices.vocabulary
    head = make_id_number("330282", dt.date(1968, 3, 12), 135)
    spouse = make_id_number("330282", dt.date(1970, 9, 2), 248)
    group = choices.work_groups[0] if choices.work_groups else None
    return {
        HOUSEHOLDS.key: [
            [
                EXAMPLE_CODE,
                group,
                KIND_LABELS[HouseholdKind.RESIDENTIAL],
                "张建国",
                head,
                "13805740001",
                "330282",
                "浙江省慈溪市新塘镇红旗村三组27号",
                v.label(DictionaryKind.LAND_TYPE, "collective_homestead"),
                None,
                None,
                None,
            ]
        ],
        PERSONS.key: [
            [
                EXAMPLE_CODE,
                "张建国",
                head,
                v.label(DictionaryKind.RELATION, "head"),
                SEX_LABELS[Sex.MALE],
                dt.date(1968, 3, 12),
                v.label(DictionaryKind.HUKOU_TYPE, "agricultural"),
                YES,
                None,
                None,
                None,
            ],
            [
                EXAMPLE_CODE,
                "李秀英",
                spouse,
                v.label(DictionaryKind.RELATION, "spouse"),
                SEX_LABELS[Sex.FEMALE],
                dt.date(1970, 9, 2),
                v.label(DictionaryKind.HUKOU_TYPE, "agricultural"),
                YES,
                None,
                None,
                None,
            ],
        ],
        BUILDINGS.key: [
            [
                EXAMPLE_CODE,
                "1",
                v.label(DictionaryKind.STRUCTURE_TYPE, "brick_concrete"),
                v.label(DictionaryKind.BUILDING_USE, "residential"),
                2,
                1998,
                Decimal("186.40"),
                None,
                None,
                None,
            ]
        ],
        ANCILLARIES.key: [
            [
                EXAMPLE_CODE,
                v.label(DictionaryKind.ANCILLARY_TYPE, "wall"),
                "砖砌围墙",
                Decimal("32.5"),
                "m",
                None,
                None,
            ]
        ],
    }
