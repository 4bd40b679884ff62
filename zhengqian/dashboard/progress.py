"""Keeping HouseholdProgress, ProgressCell and ProgressDay in step with the modules' records.

`compute` derives where households stand from the modules' own records, a few queries per chunk
of households whatever their number. `refresh` writes what changed, inside the caller's
transaction, and adds the difference (old state -> new state) to the counters with F()
increments, so that two transactions refreshing households of the same cell both count.

The definitions (each read from the module that owns the record):

- surveyed: at least one survey Building; area: the buildings' measured areas added up.
- confirmed: the ownership Confirmation is locked.
- valued: the Valuation's report is issued (a valuation reopened by an objection stays issued).
- calculated: a compensation Calculation that is not superseded exists; approved: the latest of
  those (highest version) is approved.
- signed: a main agreement (not a supplement) is signed, pending or effective; signed_on its
  signing date. A lapsed or void agreement leaves the stage, and its day.
- mode: the signed agreement's kind (a non-residential agreement counts as cash, as the
  resettlement report does), else the latest calculation's mode, else "".
- amount_agreed / amount_paid: `committed` and `paid` of the household's payment accounts that
  are not void (the basis of what payments calls still owed: committed - paid).
- paid: signed, agreed > 0 and paid >= agreed; paid_on the accounts' last payment day.
- vacated / demolished: the demolition module's Vacating (accepted_on) and Demolition
  (demolished_on).
- holdout: the household has an open holdout Case (the holdouts module allows one at a time).

Writes that bypass Django's signals (QuerySet.update, bulk_create) call `touch(ids)`; batch
paths run inside `deferred()`, which refreshes every household once on leaving the block.
"""

from __future__ import annotations

import contextvars
import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from zhengqian.dashboard.models import (
    COUNTS,
    DAY_STAGES,
    STAGES,
    SUMS,
    HouseholdProgress,
    ProgressCell,
    ProgressDay,
)

CHUNK = 500
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# The main agreements' kinds and the mode each one counts as.
AGREEMENT_MODES = {
    "cash": "cash",
    "exchange": "exchange",
    "voucher": "voucher",
    "non_residential": "cash",
}

CellKey = tuple[int, int, str, str]  # project, work group (0: none), household kind, mode
DayKey = tuple[int, int, Any]  # project, work group, day


@dataclass(frozen=True)
class State:
    """Where one household stands: the values of its HouseholdProgress row."""

    project_id: int
    district_id: int
    group_id: int
    kind: str
    mode: str = ""
    surveyed: bool = False
    confirmed: bool = False
    valued: bool = False
    calculated: bool = False
    approved: bool = False
    signed: bool = False
    paid: bool = False
    vacated: bool = False
    demolished: bool = False
    holdout: bool = False
    signed_on: Any = None
    paid_on: Any = None
    vacated_on: Any = None
    demolished_on: Any = None
    area: Decimal = ZERO
    amount_agreed: Decimal = ZERO
    amount_paid: Decimal = ZERO

    @classmethod
    def of_row(cls, row: HouseholdProgress) -> State:
        return cls(**{name: _norm(getattr(row, name)) for name in FIELDS})

    @property
    def cell(self) -> CellKey:
        return (self.project_id, self.group_id, self.kind, self.mode)

    def counters(self) -> dict[str, Any]:
        """What the household adds to its cell."""
        values: dict[str, Any] = {"households": 1, "holdouts": int(self.holdout)}
        for stage in STAGES:
            values[stage] = int(getattr(self, stage))
        values["area"] = self.area
        values["area_signed"] = self.area if self.signed else ZERO
        values["area_demolished"] = self.area if self.demolished else ZERO
        values["amount_agreed"] = self.amount_agreed
        values["amount_paid"] = self.amount_paid
        return values

    def days(self) -> Iterator[tuple[DayKey, str]]:
        """The days (and stages) on which the household is counted."""
        for stage in DAY_STAGES:
            day = getattr(self, f"{stage}_on")
            if getattr(self, stage) and day is not None:
                yield (self.project_id, self.group_id, day), stage


FIELDS = tuple(f.name for f in dataclasses.fields(State))


