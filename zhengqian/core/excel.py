"""The Excel workbooks of the product's imports and exports: columns and sheets, reading and
writing, the faults of an upload (Problem) and their report.

A format is a few sheets (SheetSpec), each a row of column headers on row 1 and data from row 2,
joined by a key such as the household code. The sheet titles and column headers are the
identifiers of a format and stay Chinese whatever language the interface speaks, so that a file
exported by one user imports for any other. A header may also be given as the column's machine
key (``code``, ``id_number`` …), which a comment on each header cell names. Everything else in a
workbook (the instructions, the comments' explanations, the error report) is translated.

Reading and writing stream the rows instead of holding a workbook in memory. openpyxl (in its
read-only and write-only modes) handles the package: sheets, shared strings, styles, comments,
dropdowns. The cells of the data sheets are streamed by this module itself (WorkbookReader and
_fill_sheets), because openpyxl's own cell handling, without lxml, took most of the time of a
10,000-household import and nearly all of the time of its export (see bench/README.md).

The formats themselves live with their modules (zhengqian.survey.excel,
zhengqian.valuation.excel).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import shutil
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, Final

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet.datavalidation import DataValidation

# openpyxl's own choice of parser: defusedxml's when that is installed and asked for.
from openpyxl.xml.functions import fromstring, iterparse

from zhengqian.core.models import DictionaryEntry

XLSX_CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An .xlsx file is a zip archive; the old binary .xls is an OLE compound document.
_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0"

HEADER_ROW: Final = 1
FIRST_DATA_ROW: Final = 2
INSTRUCTIONS_TITLE: Final = "填写说明"
LISTS_TITLE: Final = "选项"


class ColumnKind(enum.Enum):
    """How a column's cells are read and checked (each module's import maps the kinds it uses
    to its parsers) and written (text and date columns get their cell format)."""

    TEXT = "text"
    HOUSEHOLD = "household"  # a household code: the key of 户表, the reference on other sheets
    WORK_GROUP = "work_group"
    HOUSEHOLD_KIND = "household_kind"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    DIVISION = "division"
    LICENCE = "licence"
    DICTIONARY = "dictionary"
    SEX = "sex"
    DATE = "date"
    BOOLEAN = "boolean"
    DECIMAL = "decimal"
    FLOORS = "floors"
    YEAR = "year"
    INTEGER = "integer"  # a whole number, such as the id of a record the row refers to


@dataclass(frozen=True)
class Column:
    key: str  # the model field (or "household" for the reference to 户表)
    header: str  # the Chinese header: part of the format, not translated
    kind: ColumnKind
    hint: Promise | str
    required: bool = False
    dictionary: str = ""
    max_length: int | None = None
    width: int = 14
    # Full-width characters folded and spaces dropped, as the household form does, so that
    # one certificate has one spelling and the duplicate check finds it.
    compact: bool = False
    # Written for the reader's information (what the row is about) and never read back: the
    # import neither needs the column nor looks at it.
    reference: bool = False

    @property
    def is_text(self) -> bool:
        return self.kind in _TEXT_KINDS


_TEXT_KINDS: Final = frozenset(
    {
        ColumnKind.TEXT,
        ColumnKind.HOUSEHOLD,
        ColumnKind.ID_NUMBER,
        ColumnKind.PHONE,
        ColumnKind.DIVISION,
        ColumnKind.LICENCE,
    }
)


@dataclass(frozen=True)
class SheetSpec:
    key: str
    title: str  # the Chinese sheet name: part of the format
    model: type[models.Model]
    columns: tuple[Column, ...]
    description: Promise | str = ""

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def row(self, values: Mapping[str, Any]) -> list[Any]:
        """A row in column order from {column key: value}; unknown keys are an error."""
        unknown = set(values) - {c.key for c in self.columns}
        if unknown:
            raise KeyError(f"not columns of {self.key}: {', '.join(sorted(unknown))}")
        return [values.get(c.key) for c in self.columns]


@dataclass(frozen=True)
class Problem:
    """One fault of an uploaded file, where Excel shows it: sheet, row number, column header."""

    sheet: str
    row: int | None
    column: str
    message: str
    household: str = ""

    def as_json(self) -> list[Any]:
        return [self.sheet, self.row, self.column, self.message, self.household]

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> Problem:
        sheet, row, column, message, household = data
        return cls(str(sheet), row, str(column), str(message), str(household))


# --- The dictionaries, both ways ---------------------------------------------------------------


def fold(text: str) -> str:
    """The form in which typed values are compared: full-width folded, spaces and case ignored."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


