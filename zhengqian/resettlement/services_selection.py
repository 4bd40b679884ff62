"""Writes of the selection rounds (选房批次): the households and flats of a round, the choosing
order (by signing order, or by a lottery committed before it is drawn), the selection day, the
closing with the settlement of each household's flats through the payments module, and the
publication of the result (DESIGN.md §1, §6; source documents 001, 002).

The life of a round: draft (households and flats added) → for a lottery, committed (the seed's
hash announced; the households and their candidate order frozen) → ordered (the order fixed by
signing order or drawn; immutable) → open (on the selection day) → closed (the households still
waiting did not choose; the settlements made) → published.

On the selection day the first `desks` waiting households by place are called. A called household
chooses its whole combination of flats at once, or is marked absent: the first time it is moved
to the end of the round and called again there; absent a second time, it has missed the round
(it may be added to another round later). A flat is allocated to one household only: the flats
are locked in key order, and the database refuses a second live choice of a flat.

Who may do what: resettlement officers (resettlement/create for a new round, resettlement/change
for everything else). Every write is one transaction with its audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements.models import Agreement, AgreementStatus
from zhengqian.audit.services import record
from zhengqian.core import draws
from zhengqian.payments import services as payments
from zhengqian.payments.models import PaymentPlan, PlanKind
from zhengqian.projects.models import Project
from zhengqian.resettlement import entitlement as entitlements
from zhengqian.resettlement.models import (
    ZERO,
    Choice,
    EntryStatus,
    Flat,
    FlatStatus,
    OrderBy,
    RoundEntry,
    RoundStatus,
    SelectionRound,
    Settlement,
)
from zhengqian.survey.models import Household
from zhengqian.survey.permissions import require_household

MAX_DESKS = 20
# A household absent this many times in a round has missed it.
ABSENCES_TO_MISS = 2
# Entries placed per UPDATE statement (two parameters each, within every database's limit).
PLACE_BATCH = 1000
# Rounds still running: a household is in at most one of them.
RUNNING = [
    RoundStatus.DRAFT,
    RoundStatus.COMMITTED,
    RoundStatus.ORDERED,
    RoundStatus.OPEN,
]
TAKEN = [FlatStatus.ALLOCATED, FlatStatus.HANDED_OVER]


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def refusal_message(code: str, ent: entitlements.Entitlement) -> str:
    """The message for an entitlement refusal code, naming the window of area."""
    values = {
        "lowest": f"{ent.lowest:.2f}",
        "highest": f"{ent.highest:.2f}",
        "flats": ent.flats,
        "area": f"{ent.area:.2f}",
    }
    messages = {
        "empty": _("Choose at least one flat."),
        "too_many": _("The household may choose at most %(flats)s flat(s)."),
        "duplicate": _("The same flat is chosen twice."),
        "too_small": _(
            "The flats chosen are too small: their total area must lie between %(lowest)s m² "
            "and %(highest)s m² (entitled area %(area)s m²)."
        ),
        "too_large": _(
            "The flats chosen are too large: their total area must lie between %(lowest)s m² "
            "and %(highest)s m² (entitled area %(area)s m²)."
        ),
    }
    return messages.get(code, _("The flats chosen do not fit the entitlement.")) % values


def _round(round: SelectionRound) -> SelectionRound:
    """The round re-read and locked."""
    return SelectionRound.objects.select_for_update().get(pk=round.pk)


def _expect(round: SelectionRound, *statuses: str, code: str = "status") -> None:
    if round.status not in statuses:
        raise ValidationError(
            _("The round is %(status)s: this cannot be done now.")
            % {"status": round.get_status_display().lower()},
            code=code,
        )


def _audit(actor: Any, event: str, round: SelectionRound, **details: Any) -> None:
    record(
        actor=actor,
        event_type=f"resettlement.{event}",
        target=round,
        project=round.project_id,
        details={"round": round.name, **details},
    )


# --- the round -------------------------------------------------------------------------------


@transaction.atomic
def round_create(
    *,
    actor: Any,
    project: Project,
    name: str,
    order_by: str,
    scheduled_on: dt.date | None,
    venue: str = "",
    desks: int = 1,
) -> SelectionRound:
    require(actor, Module.RESETTLEMENT, Action.CREATE, project=project)
    name = (name or "").strip()
    errors: dict[str, ValidationError] = {}
    if not name:
        errors["name"] = ValidationError(_("Give the round a name."), code="required")
    elif SelectionRound.objects.filter(project=project, name=name).exists():
        errors["name"] = ValidationError(
            _("The project already has a round named %(name)s.") % {"name": name}, code="unique"
        )
    if order_by not in OrderBy.values:
        errors["order_by"] = ValidationError(
            _("Choose the order: by signing or by lottery."), code="invalid"
        )
    if scheduled_on is None:
        errors["scheduled_on"] = ValidationError(_("Enter the selection day."), code="required")
    try:
        desks = int(desks)
    except (TypeError, ValueError):
        desks = 0
    if not 1 <= desks <= MAX_DESKS:
        errors["desks"] = ValidationError(
            _("Between 1 and %(max)s households can choose at the same time.") % {"max": MAX_DESKS},
            code="desks",
        )
    if errors:
        raise ValidationError(errors)
    assert scheduled_on is not None
    round = SelectionRound.objects.create(
        project=project,
        name=name[:100],
        order_by=order_by,
        scheduled_on=scheduled_on,
        venue=(venue or "").strip()[:200],
        desks=desks,
        created_by=actor,
    )
    _audit(
        actor,
        "round_create",
        round,
        order_by=order_by,
        scheduled_on=scheduled_on,
        venue=round.venue,
        desks=desks,
    )
    return round


@transaction.atomic
def round_add_households(*, actor: Any, round: SelectionRound, households: Iterable[Any]) -> int:
    """Add households (or their keys) to a draft round; each must have an effective property
    exchange agreement, be in no other running round and have chosen no flat yet. Nothing is
    added unless all are eligible; the error names each household refused."""
    require(actor, Module.RESETTLEMENT, Action.CHANGE, project=round.project_id)
    round = _round(round)
    _expect(round, RoundStatus.DRAFT, code="frozen")
    ids = sorted({h if isinstance(h, int) else h.pk for h in households})
    if not ids:
        raise _invalid("households", _("Choose at least one household."), "required")
    # Locked in key order, so that two rounds adding the same household cannot both take it.
    found = list(
        Household.objects.select_for_update().filter(pk__in=ids, project_id=round.project_id)
    )
    if len(found) != len(ids):
        raise _invalid(
            "households", _("A household chosen is not of this project."), "other_project"
        )
    running = dict(
        RoundEntry.objects.filter(household_id__in=ids, round__status__in=RUNNING).values_list(
            "household_id", "round__name"
        )
    )
    chosen = set(
        Choice.objects.filter(household_id__in=ids, cancelled_at__isnull=True).values_list(
            "household_id", flat=True
        )
    )
    problems: list[ValidationError] = []
    entries: list[RoundEntry] = []
    for household in sorted(found, key=lambda h: h.code):
        values = {"household": household.code}
        if household.pk in running:
            values["round"] = running[household.pk]
            problems.append(
                ValidationError(
                    _("Household %(household)s is already in round %(round)s.") % values,
                    code="in_round",
                )
            )
            continue
        if household.pk in chosen:
            problems.append(
                ValidationError(
                    _("Household %(household)s has already chosen its flats.") % values,
                    code="chosen",
                )
            )
            continue
        ent = entitlements.for_household(household)
        if ent is None:
            problems.append(
                ValidationError(
                    _("Household %(household)s has no effective property-exchange agreement.")
                    % values,
                    code="not_exchange",
                )
            )
            continue
        entries.append(
            RoundEntry(
                round=round,
                household=household,
                agreement=ent.agreement,
                entitled_area=ent.area,
                flats_allowed=ent.flats,
            )
        )
    if problems:
        raise ValidationError({"households": problems})
    RoundEntry.objects.bulk_create(entries)
    _audit(actor, "round_households", round, added=[e.household.code for e in entries])
    return len(entries)


@transaction.atomic
def round_remove_household(*, actor: Any, entry: RoundEntry) -> None:
    require(actor, Module.RESETTLEMENT, Action.CHANGE, project=entry.round.project_id)
    round = _round(entry.round)
    _expect(round, RoundStatus.DRAFT, code="frozen")
    entry = RoundEntry.objects.select_related("household").get(pk=entry.pk, round=round)
    code = entry.household.code
    entry.delete()
    _audit(actor, "round_remove", round, household=code)


@transaction.atomic
def round_add_flats(*, actor: Any, round: SelectionRound, flats: Iterable[Any]) -> int:
    """Offer flats (or their keys) in a round, until it opens: flats of the project, neither
    allocated nor handed over. Returns the number newly offered."""
    require(actor, Module.RESETTLEMENT, Action.CHANGE, project=round.project_id)
    round = _round(round)
    _expect(round, RoundStatus.DRAFT, RoundStatus.COMMITTED, RoundStatus.ORDERED, code="frozen")
    ids = sorted({f if isinstance(f, int) else f.pk for f in flats})
    if not ids:
        raise _invalid("flats", _("Choose at least one flat."), "required")
    found = list(
        Flat.objects.filter(pk__in=ids, project_id=round.project_id).select_related(
            "estate", "building"
        )
    )
    if len(found) != len(ids):
        raise _invalid("flats", _("A flat chosen is not of this project."), "other_project")
    taken = [f for f in found if f.status in TAKEN or f.household_id is not None]
    if taken:
        raise ValidationError(
            {
                "flats": [
                    ValidationError(
                        _("Flat %(flat)s is already allocated.") % {"flat": f}, code="allocated"
                    )
                    for f in taken
                ]
            }
        )
    offered = set(round.flats.filter(pk__in=ids).values_list("pk", flat=True))
    new = [f for f in found if f.pk not in offered]
    round.flats.add(*new)
    _audit(actor, "round_flats", round, added=[str(f) for f in new])
    return len(new)


def _candidates(round: SelectionRound) -> list[RoundEntry]:
    """The households of a round in signing order (the published candidate order)."""
    entries = list(RoundEntry.objects.filter(round=round).select_related("agreement", "household"))
    entries.sort(
        key=lambda e: (
            e.agreement.signing_order is None,
            e.agreement.signing_order or 0,
            e.agreement_id,
        )
    )
    return entries


def _need_households(round: SelectionRound) -> None:
    if not RoundEntry.objects.filter(round=round).exists():
        raise ValidationError(_("Add the households of the round first."), code="empty")


def _place(entries: Sequence[RoundEntry], *, drawn: bool) -> None:
    """Give the entries places 1…n in this order (positions cleared first: they are unique).
    One UPDATE … FROM (VALUES …) per thousand entries: a lottery of thousands of households is
    written in a few statements (a CASE per row would grow with the square of the batch)."""
    RoundEntry.objects.filter(pk__in=[e.pk for e in entries]).update(position=None)
    rows: list[tuple[int, int]] = []
    for place, entry in enumerate(entries, start=1):
        entry.position = place
        if drawn:
            entry.drawn = place
        rows.append((entry.pk, place))
    table = connection.ops.quote_name(RoundEntry._meta.db_table)
    columns = "position = v.column2" + (", drawn = v.column2" if drawn else "")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), PLACE_BATCH):
            chunk = rows[start : start + PLACE_BATCH]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET {columns} FROM (VALUES {values}) AS v "  # noqa: S608
                f"WHERE {table}.id = v.column1",
                [value for row in chunk for value in row],
            )


@transaction.atomic
def round_fix_order(*, actor: Any, round: SelectionRound) -> SelectionRound:
    """Order by signing: each household's place is its rank by signing order."""
    require(actor, Module.RESETTLEMENT, Action.CHANGE, project=round.project_id)
    round = _round(round)
    if round.order_by != OrderBy.SIGNING:
        raise ValidationError(_("This round's order is drawn by lottery."), code="lottery_round")
    _expect(round, RoundStatus.DRAFT)
    _need_households(round)
    entries = _candidates(round)
    _place(entries, drawn=True)
    round.status = RoundStatus.ORDERED
    round.ordered_at = timezone.now()
    round.save(update_fields=["status", "ordered_at"])
    _audit(actor, "round_order", round, order=[e.household.code for e in entries])
    return round


