"""The Excel import of resettlement flats: the template, the check of an upload, and the
import of a checked file, all or nothing.

One sheet (安置房源), one flat a row. The estate must exist in the project (its planned
handover date is not in the sheet); a building is created when the estate has none of that
name. A fault anywhere (a cell, a flat twice in the file, a flat already in the stock) is
reported at its row and column, and a file with any fault imports nothing. The reading of the
workbook (cells as data, never formulas), the report of faults and the cell parsers are the
shared import machinery's (zhengqian.core.imports, zhengqian.core.excel); only the format and
the rules are this module's.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Final

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record
from zhengqian.core import imports
from zhengqian.core.excel import (
    Column,
    ColumnKind,
    Instructions,
    Problem,
    SheetReader,
    SheetSpec,
    write_workbook,
)
from zhengqian.core.imports import CellFault, ImportReport, WorkbookCheck
from zhengqian.projects.models import Project
from zhengqian.resettlement.models import Building, Estate, Flat, FlatStatus, StockImport

MAX_ROWS: Final = 20_000
MAX_UPLOAD_BYTES: Final = 10 * 1024 * 1024
_CENT: Final = Decimal("0.01")
_MAX_AREA: Final = Decimal("100000")
_MAX_PRICE: Final = Decimal("100000000")

# The status words of the sheet (part of the format, like its headers), and the codes.
STATUS_WORDS: Final = {
    "规划": FlatStatus.PLANNED,
    "在建": FlatStatus.CONSTRUCTION,
    "建成": FlatStatus.READY,
}

SPEC: Final = SheetSpec(
    key="flats",
    title="安置房源",
    model=Flat,
    description=gettext_lazy("One resettlement flat a row."),
    columns=(
        Column(
            "estate",
            "安置小区",
            ColumnKind.TEXT,
            gettext_lazy("The name of an estate already recorded in the project."),
            required=True,
            max_length=100,
            width=18,
        ),
        Column(
            "building",
            "楼栋",
            ColumnKind.TEXT,
            gettext_lazy("Created in the estate when it has none of this name."),
            required=True,
            max_length=40,
        ),
        Column(
            "unit_no",
            "房号",
            ColumnKind.TEXT,
            gettext_lazy("Unique within the building."),
            required=True,
            max_length=20,
        ),
        Column("floor", "楼层", ColumnKind.INTEGER, gettext_lazy("A whole number."), required=True),
        Column("layout", "户型", ColumnKind.TEXT, gettext_lazy("E.g. 三室两厅."), max_length=40),
        Column(
            "area",
            "建筑面积",
            ColumnKind.DECIMAL,
            gettext_lazy("m², at most two decimals."),
            required=True,
        ),
        Column("orientation", "朝向", ColumnKind.TEXT, gettext_lazy("E.g. 南北."), max_length=20),
        Column(
            "price_basis",
            "价格基准",
            ColumnKind.DECIMAL,
            gettext_lazy("元/m² of the area beyond the entitlement; empty: the policy's price."),
        ),
        Column(
            "status",
            "状态",
            ColumnKind.TEXT,
            gettext_lazy("规划, 在建 or 建成; empty: 规划."),
        ),
    ),
)


# --- the template -----------------------------------------------------------------------------


def write_template(out: IO[bytes]) -> None:
    example = SPEC.row(
        {
            "estate": "安置一区",
            "building": "1幢",
            "unit_no": "101",
            "floor": 1,
            "layout": "三室两厅",
            "area": Decimal("89.50"),
            "orientation": "南北",
            "price_basis": None,
            "status": "建成",
        }
    )
    write_workbook(
        out,
        specs=[SPEC],
        rows={SPEC.key: [example]},
        instructions=Instructions(
            title=_("Import of resettlement flats"),
            lines=[
                _("Fill in one flat a row from row 2; the grey example row may be overwritten."),
                _("The estate must already be recorded in the project; buildings are created."),
                _("A file with any fault imports nothing: fix every fault and upload it again."),
            ],
        ),
        lists=[("status", list(STATUS_WORDS))],
        list_name=lambda column: "status" if column.key == "status" else None,
        example=True,
    )


# --- the check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlatDraft:
    row: int
    estate: Estate
    building: str
    unit_no: str
    floor: int
    layout: str
    area: Decimal
    orientation: str
    price_basis: Decimal | None
    status: str

    @property
    def code(self) -> str:
        return f"{self.estate.name}/{self.building}/{self.unit_no}"


@dataclass
class StockReport(ImportReport):
    """A file imports whole or not at all: every flat is kept only when there is no fault."""

    @property
    def kept(self) -> list[Any]:
        return [] if self.problems or self.fatal else list(self.drafts.values())

    def counts(self, drafts: Iterable[Any]) -> dict[str, int]:
        drafts = list(drafts)
        return {"flats": len(drafts), "buildings": len({(d.estate.pk, d.building) for d in drafts})}


def _decimal(value: Any, high: Decimal) -> Decimal:
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
    if number <= 0:
        raise CellFault(_("Must be more than zero."))
    if number != number.quantize(_CENT):
        raise CellFault(_("At most two decimals."))
    if number >= high:
        raise CellFault(_("Too large."))
    return number.quantize(_CENT)


def _status(value: Any) -> str:
    text = imports.clean_code(value)
    if text in STATUS_WORDS:
        return STATUS_WORDS[text]
    if text in (FlatStatus.PLANNED, FlatStatus.CONSTRUCTION, FlatStatus.READY):
        return text
    raise CellFault(
        _("Write %(words)s: allocated and handed over are not imported.")
        % {"words": "、".join(STATUS_WORDS)}
    )


class StockCheck(WorkbookCheck):
    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project
        self.estates = {e.name: e for e in Estate.objects.filter(project=project)}
        self.existing = set(
            Flat.objects.filter(project=project).values_list(
                "estate__name", "building__name", "unit_no"
            )
        )
        self.floors_of = {
            (estate, name): floors
            for estate, name, floors in Building.objects.filter(
                estate__project=project
            ).values_list("estate__name", "name", "floors")
        }
        self.drafts: dict[str, FlatDraft] = {}

    def run(self, fileobj: IO[bytes]) -> StockReport:
        structure = self.read_workbook(fileobj, [SPEC], self._read)
        if structure:
            return StockReport(problems=structure, drafts={}, rows_read=self.rows_read, fatal=True)
        if not self.drafts and not self.problems:
            self.problems.append(Problem(SPEC.title, None, "", _("The sheet has no flats.")))
        return StockReport(
            problems=self.problems, drafts=dict(self.drafts), rows_read=self.rows_read
        )

    def _cell(self, row: int, key: str, raw: dict[str, Any], parse: Any) -> Any:
        column = SPEC.column(key)
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if column.required:
                self.fault(SPEC, row, column.header, _("Required."), "required")
                raise CellFault("")
            return None
        try:
            return parse(value)
        except CellFault as exc:
            self.fault(SPEC, row, column.header, str(exc), "cell")
            raise CellFault("") from None

    def _read(self, sheets: dict[str, SheetReader]) -> None:
        for row, raw in self.rows(sheets[SPEC.key], limit=MAX_ROWS, progress_every=1_000):
            self._row(row, raw)

    def _row(self, row: int, raw: dict[str, Any]) -> None:
        values: dict[str, Any] = {}
        failed = False
        parsers = {
            "estate": lambda v: imports.parse_text(SPEC.column("estate"), v),
            "building": lambda v: imports.parse_text(
                SPEC.column("building"), imports.clean_code(v)
            ),
            "unit_no": lambda v: imports.parse_text(SPEC.column("unit_no"), imports.clean_code(v)),
            "floor": lambda v: imports.parse_integer(v, -5, 200),
            "layout": lambda v: imports.parse_text(SPEC.column("layout"), v),
            "area": lambda v: _decimal(v, _MAX_AREA),
            "orientation": lambda v: imports.parse_text(SPEC.column("orientation"), v),
            "price_basis": lambda v: _decimal(v, _MAX_PRICE),
            "status": _status,
        }
        for key, parse in parsers.items():
            try:
                values[key] = self._cell(row, key, raw, parse)
            except CellFault:
                failed = True
        estate = self.estates.get(values.get("estate") or "")
        if values.get("estate") and estate is None:
            self.fault(
                SPEC,
                row,
                SPEC.column("estate").header,
                _(
                    "The project has no estate “%(name)s”: record it first (with its planned "
                    "handover date)."
                )
                % {"name": values["estate"]},
                "unknown_estate",
            )
            failed = True
        if failed or estate is None:
            return
        floors = self.floors_of.get((estate.name, values["building"]))
        if floors and not 1 <= values["floor"] <= floors:
            self.fault(
                SPEC,
                row,
                SPEC.column("floor").header,
                _("The building has floors 1 to %(floors)d.") % {"floors": floors},
                "floor_range",
            )
            return
        draft = FlatDraft(
            row=row,
            estate=estate,
            building=values["building"],
            unit_no=values["unit_no"],
            floor=values["floor"],
            layout=values["layout"] or "",
            area=values["area"],
            orientation=values["orientation"] or "",
            price_basis=values["price_basis"],
            status=values["status"] or FlatStatus.PLANNED,
        )
        unit = SPEC.column("unit_no").header
        if draft.code in self.drafts:
            self.problems.append(
                Problem(
                    SPEC.title,
                    row,
                    unit,
                    _("The same flat is on row %(row)d.") % {"row": self.drafts[draft.code].row},
                    draft.code,
                )
            )
            return
        if (estate.name, draft.building, draft.unit_no) in self.existing:
            self.problems.append(
                Problem(SPEC.title, row, unit, _("The flat is already in the stock."), draft.code)
            )
            return
        self.drafts[draft.code] = draft


def check(project: Project, fileobj: IO[bytes]) -> StockReport:
    return StockCheck(project).run(fileobj)


# --- the services -----------------------------------------------------------------------------


def _require(actor: Any, project: Project | int) -> None:
    require(actor, Module.RESETTLEMENT, Action.CREATE, project=project)


@transaction.atomic
def stock_upload(*, actor: Any, project: Project, upload: UploadedFile) -> StockImport:
    """Keep the uploaded file (with its SHA-256) and its check; nothing of the stock is
    written."""
    _require(actor, project)
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": ValidationError(_("The file is empty."), code="empty")})
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": ValidationError(imports.too_large_message(MAX_UPLOAD_BYTES), code="too_large")}
        )
    data = upload.read()
    name = (upload.name or "flats.xlsx").replace("\\", "/").rsplit("/", 1)[-1][:200]
    job = StockImport(
        project=project,
        file_name=name,
        sha256=imports.sha256_of(io.BytesIO(data)),
        uploaded_by=actor,
    )
    report = check(project, io.BytesIO(data))
    job.rows = report.rows_read
    job.errors = [p.as_json() for p in report.problems[: imports.MAX_STORED_PROBLEMS]]
    upload.seek(0)
    job.file.save(name, upload, save=False)
    job.save()
    record(
        actor=actor,
        event_type="resettlement.stock_upload",
        target=job,
        project=project.pk,
        details={
            "file": name,
            "sha256": job.sha256,
            "rows": job.rows,
            "errors": len(report.problems),
        },
    )
    return job


def stock_import(*, actor: Any, job: StockImport) -> int:
    """Import a checked file whole: the file is checked again against the stock as it is now,
    and written in one transaction only when it has no fault (the faults found then are kept
    on the import). Returns the flats written."""
    _require(actor, job.project_id)
    with transaction.atomic():
        count = _import_locked(actor, job)
    if count is None:
        raise ValidationError(
            _("The file has faults: nothing was imported. Fix them and upload it again."),
            code="faults",
        )
    return count


def _import_locked(actor: Any, job: StockImport) -> int | None:
    job = StockImport.objects.select_for_update().select_related("project").get(pk=job.pk)
    if job.imported:
        raise ValidationError(_("This file has already been imported."), code="imported")
    with job.file.open("rb") as fh:
        report = check(job.project, fh)
    if report.problems:
        job.errors = [p.as_json() for p in report.problems[: imports.MAX_STORED_PROBLEMS]]
        job.rows = report.rows_read
        job.save(update_fields=["errors", "rows"])
        return None
    drafts: list[FlatDraft] = report.kept
    buildings = {
        (b.estate_id, b.name): b for b in Building.objects.filter(estate__project_id=job.project_id)
    }
    created_buildings = 0
    for draft in drafts:
        key = (draft.estate.pk, draft.building)
        if key not in buildings:
            buildings[key] = Building.objects.create(estate=draft.estate, name=draft.building)
            created_buildings += 1
    flats = [
        Flat(
            project_id=job.project_id,
            estate=d.estate,
            building=buildings[(d.estate.pk, d.building)],
            unit_no=d.unit_no,
            floor=d.floor,
            layout=d.layout,
            area=d.area,
            orientation=d.orientation,
            price_basis=d.price_basis,
            status=d.status,
        )
        for d in drafts
    ]
    try:
        with transaction.atomic():
            Flat.objects.bulk_create(flats, batch_size=1_000)
    except IntegrityError as exc:  # a flat recorded by hand meanwhile
        raise ValidationError(
            _("A flat of the file was recorded meanwhile: check the file again."),
            code="changed",
        ) from exc
    job.imported = True
    job.imported_at = timezone.now()
    job.errors = []
    job.save(update_fields=["imported", "imported_at", "errors"])
    record(
        actor=actor,
        event_type="resettlement.stock_import",
        target=job,
        project=job.project_id,
        details={
            "file": job.file_name,
            "sha256": job.sha256,
            "flats": len(flats),
            "buildings": created_buildings,
        },
    )
    return len(flats)