@dataclass
class Vocabulary:
    """The dictionary entries the format uses: labels for writing, lookups for reading.

    A cell may hold an entry's code or its Chinese or English label. A label that two entries
    of one kind share is ambiguous: such entries are written, and must be read, by code.
    """

    entries: dict[str, list[DictionaryEntry]]
    _lookup: dict[str, dict[str, DictionaryEntry | None]] = field(default_factory=dict)
    _labels: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def load(cls, kinds: Iterable[str]) -> Vocabulary:
        """The entries of these dictionary kinds, with one query."""
        kinds = tuple(kinds)
        entries: dict[str, list[DictionaryEntry]] = {kind: [] for kind in kinds}
        for entry in DictionaryEntry.objects.filter(kind__in=kinds).order_by(
            "kind", "sort_order", "code"
        ):
            entries[entry.kind].append(entry)
        vocabulary = cls(entries)
        for kind, items in entries.items():
            table: dict[str, DictionaryEntry | None] = {}
            for entry in items:
                for text in {entry.label_zh, entry.label_en} - {""}:
                    key = fold(text)
                    # None marks a label shared by two entries: ambiguous.
                    table[key] = None if key in table and table[key] is not entry else entry
            # Codes win over labels: a code is what the record stores.
            for entry in items:
                table[fold(entry.code)] = entry
            vocabulary._lookup[kind] = table
        return vocabulary

    def find(self, kind: str, text: str) -> DictionaryEntry | bool | None:
        """The entry for a typed value; None when ambiguous; False when unknown."""
        table = self._lookup.get(kind, {})
        key = fold(text)
        if key not in table:
            return False
        return table[key]

    def label(self, kind: str, code: str) -> str:
        """What an export writes for a stored code: its Chinese label when that reads back
        unambiguously, else the code itself."""
        if not code:
            return ""
        known = self._labels.get((kind, code))
        if known is None:
            entry = self.find(kind, code)
            if not isinstance(entry, DictionaryEntry) or entry.code != code:
                known = code
            else:
                known = entry.label_zh if self.find(kind, entry.label_zh) is entry else code
            self._labels[(kind, code)] = known
        return known

    def active_labels(self, kind: str) -> list[str]:
        return [
            e.label_zh if self.find(kind, e.label_zh) is e else e.code
            for e in self.entries.get(kind, [])
            if e.active
        ]


# --- Reading -------------------------------------------------------------------------------------


class UnreadableWorkbook(Exception):
    """The upload is not a workbook that can be read; the message says why, for the user."""


def _normalise_header(value: Any) -> str:
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    # People mark required columns with a star or 必填 in their own copies of a template.
    for suffix in ("(必填)", "*"):
        text = text.removesuffix(suffix).strip()
    return "".join(text.split()).casefold()


def _header_keys(spec: SheetSpec) -> dict[str, Column]:
    keys: dict[str, Column] = {}
    for column in spec.columns:
        if column.reference:
            continue
        keys[_normalise_header(column.header)] = column
        keys[_normalise_header(column.key)] = column
    return keys


def _sheet_keys(spec: SheetSpec) -> set[str]:
    return {_normalise_header(spec.title), _normalise_header(spec.key)}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


_NS: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW_EL: Final = _NS + "row"
_CELL_EL: Final = _NS + "c"
_VALUE_EL: Final = _NS + "v"
_INLINE_EL: Final = _NS + "is"
_TEXT_EL: Final = _NS + "t"
_RUN_EL: Final = _NS + "r"
_ROW_TAG: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?row[\s/>]")
_TAG_REACH: Final = 32  # longer than any match of _ROW_TAG
# What a damaged sheet raises while it streams: bad XML, a bad zip member, a bad number.
_DAMAGE: Final = (SyntaxError, ValueError, KeyError, IndexError, OSError, EOFError, zlib.error)


def _column_index(reference: str) -> int:
    """0-based column of a cell reference: "A7" → 0, "AB12" → 27."""
    index = 0
    for char in reference:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
        else:
            break
    return index - 1


