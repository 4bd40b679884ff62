"""Selection rounds: households and flats, the order by signing and by lottery, the selection
day (desks, choices, absences), closing with the settlements, publication; every refusal with
its code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone, translation

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.agreements.models import Agreement, AgreementKind
from zhengqian.audit.models import Event
from zhengqian.core import draws
from zhengqian.payments.models import Instalment, PaymentPlan, PlanKind, Receivable
from zhengqian.resettlement import services_selection as sel
from zhengqian.resettlement.models import (
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
from zhengqian.resettlement.tests.conftest import effective, household, stock
from zhengqian.testing.factories import ProjectFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def today() -> dt.date:
    return timezone.localdate()


def codes(exc: ValidationError, field: str | None = None) -> list[str]:
    """The codes of the field's errors (or of a non-field error)."""
    if field is None or not hasattr(exc, "error_dict"):
        return [e.code or "" for e in exc.error_list]
    return [e.code or "" for e in exc.error_dict[field]]


def new_round(res: Any, name: str = "第一批", **kw: Any) -> SelectionRound:
    kw.setdefault("order_by", OrderBy.SIGNING)
    kw.setdefault("scheduled_on", today())
    return sel.round_create(actor=res.officer_r, project=res.project, name=name, **kw)


def flats_of(estate: Any) -> dict[str, Flat]:
    return {f.unit_no: f for f in Flat.objects.filter(estate=estate)}


def open_round(
    res: Any, households: list[Any], *, desks: int = 1, estate: Any = None
) -> tuple[SelectionRound, list[RoundEntry], dict[str, Flat]]:
    """A round by signing order of these households over the estate's flats, open."""
    estate = estate or stock(res)
    r = new_round(res, desks=desks)
    sel.round_add_households(actor=res.officer_r, round=r, households=households)
    flats = flats_of(estate)
    sel.round_add_flats(actor=res.officer_r, round=r, flats=flats.values())
    sel.round_fix_order(actor=res.officer_r, round=r)
    sel.round_open(actor=res.officer_r, round=r)
    entries = list(RoundEntry.objects.filter(round=r).order_by("position"))
    return r, entries, flats


def exchange(res: Any, code: str, area: str = "95.00", total: str = "950000.00") -> Any:
    return effective(res, code, licensed_area=D(area), total=D(total)).household


# --- creating a round ------------------------------------------------------------------------


def test_round_create_and_its_refusals(res):
    r = new_round(res, venue="安置办大厅", desks=3)
    assert (r.status, r.desks, r.venue) == (RoundStatus.DRAFT, 3, "安置办大厅")
    assert Event.objects.filter(event_type="resettlement.round_create", target_id=str(r.pk))
    with pytest.raises(ValidationError) as exc:
        new_round(res)
    assert codes(exc.value, "name") == ["unique"]
    with pytest.raises(ValidationError) as exc:
        sel.round_create(
            actor=res.officer_r,
            project=res.project,
            name=" ",
            order_by="dice",
            scheduled_on=None,
            desks=21,
        )
    errors = exc.value.error_dict
    assert {f: [e.code for e in v] for f, v in errors.items()} == {
        "name": ["required"],
        "order_by": ["invalid"],
        "scheduled_on": ["required"],
        "desks": ["desks"],
    }
    with pytest.raises(ValidationError) as exc:
        new_round(res, name="x", desks=0)
    assert codes(exc.value, "desks") == ["desks"]


def test_only_resettlement_officers_write(res):
    with pytest.raises(AccessDenied):
        sel.round_create(
            actor=res.finance,
            project=res.project,
            name="r",
            order_by=OrderBy.SIGNING,
            scheduled_on=today(),
        )
    r = new_round(res)
    h = exchange(res, "R-001")
    with pytest.raises(AccessDenied):
        sel.round_add_households(actor=res.finance, round=r, households=[h])


# --- households and flats --------------------------------------------------------------------


