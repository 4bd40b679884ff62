"""Import and export of a project's valuations in the Excel format of zhengqian.valuation.excel.

The workbook the valuers download lists the project's households, buildings and ancillaries with
the figures entered so far; they fill it in and upload it. An import runs in two steps, as the
survey's does (zhengqian.core.imports): the check reads every row, reports every fault at its
sheet, row and column, and works out which households would be written; nothing is written. When
the valuer confirms, the stored file is checked again against the project as it is then, and the
valid households are written in one transaction, each valuation replaced as a whole.

The rules are those of services.valuation_save, applied to a whole file: the same parsers of
areas, prices and amounts, value = quantity × unit price to the fen (services.check_product),
business stoppage loss only for a non-residential household, the valuation date the day the
decision was announced, the figures of an issued report changed only while an objection has
reopened the valuation, and the totals computed by services.compute_totals. Like valuation_confirm,
it also wants every building and ancillary of a household valued. A household is all or nothing:
any fault in one of its rows skips it. A household none of whose figures is filled in is left
alone (the workbook lists every household), and so is one whose figures are unchanged.

Lookups are loaded once, up front, and the write is a few statements per table whatever the
number of households: 10,000 households are checked and written within seconds (bench/).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, Final, NamedTuple, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import AccessDenied, require, work_group_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.models import EventKind
from zhengqian.audit.services import record
from zhengqian.core import imports as jobs
from zhengqian.core.excel import (
    Column,
    ColumnKind,
    SheetReader,
    SheetSpec,
    Vocabulary,
)
from zhengqian.core.imports import (
    BATCH_SIZE,
    MAX_ROWS_PER_SHEET,
    MAX_UPLOAD_BYTES,
    PROGRESS_EVERY,
    SYNC_MAX_HOUSEHOLDS,
    CellFault,
    DataChanged,
    Progress,
    bulk_insert,
    bulk_update,
    chunks,
    clean_code,
    parse_date,
    parse_integer,
    parse_text,
)
from zhengqian.projects.models import Project
from zhengqian.survey.models import Ancillary, Building, Household, HouseholdKind
from zhengqian.survey.selectors import households_for_user
from zhengqian.valuation import excel, services
from zhengqian.valuation.excel import ANCILLARIES, BUILDINGS, DECORATIONS, HOUSEHOLDS
from zhengqian.valuation.models import (
    AncillaryValuation,
    AppraisalFirm,
    BuildingValuation,
    DecorationItem,
    Valuation,
    ValuationStatus,
    Valuer,
)
from zhengqian.valuation.models_import import ValuationImport

# One audit event per this many households written (see _write).
AUDIT_BATCH: Final = 500
_MAX_ID: Final = 2**63 - 1
# A cell whose value was refused (its fault is reported): later checks leave it alone.
_BAD: Final = object()


def require_project_valuer(actor: Any, project: Project) -> AppraisalFirm:
    """services.require_valuer for a whole project: valuation/change in the project, and a
    valuer of the firm chosen for it. The work groups are checked household by household."""
    require(actor, Module.VALUATION, Action.CHANGE, project=project)
    firm = services.chosen_firm(project.pk)
    valuer_firm = Valuer.objects.filter(user_id=actor.pk).values_list("firm_id", flat=True).first()
    if firm is None or valuer_firm != firm.pk:
        raise AccessDenied(
            _("Only valuers of the appraisal firm chosen for this project enter valuations."),
            module=Module.VALUATION.value,
            action=Action.CHANGE.value,
            project_id=project.pk,
        )
    return firm


# --- What the database holds -----------------------------------------------------------------


class _Household(NamedTuple):
    pk: int
    kind: str
    work_group_id: int | None


class _Stored(NamedTuple):
    """A household's valuation as it is: what the import compares, replaces and reports."""

    pk: int
    firm_id: int
    status: str
    reopened: bool
    version: int
    total: Decimal
    updated_at: dt.datetime
    header: tuple[Any, ...]  # report_no, valuation_date, business_loss, business_loss_basis


# The lines of a valuation as the file gives them. They compare equal to the tuples of the
# stored lines, and they have the attributes (value, amount) services.compute_totals adds up.


class BuildingLine(NamedTuple):
    building_id: int
    area: Decimal
    unit_price: Decimal
    value: Decimal
    notes: str


class DecorationLine(NamedTuple):
    building_id: int | None
    description: str
    amount: Decimal


class AncillaryLine(NamedTuple):
    ancillary_id: int
    quantity: Decimal
    unit_price: Decimal
    value: Decimal


@dataclass(slots=True)
class Plan:
    """A household's valuation as the file gives it, checked: what the import writes."""

    header: dict[str, Any]
    buildings: list[BuildingLine]
    decorations: list[DecorationLine]
    ancillaries: list[AncillaryLine]