@transaction.atomic
def round_commit_lottery(*, actor: Any, round: SelectionRound) -> SelectionRound:
    """Announce the lottery: a fresh secret seed is kept, its hash published with the candidate
    list (the households in signing order, numbered from 1). Both are frozen from here."""
    require(actor, Module.RESETTLEMENT, Action.CHANGE, project=round.project_id)
    round = _round(round)
    if round.order_by != OrderBy.LOTTERY:
        raise ValidationError(_("This round is ordered by signing."), code="signing_round")
    _expect(round, RoundStatus.DRAFT)
    _need_households(round)
    entries = _candidates(round)
    # The candidate numbers are the places until the draw.
    _place(entries, drawn=False)
    seed = draws.new_seed()
    round.seed = seed
    round.seed_hash = draws.seed_hash(seed)
    round.status = RoundStatus.COMMITTED
    round.committed_at = timezone.now()
    round.save(update_fields=["seed", "seed_hash", "status", "committed_at"])
    _audit(
        actor,
        "round_commit",
        round,
        seed_hash=round.seed_hash,
        candidates=[e.household.code for e in entries],
    )
    return round


def _text(value: str | None, limit: int) -> str:
    return " ".join((value or "").split())[:limit]


@transaction.atomic
def round_draw(
    *,
    actor: Any,
    round: SelectionRound,
    witness_value: str = "",
    notary: str = "",
    notary_office: str = "",
) -> SelectionRound:
    """Run the lottery: the seed is revealed, the witnesses' value added, and the candidates
    (in their published order) are put in the drawn order. Immutable afterwards."""
    require(actor, Module.RESETTLEMENT, Action.CHANGE, project=round.project_id)
    round = _round(round)
    if round.order_by != OrderBy.LOTTERY:
        raise ValidationError(_("This round is ordered by signing."), code="signing_round")
    _expect(round, RoundStatus.COMMITTED, code="not_committed")
    witness = _text(witness_value, 60)
    candidates = list(
        RoundEntry.objects.filter(round=round).select_related("household").order_by("position")
    )
    order = draws.draw_order(round.seed, len(candidates), witness=witness)
    drawn = draws.ordered(candidates, order)
    _place(drawn, drawn=True)
    round.witness_value = witness
    round.notary = _text(notary, 100)
    round.notary_office = _text(notary_office, 100)
    round.status = RoundStatus.ORDERED
    round.ordered_at = timezone.now()
    round.save(update_fields=["witness_value", "notary", "notary_office", "status", "ordered_at"])
    _audit(
        actor,
        "round_draw",
        round,
        seed=round.seed,
        seed_hash=round.seed_hash,
        witness_value=witness,
        notary=round.notary,
        notary_office=round.notary_office,
        candidates=len(candidates),
        order=order,
    )
    return round