def test_add_households_eligible_only_naming_each(res):
    ok = exchange(res, "R-001")
    voucher = effective(res, "R-002", kind=AgreementKind.VOUCHER).household
    other = new_round(res, name="另一批")
    busy = exchange(res, "R-003")
    sel.round_add_households(actor=res.officer_r, round=other, households=[busy])
    r = new_round(res)
    with pytest.raises(ValidationError) as exc:
        sel.round_add_households(
            actor=res.officer_r, round=r, households=[ok, voucher, busy, res.household]
        )
    problems = exc.value.error_dict["households"]
    assert [e.code for e in problems] == ["not_exchange", "not_exchange", "in_round"]
    text = " ".join(str(e.message) for e in problems)
    assert "R-002" in text and "R-003" in text and "另一批" in text
    assert RoundEntry.objects.filter(round=r).count() == 0  # all or nothing
    assert sel.round_add_households(actor=res.officer_r, round=r, households=[ok]) == 1
    entry = RoundEntry.objects.get(round=r)
    assert (entry.entitled_area, entry.flats_allowed) == (D("95.00"), 1)
    assert entry.agreement.household_id == ok.pk
    with pytest.raises(ValidationError) as exc:
        sel.round_add_households(actor=res.officer_r, round=r, households=[])
    assert codes(exc.value, "households") == ["required"]


def test_a_household_that_has_chosen_or_is_of_another_project_is_refused(res):
    h = exchange(res, "R-001")
    r, _entries, flats = open_round(res, [h])
    sel.choose(actor=res.officer_r, entry=_entries[0], flats=[flats["201"]])
    sel.round_close(actor=res.officer_r, round=r)
    later = new_round(res, name="第二批")
    with pytest.raises(ValidationError) as exc:
        sel.round_add_households(actor=res.officer_r, round=later, households=[h])
    assert codes(exc.value, "households") == ["chosen"]
    elsewhere = household(ProjectFactory(), "O-001")
    with pytest.raises(ValidationError) as exc:
        sel.round_add_households(actor=res.officer_r, round=later, households=[elsewhere])
    assert codes(exc.value, "households") == ["other_project"]


def test_remove_household_before_the_order_only(res):
    a, b = exchange(res, "R-001"), exchange(res, "R-002")
    r = new_round(res)
    sel.round_add_households(actor=res.officer_r, round=r, households=[a, b])
    sel.round_remove_household(actor=res.officer_r, entry=RoundEntry.objects.get(household=b))
    assert list(RoundEntry.objects.values_list("household", flat=True)) == [a.pk]
    sel.round_fix_order(actor=res.officer_r, round=r)
    with pytest.raises(ValidationError) as exc:
        sel.round_remove_household(actor=res.officer_r, entry=RoundEntry.objects.get())
    assert exc.value.code == "frozen"
    with pytest.raises(ValidationError) as exc:
        sel.round_add_households(actor=res.officer_r, round=r, households=[b])
    assert exc.value.code == "frozen"


def test_add_flats_not_allocated(res):
    estate = stock(res)
    flats = flats_of(estate)
    r = new_round(res)
    assert sel.round_add_flats(actor=res.officer_r, round=r, flats=[flats["101"]]) == 1
    assert sel.round_add_flats(actor=res.officer_r, round=r, flats=flats.values()) == 4
    h = exchange(res, "R-009")
    Flat.objects.filter(pk=flats["202"].pk).update(status=FlatStatus.ALLOCATED, household=h)
    other = new_round(res, name="另一批")
    with pytest.raises(ValidationError) as exc:
        sel.round_add_flats(actor=res.officer_r, round=other, flats=[flats["202"]])
    assert codes(exc.value, "flats") == ["allocated"]
    assert "202" in str(exc.value.error_dict["flats"][0].message)
    with pytest.raises(ValidationError) as exc:
        sel.round_add_flats(actor=res.officer_r, round=other, flats=[])
    assert codes(exc.value, "flats") == ["required"]


# --- the order -------------------------------------------------------------------------------


def test_order_by_signing_order(res):
    a, b, c = (exchange(res, f"R-00{i}") for i in (1, 2, 3))
    # a signed last of the three (its signing order made larger than the others').
    Agreement.objects.filter(household=a).update(signing_order=1000)
    r = new_round(res)
    with pytest.raises(ValidationError) as exc:
        sel.round_fix_order(actor=res.officer_r, round=r)
    assert exc.value.code == "empty"
    sel.round_add_households(actor=res.officer_r, round=r, households=[c, a, b])
    sel.round_fix_order(actor=res.officer_r, round=r)
    r.refresh_from_db()
    assert r.status == RoundStatus.ORDERED and r.ordered_at is not None
    order = list(RoundEntry.objects.filter(round=r).order_by("drawn"))
    assert [e.household_id for e in order] == [b.pk, c.pk, a.pk]
    assert [(e.drawn, e.position) for e in order] == [(1, 1), (2, 2), (3, 3)]
    with pytest.raises(ValidationError) as exc:
        sel.round_commit_lottery(actor=res.officer_r, round=r)
    assert exc.value.code == "signing_round"
    with pytest.raises(ValidationError) as exc:
        sel.round_fix_order(actor=res.officer_r, round=r)
    assert exc.value.code == "status"