@dataclass(slots=True)
class Draft:
    """A household as read from the file, with its rows on each sheet."""

    code: str
    rows: list[int] = field(default_factory=list)  # its rows on 户评估
    header: dict[str, Any] = field(default_factory=dict)
    filled: bool = False  # any of its figures filled in
    buildings: list[tuple[int, dict[str, Any], bool]] = field(default_factory=list)
    decorations: list[tuple[int, dict[str, Any], bool]] = field(default_factory=list)
    ancillaries: list[tuple[int, dict[str, Any], bool]] = field(default_factory=list)
    household: _Household | None = None
    stored: _Stored | None = None
    plan: Plan | None = None

    @property
    def row(self) -> int | None:
        return self.rows[0] if self.rows else None


@dataclass
class Report(jobs.ImportReport):
    """What a check found: the faults, and what becomes of each household of the file."""

    drafts: dict[str, Draft]
    unchanged: list[str] = field(default_factory=list)
    # Households of the workbook none of whose figures is filled in.
    blank: int = 0

    @property
    def listed(self) -> list[Draft]:
        return [d for d in self.drafts.values() if d.filled]

    @property
    def kept(self) -> list[Draft]:
        return [d for d in self.listed if d.plan is not None and d.code not in self.skipped]

    @staticmethod
    def counts(drafts: Iterable[Draft]) -> dict[str, int]:
        chosen = list(drafts)
        return {
            "households": len(chosen),
            "buildings": sum(len(d.buildings) for d in chosen),
            "decorations": sum(sum(1 for *_r, f in d.decorations if f) for d in chosen),
            "ancillaries": sum(len(d.ancillaries) for d in chosen),
        }

    def more_summary(self) -> dict[str, Any]:
        return {
            "unchanged": len(self.unchanged),
            "blank": self.blank,
            "other_outcomes": [[code, _("unchanged"), ""] for code in self.unchanged],
        }


# --- The check -------------------------------------------------------------------------------


def _service_parser(
    parse: Callable[[Any, str], Decimal], maximum: Decimal
) -> Callable[[Column, Any], Decimal]:
    """A cell parsed by one of the services' parsers, its message the fault's.

    A valid number goes through the parsers' own rule (services.parse_number) without the
    message of an invalid one, which each call of the parser translates beforehand: that took a
    third of the check of a large file. A refused cell is parsed again by the parser itself, for
    its message.
    """

    def cell(column: Column, value: Any) -> Decimal:
        try:
            return services.parse_number(value, column.key, maximum, "")
        except ValidationError:
            pass
        try:
            return parse(value, column.key)
        except ValidationError as exc:
            raise CellFault(" ".join(exc.messages)) from None

    return cell


_AREA = _service_parser(services.parse_area, services.AREA_MAX)
_PRICE = _service_parser(services.parse_price, services.PRICE_MAX)
_MONEY = _service_parser(services.parse_money, services.MONEY_MAX)
_DECIMALS: Final = {
    "area": _AREA,
    "quantity": _AREA,
    "unit_price": _PRICE,
    "value": _MONEY,
    "amount": _MONEY,
    "business_loss": _MONEY,
}


def _parser(column: Column) -> Callable[[Any], Any]:
    if column.kind is ColumnKind.DATE:
        return parse_date
    if column.kind is ColumnKind.INTEGER:
        return lambda value: parse_integer(value, 1, _MAX_ID)
    if column.kind is ColumnKind.DECIMAL:
        decimal = _DECIMALS[column.key]
        return lambda value: decimal(column, value)
    return lambda value: parse_text(column, value)


