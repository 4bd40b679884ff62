"""Import and export of a project's survey in the Excel format of zhengqian.survey.excel.

An import runs in two steps. The check reads every row, reports every fault at its sheet, row
and column, and works out which households would be imported; nothing is written. When the user
confirms, the stored file is checked again against the project as it is then, and the households
without faults are written in one transaction with one audit event. A household is all or
nothing: any fault in its own row or in a row of its persons, buildings or ancillaries skips it.

The check does its own field validation rather than calling ``full_clean`` on each object: one
query per lookup (dictionaries, work groups, codes and ID numbers already in the project) instead
of several per row, which is what lets 10,000 households go in within seconds. The model
constraints still guard the database.

The stored import (the job, its check, the confirmation), the cells' common parsers and the bulk
insert are shared with the other modules' imports (zhengqian.core.imports).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Final

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import require, work_group_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.models import EventKind
from zhengqian.audit.services import record
from zhengqian.core import imports as jobs
from zhengqian.core.idcard import PROVINCE_CODES, parse_id_number
from zhengqian.core.imports import (
    BATCH_SIZE,
    MAX_ROWS_PER_SHEET,
    MAX_UPLOAD_BYTES,
    PROGRESS_EVERY,
    SYNC_MAX_HOUSEHOLDS,
    CellFault,
    DataChanged,
    Progress,
    chunks,
    clean_code,
    memoised,
    parse_date,
    parse_integer,
    parse_text,
)
from zhengqian.core.imports import MAX_STORED_PROBLEMS as MAX_STORED_PROBLEMS
from zhengqian.core.imports import UploadRefused as UploadRefused

# Looked up here at call time, so that a test can make the write fail.
from zhengqian.core.imports import bulk_insert as _insert
from zhengqian.dashboard import progress
from zhengqian.projects.models import Project
from zhengqian.survey import excel
from zhengqian.survey.excel import Column, ColumnKind, SheetSpec
from zhengqian.survey.models import (
    Ancillary,
    Building,
    Household,
    HouseholdKind,
    Person,
    Sex,
    SurveyImport,
)
from zhengqian.survey.selectors import households_for_user

HEAD_RELATION: Final = "head"

_MOBILE = re.compile(r"(?:\+?86)?1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[0-9]{9,11}")  # area code and number
_LOCAL = re.compile(r"[2-9][0-9]{6,7}")  # a number without its area code
_SERVICE = re.compile(r"[48]00[0-9]{7}")
_EXTENSION = re.compile(r"(?:-|转|ext\.?|x)[0-9]{1,6}$", re.IGNORECASE)
_PHONE_SEPARATORS = re.compile(r"[/,，、;；]")
_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_LICENCE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_YES: Final = frozenset({"是", "y", "yes", "true", "1", "有"})
_NO: Final = frozenset({"否", "n", "no", "false", "0", "无"})
_MAX_AREA: Final = Decimal(10) ** 8  # max_digits 10, two of them decimals
_CENT: Final = Decimal("0.01")


_NULLABLE: Final = frozenset(
    {ColumnKind.DATE, ColumnKind.YEAR, ColumnKind.WORK_GROUP, ColumnKind.DECIMAL, ColumnKind.FLOORS}
)


def _kinds() -> dict[str, str]:
    table: dict[str, str] = {}
    for value, label in HouseholdKind.choices:
        table[excel.fold(value)] = value
        table[excel.fold(str(label))] = value
    for code, text in excel.KIND_LABELS.items():
        table[excel.fold(text)] = code
    return table


def _sexes() -> dict[str, str]:
    table = {excel.fold(label): value for value, label in excel.SEX_LABELS.items()}
    for value, label in Sex.choices:
        table[excel.fold(value)] = value
        table[excel.fold(str(label))] = value
    return table


# --- The result of a check -------------------------------------------------------------------


@dataclass(slots=True)
class Draft:
    """A household as read from the file, with its members' rows, not yet saved."""

    code: str
    row: int
    values: dict[str, Any]
    persons: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    buildings: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    ancillaries: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