def _inline_text(cell: Any) -> str | None:
    inline = cell.find(_INLINE_EL)
    if inline is None:
        return None
    parts: list[str] = []
    # Plain text, or rich-text runs; phonetic runs (<rPh>) are not part of the value.
    for child in inline:
        if child.tag == _TEXT_EL:
            parts.append(child.text or "")
        elif child.tag == _RUN_EL:
            parts.extend(t.text or "" for t in child if t.tag == _TEXT_EL)
    return "".join(parts)


def _number(text: str) -> int | float:
    return float(text) if ("." in text or "E" in text or "e" in text) else int(text)


class WorkbookReader:
    """An uploaded workbook, opened for streaming its sheets; a context manager that closes it.

    openpyxl's ExcelReader, in read-only mode, reads the package: the sheets' names and parts,
    the shared strings and the styles (which numbers are dates). The cells are then streamed
    here with ElementTree's C parser. openpyxl's read-only worksheets would parse each sheet
    once more when the workbook opens, to find its size when the file does not declare it
    (files from openpyxl's write-only mode, our templates and exports, do not), and their cell
    parser takes three times as long as this one, mostly on the inline strings such files hold:
    together more than half of an import's time.
    """

    def __init__(self, fileobj: IO[bytes]) -> None:
        head = fileobj.read(8)
        fileobj.seek(0)
        if not head:
            raise UnreadableWorkbook(_("The file is empty."))
        if head.startswith(_OLE_MAGIC):
            raise UnreadableWorkbook(
                _(
                    "This is an old Excel 97–2003 file (.xls). Open it in Excel and save it as "
                    "an Excel workbook (.xlsx), or start from the template."
                )
            )
        if not head.startswith(_ZIP_MAGIC):
            raise UnreadableWorkbook(
                _("The file is not an Excel workbook (.xlsx). Start from the template.")
            )
        try:
            package = ExcelReader(fileobj, read_only=True, data_only=True, keep_links=False)
            package.read_manifest()
            package.read_strings()
            package.read_workbook()
            apply_stylesheet(package.archive, package.wb)
            self._parts = {
                sheet.name: rel.target
                for sheet, rel in package.parser.find_sheets()
                if rel.target in package.valid_files and "chartsheet" not in rel.Type
            }
        # Whatever a broken package raises (zip, XML, openpyxl's own errors), the user is told
        # the file cannot be read: never a traceback.
        except Exception as exc:
            raise UnreadableWorkbook(
                _("The file cannot be read as an Excel workbook (.xlsx): it may be damaged.")
            ) from exc
        self._archive = package.archive
        self._strings = package.shared_strings
        self._date_styles = package.wb._date_formats
        self._timedelta_styles = package.wb._timedelta_formats
        self._epoch = package.wb.epoch
        self._titles = {_normalise_header(t): t for t in self._parts}

    def __enter__(self) -> WorkbookReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._archive.close()

    def title_of(self, spec: SheetSpec) -> str | None:
        """The workbook's name for a sheet of the format (its title or key, spaces and case
        aside), or None when it has none."""
        return next((self._titles[k] for k in _sheet_keys(spec) if k in self._titles), None)

    def _value(self, cell: Any) -> Any:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            return _inline_text(cell)
        text = cell.findtext(_VALUE_EL)
        if text is None:
            return None
        if kind == "s":
            return self._strings[int(text)]
        if kind == "n":
            number = _number(text)
            style = cell.get("s")
            if style and int(style) in self._date_styles:
                try:
                    return from_excel(
                        number, self._epoch, timedelta=int(style) in self._timedelta_styles
                    )
                except (OverflowError, ValueError):
                    return text
            return number
        if kind == "b":
            return text == "1"
        if kind == "d":
            return from_ISO8601(text)
        return text  # "str" (a formula's text) and "e" (an error such as #N/A)

    def sheet_rows(self, title: str) -> Generator[tuple[int, list[Any]], None, None]:
        """(row number, values by 0-based column) of the rows a sheet holds, as Excel shows
        them; data only: a formula gives its last computed value."""
        value = self._value
        number = 0
        with self._archive.open(self._parts[title]) as source:
            for _event, element in iterparse(source, events=("end",)):
                if element.tag != _ROW_EL:
                    continue
                reference = element.get("r")
                number = int(reference) if reference else number + 1
                values: list[Any] = []
                column = -1
                for cell in element:
                    if cell.tag != _CELL_EL:
                        continue
                    cell_reference = cell.get("r")
                    column = _column_index(cell_reference) if cell_reference else column + 1
                    if column >= len(values):
                        values.extend([None] * (column + 1 - len(values)))
                    values[column] = value(cell)
                # The row is done with: its cells are freed as the sheet streams by.
                element.clear()
                yield number, values

    def count_rows(self, title: str) -> int | None:
        """The rows a sheet holds (blank ones too), counted in its XML without parsing it: a
        fraction of the cost of reading it, for the progress bar. None when unreadable."""
        count = 0
        tail = b""
        try:
            with self._archive.open(self._parts[title]) as source:
                while True:
                    chunk = source.read(1 << 20)
                    data = tail + chunk
                    if not chunk:
                        return count + len(_ROW_TAG.findall(data))
                    # A tag cut by the chunk's end is counted with the next chunk, only there.
                    boundary = max(0, len(data) - _TAG_REACH)
                    count += sum(1 for m in _ROW_TAG.finditer(data) if m.start() < boundary)
                    tail = data[boundary:]
        except _DAMAGE:
            return None

    def open_sheets(
        self, specs: Sequence[SheetSpec]
    ) -> tuple[dict[str, SheetReader], list[Problem]]:
        """The sheets of a format, or the problems that keep them from being read at all: a
        sheet or a column missing, a column twice. Reference columns are not read."""
        readers: dict[str, SheetReader] = {}
        problems: list[Problem] = []
        for spec in specs:
            title = self.title_of(spec)
            if title is None:
                problems.append(
                    Problem(
                        spec.title,
                        None,
                        "",
                        _(
                            "The sheet %(sheet)s is missing. The workbook needs the sheets "
                            "%(sheets)s, as in the template."
                        )
                        % {"sheet": spec.title, "sheets": "、".join(s.title for s in specs)},
                    )
                )
                continue
            rows = self.sheet_rows(title)
            try:
                first = next(rows, None)
            except _DAMAGE:
                first = None
            rows.close()  # closes the sheet's stream: its rows are read later
            header = first[1] if first is not None and first[0] == HEADER_ROW else []
            known = _header_keys(spec)
            positions: dict[str, int] = {}
            for index, value in enumerate(header):
                column = known.get(_normalise_header(value))
                if column is None:
                    continue
                if column.key in positions:
                    problems.append(
                        Problem(
                            spec.title,
                            HEADER_ROW,
                            column.header,
                            _("The column %(column)s appears twice.") % {"column": column.header},
                        )
                    )
                    continue
                positions[column.key] = index
            missing = [c.header for c in spec.columns if c.key not in positions and not c.reference]
            for name in missing:
                problems.append(
                    Problem(
                        spec.title,
                        HEADER_ROW,
                        name,
                        _(
                            "The column %(column)s is missing from row 1. Keep every column of "
                            "the template (the order does not matter)."
                        )
                        % {"column": name},
                    )
                )
            if not missing:
                readers[spec.key] = SheetReader(
                    spec=spec, reader=self, title=title, positions=positions
                )
        return readers, problems