class Validator(jobs.WorkbookCheck):
    """Checks a workbook for one project and valuer. Lookups are loaded once, up front."""

    def __init__(
        self,
        *,
        actor: Any,
        project: Project,
        firm: AppraisalFirm,
        on_progress: Progress | None = None,
    ) -> None:
        super().__init__(on_progress=on_progress)
        self.project = project
        self.firm = firm
        self.decision_date = services.decision_date(project.pk)
        # None: every work group; otherwise only households in these groups may be imported.
        self.allowed_groups = work_group_ids_with(
            actor, Module.VALUATION, Action.CHANGE, project.pk
        )
        self.households = {
            code: _Household(pk, kind, group)
            for code, pk, kind, group in Household.objects.filter(project=project).values_list(
                "code", "pk", "kind", "work_group_id"
            )
        }
        self.buildings: dict[int, dict[str, int]] = defaultdict(dict)
        for household_id, number, pk in Building.objects.filter(
            household__project=project
        ).values_list("household_id", "number", "pk"):
            self.buildings[household_id][number] = pk
        self.ancillaries: dict[int, dict[int, tuple[str, str]]] = defaultdict(dict)
        for household_id, pk, unit, kind in Ancillary.objects.filter(
            household__project=project
        ).values_list("household_id", "pk", "unit", "kind"):
            self.ancillaries[household_id][pk] = (unit, kind)
        self.stored = {
            row[0]: _Stored(
                pk=row[1],
                firm_id=row[2],
                status=row[3],
                reopened=row[4] is not None,
                version=row[5],
                total=row[6],
                updated_at=row[7],
                header=row[8:],
            )
            for row in Valuation.objects.filter(household__project=project).values_list(
                "household_id",
                "pk",
                "firm_id",
                "status",
                "reopened_by_id",
                "version",
                "total",
                "updated_at",
                "report_no",
                "valuation_date",
                "business_loss",
                "business_loss_basis",
            )
        }
        # The report numbers of the firms the file's valuations belong to, and their holders.
        firms = {firm.pk} | {s.firm_id for s in self.stored.values()}
        self.report_numbers = {
            (firm_id, number): (household_id, code)
            for firm_id, number, household_id, code in Valuation.objects.filter(firm_id__in=firms)
            .exclude(report_no="")
            .values_list("firm_id", "report_no", "household_id", "household__code")
        }
        self._parsers = {
            spec.key: [
                (c.key, c.header, _parser(c))
                for c in spec.columns
                if c.key != "household" and not c.reference
            ]
            for spec in excel.SHEETS
        }
        self._lines: dict[int, tuple[list[Any], list[Any], list[Any]]] | None = None
        self.faulty: set[str] = set()

    # --- reporting ---

    def fault(self, spec: SheetSpec, row: int | None, column: str, message: str, code: str) -> None:
        super().fault(spec, row, column, message, code)
        if code:
            self.faulty.add(code)

    # --- the whole workbook ---

    def run(self, fileobj: IO[bytes]) -> Report:
        drafts: dict[str, Draft] = {}

        def read(sheets: dict[str, SheetReader]) -> None:
            for spec in excel.SHEETS:
                self._read(sheets[spec.key], drafts)

        fatal = self.read_workbook(fileobj, excel.SHEETS, read)
        if fatal:
            self.problems = fatal
            return Report(self.problems, {}, rows_read=self.rows_read, fatal=True)
        blank = 0
        for draft in drafts.values():
            self._check_household(draft)
            if draft.household is not None and not draft.filled:
                blank += 1
        self._check_report_numbers(drafts)
        unchanged = self._settle(drafts)
        # Faults are listed sheet by sheet, row by row, as the user reads the file.
        order = {spec.title: i for i, spec in enumerate(excel.SHEETS)}
        # A fault of no row (a building without its row) follows its sheet's rows.
        self.problems.sort(
            key=lambda p: (order.get(p.sheet, -1), p.row if p.row is not None else 1 << 30)
        )
        return Report(
            self.problems,
            drafts,
            jobs.skipped_households(self.problems, drafts),
            unchanged=unchanged,
            blank=blank,
            rows_read=self.rows_read,
        )

    def _rows(self, sheet: SheetReader) -> Iterator[tuple[int, dict[str, Any]]]:
        return self.rows(sheet, limit=MAX_ROWS_PER_SHEET, progress_every=PROGRESS_EVERY)

    def _read(self, sheet: SheetReader, drafts: dict[str, Draft]) -> None:
        spec = sheet.spec
        figures = excel.FIGURES[spec.key]
        plans = self._parsers[spec.key]
        code_header = spec.column("household").header
        for number, raw in self._rows(sheet):
            code = clean_code(raw.get("household"))
            filled = any(raw.get(key) is not None for key in figures)
            if not code:
                self.fault(spec, number, code_header, _("Required."), "")
                continue
            values: dict[str, Any] = {}
            for key, header, parse in plans:
                value = raw.get(key)
                if value is None:
                    values[key] = None
                    continue
                try:
                    values[key] = parse(value)
                except CellFault as exc:
                    self.fault(spec, number, header, str(exc), code)
                    values[key] = _BAD
            draft = drafts.get(code)
            if draft is None:
                draft = drafts[code] = Draft(code=code)
            draft.filled = draft.filled or filled
            if spec is HOUSEHOLDS:
                if not draft.rows:
                    draft.header = values
                draft.rows.append(number)
            else:
                getattr(draft, spec.key).append((number, values, filled))

    # --- one household ---

    def _rows_of(self, draft: Draft) -> Iterator[tuple[SheetSpec, int]]:
        for row in draft.rows:
            yield HOUSEHOLDS, row
        for spec in (BUILDINGS, DECORATIONS, ANCILLARIES):
            for row, _values, _filled in getattr(draft, spec.key):
                yield spec, row

    def _check_household(self, draft: Draft) -> None:
        code = draft.code
        household = self.households.get(code)
        if household is None:
            for spec, row in self._rows_of(draft):
                self.fault(
                    spec,
                    row,
                    spec.column("household").header,
                    _("The project has no household %(code)s.") % {"code": code},
                    code,
                )
            return
        draft.household = household
        draft.stored = self.stored.get(household.pk)
        code_header = HOUSEHOLDS.column("household").header
        if len(draft.rows) > 1:
            for row in draft.rows:
                self.fault(
                    HOUSEHOLDS,
                    row,
                    code_header,
                    _("The household code %(code)s is on more than one row (rows %(rows)s).")
                    % {"code": code, "rows": ", ".join(map(str, draft.rows))},
                    code,
                )
        if not draft.filled:
            return
        if draft.row is None:
            for spec, row in self._rows_of(draft):
                self.fault(
                    spec,
                    row,
                    spec.column("household").header,
                    _("No household with the code %(code)s on the sheet %(sheet)s.")
                    % {"code": code, "sheet": HOUSEHOLDS.title},
                    code,
                )
        if self.allowed_groups is not None and household.work_group_id not in self.allowed_groups:
            spec, row = next(self._rows_of(draft))
            self.fault(
                spec,
                row,
                spec.column("household").header,
                _("The household %(code)s is not in your work groups.") % {"code": code},
                code,
            )
        header = self._check_header(draft, household)
        buildings = self._check_buildings(draft, household)
        decorations = self._check_decorations(draft, household)
        ancillaries = self._check_ancillaries(draft, household)
        if code not in self.faulty and header is not None:
            draft.plan = Plan(header, buildings, decorations, ancillaries)

    def _required(self, spec: SheetSpec, row: int, values: dict[str, Any], code: str) -> bool:
        """Whether the row's required cells are all filled in (each empty one is a fault)."""
        complete = True
        for column in spec.columns:
            if column.required and column.key != "household" and values.get(column.key) is None:
                self.fault(spec, row, column.header, _("Required."), code)
                complete = False
        return complete

    def _check_header(self, draft: Draft, household: _Household) -> dict[str, Any] | None:
        row = draft.row
        if row is None:
            return None
        spec, code, values = HOUSEHOLDS, draft.code, draft.header
        if not self._required(spec, row, values, code):
            return None
        valuation_date = values["valuation_date"]
        decided = self.decision_date
        if valuation_date is not _BAD and decided is not None and valuation_date != decided:
            self.fault(
                spec,
                row,
                spec.column("valuation_date").header,
                _(
                    "The valuation date is the day the expropriation decision was announced, "
                    "%(date)s."
                )
                % {"date": decided.isoformat()},
                code,
            )
        loss = values["business_loss"]
        if loss is None:
            loss = Decimal("0.00")
        if loss is not _BAD and loss and household.kind != HouseholdKind.NON_RESIDENTIAL:
            self.fault(
                spec,
                row,
                spec.column("business_loss").header,
                _("Only a non-residential household has a business stoppage loss."),
                code,
            )
        return {
            "report_no": values["report_no"] or "",
            "valuation_date": valuation_date,
            "business_loss": loss,
            "business_loss_basis": values["business_loss_basis"] or "",
        }

    def _product(
        self,
        spec: SheetSpec,
        row: int,
        values: dict[str, Any],
        quantity_key: str,
        code: str,
        unit: str,
    ) -> bool:
        quantity, price, value = values[quantity_key], values["unit_price"], values["value"]
        if _BAD in (quantity, price, value):
            return False
        try:
            services.check_product(quantity, price, value, "value", unit=unit)
        except ValidationError as exc:
            self.fault(spec, row, spec.column("value").header, " ".join(exc.messages), code)
            return False
        return True

    def _once(
        self,
        spec: SheetSpec,
        column: str,
        rows_by: dict[Any, list[int]],
        label: Callable[[Any], str],
        code: str,
    ) -> None:
        """Each building or ancillary of a household is valued once."""
        for key, rows in rows_by.items():
            if len(rows) > 1:
                for row in rows:
                    self.fault(
                        spec,
                        row,
                        spec.column(column).header,
                        _("%(what)s is valued on more than one row (rows %(rows)s).")
                        % {"what": label(key), "rows": ", ".join(map(str, rows))},
                        code,
                    )

    def _check_buildings(self, draft: Draft, household: _Household) -> list[BuildingLine]:
        spec, code = BUILDINGS, draft.code
        own = self.buildings.get(household.pk, {})
        header = spec.column("building").header
        rows_by: dict[int, list[int]] = defaultdict(list)
        numbers: dict[int, str] = {}
        lines: list[BuildingLine] = []
        for row, values, _filled in draft.buildings:
            number = values["building"]
            complete = self._required(spec, row, values, code)
            if number is None or number is _BAD:
                continue
            pk = own.get(number)
            if pk is None:
                self.fault(
                    spec,
                    row,
                    header,
                    _("The household %(code)s has no building %(number)s.")
                    % {"code": code, "number": number},
                    code,
                )
                continue
            rows_by[pk].append(row)
            numbers[pk] = number
            if complete and self._product(spec, row, values, "area", code, "m²"):
                notes = values["notes"]
                lines.append(
                    BuildingLine(
                        pk,
                        values["area"],
                        values["unit_price"],
                        values["value"],
                        notes if isinstance(notes, str) else "",
                    )
                )
        self._once(
            spec,
            "building",
            rows_by,
            lambda pk: _("Building %(number)s") % {"number": numbers[pk]},
            code,
        )
        for number, pk in own.items():
            if pk not in rows_by:
                self.fault(
                    spec,
                    None,
                    header,
                    _(
                        "Building %(number)s of the household %(code)s has no row: every "
                        "building of a household in the file is valued."
                    )
                    % {"number": number, "code": code},
                    code,
                )
        return lines

    def _check_decorations(self, draft: Draft, household: _Household) -> list[DecorationLine]:
        spec, code = DECORATIONS, draft.code
        own = self.buildings.get(household.pk, {})
        lines: list[DecorationLine] = []
        for row, values, filled in draft.decorations:
            if not filled:
                continue  # a row with nothing but the household code
            complete = self._required(spec, row, values, code)
            number = values["building"]
            building_id: int | None = None
            if number is _BAD:
                complete = False
            elif number is not None:
                building_id = own.get(number)
                if building_id is None:
                    complete = False
                    self.fault(
                        spec,
                        row,
                        spec.column("building").header,
                        _("The household %(code)s has no building %(number)s.")
                        % {"code": code, "number": number},
                        code,
                    )
            if complete and _BAD not in (values["description"], values["amount"]):
                lines.append(DecorationLine(building_id, values["description"], values["amount"]))
        return lines

    def _check_ancillaries(self, draft: Draft, household: _Household) -> list[AncillaryLine]:
        spec, code = ANCILLARIES, draft.code
        own = self.ancillaries.get(household.pk, {})
        header = spec.column("ancillary").header
        rows_by: dict[int, list[int]] = defaultdict(list)
        lines: list[AncillaryLine] = []
        for row, values, _filled in draft.ancillaries:
            pk = values["ancillary"]
            complete = self._required(spec, row, values, code)
            if pk is None or pk is _BAD:
                continue
            if pk not in own:
                self.fault(
                    spec,
                    row,
                    header,
                    _("The household %(code)s has no ancillary %(id)s.") % {"code": code, "id": pk},
                    code,
                )
                continue
            rows_by[pk].append(row)
            unit = own[pk][0]
            if complete and self._product(spec, row, values, "quantity", code, unit):
                lines.append(
                    AncillaryLine(pk, values["quantity"], values["unit_price"], values["value"])
                )
        self._once(spec, "ancillary", rows_by, lambda pk: _("Ancillary %(id)s") % {"id": pk}, code)
        for pk in own:
            if pk not in rows_by:
                self.fault(
                    spec,
                    None,
                    header,
                    _(
                        "Ancillary %(id)s of the household %(code)s has no row: every "
                        "ancillary of a household in the file is valued."
                    )
                    % {"id": pk, "code": code},
                    code,
                )
        return lines

    # --- across households ---

    def _check_report_numbers(self, drafts: dict[str, Draft]) -> None:
        """A report number is the firm's: once in the file, and not another household's."""
        spec = HOUSEHOLDS
        header = spec.column("report_no").header
        places: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
        for draft in drafts.values():
            number = draft.header.get("report_no")
            if not draft.filled or draft.household is None or draft.row is None:
                continue
            if not isinstance(number, str) or not number:
                continue
            firm_id = draft.stored.firm_id if draft.stored is not None else self.firm.pk
            places[(firm_id, number)].append((draft.row, draft.code))
            holder = self.report_numbers.get((firm_id, number))
            if holder is not None and holder[0] != draft.household.pk:
                self.fault(
                    spec,
                    draft.row,
                    header,
                    _("The report number %(number)s is already that of household %(code)s.")
                    % {"number": number, "code": holder[1]},
                    draft.code,
                )
        for (_firm, number), rows in places.items():
            if len(rows) > 1:
                listed = ", ".join(str(row) for row, _code in rows)
                for row, code in rows:
                    self.fault(
                        spec,
                        row,
                        header,
                        _("The report number %(number)s is on more than one row (rows %(rows)s).")
                        % {"number": number, "rows": listed},
                        code,
                    )

    def _settle(self, drafts: dict[str, Draft]) -> list[str]:
        """The households whose figures are those stored (nothing to write), and the issued
        ones that would change (refused)."""
        unchanged: list[str] = []
        for draft in drafts.values():
            stored = draft.stored
            if not draft.filled or stored is None:
                continue
            plan = draft.plan
            if draft.code not in self.faulty and plan is not None and self._same(stored, plan):
                unchanged.append(draft.code)
                draft.plan = None
                continue
            if stored.status == ValuationStatus.ISSUED and not stored.reopened:
                spec, row = next(self._rows_of(draft))
                self.fault(
                    spec,
                    row,
                    spec.column("household").header,
                    _(
                        "The report of household %(code)s has been issued: its figures change "
                        "only through an objection (re-assessment or expert appraisal)."
                    )
                    % {"code": draft.code},
                    draft.code,
                )
        return unchanged

    def _same(self, stored: _Stored, plan: Plan) -> bool:
        header = plan.header
        new_header = (
            header["report_no"],
            header["valuation_date"],
            header["business_loss"],
            header["business_loss_basis"],
        )
        if tuple(stored.header) != new_header:
            return False
        lines = self.lines.get(stored.pk, ([], [], []))
        return (
            sorted(lines[0]) == sorted(plan.buildings)
            and sorted(lines[1], key=_decoration_key)
            == sorted(plan.decorations, key=_decoration_key)
            and sorted(lines[2]) == sorted(plan.ancillaries)
        )

    @property
    def lines(self) -> dict[int, tuple[list[Any], list[Any], list[Any]]]:
        """The stored lines of the project's valuations, loaded when first compared."""
        if self._lines is None:
            self._lines = _stored_lines(self.project)
        return self._lines


