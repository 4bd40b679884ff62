"""Appraisal-firm performance (评估考核): per project and firm, what the firm delivered, whether
on time, and how its figures stood up to the households' objections.

Three grouped queries, however many households: the decided selections (the due date of the
reports), the valuations grouped by status and day of issue, the objections grouped by firm.
A report is on time when issued on or before the selection's `reports_due_on`; without a due
date it is neither on time nor late. Note that a report issued again after an objection carries
its new date of issue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.models import EventKind
from zhengqian.audit.services import record
from zhengqian.core.excel import data_cell
from zhengqian.projects.models import Project
from zhengqian.valuation.models import (
    FirmSelection,
    Objection,
    ObjectionKind,
    ObjectionOutcome,
    SelectionStatus,
    Valuation,
    ValuationStatus,
)

# Valued: the valuer has confirmed the figures (a report may have been issued since).
_VALUED = (ValuationStatus.CONFIRMED, ValuationStatus.ISSUED)


@dataclass
class FirmPerformance:
    project_id: int
    project_code: str
    project_name: str
    firm_id: int
    firm_name: str
    reports_due_on: dt.date | None = None
    valued: int = 0
    issued: int = 0
    on_time: int | None = None
    late: int | None = None
    days_late: int = field(default=0, repr=False)
    reviews: int = 0
    appraisals: int = 0
    # Objections after which the value changed in the household's favour (outcome "revised").
    revised: int = 0
    # The firm answers a re-assessment, the expert committee an appraisal: counted apart.
    reviews_answered_late: int = 0
    appraisals_answered_late: int = 0

    @property
    def average_days_late(self) -> Decimal | None:
        """Over the late reports only, to one decimal."""
        if not self.late:
            return None
        return (Decimal(self.days_late) / self.late).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def objections(self) -> int:
        return self.reviews + self.appraisals


def firm_performance(project_ids: Iterable[int]) -> list[FirmPerformance]:
    """The figures of every firm that was chosen for, or valued households of, the projects;
    ordered by project code and firm name."""
    ids = list(project_ids)
    rows: dict[tuple[int, int], FirmPerformance] = {}
    for project_id, firm_id, due, code, name, firm_name in FirmSelection.objects.filter(
        project_id__in=ids, status=SelectionStatus.DECIDED
    ).values_list(
        "project_id", "firm_id", "reports_due_on", "project__code", "project__name", "firm__name"
    ):
        rows[(project_id, firm_id)] = FirmPerformance(
            project_id=project_id,
            project_code=code,
            project_name=name,
            firm_id=firm_id,
            firm_name=firm_name,
            reports_due_on=due,
            on_time=0 if due is not None else None,
            late=0 if due is not None else None,
        )

    # Issue days are few (reports go out in batches): one row per status and day of issue.
    for group in (
        Valuation.objects.filter(household__project_id__in=ids)
        .values(
            "household__project_id",
            "household__project__code",
            "household__project__name",
            "firm_id",
            "firm__name",
            "status",
            # By its first issue; a revised report issued again after an objection does not
            # make the original one late.
            first_issue=Coalesce("first_issued_on", "issued_on"),
        )
        .annotate(n=Count("id"))
        .order_by()
    ):
        key = (group["household__project_id"], group["firm_id"])
        row = rows.get(key)
        if row is None:
            # A firm that valued households without being the chosen one: no due date.
            row = rows[key] = FirmPerformance(
                project_id=key[0],
                project_code=group["household__project__code"],
                project_name=group["household__project__name"],
                firm_id=key[1],
                firm_name=group["firm__name"],
            )
        n = group["n"]
        if group["status"] in _VALUED:
            row.valued += n
        issued_on = group["first_issue"]
        if group["status"] != ValuationStatus.ISSUED or issued_on is None:
            continue
        row.issued += n
        due = row.reports_due_on
        if due is None or row.on_time is None or row.late is None:
            continue
        if issued_on <= due:
            row.on_time += n
        else:
            row.late += n
            row.days_late += (issued_on - due).days * n

    review, appraisal = ObjectionKind.REVIEW, ObjectionKind.APPRAISAL
    answered_late = Q(answered_on__gt=F("answer_deadline"))
    for group in (
        Objection.objects.filter(valuation__household__project_id__in=ids)
        .values("valuation__household__project_id", "valuation__firm_id")
        .annotate(
            reviews=Count("id", filter=Q(kind=review)),
            appraisals=Count("id", filter=Q(kind=appraisal)),
            revised=Count("id", filter=Q(outcome=ObjectionOutcome.REVISED)),
            reviews_late=Count("id", filter=Q(kind=review) & answered_late),
            appraisals_late=Count("id", filter=Q(kind=appraisal) & answered_late),
        )
        .order_by()
    ):
        key = (group["valuation__household__project_id"], group["valuation__firm_id"])
        row = rows[key]  # an objection is made against a valuation, grouped above
        row.reviews = group["reviews"]
        row.appraisals = group["appraisals"]
        row.revised = group["revised"]
        row.reviews_answered_late = group["reviews_late"]
        row.appraisals_answered_late = group["appraisals_late"]

    return sorted(rows.values(), key=lambda r: (r.project_code, r.firm_name))


# --- The Excel export ---------------------------------------------------------------------------


def _columns() -> list[tuple[str, int]]:
    """The header of each column and its width."""
    return [
        (_("Project code"), 14),
        (_("Project"), 24),
        (_("Appraisal firm"), 30),
        (_("Reports due on"), 14),
        (_("Households valued"), 12),
        (_("Reports issued"), 12),
        (_("Issued on time"), 12),
        (_("Issued late"), 12),
        (_("Average days late"), 12),
        (_("Re-assessments applied for"), 14),
        (_("Expert appraisals applied for"), 14),
        (_("Objections that changed the value"), 14),
        (_("Re-assessments answered late"), 14),
        (_("Expert appraisals answered late"), 14),
    ]


def _values(row: FirmPerformance) -> list[Any]:
    average = row.average_days_late
    return [
        row.project_code,
        row.project_name,
        row.firm_name,
        row.reports_due_on,
        row.valued,
        row.issued,
        row.on_time,
        row.late,
        float(average) if average is not None else None,
        row.reviews,
        row.appraisals,
        row.revised,
        row.reviews_answered_late,
        row.appraisals_answered_late,
    ]


def write_performance(out: IO[bytes], rows: Iterable[FirmPerformance]) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Firm performance")[:31])
    columns = _columns()
    for index, (_header, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for title, _width in columns:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in _values(row):
            cell = data_cell(sheet, value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    workbook.save(out)


def performance_export(*, actor: Any, project: Project, out: IO[bytes]) -> list[FirmPerformance]:
    """Write the project's firm performance as a workbook, and record who exported it."""
    require(actor, Module.DASHBOARD, Action.EXPORT, project=project)
    rows = firm_performance([project.pk])
    with transaction.atomic():
        record(
            actor=actor,
            event_type="valuation.performance.export",
            kind=EventKind.READ,
            project=project,
            details={"firms": [row.firm_id for row in rows]},
        )
    write_performance(out, rows)
    return rows