@dataclass
class SheetReader:
    """The rows of one sheet, as {column key: cell value} with texts stripped and blanks None."""

    spec: SheetSpec
    reader: WorkbookReader
    title: str
    positions: dict[str, int]

    def estimated_rows(self) -> int | None:
        rows = self.reader.count_rows(self.title)
        return None if rows is None else max(0, rows - HEADER_ROW)

    def rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        positions = list(self.positions.items())
        stream = self.reader.sheet_rows(self.title)
        while True:
            try:
                number, raw = next(stream)
            except StopIteration:
                return
            except _DAMAGE as exc:
                raise UnreadableWorkbook(
                    _("The sheet %(sheet)s is damaged and cannot be read.")
                    % {"sheet": self.spec.title}
                ) from exc
            if number < FIRST_DATA_ROW:
                continue
            width = len(raw)
            values = {
                key: _clean(raw[index]) if index < width else None for key, index in positions
            }
            if all(v is None for v in values.values()):
                continue
            yield number, values


def estimate_rows(fileobj: IO[bytes], spec: SheetSpec) -> int | None:
    """Data rows on a sheet (None when unknown; 0 when the file is not a readable workbook,
    whose check is immediate): enough to decide whether a file is checked within the request
    or in the background."""
    try:
        with WorkbookReader(fileobj) as reader:
            title = reader.title_of(spec)
            if title is None:
                return 0
            rows = reader.count_rows(title)
            return None if rows is None else max(0, rows - HEADER_ROW)
    except UnreadableWorkbook:
        return 0
    finally:
        fileobj.seek(0)


