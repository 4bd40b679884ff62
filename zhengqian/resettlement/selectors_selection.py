"""Reads of the selection pages: a project's rounds, a round with its households, flats and
order, the households called now with the combinations that fit them, the board of flats, the
published result (always masked), and the parts shown on the project and household pages.

Names are masked unless the user holds resettlement/view_personal (the views record the
unmasked reads)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.db.models import Count, Q, QuerySet

from zhengqian.accounts.permissions import OutOfScope
from zhengqian.accounts.roles import Action
from zhengqian.agreements.models import Agreement, AgreementKind, AgreementStatus
from zhengqian.core import draws
from zhengqian.core.masking import mask_name
from zhengqian.projects.models import Project
from zhengqian.resettlement import entitlement as entitlements
from zhengqian.resettlement import selectors
from zhengqian.resettlement.models import (
    Building,
    Choice,
    EntryStatus,
    Estate,
    Flat,
    FlatStatus,
    OrderBy,
    RoundEntry,
    RoundStatus,
    SelectionRound,
    Settlement,
)
from zhengqian.resettlement.services_selection import RUNNING, TAKEN, called, cash_planned
from zhengqian.survey.models import Household
from zhengqian.valuation.views_project import rerun_command

# Combinations offered at a desk for one household.
COMBINATIONS = 12
# Combinations searched when the household asks for a particular flat.
SEARCH = 5000


def rounds_of(project: Project) -> QuerySet[SelectionRound]:
    return (
        SelectionRound.objects.filter(project=project)
        .annotate(
            households=Count("entries", distinct=True),
            offered=Count("flats", distinct=True),
        )
        .order_by("-scheduled_on", "-pk")
    )


def get_round_for_user(user: Any, pk: Any) -> SelectionRound:
    """The round, if the user may view resettlement in its project; otherwise 404."""
    try:
        found = SelectionRound.objects.select_related("project").get(pk=int(pk))
    except (SelectionRound.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("resettlement.selectionround", pk) from None
    selectors.get_project_for_user(user, found.project_id)
    return found


def get_entry_for_user(user: Any, pk: Any) -> RoundEntry:
    try:
        found = RoundEntry.objects.select_related("round__project", "household").get(pk=int(pk))
    except (RoundEntry.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("resettlement.roundentry", pk) from None
    selectors.get_project_for_user(user, found.round.project_id)
    return found


def head_name(household: Household, personal: bool | set[int]) -> str:
    """The head's name, unmasked when `personal` is True, or is the set of work groups whose
    households' personal data the user sees and the household is of one of them."""
    if personal is True or (isinstance(personal, set) and household.work_group_id in personal):
        return household.head_name
    return mask_name(household.head_name)


@dataclass(frozen=True)
class EntryRow:
    entry: RoundEntry
    code: str
    name: str
    flats: list[Flat]
    # A lottery's published candidate number (signing order), which the re-run command prints.
    candidate: int | None = None


def candidate_numbers(round: SelectionRound, count: int) -> dict[int, int]:
    """A lottery round's drawn place → candidate number (empty before the draw)."""
    if round.order_by != OrderBy.LOTTERY or round.status in (
        RoundStatus.DRAFT,
        RoundStatus.COMMITTED,
    ):
        return {}
    order = draws.draw_order(round.seed, count, witness=round.witness_value)
    return dict(enumerate(order, start=1))