@transaction.atomic
def round_open(*, actor: Any, round: SelectionRound) -> SelectionRound:
    require(actor, Module.RESETTLEMENT, Action.CHANGE, project=round.project_id)
    round = _round(round)
    _expect(round, RoundStatus.ORDERED, code="not_ordered")
    if timezone.localdate() < round.scheduled_on:
        raise ValidationError(
            _("The round opens on its selection day, %(day)s.") % {"day": round.scheduled_on},
            code="too_early",
        )
    if not round.flats.exists():
        raise ValidationError(_("Offer the flats of the round first."), code="no_flats")
    round.status = RoundStatus.OPEN
    round.opened_at = timezone.now()
    round.save(update_fields=["status", "opened_at"])
    _audit(actor, "round_open", round)
    return round


# --- the selection day -----------------------------------------------------------------------


def called(round: SelectionRound) -> list[RoundEntry]:
    """The households called now: the first `desks` waiting ones by place."""
    return list(
        RoundEntry.objects.filter(round=round, status=EntryStatus.WAITING)
        .select_related("household")
        .order_by("position")[: round.desks]
    )


def _called_entry(actor: Any, entry: RoundEntry) -> tuple[SelectionRound, RoundEntry]:
    """The entry locked, its round open, the entry waiting and called now; the actor may
    change resettlement for the household (its work group included)."""
    require(actor, Module.RESETTLEMENT, Action.CHANGE, project=entry.round.project_id)
    require_household(
        actor, Household.objects.get(pk=entry.household_id), Module.RESETTLEMENT, Action.CHANGE
    )
    round = SelectionRound.objects.get(pk=entry.round_id)
    entry = (
        RoundEntry.objects.select_for_update()
        .select_related("household", "agreement")
        .get(pk=entry.pk)
    )
    _expect(round, RoundStatus.OPEN, code="not_open")
    if entry.status != EntryStatus.WAITING:
        raise ValidationError(
            _("Household %(household)s is no longer waiting (%(status)s).")
            % {"household": entry.household.code, "status": entry.get_status_display().lower()},
            code="not_waiting",
        )
    if entry.pk not in {e.pk for e in called(round)}:
        raise ValidationError(
            _("Household %(household)s has not been called yet.")
            % {"household": entry.household.code},
            code="not_called",
        )
    return round, entry