# --- Writing -------------------------------------------------------------------------------------

HEADER_FONT: Final = Font(bold=True)
REQUIRED_FONT: Final = Font(bold=True, color="C00000")
_REFERENCE_FONT: Final = Font(bold=True, color="808080")
HEADER_FILL: Final = PatternFill("solid", fgColor="DDEBF7")
_REFERENCE_FILL: Final = PatternFill("solid", fgColor="EDEDED")
_EXAMPLE_FONT: Final = Font(italic=True, color="808080")
WRAP: Final = Alignment(wrap_text=True, vertical="top")
# Data validation dropdowns reach this far down: the rows a sheet can take.
_LAST_ROW: Final = 1_048_576

# (list name, values) in the order of the columns of the hidden sheet 选项.
Lists = Sequence[tuple[str, Sequence[str]]]


def data_cell(ws: Any, value: Any) -> WriteOnlyCell:
    """A cell of a workbook the system writes: text stays text, even when it starts with "="
    (a name or number typed by a user must never become a formula in the reader's Excel)."""
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def _header_font(column: Column) -> Font:
    if column.reference:
        return _REFERENCE_FONT
    return REQUIRED_FONT if column.required else HEADER_FONT


def _header_cell(ws: Any, column: Column) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=column.header)
    cell.font = _header_font(column)
    cell.fill = _REFERENCE_FILL if column.reference else HEADER_FILL
    required = _("Required.") if column.required else ""
    text = f"{column.key}\n{column.hint}"
    if required and not str(column.hint).startswith(required):
        text = f"{column.key}\n{required} {column.hint}"
    comment = Comment(text, "征迁")
    comment.width = 260
    comment.height = 110
    cell.comment = comment
    return cell


def _data_sheet(
    workbook: Workbook,
    spec: SheetSpec,
    rows: Iterable[Sequence[Any]],
    list_ranges: Mapping[str, str],
    list_name: Callable[[Column], str | None],
) -> None:
    ws = workbook.create_sheet(spec.title)
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        if column.is_text:
            # Typed numbers stay text: ID numbers keep all 18 digits, codes their leading zeros.
            ws.column_dimensions[letter].number_format = "@"
        elif column.kind is ColumnKind.DATE:
            ws.column_dimensions[letter].number_format = DATE_FORMAT
        name = list_name(column)
        if name and name in list_ranges:
            validation = DataValidation(
                type="list",
                formula1=list_ranges[name],
                allow_blank=True,
                showErrorMessage=True,
                # A warning, not a stop: the import also takes the dictionary codes.
                errorStyle="warning",
                errorTitle=_("Not in the list"),
                error=_("Choose a value from the list."),
            )
            validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{_LAST_ROW}")
            ws.data_validations.append(validation)
    ws.freeze_panes = "B2"
    ws.append([_header_cell(ws, c) for c in spec.columns])
    for row in rows:
        cells = []
        for value in row:
            cell = data_cell(ws, value)
            cell.font = _EXAMPLE_FONT
            cells.append(cell)
        ws.append(cells)


def _lists_sheet(workbook: Workbook, lists: Lists) -> None:
    """The hidden sheet behind the dropdowns: one column per list (see _list_ranges)."""
    ws = workbook.create_sheet(LISTS_TITLE)
    ws.sheet_state = "hidden"
    longest = max((len(values) for _name, values in lists), default=0)
    ws.append([name for name, _values in lists])
    for i in range(longest):
        ws.append([values[i] if i < len(values) else None for _name, values in lists])


def _list_ranges(lists: Lists) -> dict[str, str]:
    ranges: dict[str, str] = {}
    for index, (name, values) in enumerate(lists, start=1):
        if values:
            letter = get_column_letter(index)
            ranges[name] = f"'{LISTS_TITLE}'!${letter}$2:${letter}${len(values) + 1}"
    return ranges


@dataclass
class Instructions:
    """The sheet 填写说明: a title, lines of advice, then every sheet's columns with their
    hints, then (label, text) lines such as the project's work groups."""

    title: str
    lines: Sequence[str]
    extra: Sequence[tuple[str, str]] = ()


