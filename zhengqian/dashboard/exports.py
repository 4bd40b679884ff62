"""The export of a household list of any size, streamed at constant memory.

openpyxl's write-only mode still collects a sheet in a temporary file before it zips it, and the
shared strings of the whole sheet in memory; a list of a million households would take minutes
before the first byte and a large temporary file. This module writes the few parts of an .xlsx
package itself and streams the one sheet: rows are read from the database in chunks, turned into
sheet XML with inline strings (no shared strings table to keep), compressed into a zip archive
written to a sink that cannot seek (the zip's data descriptors carry the sizes), and handed out
chunk by chunk, to a StreamingHttpResponse or to a file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any, cast
from xml.sax.saxutils import escape

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from zhengqian.accounts.permissions import project_ids_with, require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.models import EventKind
from zhengqian.audit.services import record
from zhengqian.core.masking import mask_name
from zhengqian.dashboard import figures as fig
from zhengqian.dashboard.lists import Filters, NameVisibility, households
from zhengqian.dashboard.models import STAGES
from zhengqian.dashboard.reports import dimension_labels, kind_label, mode_label

CHUNK_ROWS = 2000
_EXCEL_EPOCH = dt.date(1899, 12, 30)
# Characters XML 1.0 does not allow; a name typed with one must not break the file.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

# Styles (cellXfs): 0 plain, 1 header, 2 date, 3 two decimals.
_PLAIN, _HEADER, _DATE, _DECIMAL = 0, 1, 2, 3

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/></patternFill></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _workbook_xml(sheet_name: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{_text(sheet_name[:31])}" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )


def _text(value: str) -> str:
    return escape(_ILLEGAL.sub("", value), {'"': "&quot;"})


class _Sink:
    """A write-only byte sink: the zip archive is written into it and taken out chunk by chunk.
    It has no tell() or seek(), so zipfile writes each entry's sizes after its data."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    kind: str  # text, flag, date, decimal


def columns() -> list[Column]:
    stage_titles = {
        "surveyed": _("Surveyed"),
        "confirmed": _("Confirmed"),
        "valued": _("Valued"),
        "calculated": _("Calculated"),
        "approved": _("Approved"),
        "signed": _("Signed"),
        "paid": _("Paid"),
        "vacated": _("Vacated"),
        "demolished": _("Demolished"),
    }
    return [
        Column("project", _("Project code"), 16, "text"),
        Column("code", _("Household code"), 14, "text"),
        Column("head", _("Head of household"), 12, "text"),
        Column("district", _("District"), 14, "text"),
        Column("group", _("Work group"), 16, "text"),
        Column("kind", _("Household kind"), 14, "text"),
        Column("mode", _("Resettlement mode"), 14, "text"),
        *(Column(s, stage_titles[s], 8, "flag") for s in STAGES),
        Column("holdout", _("Holdout"), 8, "flag"),
        Column("signed_on", _("Signed on"), 12, "date"),
        Column("paid_on", _("Paid on"), 12, "date"),
        Column("vacated_on", _("Vacated on"), 12, "date"),
        Column("demolished_on", _("Demolished on"), 12, "date"),
        Column("area", _("Area (m²)"), 12, "decimal"),
        Column("amount_agreed", _("Amount agreed (yuan)"), 16, "decimal"),
        Column("amount_paid", _("Amount paid (yuan)"), 16, "decimal"),
    ]


_FIELDS = (
    "project_id",
    "household__code",
    "household__head_name",
    "district_id",
    "group_id",
    "kind",
    "mode",
    *STAGES,
    "holdout",
    "signed_on",
    "paid_on",
    "vacated_on",
    "demolished_on",
    "area",
    "amount_agreed",
    "amount_paid",
)


def export_filters(user: Any, filters: Filters) -> Filters:
    """The filters narrowed to the projects where the user may export dashboards' lists;
    AccessDenied where the user may not export at all, or asks for a project it may not."""
    allowed = project_ids_with(user, Module.DASHBOARD, Action.EXPORT)
    if allowed is None:
        return filters
    if not allowed:
        require(user, Module.DASHBOARD, Action.EXPORT)
    if filters.project_ids is not None:
        for project_id in filters.project_ids:
            if project_id not in allowed:
                require(user, Module.DASHBOARD, Action.EXPORT, project=project_id)
        return filters
    return dataclasses.replace(filters, project_ids=tuple(sorted(allowed)))


MAX_ROWS = 1_048_575


class TooManyRows(ValueError):
    """The list holds more households than one sheet can."""


