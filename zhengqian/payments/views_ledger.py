"""The project's funds ledger (资金台账): the page with its filters and totals, and the same rows
as an Excel workbook for the finance department.

The balance beside each row is the project account's balance after that movement, counting
every movement of the project before it, so that it reads the same whatever the filter. The
export carries the heads' names unmasked only for payments/view_personal; every export is
recorded, with its filters, its number of rows and whether the names were unmasked.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read, record_search
from zhengqian.core.excel import data_cell
from zhengqian.core.masking import mask_name
from zhengqian.payments import selectors
from zhengqian.payments.forms import LedgerFilterForm
from zhengqian.payments.models import ZERO, LedgerEntry
from zhengqian.projects.models import Project

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"


def _filters(request: HttpRequest, project: Project) -> tuple[LedgerFilterForm, dict[str, Any]]:
    """The filter form and the ledger's arguments; an unknown household code is an error at
    its field and shows no rows."""
    form = LedgerFilterForm(request.GET or None)
    found: dict[str, Any] = {"household_id": None, "since": None, "until": None}
    if not form.is_bound:
        return form, found
    if not form.is_valid():
        found["household_id"] = 0
        return form, found
    data = form.cleaned_data
    found["since"], found["until"] = data["since"], data["until"]
    code = (data["household"] or "").strip()
    if code:
        household = selectors.household_by_code(project.pk, code)
        if household is None:
            form.add_error("household", _("The project has no household with this code."))
            found["household_id"] = 0
        else:
            found["household_id"] = household.pk
    return form, found


def _query(form: LedgerFilterForm) -> dict[str, str]:
    return {name: str(form.data.get(name, "")).strip() for name in form.fields}


@login_required
@require_GET
def ledger(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_project_for_user(request.user, pk)
    form, args = _filters(request, found)
    rows = selectors.ledger(found.pk, **args, groups=selectors.groups_of(request.user, found))
    page = Paginator(selectors.with_balance(rows), PAGE_SIZE).get_page(request.GET.get("page"))
    query = _query(form) if form.is_bound else {}
    if any(query.values()):
        record_search(
            actor=request.user,
            event_type="payment.ledger_search",
            project=found,
            query=query,
            results=page.paginator.count,
        )
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "project": found,
        "form": form,
        "page_obj": page,
        "rows": list(page.object_list),
        "totals": selectors.ledger_totals(rows),
        "filtered": any(query.values()),
        "query_string": params.urlencode(),
        "may_export": selectors.may_in_project(request.user, found, Action.EXPORT),
    }
    return render(request, "payments/ledger.html", context)


def _columns() -> list[tuple[str, int]]:
    return [
        (_("Date"), 12),
        (_("Movement"), 22),
        (_("Household code"), 14),
        (_("Head of household"), 14),
        (_("Agreement number"), 22),
        (_("Voucher number"), 18),
        (_("Summary (摘要)"), 40),
        (_("Income (yuan)"), 16),
        (_("Expenditure (yuan)"), 16),
        (_("Balance (yuan)"), 18),
    ]


def write_ledger(
    out: io.BytesIO, rows: list[tuple[LedgerEntry, Decimal]], *, personal: bool
) -> None:
    """The ledger rows as a workbook: one row per movement and a totals row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Funds ledger")[:31])
    columns = _columns()
    for index, (_title, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"

    def cells(values: list[Any], *, bold: bool = False) -> list[WriteOnlyCell]:
        out_cells = []
        for value in values:
            cell = data_cell(sheet, value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, Decimal):
                cell.number_format = MONEY_FORMAT
            if bold:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            out_cells.append(cell)
        return out_cells

    sheet.append(cells([str(title) for title, _width in columns], bold=True))
    income = expenditure = ZERO
    balance: Decimal | None = None
    for entry, balance in rows:
        household = entry.household
        head = ""
        if household is not None:
            head = household.head_name if personal else mask_name(household.head_name)
        row_in = entry.amount if entry.amount > 0 else None
        row_out = -entry.amount if entry.amount < 0 else None
        income += row_in or ZERO
        expenditure += row_out or ZERO
        sheet.append(
            cells(
                [
                    entry.occurred_on,
                    entry.get_kind_display(),
                    household.code if household is not None else "",
                    head,
                    entry.agreement_number,
                    entry.document_no,
                    entry.description,
                    row_in,
                    row_out,
                    balance,
                ]
            )
        )
    sheet.append(
        cells(["", "", "", "", "", "", _("Total"), income, expenditure, balance], bold=True)
    )
    workbook.save(out)


@login_required
@require_GET
def ledger_export(request: HttpRequest, pk: int) -> FileResponse:
    found = selectors.get_project_for_user(request.user, pk)
    require(request.user, Module.PAYMENTS, Action.EXPORT, project=found)
    form, args = _filters(request, found)
    rows = (
        list(
            selectors.ledger_with_balance(
                found.pk, **args, groups=selectors.groups_of(request.user, found)
            )
        )
        if args["household_id"] != 0
        else []
    )
    personal = selectors.sees_personal(request.user, found)
    record_read(
        actor=request.user,
        event_type="payment.ledger_export",
        project=found,
        details={
            "query": {k: v for k, v in (_query(form) if form.is_bound else {}).items() if v},
            "rows": len(rows),
            "personal": personal,
            "households": sorted({e.household_id for e, _b in rows if e.household_id})
            if personal
            else [],
        },
    )
    out = io.BytesIO()
    write_ledger(out, rows, personal=personal)
    out.seek(0)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{_('Funds ledger')}-{found.code}-{stamp}.xlsx",
        content_type=XLSX,
    )