def _decoration_key(line: DecorationLine) -> tuple[int, str, Decimal]:
    return (line[0] or 0, line[1], line[2])


def _stored_lines(project: Project) -> dict[int, tuple[list[Any], list[Any], list[Any]]]:
    lines: dict[int, tuple[list[Any], list[Any], list[Any]]] = defaultdict(lambda: ([], [], []))
    scope = {"valuation__household__project": project}
    for valuation_id, *line in BuildingValuation.objects.filter(**scope).values_list(
        "valuation_id", "building_id", "area", "unit_price", "value", "notes"
    ):
        lines[valuation_id][0].append(tuple(line))
    for valuation_id, *line in DecorationItem.objects.filter(**scope).values_list(
        "valuation_id", "building_id", "description", "amount"
    ):
        lines[valuation_id][1].append(tuple(line))
    for valuation_id, *line in AncillaryValuation.objects.filter(**scope).values_list(
        "valuation_id", "ancillary_id", "quantity", "unit_price", "value"
    ):
        lines[valuation_id][2].append(tuple(line))
    return lines


# --- The write -------------------------------------------------------------------------------
# The import itself (FLOW, below) checks the file (validate_upload) and, confirmed, checks it
# again and writes the households it kept (valuation_import) with _write.


_HEADER_FIELDS: Final = (
    "report_no",
    "valuation_date",
    "business_loss",
    "business_loss_basis",
    "buildings_total",
    "decoration_total",
    "ancillaries_total",
    "total",
    "status",
    "version",
    "prepared_by",
    "updated_at",
)