@transaction.atomic
def choose(*, actor: Any, entry: RoundEntry, flats: Iterable[Any]) -> list[Choice]:
    """A called household chooses its whole combination of flats at once."""
    round, entry = _called_entry(actor, entry)
    ids = sorted({f if isinstance(f, int) else f.pk for f in flats})
    if not ids:
        raise _invalid("flats", _("Choose at least one flat."), "empty")
    # Locked in key order: two desks choosing overlapping flats wait for each other.
    locked = list(
        Flat.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
        .select_related("estate", "building")
    )
    offered = set(round.flats.filter(pk__in=ids).values_list("pk", flat=True))
    if len(locked) != len(ids) or offered != set(ids):
        raise _invalid("flats", _("A flat chosen is not offered in this round."), "not_offered")
    for flat in locked:
        if flat.status in TAKEN or flat.household_id is not None:
            raise _invalid("flats", _("Flat %(flat)s is already taken.") % {"flat": flat}, "taken")
    ent = entitlements.for_household(entry.household_id)
    if ent is None or ent.agreement.pk != entry.agreement_id:
        raise _invalid(
            "flats",
            _("Household %(household)s no longer has an effective property-exchange agreement.")
            % {"household": entry.household.code},
            "not_exchange",
        )
    code = entitlements.refusal(ent, locked)
    if code is not None:
        raise _invalid("flats", refusal_message(code, ent), code)
    try:
        with transaction.atomic():
            choices = Choice.objects.bulk_create(
                [
                    Choice(
                        round=round,
                        entry=entry,
                        household_id=entry.household_id,
                        flat=flat,
                        area=flat.area,
                        recorded_by=actor,
                    )
                    for flat in locked
                ]
            )
    except IntegrityError:
        raise _invalid("flats", _("A flat chosen has already been taken."), "taken") from None
    Flat.objects.filter(pk__in=ids).update(
        household_id=entry.household_id, status=FlatStatus.ALLOCATED
    )
    entry.status = EntryStatus.CHOSEN
    entry.chosen_at = timezone.now()
    entry.save(update_fields=["status", "chosen_at"])
    priced = entitlements.price(ent, locked)
    record(
        actor=actor,
        event_type="resettlement.choice",
        target=entry,
        project=round.project_id,
        details={
            "round": round.name,
            "household": entry.household.code,
            "position": entry.position,
            "flats": [str(f) for f in locked],
            "area": priced.area,
            "balance": priced.balance,
        },
    )
    return choices