def _instructions_sheet(
    workbook: Workbook, specs: Sequence[SheetSpec], instructions: Instructions
) -> None:
    ws = workbook.create_sheet(INSTRUCTIONS_TITLE)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 12
    ws.column_dimensions["C"].width = 90
    title = WriteOnlyCell(ws, value=instructions.title)
    title.font = Font(bold=True, size=14)
    ws.append([title])
    for line in instructions.lines:
        ws.append([None, None, line])
    ws.append([])
    for spec in specs:
        sheet = WriteOnlyCell(ws, value=spec.title)
        sheet.font = Font(bold=True)
        ws.append([sheet, None, str(spec.description)])
        for column in spec.columns:
            name = WriteOnlyCell(ws, value=column.header)
            name.font = _header_font(column)
            hint = WriteOnlyCell(ws, value=str(column.hint))
            hint.alignment = WRAP
            if column.reference:
                note = _("for reference")
            else:
                note = _("required column") if column.required else ""
            ws.append([name, note, hint])
        ws.append([])
    for label, text in instructions.extra:
        ws.append([label, None, text])


def _no_list(column: Column) -> str | None:
    return None


def write_workbook(
    out: IO[bytes],
    *,
    specs: Sequence[SheetSpec],
    rows: Mapping[str, Iterable[Sequence[Any]]],
    instructions: Instructions,
    lists: Lists = (),
    list_name: Callable[[Column], str | None] = _no_list,
    example: bool = False,
) -> None:
    """Write a workbook in a format: its sheets with the given rows (in column order, by sheet
    key), the instructions and the hidden lists behind the dropdowns (``list_name`` names a
    column's list). ``example`` rows are greyed.

    openpyxl writes the workbook with the headers, their comments, the dropdowns, the column
    formats and the other sheets; the data rows of an export are then streamed into the sheets
    here (see _fill_sheets), which takes a tenth of the time openpyxl's write-only mode needs
    for them without lxml.
    """
    workbook = Workbook(write_only=True)
    # The dropdowns refer to the hidden sheet, so its ranges are known before the data sheets.
    list_ranges = _list_ranges(lists)
    for spec in specs:
        _data_sheet(
            workbook, spec, rows.get(spec.key, ()) if example else (), list_ranges, list_name
        )
    _instructions_sheet(workbook, specs, instructions)
    if lists:
        _lists_sheet(workbook, lists)
    if example:
        workbook.save(out)
        return
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as skeleton:
        workbook.save(skeleton)
        skeleton.seek(0)
        _fill_sheets(skeleton, out, specs, rows)


# --- Streaming the data rows into a written workbook --------------------------------------

DATE_FORMAT: Final = "yyyy-mm-dd"
_EXCEL_EPOCH: Final = dt.date(1899, 12, 30)
_EXCEL_EPOCH_TIME: Final = dt.datetime(1899, 12, 30)
# Excel's dates start on 1 March 1900 (before it, its calendar has a 29 February 1900): an
# earlier date is written as text, which the import reads as well.
_FIRST_EXCEL_DATE: Final = dt.date(1900, 3, 1)
_ILLEGAL_XML: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_COL: Final = re.compile(r"<col\s([^>]*?)/?>")
_ATTRIBUTE: Final = re.compile(r'(\w+)="([^"]*)"')