def _header_row(v: Valuation) -> tuple[Any, ...]:
    """(pk, *the values of _HEADER_FIELDS) of a valuation to update."""
    return (
        v.pk,
        v.report_no,
        v.valuation_date,
        v.business_loss,
        v.business_loss_basis,
        v.buildings_total,
        v.decoration_total,
        v.ancillaries_total,
        v.total,
        v.status,
        v.version,
        v.prepared_by_id,
        v.updated_at,
    )


@transaction.atomic
def _write(
    *,
    actor: Any,
    project: Project,
    grant: AppraisalFirm,  # the firm chosen for the project (require_project_valuer)
    report: Report,
    kept: list[Draft],
    details: dict[str, Any],
    job: ValuationImport | None,
) -> dict[str, int]:
    # The check ran outside this transaction: a valuation saved, confirmed or issued since
    # then must not be overwritten unseen. Locked until the end of the write.
    seen = {
        d.household.pk: (d.stored.pk, d.stored.updated_at) if d.stored else None
        for d in kept
        if d.household is not None
    }
    current: dict[int, tuple[int, dt.datetime]] = {}
    for chunk in chunks(list(seen)):
        for household_id, pk, updated_at in (
            Valuation.objects.select_for_update()
            .filter(household_id__in=chunk)
            .values_list("household_id", "pk", "updated_at")
        ):
            current[household_id] = (pk, updated_at)
    if any(current.get(household_id) != state for household_id, state in seen.items()):
        raise DataChanged(_("Some of these valuations were changed meanwhile."))

    now = timezone.now()
    created: list[Valuation] = []
    changed: list[Valuation] = []
    lines: list[tuple[Valuation, Plan]] = []
    changes: list[tuple[str, Valuation, _Stored | None]] = []
    for draft in kept:
        plan, stored, household = draft.plan, draft.stored, draft.household
        assert plan is not None and household is not None
        valuation = Valuation(
            household_id=household.pk,
            firm_id=stored.firm_id if stored else grant.pk,
            prepared_by_id=actor.pk,
            **plan.header,
        )
        # The lines stand in for the line models: the totals add up their values and amounts.
        services.compute_totals(
            valuation,
            cast(Any, plan.buildings),
            cast(Any, plan.decorations),
            cast(Any, plan.ancillaries),
        )
        if stored is None:
            valuation.status = ValuationStatus.DRAFT
            created.append(valuation)
        else:
            valuation.pk = stored.pk
            # As valuation_save: a confirmed valuation goes back to draft, an issued one
            # (reopened by an objection) stays issued and counts a new version of its figures.
            issued = stored.status == ValuationStatus.ISSUED
            valuation.status = ValuationStatus.ISSUED if issued else ValuationStatus.DRAFT
            bump = issued and valuation.total != stored.total
            valuation.version = stored.version + 1 if bump else stored.version
            valuation.updated_at = now
            changed.append(valuation)
        lines.append((valuation, plan))
        changes.append((draft.code, valuation, stored))

    Valuation.objects.bulk_create(created, batch_size=BATCH_SIZE)
    bulk_update(Valuation, _HEADER_FIELDS, (_header_row(v) for v in changed))
    replaced = [v.pk for v in changed]
    for model in (BuildingValuation, DecorationItem, AncillaryValuation):
        for chunk in chunks(replaced):
            model.objects.filter(valuation_id__in=chunk).delete()
    written = {
        "households": len(kept),
        "buildings": bulk_insert(
            BuildingValuation,
            ("valuation", "building", "area", "unit_price", "value", "notes"),
            ((v.pk, *line) for v, plan in lines for line in plan.buildings),
        ),
        "decorations": bulk_insert(
            DecorationItem,
            ("valuation", "building", "description", "amount"),
            ((v.pk, *line) for v, plan in lines for line in plan.decorations),
        ),
        "ancillaries": bulk_insert(
            AncillaryValuation,
            ("valuation", "ancillary", "quantity", "unit_price", "value"),
            ((v.pk, *line) for v, plan in lines for line in plan.ancillaries),
        ),
    }
    _record(actor=actor, project=project, job=job, changes=changes, details=details)
    return written