@dataclass
class Report(jobs.ImportReport):
    """What a check found: the faults, and the households that would be imported."""

    drafts: dict[str, Draft]

    @property
    def kept(self) -> list[Draft]:
        return [d for code, d in self.drafts.items() if code not in self.skipped]

    def counts(self, drafts: Iterable[Draft] | None = None) -> dict[str, int]:
        chosen = list(self.kept if drafts is None else drafts)
        return {
            "households": len(chosen),
            "persons": sum(len(d.persons) for d in chosen),
            "buildings": sum(len(d.buildings) for d in chosen),
            "ancillaries": sum(len(d.ancillaries) for d in chosen),
        }

    def outcomes(self) -> Iterator[tuple[str, bool, str]]:
        for code in self.drafts:
            yield code, code not in self.skipped, self.skipped.get(code, "")


# --- The check -----------------------------------------------------------------------------


# Columns whose few distinct values recur on every row (dictionary labels, 男/女, work group
# names): each distinct value is parsed once.
_REPEATING: Final = frozenset(
    {
        ColumnKind.DICTIONARY,
        ColumnKind.SEX,
        ColumnKind.BOOLEAN,
        ColumnKind.HOUSEHOLD_KIND,
        ColumnKind.WORK_GROUP,
        ColumnKind.DIVISION,
    }
)


@dataclass(frozen=True, slots=True)
class _Plan:
    """How one column's cells are read."""

    key: str
    header: str
    required: bool
    group_required: bool
    parse: Callable[[Any], Any]
    empty: Any


def _empty(column: Column) -> Any:
    """The value of an empty cell (a required one is reported as a fault)."""
    if column.kind is ColumnKind.BOOLEAN:
        return True
    if column.kind is ColumnKind.HOUSEHOLD_KIND:
        return HouseholdKind.RESIDENTIAL.value
    if column.kind in _NULLABLE:
        return None
    return ""