def _norm(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    return value


def _chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


# --- Deriving the states -------------------------------------------------------------------


def compute(household_ids: Iterable[int]) -> dict[int, State]:
    """Each existing household's state, from the modules' records (11 queries per chunk)."""
    ids = sorted(set(household_ids))
    states: dict[int, State] = {}
    for chunk in _chunks(ids):
        states.update(_compute_chunk(chunk))
    return states


def _compute_chunk(ids: Sequence[int]) -> dict[int, State]:
    from zhengqian.agreements.models import Agreement, AgreementKind, AgreementStatus
    from zhengqian.compensation.models import Calculation, CalculationStatus
    from zhengqian.demolition.models import Demolition, Vacating
    from zhengqian.holdouts.models import Case, CaseStatus
    from zhengqian.ownership.models import Confirmation, ConfirmationStatus
    from zhengqian.payments.models import HouseholdAccount
    from zhengqian.survey.models import Building, Household
    from zhengqian.valuation.models import Valuation, ValuationStatus

    heads = list(
        Household.objects.filter(pk__in=ids)
        .order_by()
        .values_list("pk", "project_id", "project__district_id", "work_group_id", "kind")
    )
    if not heads:
        return {}
    ids = [row[0] for row in heads]
    areas = dict(
        Building.objects.filter(household_id__in=ids)
        .order_by()
        .values("household_id")
        .annotate(area=Sum("measured_area"))
        .values_list("household_id", "area")
    )
    confirmed = set(
        Confirmation.objects.filter(
            household_id__in=ids, status=ConfirmationStatus.LOCKED
        ).values_list("household_id", flat=True)
    )
    valued = set(
        Valuation.objects.filter(household_id__in=ids, status=ValuationStatus.ISSUED).values_list(
            "household_id", flat=True
        )
    )
    latest: dict[int, tuple[int, str, str]] = {}
    for household_id, number, status, mode in (
        Calculation.objects.filter(household_id__in=ids)
        .exclude(status=CalculationStatus.SUPERSEDED)
        .order_by()
        .values_list("household_id", "number", "status", "mode")
    ):
        if household_id not in latest or number > latest[household_id][0]:
            latest[household_id] = (number, status, mode)
    signed: dict[int, tuple[int, str, Any]] = {}
    for household_id, pk, kind, signed_on in (
        Agreement.objects.filter(
            household_id__in=ids,
            status__in=[AgreementStatus.PENDING, AgreementStatus.EFFECTIVE],
        )
        .exclude(kind=AgreementKind.SUPPLEMENT)
        .order_by()
        .values_list("household_id", "pk", "kind", "signed_on")
    ):
        if household_id not in signed or pk > signed[household_id][0]:
            signed[household_id] = (pk, kind, signed_on)
    money = {
        row[0]: row[1:]
        for row in HouseholdAccount.objects.filter(household_id__in=ids, void=False)
        .order_by()
        .values("household_id")
        .annotate(c=Sum("committed"), p=Sum("paid"), last=Max("last_paid_on"))
        .values_list("household_id", "c", "p", "last")
    }
    vacated = dict(
        Vacating.objects.filter(household_id__in=ids).values_list("household_id", "accepted_on")
    )
    demolished = dict(
        Demolition.objects.filter(household_id__in=ids).values_list("household_id", "demolished_on")
    )
    holdouts = set(
        Case.objects.filter(household_id__in=ids, status=CaseStatus.OPEN).values_list(
            "household_id", flat=True
        )
    )

    states: dict[int, State] = {}
    for pk, project_id, district_id, group_id, kind in heads:
        calculation = latest.get(pk)
        agreement = signed.get(pk)
        if agreement is not None:
            mode = AGREEMENT_MODES.get(agreement[1], "")
        elif calculation is not None:
            mode = calculation[2]
        else:
            mode = ""
        committed, paid_sum, last_paid = money.get(pk, (None, None, None))
        agreed = _norm(committed or ZERO)
        paid_amount = _norm(paid_sum or ZERO)
        is_signed = agreement is not None
        is_paid = is_signed and agreed > 0 and paid_amount >= agreed
        states[pk] = State(
            project_id=project_id,
            district_id=district_id,
            group_id=group_id or 0,
            kind=kind,
            mode=mode,
            surveyed=pk in areas,
            confirmed=pk in confirmed,
            valued=pk in valued,
            calculated=calculation is not None,
            approved=calculation is not None and calculation[1] == CalculationStatus.APPROVED,
            signed=is_signed,
            paid=is_paid,
            vacated=pk in vacated,
            demolished=pk in demolished,
            holdout=pk in holdouts,
            signed_on=agreement[2] if agreement is not None else None,
            paid_on=last_paid if is_paid else None,
            vacated_on=vacated.get(pk),
            demolished_on=demolished.get(pk),
            area=_norm(areas.get(pk) or ZERO),
            amount_agreed=agreed,
            amount_paid=paid_amount,
        )
    return states


# --- Writing the rows and the counters -----------------------------------------------------


def refresh(household_ids: Iterable[int]) -> None:
    """Recompute the households and write what changed, inside the caller's transaction (or a
    transaction of its own when there is none). A household that no longer exists is taken
    out of its counters."""
    ids = sorted(set(household_ids))
    if not ids:
        return
    with transaction.atomic(savepoint=False):
        for chunk in _chunks(ids):
            _refresh_chunk(chunk, remove=False)


def remove(household_ids: Iterable[int]) -> None:
    """Take households out of the counters and delete their rows (a household being deleted:
    its records are about to go, so this is never deferred)."""
    ids = sorted(set(household_ids))
    if not ids:
        return
    with transaction.atomic(savepoint=False):
        for chunk in _chunks(ids):
            _refresh_chunk(chunk, remove=True)


def _refresh_chunk(ids: Sequence[int], *, remove: bool) -> None:
    # A row created at the same time by another transaction makes the insert fail once that
    # transaction commits (PostgreSQL waits for it): then the row exists, and is locked and
    # recomputed like any other.
    for attempt in range(3):
        rows = {
            row.pk: row
            for row in HouseholdProgress.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
        }
        new = {} if remove else compute(ids)
        missing = [pk for pk in new if pk not in rows]
        if missing:
            now = timezone.now()
            created = [_row(pk, new[pk], now) for pk in missing]
            try:
                with transaction.atomic():
                    HouseholdProgress.objects.bulk_create(created)
            except IntegrityError:
                if attempt == 2:
                    raise
                continue
        _write(rows, new)
        return


def _row(pk: int, state: State, now: Any) -> HouseholdProgress:
    values = {name: getattr(state, name) for name in FIELDS}
    return HouseholdProgress(household_id=pk, refreshed_at=now, **values)


def _write(rows: dict[int, HouseholdProgress], new: dict[int, State]) -> None:
    old = {pk: State.of_row(row) for pk, row in rows.items()}
    changed: list[HouseholdProgress] = []
    now = timezone.now()
    for pk, state in new.items():
        row = rows.get(pk)
        if row is None or old[pk] == state:
            continue
        for name in FIELDS:
            setattr(row, name, getattr(state, name))
        row.refreshed_at = now
        changed.append(row)
    if changed:
        HouseholdProgress.objects.bulk_update(changed, [*FIELDS[1:], "project", "refreshed_at"])
    gone = [pk for pk in rows if pk not in new]
    if gone:
        HouseholdProgress.objects.filter(pk__in=gone).delete()
    apply(
        [old[pk] for pk in rows if new.get(pk) != old[pk]],
        [state for pk, state in new.items() if old.get(pk) != state],
    )


def apply(old: Iterable[State], new: Iterable[State]) -> None:
    """Take the old states out of the counters and add the new ones."""
    cells: dict[CellKey, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    days: dict[DayKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    # The district of each cell and day before and after (a project moved to another one).
    before: dict[Any, int] = {}
    after: dict[Any, int] = {}
    for sign, states in ((-1, old), (1, new)):
        districts = before if sign < 0 else after
        for state in states:
            cell = cells[state.cell]
            for name, value in state.counters().items():
                cell[name] += sign * value
            districts[state.cell] = state.district_id
            for day_key, stage in state.days():
                days[day_key][stage] += sign
                districts[day_key] = state.district_id
    for cell_key in sorted(cells):
        deltas = {name: value for name, value in cells[cell_key].items() if value}
        district = after.get(cell_key, before.get(cell_key, 0))
        if deltas or district != before.get(cell_key, district):
            project_id, group_id, kind, mode = cell_key
            where = {"project_id": project_id, "group_id": group_id, "kind": kind, "mode": mode}
            _add(ProgressCell, where, district, deltas)
    for day_key in sorted(days):
        deltas = {name: value for name, value in days[day_key].items() if value}
        district = after.get(day_key, before.get(day_key, 0))
        if deltas or district != before.get(day_key, district):
            project_id, group_id, day = day_key
            day_where = {"project_id": project_id, "group_id": group_id, "day": day}
            _add(ProgressDay, day_where, district, deltas)


def _add(model: Any, key: dict[str, Any], district_id: int, deltas: dict[str, Any]) -> None:
    increments = {name: F(name) + value for name, value in deltas.items()}
    for _attempt in range(2):
        if model.objects.filter(**key).update(district_id=district_id, **increments):
            return
        try:
            with transaction.atomic():
                model.objects.create(district_id=district_id, **key, **deltas)
            return
        except IntegrityError:
            # Created by another transaction meanwhile: add to it.
            continue
    raise IntegrityError(f"could not add to {model.__name__} {key}")


# --- Triggers ------------------------------------------------------------------------------

_deferred: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar(
    "progress_deferred", default=None
)


@contextmanager
def deferred() -> Iterator[set[int]]:
    """Collect the households to refresh and refresh each once on leaving the (outermost)
    block, still inside the transaction; nothing is refreshed when the block raises."""
    pending = _deferred.get()
    if pending is not None:
        yield pending
        return
    pending = set()
    token = _deferred.set(pending)
    try:
        yield pending
    finally:
        _deferred.reset(token)
    refresh(pending)


# Households being deleted: their records go one model after another (each with its
# post_delete) before the household's own row, and must not bring its progress row back.
_deleting: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "progress_deleting", default=frozenset()
)


def deleting(household_id: int) -> None:
    """The household is being deleted: take it out now and ignore it until it is gone."""
    _deleting.set(_deleting.get() | {household_id})
    remove([household_id])


def deleted(household_id: int) -> None:
    _deleting.set(_deleting.get() - {household_id})


def touch(household_ids: Iterable[int]) -> None:
    """Households whose records changed: refreshed now, or on leaving `deferred()`."""
    ignored = _deleting.get()
    ids = [pk for pk in household_ids if pk not in ignored]
    pending = _deferred.get()
    if pending is not None:
        pending.update(ids)
    else:
        refresh(ids)


# --- Rebuilding the counters from the rows -------------------------------------------------


def cells_from_rows(rows: Any) -> dict[CellKey, dict[str, Any]]:
    """The cells that the rows add up to."""

    def area_if(field: str) -> Any:
        return Sum("area", filter=Q(**{field: True}))

    aggregates: dict[str, Any] = {
        "households": Count("pk"),
        "holdouts": Count("pk", filter=Q(holdout=True)),
    }
    aggregates.update({stage: Count("pk", filter=Q(**{stage: True})) for stage in STAGES})
    aggregates.update(
        area=Sum("area"),
        area_signed=area_if("signed"),
        area_demolished=area_if("demolished"),
        amount_agreed=Sum("amount_agreed"),
        amount_paid=Sum("amount_paid"),
        district=Max("district_id"),
    )
    # Named apart from the rows' own fields (an aggregate may not shadow one).
    named = {f"total_{name}": aggregate for name, aggregate in aggregates.items()}
    result: dict[CellKey, dict[str, Any]] = {}
    for row in rows.order_by().values("project_id", "group_id", "kind", "mode").annotate(**named):
        key = (row["project_id"], row["group_id"], row["kind"], row["mode"])
        result[key] = _counters({name: row[f"total_{name}"] for name in aggregates})
    return result


def _counters(row: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {name: int(row.get(name) or 0) for name in COUNTS}
    values.update({name: _norm(Decimal(row.get(name) or 0)) for name in SUMS})
    values["district_id"] = row.get("district") or row.get("district_id") or 0
    return values


def days_from_rows(rows: Any) -> dict[DayKey, dict[str, Any]]:
    result: dict[DayKey, dict[str, Any]] = {}
    for stage in DAY_STAGES:
        for row in (
            rows.filter(**{stage: True, f"{stage}_on__isnull": False})
            .order_by()
            .values("project_id", "group_id", f"{stage}_on")
            .annotate(n=Count("pk"), district=Max("district_id"))
        ):
            key = (row["project_id"], row["group_id"], row[f"{stage}_on"])
            entry = result.setdefault(
                key, dict.fromkeys(DAY_STAGES, 0) | {"district_id": row["district"]}
            )
            entry[stage] = row["n"]
    return result


def stored_cells(cells: Any) -> dict[CellKey, dict[str, Any]]:
    result: dict[CellKey, dict[str, Any]] = {}
    for row in cells.values(
        "project_id", "group_id", "kind", "mode", "district_id", *COUNTS, *SUMS
    ):
        values = _counters(row)
        if any(values[name] for name in (*COUNTS, *SUMS)):
            result[(row["project_id"], row["group_id"], row["kind"], row["mode"])] = values
    return result


def stored_days(days: Any) -> dict[DayKey, dict[str, Any]]:
    result: dict[DayKey, dict[str, Any]] = {}
    for row in days.values("project_id", "group_id", "day", "district_id", *DAY_STAGES):
        values = {name: row[name] for name in DAY_STAGES} | {"district_id": row["district_id"]}
        if any(values[name] for name in DAY_STAGES):
            result[(row["project_id"], row["group_id"], row["day"])] = values
    return result


@dataclass
class Drift:
    """How many rows, cells and days differed from what the modules' records give."""

    rows: int = 0
    cells: int = 0
    days: int = 0

    @property
    def found(self) -> bool:
        return bool(self.rows or self.cells or self.days)


def rebuild(
    *, project_ids: Sequence[int] | None = None, fix: bool = True, chunk: int = 2000
) -> Drift:
    """Recompute every household (of the projects) in chunks, then the projects' cells and days
    from the rows; with fix=False nothing is written and the drift is only counted. Each chunk
    and each project is one transaction, its rows locked while its counters are replaced."""
    from zhengqian.projects.models import Project
    from zhengqian.survey.models import Household

    drift = Drift()
    households = Household.objects.all()
    if project_ids is not None:
        households = households.filter(project_id__in=list(project_ids))
    last = 0
    while True:
        ids = list(
            households.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk]
        )
        if not ids:
            break
        last = ids[-1]
        with transaction.atomic():
            drift.rows += _rebuild_rows(ids, fix=fix)
    projects = Project.objects.order_by("pk")
    if project_ids is not None:
        projects = projects.filter(pk__in=list(project_ids))
    for project_id in projects.values_list("pk", flat=True):
        with transaction.atomic():
            cells, days = _rebuild_counters(project_id, fix=fix)
        drift.cells += cells
        drift.days += days
    return drift


def _rebuild_rows(ids: Sequence[int], *, fix: bool) -> int:
    rows_qs = HouseholdProgress.objects.filter(pk__in=ids)
    if fix:
        rows_qs = rows_qs.select_for_update().order_by("pk")
    rows = {row.pk: row for row in rows_qs}
    new = compute(ids)
    differing = [
        pk for pk, state in new.items() if pk not in rows or State.of_row(rows[pk]) != state
    ]
    if fix and differing:
        now = timezone.now()
        HouseholdProgress.objects.bulk_create(
            [_row(pk, new[pk], now) for pk in differing if pk not in rows]
        )
        changed = []
        for pk in differing:
            row = rows.get(pk)
            if row is not None:
                for name in FIELDS:
                    setattr(row, name, getattr(new[pk], name))
                row.refreshed_at = now
                changed.append(row)
        HouseholdProgress.objects.bulk_update(changed, [*FIELDS[1:], "project", "refreshed_at"])
    return len(differing)


def _rebuild_counters(project_id: int, *, fix: bool) -> tuple[int, int]:
    rows = HouseholdProgress.objects.filter(project_id=project_id)
    if fix:
        # The project's rows stay as they are while its counters are replaced.
        list(rows.select_for_update().order_by("pk").values_list("pk", flat=True))
    want_cells = cells_from_rows(rows)
    have_cells = stored_cells(ProgressCell.objects.filter(project_id=project_id))
    bad_cells = sorted(
        k for k in want_cells.keys() | have_cells.keys() if want_cells.get(k) != have_cells.get(k)
    )
    want_days = days_from_rows(rows)
    have_days = stored_days(ProgressDay.objects.filter(project_id=project_id))
    bad_days = sorted(
        k for k in want_days.keys() | have_days.keys() if want_days.get(k) != have_days.get(k)
    )
    if fix and bad_cells:
        # Replaced as a whole, in two statements: the project's rows are locked meanwhile.
        ProgressCell.objects.filter(project_id=project_id).delete()
        ProgressCell.objects.bulk_create(
            ProgressCell(project_id=project_id, group_id=group_id, kind=kind, mode=mode, **values)
            for (_, group_id, kind, mode), values in sorted(want_cells.items())
        )
    if fix and bad_days:
        ProgressDay.objects.filter(project_id=project_id).delete()
        ProgressDay.objects.bulk_create(
            (
                ProgressDay(project_id=project_id, group_id=group_id, day=day, **values)
                for (_, group_id, day), values in sorted(want_days.items())
            ),
            batch_size=2000,
        )
    return len(bad_cells), len(bad_days)