def _record(
    *,
    actor: Any,
    project: Project,
    job: ValuationImport | None,
    changes: list[tuple[str, Valuation, _Stored | None]],
    details: dict[str, Any],
) -> None:
    """One audit event per AUDIT_BATCH households, listing each household's valuation with its
    old and new total (and status and version where they change).

    Not one event per household: an event is appended to the audit chain by record() alone (a
    locked chain head, a hash, an insert and an update each), which for 10,000 households took
    8 s on SQLite, more than the whole import otherwise. The file's checksum names exactly what
    was written, and the valuations' own figures are what the file held.
    """
    batches = [changes[i : i + AUDIT_BATCH] for i in range(0, len(changes), AUDIT_BATCH)]
    for number, batch in enumerate(batches, start=1):
        households: dict[str, dict[str, Any]] = {}
        for code, valuation, stored in batch:
            entry: dict[str, Any] = {
                "valuation": valuation.pk,
                "total": [stored.total if stored else None, valuation.total],
            }
            old_status = stored.status if stored else None
            if old_status != valuation.status:
                entry["status"] = [old_status, valuation.status]
            if stored is not None and stored.version != valuation.version:
                entry["version"] = [stored.version, valuation.version]
            households[code] = entry
        record(
            actor=actor,
            event_type="valuation.import",
            target=job,
            project=project,
            details={
                **details,
                "batch": [number, len(batches)],
                "households": households,
            },
        )