@transaction.atomic
def mark_absent(*, actor: Any, entry: RoundEntry) -> RoundEntry:
    """A called household is not there: moved to the end of the round the first time; absent
    again when called there, it has missed the round."""
    # The round is locked first: two desks moving households to the end must not take the
    # same last place. A no-key lock: a choice being committed meanwhile (its rows refer to the
    # round) is not blocked by it, so the two cannot deadlock.
    SelectionRound.objects.select_for_update(no_key=True).get(pk=entry.round_id)
    round, entry = _called_entry(actor, entry)
    entry.absences += 1
    if entry.absences >= ABSENCES_TO_MISS:
        entry.status = EntryStatus.MISSED
        entry.save(update_fields=["absences", "status"])
    else:
        last = RoundEntry.objects.filter(round=round).aggregate(m=Max("position"))["m"] or 0
        entry.position = last + 1
        entry.save(update_fields=["absences", "position"])
    record(
        actor=actor,
        event_type="resettlement.absent",
        target=entry,
        project=round.project_id,
        details={
            "round": round.name,
            "household": entry.household.code,
            "absences": entry.absences,
            "position": entry.position,
            "missed": entry.status == EntryStatus.MISSED,
        },
    )
    return entry


# --- closing and settling --------------------------------------------------------------------


def cash_planned(agreement: Agreement) -> Decimal:
    """What the household's agreement (the main one and its effective supplements) pays in
    cash: the amount of each one's payment plan, or for an agreement without its plan yet (in
    force before the payments module kept plans) what its plan will be (the main agreement's
    cash part, a supplement's difference). Otherwise that plan, made later (when the
    settlement is booked, or by the plans' catch-up), would pay the same money a second
    time."""
    supplements = dict(
        Agreement.objects.filter(parent=agreement, status=AgreementStatus.EFFECTIVE).values_list(
            "pk", "difference"
        )
    )
    plans = dict(
        PaymentPlan.objects.filter(
            kind=PlanKind.AGREEMENT, agreement_id__in=[agreement.pk, *supplements]
        ).values_list("agreement_id", "amount")
    )
    total = plans.get(agreement.pk, payments.cash_amount(agreement))
    for pk, difference in supplements.items():
        total += plans.get(pk, difference or ZERO)
    return total


