"""The resettlement reports of a project (one read, shown on the page and written to Excel with
the same figures): flats by status per estate, households waiting for a flat and for how long,
housing vouchers by state with their amounts, and the shares of the resettlement modes.

- Waiting: a household whose main agreement is an effective property exchange and that has no
  flat handed over yet. It waits since its vacating was accepted; one not yet vacated has not
  moved out and is counted apart. The months are whole months completed by the report's day.
- Vouchers: cancelled vouchers (lost and reissued) are left out: their reissue counts instead.
  Issued: every other voucher at its face value; used: the amounts spent at developers;
  outstanding: the balance of vouchers still usable; lapsed: the balance of lapsed vouchers;
  cashed: the balance bought back (at face value, and what was paid for it).
- Modes: the effective main agreements by kind, with their amounts as corrected by effective
  supplements. Non-residential agreements are compensated in money and are counted as cash
  (their number is also given apart). Percentages to two decimals add up to 100.00 by the
  largest remainder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import IO, Any

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from zhengqian.agreements.models import Agreement, AgreementKind, AgreementStatus
from zhengqian.core.excel import data_cell
from zhengqian.demolition.models import Vacating
from zhengqian.projects.models import Project
from zhengqian.resettlement.models import Estate, FlatStatus, Voucher, VoucherStatus

ZERO = Decimal("0.00")
HUNDRED = Decimal("100.00")
# (key, lowest months, highest months or None)
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("upto6", 0, 6),
    ("7to12", 7, 12),
    ("13to24", 13, 24),
    ("over24", 25, None),
)


def bucket_label(key: str) -> str:
    return {
        "upto6": _("6 months or less"),
        "7to12": _("7 to 12 months"),
        "13to24": _("13 to 24 months"),
        "over24": _("more than 24 months"),
    }[key]


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end (0 when end is before a month has passed)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def shares(values: Sequence[Decimal | int]) -> list[Decimal]:
    """Percentages of the values to two decimals that add up to exactly 100.00 (largest
    remainder; ties go to the earlier value). All zero when the values add up to nothing."""
    total = sum((Decimal(v) for v in values), Decimal(0))
    if total <= 0:
        return [ZERO for _v in values]
    exact = [Decimal(v) * 10000 / total for v in values]
    floors = [e.to_integral_value(rounding=ROUND_FLOOR) for e in exact]
    left = int(10000 - sum(floors))
    order = sorted(range(len(values)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [(f / 100).quantize(Decimal("0.01")) for f in floors]


# --- the parts --------------------------------------------------------------------------------


@dataclass
class EstateRow:
    name: str
    counts: dict[str, int]
    areas: dict[str, Decimal]
    count: int
    area: Decimal


def _area(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def flats_by_status(project: Project) -> list[EstateRow]:
    annotations: dict[str, Any] = {}
    for status in FlatStatus.values:
        annotations[f"n_{status}"] = Count("flats", filter=Q(flats__status=status))
        annotations[f"a_{status}"] = Sum("flats__area", filter=Q(flats__status=status))
    rows = []
    for estate in Estate.objects.filter(project=project).annotate(**annotations).order_by("name"):
        counts = {s: getattr(estate, f"n_{s}") for s in FlatStatus.values}
        # SQLite sums decimals as floats: each area is given back to the hundredth.
        areas = {s: _area(getattr(estate, f"a_{s}")) for s in FlatStatus.values}
        rows.append(
            EstateRow(
                name=estate.name,
                counts=counts,
                areas=areas,
                count=sum(counts.values()),
                area=sum(areas.values(), ZERO),
            )
        )
    return rows


def totals_by_status(rows: Sequence[EstateRow]) -> EstateRow:
    counts = {s: sum(r.counts[s] for r in rows) for s in FlatStatus.values}
    areas = {s: sum((r.areas[s] for r in rows), ZERO) for s in FlatStatus.values}
    return EstateRow(
        name=_("Total"),
        counts=counts,
        areas=areas,
        count=sum(counts.values()),
        area=sum(areas.values(), ZERO),
    )


@dataclass
class Waiting:
    households: int = 0
    not_moved_out: int = 0
    buckets: dict[str, int] = field(default_factory=lambda: {key: 0 for key, *_r in BUCKETS})
    longest_months: int | None = None
    longest_household: str = ""
    longest_since: dt.date | None = None


def waiting(project: Project, today: dt.date) -> Waiting:
    exchange = (
        Agreement.objects.filter(
            project=project,
            parent__isnull=True,
            kind=AgreementKind.EXCHANGE,
            status=AgreementStatus.EFFECTIVE,
        )
        .exclude(household__resettlement_flats__status=FlatStatus.HANDED_OVER)
        .values_list("household_id", "household__code")
    )
    found = dict(exchange)
    since = dict(
        Vacating.objects.filter(household_id__in=list(found)).values_list(
            "household_id", "accepted_on"
        )
    )
    result = Waiting(households=len(found))
    for household_id, code in sorted(found.items(), key=lambda item: item[1]):
        day = since.get(household_id)
        if day is None:
            result.not_moved_out += 1
            continue
        months = months_between(day, today)
        for key, low, high in BUCKETS:
            if months >= low and (high is None or months <= high):
                result.buckets[key] += 1
                break
        if result.longest_months is None or months > result.longest_months:
            result.longest_months, result.longest_household, result.longest_since = (
                months,
                code,
                day,
            )
    return result


@dataclass
class Figure:
    count: int
    amount: Decimal


def vouchers(project: Project) -> dict[str, Any]:
    live = Voucher.objects.filter(project=project).exclude(status=VoucherStatus.CANCELLED)

    def figure(qs: Any, amount: Any) -> Figure:
        found = qs.aggregate(n=Count("pk"), a=Sum(amount))
        return Figure(found["n"], found["a"] or ZERO)

    balance = F("face_value") - F("used") - F("cashed")
    usable = (VoucherStatus.ISSUED, VoucherStatus.PARTLY_USED)
    cashed = figure(live.filter(cashed__gt=0), "cashed")
    return {
        "issued": figure(live, "face_value"),
        "used": figure(live.filter(used__gt=0), "used"),
        "outstanding": figure(live.filter(status__in=usable), balance),
        "lapsed": figure(live.filter(status=VoucherStatus.LAPSED), balance),
        "cashed": cashed,
        "cash_paid": live.filter(cashed__gt=0).aggregate(a=Sum("cash_paid"))["a"] or ZERO,
    }


VOUCHER_ROWS = ("issued", "used", "outstanding", "lapsed", "cashed")


def voucher_label(key: str) -> str:
    return {
        "issued": _("Issued"),
        "used": _("Used at developers"),
        "outstanding": _("Outstanding"),
        "lapsed": _("Lapsed"),
        "cashed": _("Balance cashed"),
    }[key]


@dataclass
class ModeRow:
    mode: str
    label: str
    households: int
    amount: Decimal
    household_share: Decimal = ZERO
    amount_share: Decimal = ZERO


MODES = (AgreementKind.CASH, AgreementKind.VOUCHER, AgreementKind.EXCHANGE)


def modes(project: Project) -> tuple[list[ModeRow], int]:
    """The modes' rows (cash, voucher, exchange) and the non-residential agreements counted in
    cash."""
    main = Agreement.objects.filter(
        project=project, parent__isnull=True, status=AgreementStatus.EFFECTIVE
    )
    totals = {
        kind: (n, a or ZERO)
        for kind, n, a in main.values("kind")
        .annotate(n=Count("pk"), a=Sum("total"))
        .values_list("kind", "n", "a")
    }
    corrections = dict(
        Agreement.objects.filter(
            parent__in=main, status=AgreementStatus.EFFECTIVE, difference__isnull=False
        )
        .values("parent__kind")
        .annotate(a=Sum("difference"))
        .values_list("parent__kind", "a")
    )

    def of(kind: str) -> tuple[int, Decimal]:
        n, amount = totals.get(kind, (0, ZERO))
        return n, amount + (corrections.get(kind) or ZERO)

    rows = []
    for kind in MODES:
        n, amount = of(kind)
        if kind == AgreementKind.CASH:
            extra_n, extra_amount = of(AgreementKind.NON_RESIDENTIAL)
            n, amount = n + extra_n, amount + extra_amount
        rows.append(ModeRow(mode=kind, label=mode_label(kind), households=n, amount=amount))
    for row, share in zip(rows, shares([r.households for r in rows]), strict=True):
        row.household_share = share
    for row, share in zip(rows, shares([r.amount for r in rows]), strict=True):
        row.amount_share = share
    return rows, of(AgreementKind.NON_RESIDENTIAL)[0]


def mode_label(kind: str) -> str:
    return {
        AgreementKind.CASH: _("Cash"),
        AgreementKind.VOUCHER: _("Housing voucher"),
        AgreementKind.EXCHANGE: _("Property exchange"),
    }[AgreementKind(kind)]


@dataclass
class Report:
    project: Project
    today: dt.date
    estates: list[EstateRow]
    total: EstateRow
    waiting: Waiting
    vouchers: dict[str, Any]
    modes: list[ModeRow]
    non_residential: int

    @property
    def voucher_rows(self) -> list[tuple[str, Figure]]:
        return [(voucher_label(key), self.vouchers[key]) for key in VOUCHER_ROWS]

    @property
    def waiting_rows(self) -> list[tuple[str, int]]:
        return [(bucket_label(key), self.waiting.buckets[key]) for key, *_r in BUCKETS]

    @property
    def status_labels(self) -> list[tuple[str, str]]:
        return [(value, str(label)) for value, label in FlatStatus.choices]

    @property
    def mode_totals(self) -> tuple[int, Decimal]:
        return sum(r.households for r in self.modes), sum((r.amount for r in self.modes), ZERO)


def build(project: Project, today: dt.date | None = None) -> Report:
    day = today or timezone.localdate()
    rows = flats_by_status(project)
    mode_rows, non_residential = modes(project)
    return Report(
        project=project,
        today=day,
        estates=rows,
        total=totals_by_status(rows),
        waiting=waiting(project, day),
        vouchers=vouchers(project),
        modes=mode_rows,
        non_residential=non_residential,
    )


# --- the workbook -------------------------------------------------------------------------------


def _bold(ws: Any, value: Any) -> Any:
    cell = data_cell(ws, value)
    cell.font = Font(bold=True)
    return cell


def write(report: Report, out: IO[bytes]) -> None:
    """The report as a workbook, the same figures as the page (amounts and areas as numbers)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Flats by status"))
    header = [_("Estate")]
    for _value, label in report.status_labels:
        header += [f"{label} ({_('flats')})", f"{label} (m²)"]
    header += [_("Flats"), _("Area (m²)")]
    ws.append([_bold(ws, h) for h in header])
    for row in [*report.estates, report.total]:
        cells: list[Any] = [row.name]
        for value, _label in report.status_labels:
            cells += [row.counts[value], row.areas[value]]
        cells += [row.count, row.area]
        ws.append([data_cell(ws, v) for v in cells])

    ws = wb.create_sheet(_("Households waiting"))
    w = report.waiting
    ws.append([_bold(ws, _("Waiting for a flat")), _bold(ws, _("Households"))])
    lines: list[tuple[str, Any]] = [(_("Households waiting for a flat"), w.households)]
    lines += [(_("Not yet moved out"), w.not_moved_out)]
    lines += report.waiting_rows
    lines += [(_("Longest wait (months)"), w.longest_months)]
    lines += [(_("Longest wait (household)"), w.longest_household)]
    for label, value in lines:
        ws.append([data_cell(ws, label), data_cell(ws, value)])

    ws = wb.create_sheet(_("Housing vouchers"))
    ws.append([_bold(ws, h) for h in (_("Vouchers"), pgettext("count", "Number"), _("Amount"))])
    for label, figure in report.voucher_rows:
        ws.append([data_cell(ws, label), data_cell(ws, figure.count), data_cell(ws, figure.amount)])
    ws.append(
        [
            data_cell(ws, _("Paid for balances cashed")),
            None,
            data_cell(ws, report.vouchers["cash_paid"]),
        ]
    )

    ws = wb.create_sheet(_("Resettlement modes"))
    ws.append(
        [
            _bold(ws, h)
            for h in (_("Mode"), _("Households"), _("Share (%)"), _("Amount"), _("Share (%)"))
        ]
    )
    for m in report.modes:
        ws.append(
            [
                data_cell(ws, v)
                for v in (m.label, m.households, m.household_share, m.amount, m.amount_share)
            ]
        )
    households, amount = report.mode_totals
    ws.append(
        [
            data_cell(ws, v)
            for v in (
                _("Total"),
                households,
                HUNDRED if households else ZERO,
                amount,
                HUNDRED if amount else ZERO,
            )
        ]
    )
    wb.save(out)
