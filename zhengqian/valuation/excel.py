"""The valuation's Excel format (评估数据导入模板): sheets and columns, the workbook written for
the valuers.

One workbook holds a project's valuations on four sheets — 户评估 (one row per household: the
report number, the valuation date, the business stoppage loss), 房屋评估 (one row per building),
装修 (the decoration items) and 附属物评估 (one row per ancillary) — joined by the household
code (户编号); a building is named by its number within the household (幢号), an ancillary by
its id (附属物编号). The workbook the valuers download lists the project's households, buildings
and ancillaries with the figures already entered, so that the export and the template are one
thing and a file exported imports back unchanged.

Grey columns (the household's kind, a building's measured area, an ancillary's type, description,
unit and surveyed quantity) are written for reference and never read. The workbook machinery is
zhengqian.core.excel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, Final

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengqian.core import excel as workbook
from zhengqian.core.excel import Column, ColumnKind, SheetSpec
from zhengqian.survey.models import Building, Household, HouseholdKind
from zhengqian.valuation.models import (
    AncillaryValuation,
    BuildingValuation,
    DecorationItem,
    Valuation,
)

KIND_LABELS: Final = {
    HouseholdKind.RESIDENTIAL.value: "住宅",
    HouseholdKind.NON_RESIDENTIAL.value: "非住宅",
}


def _max_length(model: Any, name: str) -> int | None:
    length = model._meta.get_field(name).max_length
    return int(length) if length is not None else None


def _household() -> Column:
    return Column(
        key="household",
        header="户编号",
        kind=ColumnKind.HOUSEHOLD,
        required=True,
        max_length=_max_length(Household, "code"),
        hint=gettext_lazy("Required. The household code, as in the project's survey."),
    )


def _building(*, required: bool, hint: Any) -> Column:
    return Column(
        key="building",
        header="幢号",
        kind=ColumnKind.TEXT,
        required=required,
        max_length=_max_length(Building, "number"),
        hint=hint,
        width=8,
    )


def _money(key: str, header: str, hint: Any, *, required: bool = True) -> Column:
    return Column(
        key=key, header=header, kind=ColumnKind.DECIMAL, required=required, hint=hint, width=14
    )


def _reference(
    key: str, header: str, width: int, hint: Any, *, kind: ColumnKind = ColumnKind.TEXT
) -> Column:
    """A grey column, written for reference and never read."""
    return Column(key=key, header=header, kind=kind, reference=True, width=width, hint=hint)


_FROM_SURVEY = gettext_lazy("For reference, from the survey.")

_VALUE_HINT = gettext_lazy(
    "Required. Yuan, at most two decimals: the quantity × the unit price, rounded to the fen."
)

HOUSEHOLDS: Final = SheetSpec(
    key="households",
    title="户评估",
    model=Valuation,
    description=gettext_lazy(
        "One row per household: the figures of its valuation that are not per building or item."
    ),
    columns=(
        _household(),
        _reference(
            "kind",
            "类型",
            8,
            gettext_lazy(
                "For reference, from the survey: only a non-residential household (非住宅) has "
                "a business stoppage loss."
            ),
        ),
        Column(
            key="report_no",
            header="报告编号",
            kind=ColumnKind.TEXT,
            max_length=_max_length(Valuation, "report_no"),
            width=18,
            hint=gettext_lazy(
                "The number of the household's valuation report; no two reports of the firm "
                "share a number."
            ),
        ),
        Column(
            key="valuation_date",
            header="价值时点",
            kind=ColumnKind.DATE,
            required=True,
            width=12,
            hint=gettext_lazy(
                "Required. The day the expropriation decision was announced (YYYY-MM-DD)."
            ),
        ),
        _money(
            "business_loss",
            "停产停业损失",
            gettext_lazy("Only for 非住宅: yuan, at most two decimals; empty means none."),
            required=False,
        ),
        Column(
            key="business_loss_basis",
            header="损失依据",
            kind=ColumnKind.TEXT,
            max_length=_max_length(Valuation, "business_loss_basis"),
            width=30,
            hint=gettext_lazy("How the business stoppage loss was assessed."),
        ),
    ),
)

BUILDINGS: Final = SheetSpec(
    key="buildings",
    title="房屋评估",
    model=BuildingValuation,
    description=gettext_lazy(
        "One row per building of the household: every building of a household in the file is "
        "valued."
    ),
    columns=(
        _household(),
        _building(
            required=True,
            hint=gettext_lazy("Required. The building's number in the survey (1, 2, …)."),
        ),
        _reference(
            "measured_area",
            "测绘面积（㎡）",
            14,
            gettext_lazy("For reference: the area measured in the survey."),
            kind=ColumnKind.DECIMAL,
        ),
        Column(
            key="area",
            header="评估面积",
            kind=ColumnKind.DECIMAL,
            required=True,
            hint=gettext_lazy("Required. Square metres, at least 0, at most two decimals."),
        ),
        _money(
            "unit_price",
            "评估单价",
            gettext_lazy("Required. Yuan per square metre, at most two decimals."),
        ),
        _money("value", "评估价值", _VALUE_HINT),
        Column(
            key="notes",
            header="备注",
            kind=ColumnKind.TEXT,
            max_length=_max_length(BuildingValuation, "notes"),
            width=24,
            hint=gettext_lazy("Free text."),
        ),
    ),
)

DECORATIONS: Final = SheetSpec(
    key="decorations",
    title="装修",
    model=DecorationItem,
    description=gettext_lazy(
        "One row per decoration item; the household's items are those listed here."
    ),
    columns=(
        _household(),
        _building(
            required=False,
            hint=gettext_lazy(
                "The number of the building the item belongs to; empty for the household as "
                "a whole."
            ),
        ),
        Column(
            key="description",
            header="项目",
            kind=ColumnKind.TEXT,
            required=True,
            max_length=_max_length(DecorationItem, "description"),
            width=30,
            hint=gettext_lazy("Required. What is valued (kitchen cabinets, floor tiles …)."),
        ),
        _money("amount", "金额", gettext_lazy("Required. Yuan, at most two decimals.")),
    ),
)

ANCILLARIES: Final = SheetSpec(
    key="ancillaries",
    title="附属物评估",
    model=AncillaryValuation,
    description=gettext_lazy(
        "One row per ancillary of the household: every ancillary of a household in the file "
        "is valued."
    ),
    columns=(
        _household(),
        Column(
            key="ancillary",
            header="附属物编号",
            kind=ColumnKind.INTEGER,
            required=True,
            width=10,
            hint=gettext_lazy(
                "Required. The ancillary's number in the system, as written in this workbook; "
                "the grey columns say which it is."
            ),
        ),
        _reference("kind", "类型", 10, _FROM_SURVEY),
        _reference("description", "描述", 18, _FROM_SURVEY),
        _reference(
            "unit",
            "单位",
            8,
            gettext_lazy("For reference, from the survey: the unit of the quantity."),
        ),
        _reference(
            "surveyed_quantity",
            "调查数量",
            10,
            gettext_lazy("For reference: the quantity recorded in the survey."),
            kind=ColumnKind.DECIMAL,
        ),
        Column(
            key="quantity",
            header="数量",
            kind=ColumnKind.DECIMAL,
            required=True,
            width=10,
            hint=gettext_lazy("Required. At least 0, at most two decimals, in the unit shown."),
        ),
        _money("unit_price", "单价", gettext_lazy("Required. Yuan per unit.")),
        _money("value", "评估价值", _VALUE_HINT),
    ),
)

SHEETS: Final = (HOUSEHOLDS, BUILDINGS, DECORATIONS, ANCILLARIES)
# The columns whose cells hold figures: a household none of whose figure cells is filled in is
# not imported (the workbook lists every household of the project).
FIGURES: Final = {
    HOUSEHOLDS.key: ("report_no", "valuation_date", "business_loss", "business_loss_basis"),
    BUILDINGS.key: ("area", "unit_price", "value", "notes"),
    DECORATIONS.key: ("building", "description", "amount"),
    ANCILLARIES.key: ("quantity", "unit_price", "value"),
}


def estimate_households(fileobj: IO[bytes]) -> int | None:
    """Rows on the sheet 户评估 (see zhengqian.core.excel.estimate_rows)."""
    return workbook.estimate_rows(fileobj, HOUSEHOLDS)


def _instructions(*, firm: str, decision_date: dt.date | None) -> workbook.Instructions:
    extra = [(_("Appraisal firm"), firm)]
    if decision_date is not None:
        extra.append((_("Valuation date"), decision_date.isoformat()))
    return workbook.Instructions(
        title=_("How to fill in the valuation workbook"),
        lines=(
            _(
                "The workbook lists the project's households (those of your work groups), their "
                "buildings and their ancillaries, with the figures entered so far. Fill in or "
                "change the figures; keep row 1 (the column names) and the codes."
            ),
            _(
                "A household is imported when any of its figures is filled in; households whose "
                "figures are all empty, or unchanged, are left as they are."
            ),
            _(
                "An imported household's valuation is replaced by the rows of the file: every "
                "building and every ancillary of the household needs its row, and its "
                "decoration items are those on the sheet 装修."
            ),
            _(
                "Value = area (or quantity) × unit price, rounded to the fen. Amounts are in "
                "yuan, with at most two decimals."
            ),
            _("The grey columns are for reference only: they are not imported."),
            _(
                "Every row is checked before anything is saved. A household with any fault is "
                "skipped as a whole; you may import the others, or correct the file and upload "
                "it again."
            ),
            _(
                "The figures of a household whose report has been issued change only while an "
                "objection has reopened its valuation."
            ),
        ),
        extra=extra,
    )


def write_workbook(
    out: IO[bytes],
    *,
    rows: Mapping[str, Iterable[Sequence[Any]]],
    firm: str,
    decision_date: dt.date | None,
) -> None:
    """Write a workbook in the format: the four sheets with the given rows (in column order,
    by sheet key) and the instructions."""
    workbook.write_workbook(
        out,
        specs=SHEETS,
        rows=rows,
        instructions=_instructions(firm=firm, decision_date=decision_date),
    )