def entry_rows(round: SelectionRound, *, personal: bool | set[int]) -> list[EntryRow]:
    """The households of the round in their place (candidate number before a draw), with the
    flats each has chosen."""
    entries = list(
        RoundEntry.objects.filter(round=round)
        .select_related("household", "agreement")
        .order_by("position", "agreement__signing_order", "pk")
    )
    chosen: dict[int, list[Flat]] = {}
    for c in (
        Choice.objects.filter(round=round, cancelled_at__isnull=True)
        .select_related("flat__building", "flat__estate")
        .order_by("flat__estate__name", "flat__building__name", "flat__unit_no")
    ):
        chosen.setdefault(c.entry_id, []).append(c.flat)
    numbers = candidate_numbers(round, len(entries))
    lottery = round.order_by == OrderBy.LOTTERY and round.seed_hash != ""
    return [
        EntryRow(
            entry=e,
            code=e.household.code,
            name=head_name(e.household, personal),
            flats=chosen.get(e.pk, []),
            candidate=(numbers.get(e.drawn or 0) if numbers else e.position) if lottery else None,
        )
        for e in entries
    ]


def offered_flats(round: SelectionRound) -> QuerySet[Flat]:
    return round.flats.select_related("estate", "building", "household").order_by(
        "estate__name", "building__name", "unit_no"
    )


def free_flats(round: SelectionRound) -> list[Flat]:
    return list(
        round.flats.filter(household__isnull=True)
        .exclude(status__in=TAKEN)
        .select_related("estate", "building")
    )


def estates_of(project: Project) -> QuerySet[Estate]:
    return Estate.objects.filter(project=project).order_by("name")


def buildings_of(project: Project) -> QuerySet[Building]:
    return (
        Building.objects.filter(estate__project=project)
        .select_related("estate")
        .order_by("estate__name", "name")
    )


def eligible_households(project: Project) -> QuerySet[Household]:
    """Households that may be added to a round: an effective property exchange main
    agreement, in no running round, no flat chosen."""
    exchanging = Agreement.objects.filter(
        project=project,
        parent__isnull=True,
        kind=AgreementKind.EXCHANGE,
        status=AgreementStatus.EFFECTIVE,
    ).values("household_id")
    busy = RoundEntry.objects.filter(round__project=project, round__status__in=RUNNING).values(
        "household_id"
    )
    chosen = Choice.objects.filter(round__project=project, cancelled_at__isnull=True).values(
        "household_id"
    )
    return (
        Household.objects.filter(project=project, pk__in=exchanging)
        .exclude(pk__in=busy)
        .exclude(pk__in=chosen)
        .order_by("code")
    )


def lottery(round: SelectionRound) -> dict[str, Any] | None:
    """What the round page shows of its lottery: before the draw the announced hash and the
    candidates; after it the seed, the witnesses' value, the notary and the command."""
    if round.order_by != OrderBy.LOTTERY or not round.seed_hash:
        return None
    drawn = round.status not in (RoundStatus.DRAFT, RoundStatus.COMMITTED)
    result: dict[str, Any] = {"seed_hash": round.seed_hash, "drawn": drawn}
    if drawn:
        count = RoundEntry.objects.filter(round=round).count()
        draw = _Draw(
            revealed_seed=round.seed,
            witness_value=round.witness_value,
            candidates=[None] * count,
            seed_hash=round.seed_hash,
        )
        # The same command the appraisal-firm draw shows.
        result["command"] = rerun_command(cast(Any, draw))
        result["seed"] = round.seed
    return result


@dataclass(frozen=True)
class _Draw:
    """The fields of a draw that its re-run command names."""

    revealed_seed: str
    witness_value: str
    candidates: list[Any]
    seed_hash: str