class HouseholdExport:
    """One export of a household list: checked and recorded when made; iterating it yields the
    .xlsx file in chunks of bytes, and `rows` counts the households written."""

    def __init__(self, user: Any, filters: Filters, *, chunk_rows: int = CHUNK_ROWS) -> None:
        self.user = user
        self.filters = export_filters(user, filters)
        self.chunk_rows = chunk_rows
        self.rows = 0
        self.names = NameVisibility(user)
        # A sheet holds 1,048,576 rows, the header included: a longer list is refused before
        # anything is written, rather than cut short or made into a file Excel will not open.
        if households(user, self.filters).count() > MAX_ROWS:
            raise TooManyRows(MAX_ROWS)
        with transaction.atomic():
            record(
                actor=user,
                event_type="dashboard.households_export",
                kind=EventKind.READ,
                details={
                    "filters": dict(filters.as_query()),
                    "projects": list(self.filters.project_ids or ()),
                    # Names are shown where the user may view the survey's personal data for
                    # the household's project and work group, masked elsewhere.
                    "names": "by project and work group",
                },
            )

    def _labels(self) -> tuple[dict[Any, str], dict[Any, str], dict[Any, str]]:
        # The cells name every project, district and work group the list can hold, in a few
        # hundred rows at most, so the labels cost three small queries whatever the list's size.
        cells = fig.cells_for_user(self.user, project_ids=self.filters.project_ids)
        keys = list(cells.values_list("project_id", "district_id", "group_id").distinct())
        return (
            dimension_labels("project", {k[0] for k in keys}),
            dimension_labels("district", {k[1] for k in keys}),
            dimension_labels("group", {k[2] for k in keys}),
        )

    def __iter__(self) -> Iterator[bytes]:
        cols = columns()
        letters = [get_column_letter(i) for i in range(1, len(cols) + 1)]
        projects, districts, groups = self._labels()
        codes = {pk: label.split(" ", 1)[0] for pk, label in projects.items()}
        yes, no = _("Yes"), _("No")
        kinds: dict[str, str] = {}
        modes: dict[str, str] = {}
        names = self.names

        sink = _Sink()
        archive = zipfile.ZipFile(cast(IO[bytes], sink), "w", compression=zipfile.ZIP_DEFLATED)
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook_xml(_("Households")))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        yield sink.take()

        # Past 2 GiB of sheet a zip needs its 64-bit records: allowed from the start, since the
        # size is not known until the end.
        sheet = archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        widths = "".join(
            f'<col min="{i}" max="{i}" width="{c.width}" customWidth="1"/>'
            for i, c in enumerate(cols, start=1)
        )
        header = "".join(
            f'<c r="{letters[i]}1" t="inlineStr" s="{_HEADER}"><is><t>{_text(c.title)}</t></is></c>'
            for i, c in enumerate(cols)
        )
        sheet.write(
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                "</sheetView></sheetViews>"
                f"<cols>{widths}</cols><sheetData>"
                f'<row r="1">{header}</row>'
            ).encode()
        )
        qs = households(self.user, self.filters).values_list(*_FIELDS)
        parts: list[str] = []
        number = 1
        for row in qs.iterator(chunk_size=self.chunk_rows):
            number += 1
            (project_id, code, head, district_id, group_id, kind, mode) = row[:7]
            flags = row[7 : 7 + len(STAGES) + 1]
            dates = row[8 + len(STAGES) : 12 + len(STAGES)]
            sums = row[12 + len(STAGES) :]
            if kind not in kinds:
                kinds[kind] = kind_label(kind)
            if mode not in modes:
                modes[mode] = mode_label(mode)
            name = head if names.shows(project_id, group_id) else mask_name(head)
            texts = (
                codes.get(project_id, str(project_id)),
                code,
                name,
                districts.get(district_id, ""),
                groups.get(group_id, ""),
                kinds[kind],
                modes[mode],
                *(yes if flag else no for flag in flags),
            )
            cells = [
                f'<c r="{letters[i]}{number}" t="inlineStr"><is><t>{_text(str(v))}</t></is></c>'
                for i, v in enumerate(texts)
            ]
            offset = len(texts)
            for i, day in enumerate(dates, start=offset):
                if day is not None:
                    serial = (day - _EXCEL_EPOCH).days
                    cells.append(f'<c r="{letters[i]}{number}" s="{_DATE}"><v>{serial}</v></c>')
            offset += len(dates)
            for i, value in enumerate(sums, start=offset):
                amount = Decimal(value or 0)
                cells.append(f'<c r="{letters[i]}{number}" s="{_DECIMAL}"><v>{amount}</v></c>')
            parts.append(f'<row r="{number}">{"".join(cells)}</row>')
            if len(parts) >= self.chunk_rows:
                sheet.write("".join(parts).encode())
                parts.clear()
                self.rows = number - 1
                data = sink.take()
                if data:  # the compressor may still hold a small chunk's bytes
                    yield data
        sheet.write("".join(parts).encode())
        sheet.write(b"</sheetData></worksheet>")
        sheet.close()
        archive.close()
        self.rows = number - 1
        yield sink.take()


def write_households(user: Any, filters: Filters, out: IO[bytes]) -> int:
    """Write the export of the households behind `filters` to `out`; the number of rows."""
    export = HouseholdExport(user, filters)
    for chunk in export:
        out.write(chunk)
    return export.rows
