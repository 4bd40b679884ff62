"""Resettlement: the lottery of a selection round and a selection day with concurrent choosers.

- **Lottery.** A project of households with effective property-exchange agreements (bulk-loaded,
  each signed at its place in the signing order). One round takes all of them through the
  service (timed once); then the lottery is announced (`round_commit_lottery`: a fresh secret
  seed, its hash) and drawn (`round_draw` with the witnesses' value), timed together, on fresh
  copies of that round (the same households, flats and candidate order). Each drawn order must
  equal the one anyone recomputes from the seed and the witnesses' value
  (`draws.draw_order` applied to the candidates in their published order); a copy drawn again
  from the first run's seed and witnesses' value must give the same order; a second draw of a
  round is refused. Any difference fails the suite.
- **Selection day** (PostgreSQL only). A project of households choosing in signing order among
  a stock of flats, in a database of its own (a copy of the migrated benchmark database,
  created and dropped here). `choosers` processes, each with its own connection and Django set
  up in it, act as the desks of the hall (the round has as many desks): each calls the next
  household waiting that no other desk serves, reads the free flats offered, takes the
  combination that fits the household best (`entitlement.fits`) and chooses it; when another
  desk has just taken a flat of it, it reads the free flats again and retries. Households with
  similar entitlements want the same flat (the best fit, the lowest of equal ones), so the
  desks contend on purpose. A few households are absent when first called (moved to the end,
  they choose when called again); a household with nothing left that fits leaves (absent
  twice, it has missed the round). A database error (e.g. a deadlock) is what a desk would see
  as an error: it is counted and reported, and the desk does it again. Afterwards: no flat with
  two live choices, no flat whose household disagrees with its live choice (or allocated
  without one), every household's flats fitting its entitlement, none left waiting; otherwise
  the suite fails. The round is not closed: the settlements are not part of what is measured.

Django is imported inside the functions: the choosers are spawned processes that import this
module before they set Django up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from bench.harness import Result, progress, summarise

SEED = 8
BATCH = 2000
TARGET_LOTTERY_MS = 2000
WITNESS = "3-6-2-5"  # the dice thrown in the hall
# The selection day's own database (PostgreSQL), beside the benchmark's.
SELECTION_DB = "zhengqian_bench_selection"
# Flat areas of the stock (m²), as the estates build them.
AREAS = [Decimal(a) for a in ("60.00", "75.00", "90.00", "105.00", "120.00", "135.00")]
ABSENT_PER_MILLE = 20
# A desk gives up a household after this many refusals in a row (none expected).
MAX_ATTEMPTS = 50
DAY_TIMEOUT_S = 600

POLICY: dict[str, Any] = {
    "entitled_price": Decimal("5000.00"),
    "above_price": Decimal("12000.00"),
    "below_price": Decimal("8000.00"),
    "fit_above": Decimal("15.00"),
    "fit_below": Decimal("15.00"),
    "flat_step_area": Decimal("90.00"),
    "max_flats": 2,
    "payment_due_days": 15,
}


# --- seeding (shared by both parts) ----------------------------------------------------------


def _user(username: str, role: str, project: Any) -> Any:
    from zhengqian.accounts.models import Membership, User

    user = User.objects.create_user(username=username, password="Zhengqian2026")
    Membership.objects.create(user=user, role=role, project=project)
    return user


def _entitled_areas(households: int, rng: random.Random) -> list[Decimal]:
    """Licensed areas: most households one flat's worth (55–150 m²), one in eight two flats'."""
    areas = []
    for _i in range(households):
        if rng.random() < 0.125:
            low, high = 180_00, 250_00
        else:
            low, high = 55_00, 150_00
        areas.append(Decimal(rng.randrange(low, high)) / 100)
    return areas


def _seed_households(code: str, households: int, rng: random.Random) -> dict[str, Any]:
    """A project whose households all hold an effective property-exchange agreement, signed in a
    random order (the signing order is not the order of the households' codes)."""
    from django.utils import timezone

    from zhengqian.accounts.roles import RoleCode
    from zhengqian.agreements.models import (
        Agreement,
        AgreementKind,
        AgreementSeries,
        AgreementStatus,
        AgreementTemplate,
    )
    from zhengqian.compensation.models import (
        Calculation,
        CalculationStatus,
        Policy,
        PolicyStatus,
    )
    from zhengqian.projects.models import District, Project
    from zhengqian.projects.procedures import ProjectKind
    from zhengqian.survey.models import Household

    district, _created = District.objects.get_or_create(code="BENCH", defaults={"name": "基准片区"})
    project = Project.objects.create(
        code=code, name=f"安置基准项目 {code}", kind=ProjectKind.STATE_OWNED, district=district
    )
    slug = code.lower().replace("-", "_")
    signing = _user(f"{slug}_signing", RoleCode.SIGNING_OFFICER, project)
    officer = _user(f"{slug}_officer", RoleCode.RESETTLEMENT_OFFICER, project)
    policy = Policy.objects.create(
        project=project,
        version=1,
        title="安置基准方案",
        status=PolicyStatus.PUBLISHED,
        created_by=signing,
        **POLICY,
    )
    Household.objects.bulk_create(
        [
            Household(
                project=project,
                code=f"A{i:05d}",
                head_name=f"户主{i}",
                head_id_number="",
                division_code="330102",
                address=f"安置基准路{i}号",
            )
            for i in range(households)
        ],
        batch_size=BATCH,
    )
    ids = list(
        Household.objects.filter(project=project).order_by("pk").values_list("pk", flat=True)
    )
    areas = _entitled_areas(households, rng)
    calculations = []
    for pk, area in zip(ids, areas, strict=True):
        total = (area * Decimal("9000.00")).quantize(Decimal("0.01"))
        calculations.append(
            Calculation(
                household_id=pk,
                number=1,
                policy=policy,
                mode=AgreementKind.EXCHANGE,
                status=CalculationStatus.APPROVED,
                inputs={
                    "buildings": [{"licensed_area": f"{area:.2f}", "unlicensed_area": "0.00"}],
                    "eligible_persons": 3,
                },
                total=total,
                exchange_area=area,
                exchange_balance=area * POLICY["entitled_price"] - total,
                prepared_by=signing,
            )
        )
    Calculation.objects.bulk_create(calculations, batch_size=BATCH)
    calc_of = dict(
        Calculation.objects.filter(household__project=project).values_list("household_id", "pk")
    )
    template = AgreementTemplate.objects.create(
        project=project,
        kind=AgreementKind.EXCHANGE,
        version=1,
        title="产权调换协议（基准）",
        file="bench.docx",
        sha256="0" * 64,
        uploaded_by=signing,
    )
    today = timezone.localdate()
    orders = list(range(1, households + 1))
    rng.shuffle(orders)
    totals = {c.household_id: c.total for c in calculations}
    Agreement.objects.bulk_create(
        [
            Agreement(
                project=project,
                household_id=pk,
                calculation_id=calc_of[pk],
                template=template,
                kind=AgreementKind.EXCHANGE,
                sequence=n,
                number=f"{code}-{n:06d}",
                status=AgreementStatus.EFFECTIVE,
                total=totals[pk],
                docx="bench.docx",
                pdf="bench.pdf",
                drafted_by=signing,
                signed_at=timezone.now(),
                signed_on=today - dt.timedelta(days=30),
                signing_order=order,
                recorded_by=signing,
                effective_on=today - dt.timedelta(days=30),
            )
            for n, (pk, order) in enumerate(zip(ids, orders, strict=True), start=1)
        ],
        batch_size=BATCH,
    )
    AgreementSeries.objects.create(
        project=project, next_number=households + 1, next_order=households + 1
    )
    return {
        "project": project,
        "officer": officer,
        "household_ids": ids,
        "areas": dict(zip(ids, areas, strict=True)),
    }


def _seed_stock(project: Any, actor: Any, areas: list[Decimal], *, per_building: int = 100) -> Any:
    """An estate with the given flats (their areas), `per_building` flats to a building."""
    from django.utils import timezone

    from zhengqian.resettlement.models import Building, Estate, Flat, FlatStatus

    estate = Estate.objects.create(
        project=project,
        name="安置基准小区",
        planned_handover=timezone.localdate() + dt.timedelta(days=365),
        created_by=actor,
    )
    buildings = Building.objects.bulk_create(
        [
            Building(estate=estate, name=f"{b + 1}幢", floors=25)
            for b in range((len(areas) + per_building - 1) // per_building)
        ]
    )
    flats = []
    for i, area in enumerate(areas):
        building = buildings[i // per_building]
        k = i % per_building
        floor = k // 4 + 1
        flats.append(
            Flat(
                project=project,
                estate=estate,
                building=building,
                unit_no=f"{floor}{k % 4 + 1:02d}",
                floor=floor,
                layout="三室两厅" if area >= 90 else "两室一厅",
                area=area,
                orientation="南北",
                status=FlatStatus.READY,
            )
        )
    Flat.objects.bulk_create(flats, batch_size=BATCH)
    return estate


def _nearest(area: Decimal) -> Decimal:
    return min(AREAS, key=lambda a: (abs(a - area), a))


def _stock_for(areas: list[Decimal], rng: random.Random, *, spare: float) -> list[Decimal]:
    """Flats enough for every household (one of the nearest size, or two for an entitlement of
    two flats) and `spare` more of random sizes, shuffled across the buildings."""
    stock = []
    for area in areas:
        if area >= 180:
            first = _nearest(area / 2)
            stock += [first, _nearest(area - first)]
        else:
            stock.append(_nearest(area))
    stock += [rng.choice(AREAS) for _i in range(int(len(stock) * spare))]
    rng.shuffle(stock)
    return stock


# --- the lottery -----------------------------------------------------------------------------


def _drawn_households(round_id: int) -> list[int]:
    from zhengqian.resettlement.models import RoundEntry

    return list(
        RoundEntry.objects.filter(round_id=round_id)
        .order_by("drawn")
        .values_list("household_id", flat=True)
    )


def _recomputed(rnd: Any) -> list[int]:
    """The order anyone recomputes from the revealed seed and the witnesses' value: the
    candidates in their published order (by signing order), drawn by draws.draw_order."""
    from zhengqian.core import draws
    from zhengqian.resettlement.models import RoundEntry

    candidates = list(
        RoundEntry.objects.filter(round_id=rnd.pk)
        .order_by("agreement__signing_order", "agreement_id")
        .values_list("household_id", flat=True)
    )
    return draws.ordered(candidates, draws.draw_order(rnd.seed, len(candidates), witness=WITNESS))


def _copy_round(template: Any, entries: Sequence[Mapping[str, Any]], name: str, actor: Any) -> Any:
    """A fresh round of the same households, flats and candidate order, as the service leaves
    a round before its lottery is announced (the households are copied in bulk: the service
    would refuse them, as they already are in a round that is not closed)."""
    from zhengqian.resettlement import services_selection as selection
    from zhengqian.resettlement.models import RoundEntry

    rnd = selection.round_create(
        actor=actor,
        project=template.project,
        name=name,
        order_by=template.order_by,
        scheduled_on=template.scheduled_on,
        venue=template.venue,
        desks=template.desks,
    )
    rnd.flats.set(template.flats.all())
    RoundEntry.objects.bulk_create(
        [RoundEntry(round=rnd, **row) for row in entries], batch_size=BATCH
    )
    return rnd


def _commit_and_draw(rnd: Any, actor: Any) -> tuple[float, float]:
    from zhengqian.resettlement import services_selection as selection

    started = time.perf_counter_ns()
    selection.round_commit_lottery(actor=actor, round=rnd)
    committed = time.perf_counter_ns()
    selection.round_draw(
        actor=actor,
        round=rnd,
        witness_value=WITNESS,
        notary="基准公证员",
        notary_office="基准公证处",
    )
    drawn = time.perf_counter_ns()
    return (committed - started) / 1e6, (drawn - committed) / 1e6


def _check_drawn(rnd: Any, households: int) -> list[int]:
    """The stored order: complete, and the one recomputed from the seed and witnesses' value."""
    from zhengqian.core import draws
    from zhengqian.resettlement.models import RoundEntry, RoundStatus

    rnd.refresh_from_db()
    if rnd.status != RoundStatus.ORDERED:
        raise AssertionError(f"round {rnd.name}: status {rnd.status} after the draw")
    if draws.seed_hash(rnd.seed) != rnd.seed_hash:
        raise AssertionError(f"round {rnd.name}: the seed does not match the announced hash")
    drawn = _drawn_households(rnd.pk)
    places = sorted(
        RoundEntry.objects.filter(round_id=rnd.pk).values_list("drawn", flat=True),
        key=lambda d: -1 if d is None else d,
    )
    if places != list(range(1, households + 1)):
        raise AssertionError(f"round {rnd.name}: drawn places are not 1…{households}")
    if drawn != _recomputed(rnd):
        raise AssertionError(
            f"round {rnd.name}: the stored order differs from draw_order(seed, n, witness)"
        )
    return drawn


def lottery(*, households: int, runs: int, warmup: int) -> list[Result]:
    from unittest import mock

    from django.core.exceptions import ValidationError
    from django.db import connection
    from django.utils import timezone

    from zhengqian.core import draws
    from zhengqian.resettlement import services_selection as selection
    from zhengqian.resettlement.models import Flat, OrderBy, RoundEntry
    from zhengqian.survey.models import Household

    vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    rng = random.Random(SEED)
    progress(f"resettlement: a lottery project of {households} households")
    seeded = _seed_households("BENCH-LOT", households, rng)
    project, officer = seeded["project"], seeded["officer"]
    areas = list(seeded["areas"].values())
    _seed_stock(project, officer, _stock_for(areas[:200], rng, spare=0))
    today = timezone.localdate()
    first = selection.round_create(
        actor=officer,
        project=project,
        name="摇号基准 1",
        order_by=OrderBy.LOTTERY,
        scheduled_on=today,
        venue="安置基准大厅",
        desks=10,
    )
    selection.round_add_flats(
        actor=officer, round=first, flats=Flat.objects.filter(project=project)
    )
    started = time.perf_counter_ns()
    added = selection.round_add_households(
        actor=officer,
        round=first,
        households=Household.objects.filter(project=project).order_by("pk"),
    )
    add_ms = (time.perf_counter_ns() - started) / 1e6
    if added != households:
        raise AssertionError(f"{added} of {households} households added to the round")
    entries = list(
        RoundEntry.objects.filter(round=first)
        .order_by("pk")
        .values(
            "household_id",
            "agreement_id",
            "entitled_area",
            "flats_allowed",
            "drawn",
            "position",
            "status",
            "absences",
        )
    )

    progress(f"resettlement: {warmup + runs} lotteries of {households} households")
    commit_ms: list[float] = []
    draw_ms: list[float] = []
    total_ms: list[float] = []
    rounds = []
    for i in range(warmup + runs):
        rnd = first if i == 0 else _copy_round(first, entries, f"摇号基准 {i + 1}", officer)
        commit, draw = _commit_and_draw(rnd, officer)
        _check_drawn(rnd, households)
        rounds.append(rnd)
        if i >= warmup:
            commit_ms.append(commit)
            draw_ms.append(draw)
            total_ms.append(commit + draw)

    # Run again from the first draw's seed and witnesses' value: the same order.
    reference = rounds[0]
    again = _copy_round(first, entries, "摇号基准 复核", officer)
    with mock.patch.object(draws, "new_seed", return_value=reference.seed):
        _commit_and_draw(again, officer)
    again.refresh_from_db()
    if again.seed != reference.seed or again.witness_value != reference.witness_value:
        raise AssertionError("the round could not be drawn again from the first seed")
    if _check_drawn(again, households) != _drawn_households(reference.pk):
        raise AssertionError("the same seed and witnesses' value gave another order")
    if len({tuple(_drawn_households(r.pk)[:20]) for r in rounds}) != len(rounds):
        raise AssertionError("two lotteries from fresh seeds began with the same 20 households")
    # The result is immutable: a second draw is refused and changes nothing.
    before = _drawn_households(reference.pk)
    try:
        selection.round_draw(actor=officer, round=reference, witness_value="1-1-1-1")
    except ValidationError:
        pass
    else:
        raise AssertionError("a drawn round was drawn a second time")
    if _drawn_households(reference.pk) != before:
        raise AssertionError("a refused second draw changed the order")

    median_commit = statistics.median(commit_ms)
    median_draw = statistics.median(draw_ms)
    return [
        summarise(
            f"resettlement: {households} households added to a round ({vendor})",
            [add_ms],
            "round_add_households: each household's entitlement checked, one entry each",
            households=households,
        ),
        summarise(
            f"resettlement: lottery of {households} households, announce + draw ({vendor})",
            total_ms,
            f"announce {median_commit:.0f} ms + draw {median_draw:.0f} ms (medians); every "
            "order = draw_order(seed, n, witness) of the published candidates, the first "
            f"seed re-run gives the same order, a second draw is refused; target ≤ "
            f"{TARGET_LOTTERY_MS / 1000:.0f} s",
            households=households,
            commit_ms=round(median_commit, 3),
            draw_ms=round(median_draw, 3),
            target_ms=TARGET_LOTTERY_MS,
            reproducible=True,
        ),
    ]


# --- the selection day -----------------------------------------------------------------------


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()


def _absent_first(code: str) -> bool:
    """A few households (by their code, the same in every run) are absent when first called."""
    digest = hashlib.sha256(f"absent|{code}".encode()).digest()
    return int.from_bytes(digest[:2], "big") % 1000 < ABSENT_PER_MILLE


def _day_setup(url: str, households: int, desks: int) -> dict[str, Any]:
    """In a child process on the selection day's database: the project, the stock, one desk
    officer per chooser, the round in signing order, opened."""
    _setup_django(url)
    from django.utils import timezone

    from zhengqian.accounts.roles import RoleCode
    from zhengqian.resettlement import services_selection as selection
    from zhengqian.resettlement.models import Flat, OrderBy
    from zhengqian.survey.models import Household

    rng = random.Random(SEED + 1)
    seeded = _seed_households("BENCH-DAY", households, rng)
    project, officer = seeded["project"], seeded["officer"]
    stock = _stock_for(list(seeded["areas"].values()), rng, spare=0.5)
    _seed_stock(project, officer, stock)
    desk_officers = [
        _user(f"bench_day_desk{d + 1}", RoleCode.RESETTLEMENT_OFFICER, project).pk
        for d in range(desks)
    ]
    rnd = selection.round_create(
        actor=officer,
        project=project,
        name="选房日基准",
        order_by=OrderBy.SIGNING,
        scheduled_on=timezone.localdate(),
        venue="安置基准大厅",
        desks=desks,
    )
    selection.round_add_flats(actor=officer, round=rnd, flats=Flat.objects.filter(project=project))
    added = selection.round_add_households(
        actor=officer,
        round=rnd,
        households=Household.objects.filter(project=project).order_by("pk"),
    )
    if added != households:
        raise AssertionError(f"{added} of {households} households added to the round")
    selection.round_fix_order(actor=officer, round=rnd)
    selection.round_open(actor=officer, round=rnd)
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("resettlement_flat", "resettlement_roundentry", "survey_household"):
            cursor.execute(f'VACUUM ANALYZE "{table}"')
    return {"round_id": rnd.pk, "desks": desk_officers, "flats": len(stock)}


def _chooser(
    url: str,
    round_id: int,
    actor_id: int,
    desks: int,
    claimed: Any,
    claim_lock: Any,
    start: Any,
    out: Any,
) -> None:
    """One desk of the hall, in its own process with its own connection: call the next
    household waiting that no other desk serves, and choose for it until none is left."""
    report: dict[str, Any] = {
        "latencies": [],
        "attempts": [],
        "refusals": Counter(),
        "chosen": 0,
        "absent": 0,
        "gave_up": [],
        "database_errors": [],
        "error": "",
    }
    try:
        _setup_django(url)
        from django.db import connection

        from zhengqian.accounts.models import User
        from zhengqian.resettlement.models import EntryStatus, RoundEntry

        actor = User.objects.get(pk=actor_id)
        waiting = RoundEntry.objects.filter(round_id=round_id, status=EntryStatus.WAITING)
        start.wait()
        deadline = time.monotonic() + DAY_TIMEOUT_S
        while time.monotonic() < deadline:
            with claim_lock:
                called = list(waiting.order_by("position").values_list("pk", flat=True)[:desks])
                entry_id = next((pk for pk in called if pk not in claimed[:]), None)
                if entry_id is not None:
                    claimed[claimed[:].index(0)] = entry_id
            if entry_id is None:
                if not called:
                    break
                time.sleep(0.005)
                continue
            try:
                _serve(entry_id, round_id, actor, report)
            finally:
                with claim_lock:
                    claimed[claimed[:].index(entry_id)] = 0
            if report["gave_up"]:
                break
        else:
            report["error"] = f"timed out after {DAY_TIMEOUT_S} s"
        connection.close()
    except Exception as exc:  # reported to the parent, which fails the suite
        report["error"] = f"{type(exc).__name__}: {exc}"
        start.abort()  # the others stop waiting for this desk
    report["refusals"] = dict(report["refusals"])
    out.put(report)


def _serve(entry_id: int, round_id: int, actor: Any, report: dict[str, Any]) -> None:
    """A desk serves one called household: absent (a few, the first time they are called),
    or it chooses the best fit among the free flats, again after each refusal."""
    from django.core.exceptions import ValidationError
    from django.db import OperationalError

    from zhengqian.resettlement import entitlement as entitlements
    from zhengqian.resettlement import services_selection as selection
    from zhengqian.resettlement.models import Flat, RoundEntry

    began = time.perf_counter_ns()
    entry = RoundEntry.objects.select_related("household").get(pk=entry_id)
    if entry.absences == 0 and _absent_first(entry.household.code):
        _mark_absent(entry, actor, report)
        report["absent"] += 1
        return
    ent = entitlements.for_household(entry.household_id)
    if ent is None:
        raise AssertionError(f"household {entry.household.code} has no entitlement")
    for _attempt in range(MAX_ATTEMPTS):
        free = Flat.objects.filter(rounds=round_id, household__isnull=True).select_related(
            "building__estate"
        )
        fits = entitlements.fits(ent, _lowest_of_each_size(free, ent.flats), limit=1)
        if not fits:
            # Nothing left that fits: the household leaves the desk without choosing (absent;
            # the second time it has missed the round).
            report["refusals"]["no_fit"] += 1
            _mark_absent(entry, actor, report)
            return
        tried = time.perf_counter_ns()
        try:
            selection.choose(actor=actor, entry=entry, flats=list(fits[0].flats))
        except ValidationError as exc:
            report["attempts"].append((time.perf_counter_ns() - tried) / 1e6)
            report["refusals"][_code(exc)] += 1
            entry.refresh_from_db()
            continue
        except OperationalError as exc:
            # The database gave up the transaction (e.g. a deadlock): the desk sees an error
            # and chooses again. Reported, as the users would see it.
            report["attempts"].append((time.perf_counter_ns() - tried) / 1e6)
            _database_error(exc, report)
            entry.refresh_from_db()
            continue
        done = time.perf_counter_ns()
        report["attempts"].append((done - tried) / 1e6)
        report["latencies"].append((done - began) / 1e6)
        report["chosen"] += 1
        return
    report["gave_up"].append(entry.household.code)


def _database_error(exc: Exception, report: dict[str, Any]) -> None:
    report["refusals"]["database_error"] += 1
    report["database_errors"].append(str(exc).splitlines()[0])


def _mark_absent(entry: Any, actor: Any, report: dict[str, Any]) -> None:
    """The household is marked absent; after a database error the desk does it again."""
    from django.db import OperationalError

    from zhengqian.resettlement import services_selection as selection

    for _attempt in range(MAX_ATTEMPTS):
        try:
            selection.mark_absent(actor=actor, entry=entry)
        except OperationalError as exc:
            _database_error(exc, report)
            entry.refresh_from_db()
            continue
        return
    report["gave_up"].append(entry.household.code)


def _lowest_of_each_size(flats: Any, keep: int) -> list[Any]:
    """The free flats reduced to the `keep` lowest of each area: the best fit (the closest area,
    then the fewest flats, then the lowest flats) is among them, and it is the same as over all
    the free flats, without enumerating the thousands of equivalent combinations of a stock
    where many flats have the same area."""
    kept: dict[Decimal, list[Any]] = {}
    for flat in sorted(flats, key=lambda f: f.pk):
        same = kept.setdefault(flat.area, [])
        if len(same) < keep:
            same.append(flat)
    return [flat for same in kept.values() for flat in same]


def _code(exc: Any) -> str:
    if getattr(exc, "code", None):
        return str(exc.code)
    if hasattr(exc, "error_dict"):
        errors = [e for field in exc.error_dict.values() for e in field]
    else:
        errors = exc.error_list
    codes = [e.code for e in errors if getattr(e, "code", None)]
    return str(codes[0]) if codes else "invalid"


def _day_check(url: str, round_id: int) -> dict[str, Any]:
    """In a child process: what the day left behind, counted in the database."""
    _setup_django(url)
    from django.db.models import Count, Q

    from zhengqian.resettlement import entitlement as entitlements
    from zhengqian.resettlement.models import (
        Choice,
        EntryStatus,
        Flat,
        FlatStatus,
        RoundEntry,
    )

    live = Choice.objects.filter(cancelled_at__isnull=True)
    double = live.values("flat_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    # Each live choice against its flat, and each flat given to a household against its choice.
    chosen = set(live.filter(round_id=round_id).values_list("flat_id", "household_id"))
    given = set(
        Flat.objects.filter(rounds=round_id)
        .filter(Q(household__isnull=False) | Q(status=FlatStatus.ALLOCATED))
        .values_list("pk", "household_id")
    )
    allocated = set(
        Flat.objects.filter(rounds=round_id, status=FlatStatus.ALLOCATED).values_list(
            "pk", flat=True
        )
    )
    disagree = len(chosen ^ given) + sum(1 for flat_id, _h in chosen if flat_id not in allocated)
    statuses = {
        row["status"]: row["n"]
        for row in RoundEntry.objects.filter(round_id=round_id)
        .values("status")
        .annotate(n=Count("pk"))
    }
    misfit = 0
    flats_of: dict[int, list[Any]] = {}
    for choice in live.filter(round_id=round_id).select_related("flat__building__estate"):
        flats_of.setdefault(choice.household_id, []).append(choice.flat)
    for entry in RoundEntry.objects.filter(round_id=round_id, status=EntryStatus.CHOSEN):
        ent = entitlements.for_household(entry.household_id)
        if ent is None or entitlements.refusal(ent, flats_of.get(entry.household_id, [])):
            misfit += 1
    return {
        "double": double,
        "disagree": disagree,
        "misfit": misfit,
        "statuses": statuses,
        "absences": sum(
            RoundEntry.objects.filter(round_id=round_id).values_list("absences", flat=True)
        ),
    }


def _in_child(context: Any, fn: Any, *args: Any) -> Any:
    with context.Pool(1) as pool:
        return pool.apply(fn, args)


def selection_day(*, databases: Any, households: int, choosers: int) -> list[Result]:
    """The selection day on PostgreSQL (skipped, with a message, on SQLite)."""
    from django.db import connections

    from bench.database import _with_database

    if not databases.postgres:
        progress(
            "resettlement: the selection day needs PostgreSQL (concurrent choosers in several "
            "processes): run bench/run.py --postgres; skipped"
        )
        return []
    url = _with_database(databases.admin_url, SELECTION_DB)
    connections.close_all()
    progress(f"resettlement: the selection day's database {SELECTION_DB}")
    databases._recreate(SELECTION_DB, template=_main_database(databases))
    context = multiprocessing.get_context("spawn")
    try:
        progress(f"resettlement: a selection day of {households} households")
        setup = _in_child(context, _day_setup, url, households, choosers)
        claimed = context.Array("i", choosers, lock=False)
        claim_lock = context.Lock()
        start = context.Barrier(choosers + 1)
        out = context.Queue()
        workers = [
            context.Process(
                target=_chooser,
                args=(
                    url,
                    setup["round_id"],
                    actor_id,
                    choosers,
                    claimed,
                    claim_lock,
                    start,
                    out,
                ),
            )
            for actor_id in setup["desks"]
        ]
        for worker in workers:
            worker.start()
        progress(f"resettlement: {choosers} desks choosing at once")
        start.wait(timeout=120)
        began = time.perf_counter()
        reports = [out.get(timeout=DAY_TIMEOUT_S + 60) for _w in workers]
        elapsed = time.perf_counter() - began
        for worker in workers:
            worker.join(timeout=60)
        check = _in_child(context, _day_check, url, setup["round_id"])
    finally:
        databases._drop(SELECTION_DB)

    errors = [r["error"] for r in reports if r["error"]]
    gave_up = [code for r in reports for code in r["gave_up"]]
    latencies = [ms for r in reports for ms in r["latencies"]]
    attempts = [ms for r in reports for ms in r["attempts"]]
    database_errors = Counter(text for r in reports for text in r["database_errors"])
    refusals: Counter[str] = Counter()
    for r in reports:
        refusals.update(r["refusals"])
    chosen = sum(r["chosen"] for r in reports)
    statuses = check["statuses"]
    missed = statuses.get("missed", 0)
    progress(
        f"resettlement: {chosen} chosen in {elapsed:.1f} s, refusals {dict(refusals)}, "
        f"check {check}"
    )
    if database_errors:
        progress(f"resettlement: DATABASE ERRORS on the selection day: {dict(database_errors)}")
    problems = []
    if errors:
        problems.append(f"desk errors: {errors}")
    if gave_up:
        problems.append(f"households given up after {MAX_ATTEMPTS} refusals: {gave_up[:10]}")
    if check["double"] or check["disagree"]:
        problems.append(
            f"{check['double']} flats with two live choices, {check['disagree']} flats whose "
            "household disagrees with their choice"
        )
    if check["misfit"]:
        problems.append(f"{check['misfit']} households hold flats that do not fit them")
    if statuses.get("chosen", 0) != chosen or chosen + missed != households:
        problems.append(f"{chosen} of {households} households chose ({statuses})")
    if problems:
        raise AssertionError("selection day: " + "; ".join(problems))
    retries = sum(refusals.values())
    per_second = chosen / elapsed
    extra = {
        "households": households,
        "choosers": choosers,
        "flats": setup["flats"],
        "total_s": round(elapsed, 2),
        "choices_per_s": round(per_second, 1),
        "choices": chosen,
        "missed": missed,
        "retries": retries,
        "refusals": dict(refusals),
        "database_errors": dict(database_errors),
        "absences": check["absences"],
        "double_allocations": check["double"],
        "disagreements": check["disagree"],
        "misfits": check["misfit"],
    }
    note = (
        f"{chosen} chosen in {elapsed:.1f} s, {per_second:.1f} choices/s; {retries} retries "
        f"({', '.join(f'{k} {v}' for k, v in sorted(refusals.items())) or 'none'}); "
        f"{check['absences']} absences, {missed} left without a fitting flat; "
        "0 flats with two live choices, 0 disagreements"
    )
    return [
        summarise(
            f"resettlement: selection day, {households} households, {choosers} desks "
            "(PostgreSQL): one household's choice",
            latencies,
            note + "; a choice timed from the desk calling the household to its choice "
            "recorded (free flats read, best fit, refusals and retries included)",
            **extra,
        ),
        summarise(
            f"resettlement: selection day, {households} households, {choosers} desks "
            "(PostgreSQL): one choose() call",
            attempts,
            "the service call alone (locks, checks, choices, flats, audit), refused calls included",
            **extra,
        ),
    ]


def _main_database(databases: Any) -> str:
    from bench.database import BENCH_DB

    return BENCH_DB


def resettlement(
    *,
    databases: Any,
    households: int,
    day_households: int,
    choosers: int,
    runs: int,
    warmup: int,
) -> list[Result]:
    results = selection_day(databases=databases, households=day_households, choosers=choosers)
    results += lottery(households=households, runs=runs, warmup=warmup)
    return results