def _worksheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part in the package (from the workbook and its relationships)."""
    # The package is the one openpyxl has just written, not an upload.
    relationships = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in relationships}
    workbook = fromstring(archive.read("xl/workbook.xml"))
    r_id = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    parts: dict[str, str] = {}
    for sheet in workbook.iter(_NS + "sheet"):
        target = targets.get(sheet.get(r_id), "")
        parts[sheet.get("name", "")] = target[1:] if target.startswith("/") else f"xl/{target}"
    return parts


def _column_styles(head: str) -> dict[int, str]:
    """0-based column → the style of its <col> (the text or date format set above)."""
    styles: dict[int, str] = {}
    for match in _COL.finditer(head):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        if "style" in attributes:
            for column in range(int(attributes["min"]), int(attributes["max"]) + 1):
                styles[column - 1] = attributes["style"]
    return styles


def _cell_xml(reference: str, value: Any, style: str | None) -> str:
    s = f' s="{style}"' if style else ""
    if isinstance(value, str):
        text = _ILLEGAL_XML.sub("", value)
        space = ' xml:space="preserve"' if text != text.strip() else ""
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f'<c r="{reference}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{reference}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | Decimal):
        return f'<c r="{reference}"{s}><v>{value}</v></c>'
    if isinstance(value, float):
        return f'<c r="{reference}"{s}><v>{value!r}</v></c>'
    if isinstance(value, dt.datetime):
        if style and value.date() >= _FIRST_EXCEL_DATE:
            serial = (value.replace(tzinfo=None) - _EXCEL_EPOCH_TIME) / dt.timedelta(days=1)
            return f'<c r="{reference}"{s}><v>{serial!r}</v></c>'
        return _cell_xml(reference, value.isoformat(sep=" "), style)
    if isinstance(value, dt.date):
        if style and value >= _FIRST_EXCEL_DATE:
            return f'<c r="{reference}"{s}><v>{(value - _EXCEL_EPOCH).days}</v></c>'
        return _cell_xml(reference, value.isoformat(), style)
    return _cell_xml(reference, str(value), style)


def _with_dimension(head: str, dimension: str) -> str:
    # The dimension follows <sheetPr> and comes before everything else the sheet holds.
    for tag in ("<sheetViews", "<sheetFormatPr", "<cols", "<sheetData"):
        at = head.find(tag)
        if at != -1:
            return head[:at] + dimension + head[at:]
    return head


def _fill_sheets(
    skeleton: IO[bytes],
    out: IO[bytes],
    specs: Sequence[SheetSpec],
    rows: Mapping[str, Iterable[Sequence[Any]]],
) -> None:
    """Copy the package, streaming each data sheet's rows in after its header row."""
    with (
        zipfile.ZipFile(skeleton) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        parts = _worksheet_parts(source)
        sheets = {parts[spec.title]: spec for spec in specs}
        for item in source.infolist():
            spec = sheets.get(item.filename)
            if spec is None:
                target.writestr(item, source.read(item.filename))
                continue
            head, tail = source.read(item.filename).decode().split("</sheetData>", 1)
            styles = _column_styles(head)
            letters = [get_column_letter(i + 1) for i in range(len(spec.columns))]
            # The rows go to a temporary file first: the dimension, written before them,
            # needs their number, and the rows come from a query that is read only once.
            with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as body:
                last = HEADER_ROW
                chunk: list[str] = []
                for last, values in enumerate(rows.get(spec.key, ()), start=FIRST_DATA_ROW):
                    chunk.append(f'<row r="{last}">')
                    for index, value in enumerate(values):
                        if value is not None and value != "":
                            reference = f"{letters[index]}{last}"
                            chunk.append(_cell_xml(reference, value, styles.get(index)))
                    chunk.append("</row>")
                    if len(chunk) > 20_000:
                        body.write("".join(chunk).encode())
                        chunk = []
                body.write("".join(chunk).encode())
                body.seek(0)
                dimension = f'<dimension ref="A1:{letters[-1]}{last}"/>'
                with target.open(item.filename, "w") as entry:
                    entry.write(_with_dimension(head, dimension).encode())
                    shutil.copyfileobj(body, entry)
                    entry.write(f"</sheetData>{tail}".encode())


def write_problems(
    out: IO[bytes], problems: Iterable[Problem], outcomes: Iterable[tuple[str, bool | str, str]]
) -> None:
    """The error report: the faults (sheet / row / column / message) and, per household,
    whether it is imported or skipped (True / False), or what else became of it (a text)."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(_("Errors"))
    for letter, width in zip("ABCDE", (12, 8, 18, 20, 90), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    header = [_("Sheet"), _("Row"), _("Column"), _("Household code"), _("Problem")]
    ws.append([_bold(ws, h) for h in header])
    for p in problems:
        ws.append([p.sheet, p.row, p.column, p.household, p.message])
    households = workbook.create_sheet(_("Households"))
    households.column_dimensions["A"].width = 20
    households.column_dimensions["B"].width = 14
    households.column_dimensions["C"].width = 60
    households.append([_bold(households, h) for h in (_("Household code"), _("Result"), _("Why"))])
    for code, kept, why in outcomes:
        result = kept if isinstance(kept, str) else _("imported") if kept else _("skipped")
        households.append([code, result, why])
    workbook.save(out)


def _bold(ws: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    return cell
