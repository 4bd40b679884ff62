"""Cells of the workbooks the system writes: what a user typed stays text."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
from openpyxl import Workbook

from zhengqian.core.excel import data_cell


def test_text_that_looks_like_a_formula_stays_text() -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    values = ['=HYPERLINK("http://example.invalid","点此")', "=1+1", "张建国", Decimal("12.50"), 7]
    sheet.append([data_cell(sheet, v) for v in values])
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    row = next(openpyxl.load_workbook(out)["台账"].iter_rows())
    assert [c.value for c in row] == [values[0], "=1+1", "张建国", 12.5, 7]
    assert [c.data_type for c in row] == ["s", "s", "s", "n", "n"]