def _describe(flats: Sequence[Flat]) -> str:
    estates = list(dict.fromkeys(f.estate.name for f in flats))
    units = ", ".join(f"{f.building.name} {f.unit_no}" for f in flats)
    return f"{' '.join(estates)} {units}"[:200]


def _settle(actor: Any, round: SelectionRound, entry: RoundEntry, day: dt.date) -> Settlement:
    flats = [
        c.flat
        for c in Choice.objects.filter(entry=entry, cancelled_at__isnull=True)
        .select_related("flat__estate", "flat__building")
        .order_by("flat_id")
    ]
    ent = entitlements.for_household(entry.household_id)
    if ent is None:
        raise ValidationError(
            _(
                "Household %(household)s no longer has an effective property-exchange "
                "agreement: its flats cannot be settled."
            )
            % {"household": entry.household.code},
            code="not_exchange",
        )
    priced = entitlements.price(ent, flats)
    owed_to_household = -priced.balance
    planned = cash_planned(ent.agreement)
    settle = owed_to_household - planned
    reference = f"round-{round.pk}"
    description = _describe(flats)
    instalment = receivable = None
    if settle > 0:
        instalment = payments.schedule_item(
            actor=actor,
            household=entry.household,
            kind=PlanKind.DIFFERENCE,
            reference=reference,
            description=description,
            amount=settle,
            on=day,
        )
    elif settle < 0:
        receivable = payments.receivable_create(
            actor=actor,
            household=entry.household,
            kind=PlanKind.DIFFERENCE,
            reference=reference,
            description=description,
            amount=-settle,
            due_on=day + dt.timedelta(days=ent.policy.payment_due_days),
        )
    inputs = priced.inputs()
    inputs.append(
        {
            "name": "settlement",
            "owed_to_household": f"{owed_to_household:.2f}",
            "cash_planned": f"{planned:.2f}",
            "settled": f"{settle:.2f}",
        }
    )
    return Settlement.objects.create(
        project_id=round.project_id,
        household_id=entry.household_id,
        round=round,
        area=priced.area,
        flats_price=priced.price,
        balance=-settle,
        instalment=instalment,
        receivable=receivable,
        inputs=inputs,
        created_by=actor,
    )


@transaction.atomic
def round_close(*, actor: Any, round: SelectionRound) -> SelectionRound:
    """Close the selection day: the households still waiting did not choose; each household
    with flats is settled (the difference paid to it or asked of it)."""
    require(actor, Module.RESETTLEMENT, Action.CHANGE, project=round.project_id)
    round = _round(round)
    _expect(round, RoundStatus.OPEN, code="not_open")
    entries = list(
        RoundEntry.objects.select_for_update()
        .filter(round=round)
        .select_related("household")
        .order_by("pk")
    )
    day = timezone.localdate()
    missed: list[str] = []
    settled: list[dict[str, Any]] = []
    for entry in entries:
        if entry.status == EntryStatus.WAITING:
            entry.status = EntryStatus.MISSED
            entry.save(update_fields=["status"])
            missed.append(entry.household.code)
        elif entry.status == EntryStatus.CHOSEN:
            settlement = _settle(actor, round, entry, day)
            settled.append({"household": entry.household.code, "balance": settlement.balance})
    round.status = RoundStatus.CLOSED
    round.closed_at = timezone.now()
    round.save(update_fields=["status", "closed_at"])
    _audit(actor, "round_close", round, missed=missed, settlements=settled)
    return round


@transaction.atomic
def round_publish(*, actor: Any, round: SelectionRound) -> SelectionRound:
    require(actor, Module.RESETTLEMENT, Action.CHANGE, project=round.project_id)
    round = _round(round)
    _expect(round, RoundStatus.CLOSED, code="not_closed")
    round.status = RoundStatus.PUBLISHED
    round.published_at = timezone.now()
    round.save(update_fields=["status", "published_at"])
    _audit(actor, "round_publish", round)
    return round