def lottery_round(res: Any, n: int = 6, name: str = "抽签批") -> SelectionRound:
    households = [exchange(res, f"L-{name}-{i:02d}") for i in range(1, n + 1)]
    r = new_round(res, name=name, order_by=OrderBy.LOTTERY)
    sel.round_add_households(actor=res.officer_r, round=r, households=households)
    return r


def test_lottery_commit_then_draw_reproducible(res):
    r = lottery_round(res)
    with pytest.raises(ValidationError) as exc:
        sel.round_fix_order(actor=res.officer_r, round=r)
    assert exc.value.code == "lottery_round"
    with pytest.raises(ValidationError) as exc:
        sel.round_draw(actor=res.officer_r, round=r)
    assert exc.value.code == "not_committed"
    sel.round_commit_lottery(actor=res.officer_r, round=r)
    r.refresh_from_db()
    assert r.status == RoundStatus.COMMITTED
    assert len(r.seed) == 64 and r.seed_hash == draws.seed_hash(r.seed)
    # The candidates are published in signing order, numbered from 1.
    candidates = list(
        RoundEntry.objects.filter(round=r).select_related("agreement").order_by("position")
    )
    assert [e.position for e in candidates] == [1, 2, 3, 4, 5, 6]
    signing = [e.agreement.signing_order for e in candidates]
    assert signing == sorted(signing)
    assert all(e.drawn is None for e in candidates)
    commit = Event.objects.get(event_type="resettlement.round_commit")
    assert commit.details["seed_hash"] == r.seed_hash and "seed" not in commit.details
    # The households are frozen once the lottery is announced.
    with pytest.raises(ValidationError) as exc:
        sel.round_add_households(actor=res.officer_r, round=r, households=[exchange(res, "X")])
    assert exc.value.code == "frozen"

    sel.round_draw(
        actor=res.officer_r,
        round=r,
        witness_value=" 4 2 6 ",
        notary="王公证",
        notary_office="市公证处",
    )
    r.refresh_from_db()
    assert (r.status, r.witness_value, r.notary, r.notary_office) == (
        RoundStatus.ORDERED,
        "4 2 6",
        "王公证",
        "市公证处",
    )
    order = draws.draw_order(r.seed, 6, witness="4 2 6")
    assert order == draws.draw_order(r.seed, 6, witness="4 2 6")  # the same inputs, same order
    expected = draws.ordered([e.pk for e in candidates], order)
    drawn = list(RoundEntry.objects.filter(round=r).order_by("drawn"))
    assert [e.pk for e in drawn] == expected
    assert [(e.drawn, e.position) for e in drawn] == [(i, i) for i in range(1, 7)]
    event = Event.objects.get(event_type="resettlement.round_draw")
    assert event.details["seed"] == r.seed
    assert event.details["seed_hash"] == r.seed_hash
    assert event.details["witness_value"] == "4 2 6"
    assert event.details["notary"] == "王公证"
    assert event.details["order"] == order