class Validator(jobs.WorkbookCheck):
    """Checks a workbook for one project and actor. Lookups are loaded once, up front."""

    def __init__(
        self,
        *,
        actor: Any,
        project: Project,
        on_progress: Progress | None = None,
        today: dt.date | None = None,
    ) -> None:
        super().__init__(on_progress=on_progress)
        self.project = project
        self.today = today or timezone.localdate()
        self.vocabulary = excel.Vocabulary.load()
        self.groups = {
            excel.fold(name): (pk, name)
            for pk, name in project.work_groups.values_list("pk", "name")
        }
        # None: every work group; otherwise only households in these groups may be imported.
        self.allowed_groups = work_group_ids_with(actor, Module.SURVEY, Action.CREATE, project.pk)
        self.existing_codes = set(
            Household.objects.filter(project=project).values_list("code", flat=True)
        )
        # ID numbers already in the project, and the household that holds each.
        self.existing_ids: dict[str, str] = dict(
            Household.objects.filter(project=project)
            .exclude(head_id_number="")
            .values_list("head_id_number", "code")
        )
        self.existing_ids.update(
            Person.objects.filter(household__project=project)
            .exclude(id_number="")
            .values_list("id_number", "household__code")
        )
        self.kinds = _kinds()
        self.sexes = _sexes()
        year = self.today.year
        # One parser per kind of column, each (column, value) → value or CellFault.
        self._parsers: dict[ColumnKind, Callable[[Column, Any], Any]] = {
            ColumnKind.TEXT: parse_text,
            ColumnKind.HOUSEHOLD: parse_text,
            ColumnKind.ID_NUMBER: lambda c, v: self._id_number(v),
            ColumnKind.DICTIONARY: self._dictionary,
            ColumnKind.DECIMAL: lambda c, v: self._decimal(v),
            ColumnKind.DATE: self._date,
            ColumnKind.SEX: lambda c, v: self._choice(self.sexes, v, _("Write 男 or 女.")),
            ColumnKind.BOOLEAN: lambda c, v: self._boolean(v),
            ColumnKind.FLOORS: lambda c, v: parse_integer(v, 1, 200),
            ColumnKind.YEAR: lambda c, v: parse_integer(v, 1800, year),
            ColumnKind.HOUSEHOLD_KIND: lambda c, v: self._choice(
                self.kinds, v, _("Write 住宅 or 非住宅.")
            ),
            ColumnKind.WORK_GROUP: lambda c, v: self._work_group(v),
            ColumnKind.PHONE: self._phone,
            ColumnKind.DIVISION: lambda c, v: self._division(v),
            ColumnKind.LICENCE: lambda c, v: self._licence(v),
        }
        # Each sheet's columns with their parsers, worked out once rather than per cell.
        self._plans = {
            spec.key: [self._plan(c) for c in spec.columns if c.key != "household"]
            for spec in excel.SHEETS
        }

    # --- the whole workbook ---

    def run(self, fileobj: IO[bytes]) -> Report:
        drafts: dict[str, Draft] = {}
        duplicates: dict[str, list[int]] = defaultdict(list)

        def read(sheets: dict[str, excel.SheetReader]) -> None:
            self._read_households(sheets[excel.HOUSEHOLDS.key], drafts, duplicates)
            for spec in (excel.PERSONS, excel.BUILDINGS, excel.ANCILLARIES):
                self._read_members(sheets[spec.key], drafts)

        fatal = self.read_workbook(fileobj, excel.SHEETS, read)
        if fatal:
            self.problems = fatal
            return Report(self.problems, {}, {}, rows_read=self.rows_read, fatal=True)
        self._check_households(drafts, duplicates)
        self._check_id_numbers(drafts)
        self._check_building_numbers(drafts)
        # Faults are listed sheet by sheet, row by row, as the user reads the file.
        order = {spec.title: i for i, spec in enumerate(excel.SHEETS)}
        self.problems.sort(key=lambda p: (order.get(p.sheet, -1), p.row or 0))
        # The households skipped, in the order of the sheet 户表, each with its first fault.
        skipped = jobs.skipped_households(self.problems, drafts)
        return Report(self.problems, drafts, skipped, rows_read=self.rows_read)

    def _rows(self, sheet: excel.SheetReader) -> Iterator[tuple[int, dict[str, Any]]]:
        return self.rows(sheet, limit=MAX_ROWS_PER_SHEET, progress_every=PROGRESS_EVERY)

    def _read_households(
        self,
        sheet: excel.SheetReader,
        drafts: dict[str, Draft],
        duplicates: dict[str, list[int]],
    ) -> None:
        spec = sheet.spec
        for number, raw in self._rows(sheet):
            code = clean_code(raw.get("code"))
            values = self._parse_row(spec, number, raw, code)
            if not code:
                continue
            duplicates[code].append(number)
            if code not in drafts:
                drafts[code] = Draft(code=code, row=number, values=values)

    def _read_members(self, sheet: excel.SheetReader, drafts: dict[str, Draft]) -> None:
        spec = sheet.spec
        household_column = spec.column("household")
        for number, raw in self._rows(sheet):
            code = clean_code(raw.get("household"))
            draft = drafts.get(code) if code else None
            if code and draft is None:
                self.fault(
                    spec,
                    number,
                    household_column.header,
                    _("No household with the code %(code)s on the sheet %(sheet)s.")
                    % {"code": code, "sheet": excel.HOUSEHOLDS.title},
                    "",
                )
            values = self._parse_row(spec, number, raw, code if draft is not None else "")
            if draft is None:
                continue
            if spec is excel.PERSONS:
                self._check_person(spec, number, values, code, sex_given=raw.get("sex") is not None)
                draft.persons.append((number, values))
            elif spec is excel.BUILDINGS:
                self._check_building(spec, number, values, code)
                draft.buildings.append((number, values))
            else:
                draft.ancillaries.append((number, values))

    # --- one row ---

    def _parse_row(
        self, spec: SheetSpec, number: int, raw: dict[str, Any], code: str
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if spec is not excel.HOUSEHOLDS and raw.get("household") is None:
            self.fault(spec, number, spec.column("household").header, _("Required."), "")
        for plan in self._plans[spec.key]:
            value = raw.get(plan.key)
            if value is None:
                if plan.required:
                    self.fault(spec, number, plan.header, _("Required."), code)
                elif plan.group_required:
                    self.fault(
                        spec,
                        number,
                        plan.header,
                        _("Required: you may import households only into your own work groups."),
                        code,
                    )
                values[plan.key] = plan.empty
                continue
            try:
                values[plan.key] = plan.parse(value)
            except CellFault as exc:
                self.fault(spec, number, plan.header, str(exc), code)
                values[plan.key] = plan.empty
        return values

    def _plan(self, column: Column) -> _Plan:
        parser = self._parsers[column.kind]

        def parse_cell(value: Any) -> Any:
            return parser(column, value)

        parse = memoised(parse_cell) if column.kind in _REPEATING else parse_cell
        return _Plan(
            key=column.key,
            header=column.header,
            required=column.required,
            group_required=column.kind is ColumnKind.WORK_GROUP and self.allowed_groups is not None,
            parse=parse,
            empty=_empty(column),
        )

    # --- cells ---

    def _id_number(self, value: Any) -> str:
        if isinstance(value, float):
            raise CellFault(
                _(
                    "The ID number is stored as a number, and Excel keeps only its first 15 "
                    "digits. Format the column as text and type the number again."
                )
            )
        try:
            return parse_id_number(str(value), today=self.today).number
        except ValidationError as exc:
            raise CellFault(" ".join(exc.messages)) from None

    def _dictionary(self, column: Column, value: Any) -> str:
        text = str(value).strip()
        entry = self.vocabulary.find(column.dictionary, text)
        if entry is False:
            labels = self.vocabulary.active_labels(column.dictionary)
            raise CellFault(
                _("Unknown value “%(value)s”. Use one of: %(choices)s.")
                % {"value": text, "choices": "、".join(labels)}
            )
        if entry is None:
            raise CellFault(
                _("“%(value)s” names more than one entry of the list; write the code instead.")
                % {"value": text}
            )
        assert not isinstance(entry, bool)
        if not entry.active:
            raise CellFault(
                _("“%(value)s” is no longer in use (deactivated in the data dictionary).")
                % {"value": text}
            )
        return entry.code

    def _decimal(self, value: Any) -> Decimal:
        if isinstance(value, bool):
            raise CellFault(_("Not a number."))
        try:
            if isinstance(value, float):
                number = Decimal(repr(value))
            elif isinstance(value, int):
                number = Decimal(value)
            else:
                number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise CellFault(_("Not a number.")) from None
        if not number.is_finite():
            raise CellFault(_("Not a number."))
        if number < 0:
            raise CellFault(_("Must not be negative."))
        if number != number.quantize(_CENT):
            raise CellFault(_("At most two decimals."))
        if number >= _MAX_AREA:
            raise CellFault(_("Too large: less than 100,000,000 is expected."))
        return number.quantize(_CENT)

    def _date(self, column: Column, value: Any) -> dt.date:
        day = parse_date(value)
        earliest = dt.date(1900, 1, 1) if column.key == "birth_date" else dt.date(1800, 1, 1)
        if day < earliest:
            raise CellFault(_("Before %(date)s.") % {"date": earliest.isoformat()})
        if day > self.today:
            raise CellFault(_("In the future."))
        return day

    def _choice(self, table: dict[str, str], value: Any, hint: str) -> str:
        found = table.get(excel.fold(str(value)))
        if found is None:
            raise CellFault(_("Unknown value “%(value)s”.") % {"value": value} + " " + hint)
        return found

    def _boolean(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = excel.fold(str(value))
        if text in _YES:
            return True
        if text in _NO:
            return False
        raise CellFault(_("Write 是 or 否."))

    def _work_group(self, value: Any) -> int:
        found = self.groups.get(excel.fold(str(value)))
        if found is None:
            names = "、".join(name for _pk, name in self.groups.values()) or _("none")
            raise CellFault(
                _("The project has no work group “%(value)s”; its work groups: %(names)s.")
                % {"value": value, "names": names}
            )
        pk, name = found
        if self.allowed_groups is not None and pk not in self.allowed_groups:
            raise CellFault(
                _("You may import households only into your own work groups, not into %(name)s.")
                % {"name": name}
            )
        return pk

    def _phone(self, column: Column, value: Any) -> str:
        text = parse_text(column, value)
        for part in _PHONE_SEPARATORS.split(text):
            part = part.strip()
            # "-123" at the end is an extension, or the last group of "400-820-8820".
            candidates = {
                _PHONE_NOISE.sub("", part),
                _PHONE_NOISE.sub("", _EXTENSION.sub("", part)),
            }
            if not any(
                p.fullmatch(digits)
                for digits in candidates
                for p in (_MOBILE, _LANDLINE, _LOCAL, _SERVICE)
            ):
                raise CellFault(
                    _(
                        "“%(value)s” is not a phone number: an 11-digit mobile number or a "
                        "landline such as 0574-63001234 is expected."
                    )
                    % {"value": part}
                )
        return text

    def _division(self, value: Any) -> str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if not (len(text) == 6 and text.isascii() and text.isdigit()):
            raise CellFault(_("An administrative division code has six digits."))
        if text[:2] not in PROVINCE_CODES:
            raise CellFault(_("%(code)s does not start with a province code.") % {"code": text})
        return text

    def _licence(self, value: Any) -> str:
        text = "".join(unicodedata.normalize("NFKC", str(value)).split()).upper()
        if not _LICENCE.fullmatch(text):
            raise CellFault(
                _(
                    "A unified social credit code has 18 characters: digits and capital "
                    "letters other than I, O, S, V and Z."
                )
            )
        return text

    # --- rows that depend on other cells of the row ---

    def _check_person(
        self, spec: SheetSpec, number: int, values: dict[str, Any], code: str, *, sex_given: bool
    ) -> None:
        id_number = values.get("id_number") or ""
        if not id_number:
            # A sex that was given but not understood has been reported already.
            if not values.get("sex") and not sex_given:
                self.fault(
                    spec,
                    number,
                    spec.column("sex").header,
                    _("Required when the person has no ID number."),
                    code,
                )
            return
        sex = "M" if int(id_number[16]) % 2 else "F"
        if not values.get("sex"):
            values["sex"] = sex
        elif values["sex"] != sex:
            self.fault(
                spec,
                number,
                spec.column("sex").header,
                _("The ID number belongs to a person of the other sex."),
                code,
            )
        birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        # Empty sex and date of birth come from the ID number, as in the person form.
        if values.get("birth_date") is None:
            values["birth_date"] = birth
        elif values["birth_date"] != birth:
            self.fault(
                spec,
                number,
                spec.column("birth_date").header,
                _("The ID number gives the date of birth %(date)s.") % {"date": birth.isoformat()},
                code,
            )

    def _check_building(
        self, spec: SheetSpec, number: int, values: dict[str, Any], code: str
    ) -> None:
        year, built_on = values.get("year_built"), values.get("built_on")
        if year is not None and built_on is not None and built_on.year != year:
            self.fault(
                spec,
                number,
                spec.column("year_built").header,
                _("The year built does not agree with the date built (%(date)s).")
                % {"date": built_on.isoformat()},
                code,
            )

    # --- across rows and sheets ---

    def _check_households(self, drafts: dict[str, Draft], duplicates: dict[str, list[int]]) -> None:
        spec = excel.HOUSEHOLDS
        code_header = spec.column("code").header
        for code, rows in duplicates.items():
            if len(rows) > 1:
                for row in rows:
                    self.fault(
                        spec,
                        row,
                        code_header,
                        _("The household code %(code)s is on more than one row (rows %(rows)s).")
                        % {"code": code, "rows": ", ".join(map(str, rows))},
                        code,
                    )
        for code, draft in drafts.items():
            if code == excel.EXAMPLE_CODE:
                self.fault(
                    spec,
                    draft.row,
                    code_header,
                    _("This is the template's example household: delete its rows."),
                    code,
                )
            elif code in self.existing_codes:
                self.fault(
                    spec,
                    draft.row,
                    code_header,
                    _(
                        "The project already has a household %(code)s. The import adds new "
                        "households only; change existing ones on their pages."
                    )
                    % {"code": code},
                    code,
                )
            if draft.values.get("kind") == HouseholdKind.RESIDENTIAL:
                for key in ("business_licence", "tenants"):
                    if draft.values.get(key):
                        self.fault(
                            spec,
                            draft.row,
                            spec.column(key).header,
                            _("Only a non-residential household (非住宅) has this."),
                            code,
                        )
            self._check_head(draft)

    def _check_head(self, draft: Draft) -> None:
        spec = excel.HOUSEHOLDS
        persons = excel.PERSONS
        heads = [(row, v) for row, v in draft.persons if v.get("relation") == HEAD_RELATION]
        residential = draft.values.get("kind") == HouseholdKind.RESIDENTIAL
        if len(heads) > 1:
            rows = ", ".join(str(row) for row, _v in heads)
            for row, _v in heads:
                self.fault(
                    persons,
                    row,
                    persons.column("relation").header,
                    _("The household %(code)s has more than one head (rows %(rows)s).")
                    % {"code": draft.code, "rows": rows},
                    draft.code,
                )
        elif not heads and residential:
            self.fault(
                spec,
                draft.row,
                spec.column("code").header,
                _(
                    "The household has no head: one of its persons on the sheet %(sheet)s "
                    "needs the relation 户主."
                )
                % {"sheet": persons.title},
                draft.code,
            )
            # Its missing head name is the same fault; it is not reported twice.
            return
        head = heads[0][1] if len(heads) == 1 else None
        values = draft.values
        if head is not None:
            if not values.get("head_name"):
                values["head_name"] = head.get("name") or ""
            head_id = head.get("id_number") or ""
            if not values.get("head_id_number"):
                values["head_id_number"] = head_id
            elif head_id and values["head_id_number"] != head_id:
                self.fault(
                    spec,
                    draft.row,
                    spec.column("head_id_number").header,
                    _("Not the ID number of the head on the sheet %(sheet)s (row %(row)d).")
                    % {"sheet": persons.title, "row": heads[0][0]},
                    draft.code,
                )
        if not values.get("head_name"):
            self.fault(
                spec,
                draft.row,
                spec.column("head_name").header,
                _("Required, unless the sheet %(sheet)s lists the head.")
                % {"sheet": persons.title},
                draft.code,
            )

    def _check_id_numbers(self, drafts: dict[str, Draft]) -> None:
        """An ID number belongs to one person: once in the file, and not yet in the project
        (no double compensation, 杜绝二次补偿)."""
        occurrences: dict[str, list[tuple[SheetSpec, int, str, str]]] = defaultdict(list)
        id_header = excel.PERSONS.column("id_number").header
        head_header = excel.HOUSEHOLDS.column("head_id_number").header
        for code, draft in drafts.items():
            seen_here: set[str] = set()
            for row, values in draft.persons:
                number = values.get("id_number")
                if number:
                    occurrences[number].append((excel.PERSONS, row, id_header, code))
                    seen_here.add(number)
            head_number = draft.values.get("head_id_number")
            # The head's number on 户表 is the same person as the head on 家庭成员.
            if head_number and head_number not in seen_here:
                occurrences[head_number].append((excel.HOUSEHOLDS, draft.row, head_header, code))
        for number, places in occurrences.items():
            if len(places) > 1:
                where = "、".join(f"{spec.title} {row}" for spec, row, _h, _c in places)
                for spec, row, header, code in places:
                    self.fault(
                        spec,
                        row,
                        header,
                        _("This ID number is in the file more than once (%(where)s).")
                        % {"where": where},
                        code,
                    )
            holder = self.existing_ids.get(number)
            if holder is not None:
                for spec, row, header, code in places:
                    self.fault(
                        spec,
                        row,
                        header,
                        _(
                            "This ID number is already registered in household %(code)s of "
                            "the project."
                        )
                        % {"code": holder},
                        code,
                    )

    def _check_building_numbers(self, drafts: dict[str, Draft]) -> None:
        spec = excel.BUILDINGS
        header = spec.column("number").header
        for code, draft in drafts.items():
            rows_by_number: dict[str, list[int]] = defaultdict(list)
            for row, values in draft.buildings:
                if values.get("number"):
                    rows_by_number[values["number"]].append(row)
            for number, rows in rows_by_number.items():
                if len(rows) > 1:
                    for row in rows:
                        self.fault(
                            spec,
                            row,
                            header,
                            _(
                                "The household %(code)s has the building number %(number)s "
                                "more than once (rows %(rows)s)."
                            )
                            % {"code": code, "number": number, "rows": ", ".join(map(str, rows))},
                            code,
                        )


# --- The write -----------------------------------------------------------------------------
# The import itself (FLOW, below) checks the file (validate_upload) and, confirmed, checks it
# again and writes the households it kept (survey_import) with this.


@transaction.atomic
def _write(
    *,
    actor: Any,
    project: Project,
    grant: None,
    report: Report,
    kept: list[Draft],
    details: dict[str, Any],
    job: SurveyImport | None,
) -> dict[str, int]:
    details = {
        **details,
        "skipped_households": len(report.skipped),
        "errors": len(report.problems),
    }
    # The check ran outside this transaction; what another user saved since then must not
    # be duplicated. Codes are also unique in the database; ID numbers are not.
    codes = [d.code for d in kept]
    if any(
        Household.objects.filter(project=project, code__in=chunk).exists()
        for chunk in chunks(codes)
    ):
        raise DataChanged(_("Some of these households were added to the project meanwhile."))
    numbers = [v["id_number"] for d in kept for _row, v in d.persons if v.get("id_number")]
    if any(
        Person.objects.filter(household__project=project, id_number__in=chunk).exists()
        for chunk in chunks(numbers)
    ):
        raise DataChanged(_("Some of these ID numbers were registered in the project meanwhile."))
    households = [Household(project=project, code=d.code, **_household_fields(d)) for d in kept]
    # The households get their primary keys back (RETURNING), which their members then use.
    Household.objects.bulk_create(households, batch_size=BATCH_SIZE)
    written = {"households": len(households)}
    for model, attribute, columns in _MEMBERS:
        written[attribute] = _insert(
            model,
            ("household", *columns),
            (
                (household.pk, *(values[c] for c in columns))
                for household, draft in zip(households, kept, strict=True)
                for _row, values in getattr(draft, attribute)
            ),
        )
    # Bulk inserts send no signals: the dashboard's progress is told of the households.
    progress.touch(household.pk for household in households)
    # One event for the whole import, not one per row: the file's checksum names exactly
    # what was read, and the households carry their creation time.
    record(
        actor=actor,
        event_type="survey.import",
        target=job,
        project=project,
        details={**details, **written},
    )
    return written


_MEMBERS: Final = (
    (Person, "persons", tuple(c.key for c in excel.PERSONS.columns if c.key != "household")),
    (Building, "buildings", tuple(c.key for c in excel.BUILDINGS.columns if c.key != "household")),
    (
        Ancillary,
        "ancillaries",
        tuple(c.key for c in excel.ANCILLARIES.columns if c.key != "household"),
    ),
)


def _household_fields(draft: Draft) -> dict[str, Any]:
    v = dict(draft.values)
    v.pop("code", None)
    v["work_group_id"] = v.pop("work_group")
    return v


# --- The stored import: upload, check, confirmation (zhengqian.core.imports.ImportFlow) ------


def _require_create(actor: Any, project: Project) -> None:
    require(actor, Module.SURVEY, Action.CREATE, project=project)


FLOW: Final = jobs.ImportFlow(
    model=SurveyImport,
    authorise=_require_create,
    validator=lambda actor, project, grant, on_progress: Validator(
        actor=actor, project=project, on_progress=on_progress
    ),
    write_kept=_write,
    estimate_households=excel.estimate_households,
    # Looked up when used, so that a test can lower them.
    max_upload_bytes=lambda: MAX_UPLOAD_BYTES,
    sync_max_households=lambda: SYNC_MAX_HOUSEHOLDS,
)
validate_upload = FLOW.check
survey_import = FLOW.write
import_upload = FLOW.upload
run_validation = FLOW.run_validation
confirm_import = FLOW.confirm
run_import = FLOW.run_import


# --- Export --------------------------------------------------------------------------------


def survey_export(*, actor: Any, project: Project, out: IO[bytes]) -> dict[str, int]:
    """Write the survey of the households the actor may export, in the import format, and
    record the read (ID numbers and phones leave the system unmasked)."""
    require(actor, Module.SURVEY, Action.EXPORT, project=project)
    require(actor, Module.SURVEY, Action.VIEW_PERSONAL, project=project)
    households = households_for_user(actor, project, action=Action.EXPORT)
    vocabulary = excel.Vocabulary.load()
    groups = list(project.work_groups.order_by("name").values_list("name", flat=True))
    counts: dict[str, int] = defaultdict(int)
    excel.write_workbook(
        out,
        rows=_export_rows(households, vocabulary, counts),
        choices=excel.Choices(work_groups=groups, vocabulary=vocabulary),
    )
    result = {k: counts[k] for k in ("households", "persons", "buildings", "ancillaries")}
    record(
        actor=actor,
        event_type="survey.export",
        kind=EventKind.READ,
        project=project,
        details=result,
    )
    return result


def _export_rows(
    households: QuerySet[Household], v: excel.Vocabulary, counts: dict[str, int]
) -> dict[str, Iterator[list[Any]]]:
    kinds = excel.KIND_LABELS
    sexes = excel.SEX_LABELS

    def household_rows() -> Iterator[list[Any]]:
        for row in (
            households.order_by("code")
            .values_list(
                "code",
                "work_group__name",
                "kind",
                "head_name",
                "head_id_number",
                "phone",
                "division_code",
                "address",
                "land_type",
                "business_licence",
                "tenants",
                "notes",
            )
            .iterator(chunk_size=2000)
        ):
            counts["households"] += 1
            (code, group, kind, name, head_id, phone, division, address, land, lic, ten, notes) = (
                row
            )
            yield [
                code,
                group,
                kinds.get(kind, kind),
                name,
                head_id,
                phone,
                division,
                address,
                v.label("land_type", land),
                lic,
                ten,
                notes,
            ]

    def person_rows() -> Iterator[list[Any]]:
        for row in (
            Person.objects.filter(household__in=households)
            .order_by("household__code", "id")
            .values_list(
                "household__code",
                "name",
                "id_number",
                "relation",
                "sex",
                "birth_date",
                "hukou_type",
                "registered_here",
                "hukou_place",
                "special_status",
                "notes",
            )
            .iterator(chunk_size=2000)
        ):
            counts["persons"] += 1
            code, name, number, rel, sex, birth, hukou, here, place, status, notes = row
            yield [
                code,
                name,
                number,
                v.label("relation", rel),
                sexes.get(sex, sex),
                birth,
                v.label("hukou_type", hukou),
                excel.YES if here else excel.NO,
                place,
                v.label("special_status", status),
                notes,
            ]

    def building_rows() -> Iterator[list[Any]]:
        for row in (
            Building.objects.filter(household__in=households)
            .order_by("household__code", "number", "id")
            .values_list(
                "household__code",
                "number",
                "structure_type",
                "use",
                "floors",
                "year_built",
                "measured_area",
                "title_certificate_no",
                "built_on",
                "notes",
            )
            .iterator(chunk_size=2000)
        ):
            counts["buildings"] += 1
            code, number, structure, use, floors, year, area, title, built, notes = row
            yield [
                code,
                number,
                v.label("structure_type", structure),
                v.label("building_use", use),
                floors,
                year,
                area,
                title,
                built,
                notes,
            ]

    def ancillary_rows() -> Iterator[list[Any]]:
        for row in (
            Ancillary.objects.filter(household__in=households)
            .order_by("household__code", "id")
            .values_list(
                "household__code", "kind", "description", "quantity", "unit", "built_on", "notes"
            )
            .iterator(chunk_size=2000)
        ):
            counts["ancillaries"] += 1
            code, kind, description, quantity, unit, built, notes = row
            yield [code, v.label("ancillary_type", kind), description, quantity, unit, built, notes]

    return {
        excel.HOUSEHOLDS.key: household_rows(),
        excel.PERSONS.key: person_rows(),
        excel.BUILDINGS.key: building_rows(),
        excel.ANCILLARIES.key: ancillary_rows(),
    }


def template_for(*, actor: Any, project: Project, out: IO[bytes]) -> None:
    """The empty template of a project: its work groups and the dictionaries in the dropdowns,
    one example household."""
    require(actor, Module.SURVEY, Action.CREATE, project=project)
    choices = excel.Choices(
        work_groups=list(project.work_groups.order_by("name").values_list("name", flat=True)),
        vocabulary=excel.Vocabulary.load(),
    )
    excel.write_workbook(out, rows=excel.example_rows(choices), choices=choices, example=True)