# --- the selection day -----------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """A combination offered at a desk, with what choosing it settles beyond the cash the
    agreement already pays (positive: the household is paid more; negative: it pays)."""

    fit: entitlements.Fit
    settle: Decimal

    @property
    def price(self) -> str:
        return f"{self.fit.priced.price:,.2f}"

    @property
    def amount(self) -> str:
        return f"{abs(self.settle):,.2f}"


@dataclass(frozen=True)
class Desk:
    entry: RoundEntry
    code: str
    name: str
    entitlement: entitlements.Entitlement | None
    options: list[Option]
    wanted: Flat | None


def desks(
    round: SelectionRound, *, personal: bool | set[int], wanted: dict[int, Flat] | None = None
) -> list[Desk]:
    """The households called now, each with the combinations of free flats that fit it (the
    closest to its entitled area first; those with its wanted flat when it named one)."""
    pool = free_flats(round)
    result = []
    for entry in called(round):
        ent = entitlements.for_household(entry.household_id)
        want = (wanted or {}).get(entry.pk)
        fits: list[entitlements.Fit] = []
        if ent is not None:
            if want is not None:
                fits = [
                    f
                    for f in entitlements.fits(ent, pool, limit=SEARCH)
                    if want.pk in {x.pk for x in f.flats}
                ][:COMBINATIONS]
            else:
                fits = entitlements.fits(ent, pool, limit=COMBINATIONS)
        planned = cash_planned(ent.agreement) if ent is not None else Decimal("0")
        result.append(
            Desk(
                entry=entry,
                code=entry.household.code,
                name=head_name(entry.household, personal),
                entitlement=ent,
                options=[Option(fit=f, settle=-f.priced.balance - planned) for f in fits],
                wanted=want,
            )
        )
    return result


def board(round: SelectionRound) -> dict[str, Any]:
    """The flats of the round, free and taken, by estate and building."""
    flats = list(offered_flats(round))
    taken = sum(1 for f in flats if f.household_id is not None or f.status in TAKEN)
    return {"flats": flats, "taken": taken, "free": len(flats) - taken}


def progress(round: SelectionRound) -> dict[str, int]:
    counts = dict(
        RoundEntry.objects.filter(round=round)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {s: counts.get(s, 0) for s in EntryStatus.values}


# --- the published result --------------------------------------------------------------------


@dataclass(frozen=True)
class ResultRow:
    place: int | None
    code: str
    name: str
    status: str
    status_label: str
    flats: list[Flat]


def result_rows(round: SelectionRound) -> list[ResultRow]:
    """The result as published: household code, masked head name, flats (always masked,
    whoever reads it)."""
    rows = entry_rows(round, personal=False)
    return [
        ResultRow(
            place=r.entry.drawn,
            code=r.code,
            name=r.name,
            status=r.entry.status,
            status_label=r.entry.get_status_display(),
            flats=r.flats,
        )
        for r in sorted(rows, key=lambda r: (r.entry.drawn or 0, r.entry.pk))
    ]


# --- the parts on the project and household pages --------------------------------------------


def project_section(user: Any, project: Project) -> dict[str, Any] | None:
    """The selection rounds card of the project page."""
    if not selectors.may(user, project, Action.VIEW):
        return None
    rounds = list(rounds_of(project)[:5])
    totals = Flat.objects.filter(project=project).aggregate(
        offered=Count("pk", filter=Q(rounds__isnull=False), distinct=True),
        allocated=Count("pk", filter=Q(status=FlatStatus.ALLOCATED), distinct=True),
    )
    return {
        "rounds": rounds,
        "count": SelectionRound.objects.filter(project=project).count(),
        "allocated": totals["allocated"],
        "settled": Settlement.objects.filter(project=project).count(),
        "may_create": selectors.may(user, project, Action.CREATE),
    }


def household_part(user: Any, household: Household) -> dict[str, Any] | None:
    """The household's rounds, the flats it chose and its settlement."""
    if not selectors.may(user, household.project_id, Action.VIEW):
        return None
    entries = list(
        RoundEntry.objects.filter(household=household)
        .select_related("round")
        .order_by("-round__scheduled_on", "-pk")
    )
    flats = list(
        Flat.objects.filter(household=household)
        .select_related("estate", "building")
        .order_by("estate__name", "building__name", "unit_no")
    )
    settlement = (
        Settlement.objects.filter(household=household)
        .select_related("round", "instalment", "receivable")
        .first()
    )
    ent = entitlements.for_household(household)
    if not entries and not flats and settlement is None and ent is None:
        return None
    return {"entries": entries, "flats": flats, "settlement": settlement, "entitlement": ent}