# --- The stored import: upload, check, confirmation (zhengqian.core.imports.ImportFlow) -------


FLOW: Final = jobs.ImportFlow(
    model=ValuationImport,
    authorise=require_project_valuer,
    validator=lambda actor, project, firm, on_progress: Validator(
        actor=actor, project=project, firm=firm, on_progress=on_progress
    ),
    write_kept=_write,
    estimate_households=excel.estimate_households,
    # Looked up when used, so that a test can lower them.
    max_upload_bytes=lambda: MAX_UPLOAD_BYTES,
    sync_max_households=lambda: SYNC_MAX_HOUSEHOLDS,
)
validate_upload = FLOW.check
valuation_import = FLOW.write
import_upload = FLOW.upload
run_validation = FLOW.run_validation
confirm_import = FLOW.confirm
run_import = FLOW.run_import


# --- Export: the workbook the valuers fill in ------------------------------------------------


def require_export(actor: Any, project: Project) -> AppraisalFirm | None:
    """valuation/export in the project; a valuer, moreover, of the firm chosen for it. The
    project's chosen firm, if any."""
    require(actor, Module.VALUATION, Action.EXPORT, project=project)
    firm = services.chosen_firm(project.pk)
    valuer_firm = Valuer.objects.filter(user_id=actor.pk).values_list("firm_id", flat=True).first()
    if valuer_firm is not None and (firm is None or valuer_firm != firm.pk):
        raise AccessDenied(
            _("Only valuers of the appraisal firm chosen for this project enter valuations."),
            module=Module.VALUATION.value,
            action=Action.EXPORT.value,
            project_id=project.pk,
        )
    return firm