def test_the_draw_is_immutable(res):
    r = lottery_round(res, 3)
    sel.round_commit_lottery(actor=res.officer_r, round=r)
    sel.round_draw(actor=res.officer_r, round=r)
    with pytest.raises(ValidationError) as exc:
        sel.round_draw(actor=res.officer_r, round=r, witness_value="9")
    assert exc.value.code == "not_committed"
    with pytest.raises(ValidationError) as exc:
        sel.round_commit_lottery(actor=res.officer_r, round=r)
    assert exc.value.code == "status"
    entry = RoundEntry.objects.filter(round=r).first()
    assert entry is not None
    # The database itself refuses to change a drawn place or the revealed seed.
    with pytest.raises(DatabaseError), transaction.atomic():
        RoundEntry.objects.filter(pk=entry.pk).update(drawn=99)
    with pytest.raises(DatabaseError), transaction.atomic():
        SelectionRound.objects.filter(pk=r.pk).update(seed="0" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        SelectionRound.objects.filter(pk=r.pk).update(witness_value="other")
    with pytest.raises(DatabaseError), transaction.atomic():
        SelectionRound.objects.filter(pk=r.pk).update(notary="其他人")
    # Other fields of the round still change (its status goes on).
    SelectionRound.objects.filter(pk=r.pk).update(venue="大厅")


def test_open_on_the_day_with_flats(res):
    h = exchange(res, "R-001")
    r = new_round(res, scheduled_on=today() + dt.timedelta(days=1))
    sel.round_add_households(actor=res.officer_r, round=r, households=[h])
    with pytest.raises(ValidationError) as exc:
        sel.round_open(actor=res.officer_r, round=r)
    assert exc.value.code == "not_ordered"
    sel.round_fix_order(actor=res.officer_r, round=r)
    with pytest.raises(ValidationError) as exc:
        sel.round_open(actor=res.officer_r, round=r)
    assert exc.value.code == "too_early"
    SelectionRound.objects.filter(pk=r.pk).update(scheduled_on=today())
    with pytest.raises(ValidationError) as exc:
        sel.round_open(actor=res.officer_r, round=r)
    assert exc.value.code == "no_flats"
    estate = stock(res)
    sel.round_add_flats(actor=res.officer_r, round=r, flats=flats_of(estate).values())
    sel.round_open(actor=res.officer_r, round=r)
    r.refresh_from_db()
    assert r.status == RoundStatus.OPEN and r.opened_at is not None


# --- the selection day -----------------------------------------------------------------------


def test_choose_refusals_with_their_codes(res):
    a = exchange(res, "R-001")  # 95 m²: one flat, 80–110 m²
    b = exchange(res, "R-002")
    big = exchange(res, "R-003", area="185.00", total="1850000.00")  # two flats, 170–200 m²
    estate = stock(res)
    outside = stock(res, estate="安置二区", flats=[("101", "两室", D("95.00"))])
    _r, entries, flats = open_round(res, [a, b, big], estate=estate)
    first, second, third = entries

    def refused(entry: RoundEntry, chosen: list[Any]) -> str:
        with pytest.raises(ValidationError) as exc:
            sel.choose(actor=res.officer_r, entry=entry, flats=chosen)
        return codes(exc.value, "flats")[0]

    assert refused(second, [flats["201"]]) == "not_called"
    assert refused(first, []) == "empty"
    assert refused(first, [flats["102"]]) == "too_small"
    assert refused(first, [flats["301"]]) == "too_large"
    assert refused(first, [flats["101"], flats["201"]]) == "too_many"
    assert refused(first, [flats_of(outside)["101"]]) == "not_offered"
    with pytest.raises(ValidationError) as exc:
        sel.choose(actor=res.officer_r, entry=first, flats=[flats["102"]])
    message = str(exc.value.error_dict["flats"][0].message)
    assert "80.00" in message and "110.00" in message  # the window is named
    with pytest.raises(AccessDenied):
        sel.choose(actor=res.finance, entry=first, flats=[flats["201"]])

    choices = sel.choose(actor=res.officer_r, entry=first, flats=[flats["201"]])
    assert [c.flat_id for c in choices] == [flats["201"].pk]
    flat = Flat.objects.get(pk=flats["201"].pk)
    assert (flat.status, flat.household_id) == (FlatStatus.ALLOCATED, a.pk)
    first.refresh_from_db()
    assert first.status == EntryStatus.CHOSEN and first.chosen_at is not None
    event = Event.objects.get(event_type="resettlement.choice")
    assert event.details["household"] == "R-001" and event.details["flats"] == [str(flat)]
    assert refused(first, [flats["202"]]) == "not_waiting"
    assert refused(second, [flats["201"]]) == "taken"
    sel.choose(actor=res.officer_r, entry=second, flats=[flats["202"]])
    # Two flats for the large household: 75 + 120 = 195 within 170–200.
    sel.choose(actor=res.officer_r, entry=third, flats=[flats["102"], flats["301"]])
    assert Choice.objects.filter(household=big).count() == 2


def test_a_live_choice_refused_by_the_database_answers_taken(res):
    a, b = exchange(res, "R-001"), exchange(res, "R-002")
    _r, entries, flats = open_round(res, [a, b])
    sel.choose(actor=res.officer_r, entry=entries[0], flats=[flats["201"]])
    # The flat's row said free although its live choice exists (as under a race): the
    # database's unique index answers.
    Flat.objects.filter(pk=flats["201"].pk).update(status=FlatStatus.READY, household=None)
    with pytest.raises(ValidationError) as exc:
        sel.choose(actor=res.officer_r, entry=entries[1], flats=[flats["201"]])
    assert codes(exc.value, "flats") == ["taken"]
    entries[1].refresh_from_db()
    assert entries[1].status == EntryStatus.WAITING


def test_desks_call_several_households_at_once(res):
    hs = [exchange(res, f"R-00{i}") for i in (1, 2, 3)]
    r, entries, flats = open_round(res, hs, desks=2)
    assert [e.pk for e in sel.called(r)] == [entries[0].pk, entries[1].pk]
    sel.choose(actor=res.officer_r, entry=entries[1], flats=[flats["202"]])
    assert [e.pk for e in sel.called(r)] == [entries[0].pk, entries[2].pk]
    with pytest.raises(ValidationError) as exc:
        sel.choose(actor=res.officer_r, entry=entries[0], flats=[flats["301"]])
    assert codes(exc.value, "flats") == ["too_large"]


def test_absent_moves_to_the_end_then_misses(res):
    hs = [exchange(res, f"R-00{i}") for i in (1, 2, 3)]
    r, (e1, e2, e3), flats = open_round(res, hs)
    with pytest.raises(ValidationError) as exc:
        sel.mark_absent(actor=res.officer_r, entry=e2)
    assert exc.value.code == "not_called"
    sel.mark_absent(actor=res.officer_r, entry=e1)
    e1.refresh_from_db()
    assert (e1.position, e1.absences, e1.status) == (4, 1, EntryStatus.WAITING)
    assert [e.pk for e in sel.called(r)] == [e2.pk]
    sel.choose(actor=res.officer_r, entry=e2, flats=[flats["201"]])
    sel.mark_absent(actor=res.officer_r, entry=e3)
    e3.refresh_from_db()
    assert (e3.position, e3.absences) == (5, 1)
    # e1 is called again at the end: absent a second time, it has missed the round.
    assert [e.pk for e in sel.called(r)] == [e1.pk]
    sel.mark_absent(actor=res.officer_r, entry=e1)
    e1.refresh_from_db()
    assert (e1.status, e1.absences) == (EntryStatus.MISSED, 2)
    # e3, called again and present, chooses normally.
    sel.choose(actor=res.officer_r, entry=e3, flats=[flats["202"]])
    e3.refresh_from_db()
    assert e3.status == EntryStatus.CHOSEN
    events = Event.objects.filter(event_type="resettlement.absent").order_by("seq")
    assert [e.details["missed"] for e in events] == [False, False, True]


# --- closing and settling --------------------------------------------------------------------


def test_close_settles_each_household(res):
    # Entitled 95 m², credit 950,000; its agreement pays 475,000 in cash (95 m² at 5,000 in
    # the flats, the rest in cash).
    larger = exchange(res, "R-001")
    smaller = exchange(res, "R-002")
    exact = exchange(res, "R-003")
    waiting = exchange(res, "R-004")
    estate = stock(
        res,
        flats=[
            ("101", "三室", D("105.00")),
            ("102", "三室", D("90.00")),
            ("103", "三室", D("95.00")),
            ("104", "三室", D("100.00")),
        ],
    )
    for h in (larger, smaller, exact):
        plan = PaymentPlan.objects.get(agreement__household=h, kind=PlanKind.AGREEMENT)
        assert plan.amount == D("475000.00")
    r, (e1, e2, e3, e4), flats = open_round(res, [larger, smaller, exact, waiting], estate=estate)
    sel.choose(actor=res.officer_r, entry=e1, flats=[flats["101"]])
    sel.choose(actor=res.officer_r, entry=e2, flats=[flats["102"]])
    sel.choose(actor=res.officer_r, entry=e3, flats=[flats["103"]])
    with pytest.raises(ValidationError) as exc:
        sel.round_publish(actor=res.officer_r, round=r)
    assert exc.value.code == "not_closed"
    sel.round_close(actor=res.officer_r, round=r)
    r.refresh_from_db()
    assert r.status == RoundStatus.CLOSED and r.closed_at is not None
    e4.refresh_from_db()
    assert e4.status == EntryStatus.MISSED

    # 105 m²: 95 × 5,000 + 10 × 12,000 = 595,000; credit 950,000 → owed 355,000; the plan
    # pays 475,000 → the household owes 120,000.
    s1 = Settlement.objects.get(household=larger)
    assert (s1.area, s1.flats_price, s1.balance) == (D("105.00"), D("595000.00"), D("120000.00"))
    receivable = Receivable.objects.get(household=larger)
    assert receivable.amount == D("120000.00") and receivable.kind == PlanKind.DIFFERENCE
    assert receivable.reference == f"round-{r.pk}"
    assert receivable.due_on == today() + dt.timedelta(days=res.policy.payment_due_days)
    assert s1.receivable_id == receivable.pk and s1.instalment_id is None
    assert "安置一区" in receivable.description and "101" in receivable.description
    # 90 m²: 450,000 − 5 × 8,000 = 410,000 → owed 540,000 → paid 65,000 more.
    s2 = Settlement.objects.get(household=smaller)
    assert (s2.flats_price, s2.balance) == (D("410000.00"), D("-65000.00"))
    instalment = Instalment.objects.select_related("plan").get(pk=s2.instalment_id)
    assert instalment.amount == D("65000.00")
    assert (instalment.plan.kind, instalment.plan.reference) == (
        PlanKind.DIFFERENCE,
        f"round-{r.pk}",
    )
    assert instalment.met_on == today()
    # 95 m² exactly: nothing more either way.
    s3 = Settlement.objects.get(household=exact)
    assert (s3.balance, s3.instalment_id, s3.receivable_id) == (D("0.00"), None, None)
    assert s3.inputs[-1] == {
        "name": "settlement",
        "owed_to_household": "475000.00",
        "cash_planned": "475000.00",
        "settled": "0.00",
    }
    assert s3.inputs[-2]["name"] == "total"
    assert not Settlement.objects.filter(household=waiting).exists()
    close = Event.objects.get(event_type="resettlement.round_close")
    assert close.details["missed"] == ["R-004"]

    sel.round_publish(actor=res.officer_r, round=r)
    r.refresh_from_db()
    assert r.status == RoundStatus.PUBLISHED and r.published_at is not None
    with pytest.raises(ValidationError) as exc:
        sel.choose(actor=res.officer_r, entry=e4, flats=[flats["104"]])
    assert exc.value.code == "not_open"


def test_close_does_not_pay_twice_an_agreement_without_its_plan_yet(res):
    # An agreement in force before the payments module kept plans: its plan (475,000 in cash)
    # is made later. The settlement must still count it, or the cash is paid twice.
    from zhengqian.payments import services as payments

    h = exchange(res, "R-001")
    plan = PaymentPlan.objects.get(agreement__household=h, kind=PlanKind.AGREEMENT)
    Instalment.objects.filter(plan=plan).delete()
    plan.delete()
    estate = stock(res, flats=[("101", "三室", D("105.00"))])
    r, (e1,), flats = open_round(res, [h], estate=estate)
    sel.choose(actor=res.officer_r, entry=e1, flats=[flats["101"]])
    sel.round_close(actor=res.officer_r, round=r)
    payments.plans_create_missing(actor=res.finance, project=res.project)
    # 105 m² cost 595,000 against a credit of 950,000: 355,000 is owed to the household in all.
    paid = sum(p.amount for p in PaymentPlan.objects.filter(account__household=h))
    asked = sum(x.amount for x in Receivable.objects.filter(household=h))
    assert paid - asked == D("355000.00")
    s = Settlement.objects.get(household=h)
    assert s.balance == D("120000.00")


def test_an_officer_limited_to_a_work_group_chooses_only_for_its_households(res):
    from zhengqian.accounts.roles import RoleCode
    from zhengqian.testing.factories import UserFactory, WorkGroupFactory, grant

    h = exchange(res, "R-001")
    _round, (e1,), flats = open_round(res, [h])
    limited = UserFactory(username="limited-resettler")
    grant(
        limited,
        RoleCode.RESETTLEMENT_OFFICER,
        res.project,
        work_groups=[WorkGroupFactory(project=res.project)],
    )
    with pytest.raises(AccessDenied):
        sel.choose(actor=limited, entry=e1, flats=[flats["201"]])
    with pytest.raises(AccessDenied):
        sel.mark_absent(actor=limited, entry=e1)
    assert not Choice.objects.filter(entry=e1).exists()
    e1.refresh_from_db()
    assert (e1.status, e1.absences) == (EntryStatus.WAITING, 0)