def valuation_export(*, actor: Any, project: Project, out: IO[bytes]) -> dict[str, int]:
    """Write the households the actor may reach, their buildings and ancillaries, with the
    figures entered so far: the workbook to fill in, which imports back unchanged. The read is
    recorded."""
    firm = require_export(actor, project)
    households = households_for_user(actor, project, module=Module.VALUATION, action=Action.EXPORT)
    counts: dict[str, int] = defaultdict(int)
    excel.write_workbook(
        out,
        rows=_export_rows(households, Vocabulary.load(["ancillary_type"]), counts),
        firm=firm.name if firm is not None else "",
        decision_date=services.decision_date(project.pk),
    )
    result = {k: counts[k] for k in ("households", "buildings", "decorations", "ancillaries")}
    record(
        actor=actor,
        event_type="valuation.export",
        kind=EventKind.READ,
        project=project,
        details=result,
    )
    return result


def _export_rows(
    households: QuerySet[Household], v: Vocabulary, counts: dict[str, int]
) -> dict[str, Iterator[list[Any]]]:
    kinds = excel.KIND_LABELS

    def household_rows() -> Iterator[list[Any]]:
        for code, kind, report_no, day, loss, basis in (
            households.order_by("code")
            .values_list(
                "code",
                "kind",
                "valuation__report_no",
                "valuation__valuation_date",
                "valuation__business_loss",
                "valuation__business_loss_basis",
            )
            .iterator(chunk_size=2000)
        ):
            counts["households"] += 1
            yield [code, kinds.get(kind, kind), report_no, day, loss or None, basis]

    def building_rows() -> Iterator[list[Any]]:
        for row in (
            Building.objects.filter(household__in=households)
            .order_by("household__code", "number", "id")
            .values_list(
                "household__code",
                "number",
                "measured_area",
                "valuation__area",
                "valuation__unit_price",
                "valuation__value",
                "valuation__notes",
            )
            .iterator(chunk_size=2000)
        ):
            counts["buildings"] += 1
            yield list(row)

    def decoration_rows() -> Iterator[list[Any]]:
        for row in (
            DecorationItem.objects.filter(valuation__household__in=households)
            .order_by("valuation__household__code", "id")
            .values_list("valuation__household__code", "building__number", "description", "amount")
            .iterator(chunk_size=2000)
        ):
            counts["decorations"] += 1
            yield list(row)

    def ancillary_rows() -> Iterator[list[Any]]:
        for code, pk, kind, description, unit, surveyed, *figures in (
            Ancillary.objects.filter(household__in=households)
            .order_by("household__code", "id")
            .values_list(
                "household__code",
                "pk",
                "kind",
                "description",
                "unit",
                "quantity",
                "valuation__quantity",
                "valuation__unit_price",
                "valuation__value",
            )
            .iterator(chunk_size=2000)
        ):
            counts["ancillaries"] += 1
            yield [code, pk, v.label("ancillary_type", kind), description, unit, surveyed, *figures]

    return {
        HOUSEHOLDS.key: household_rows(),
        BUILDINGS.key: building_rows(),
        DECORATIONS.key: decoration_rows(),
        ANCILLARIES.key: ancillary_rows(),
    }
