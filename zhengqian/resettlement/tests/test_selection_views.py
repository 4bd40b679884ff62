"""The selection pages: who may see and do what, masking and the audit of unmasked reads, the
lottery's announcement and result, the hall (HTMX) and the published result."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from zhengqian.audit.models import Event
from zhengqian.core.masking import mask_name
from zhengqian.resettlement import selectors_selection
from zhengqian.resettlement import services_selection as sel
from zhengqian.resettlement.models import (
    EntryStatus,
    Flat,
    OrderBy,
    RoundEntry,
    RoundStatus,
    SelectionRound,
)
from zhengqian.resettlement.tests.conftest import effective, stock
from zhengqian.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def client_for(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def setup_round(res: Any, *, order_by: str = OrderBy.SIGNING, n: int = 3) -> SelectionRound:
    households = [
        effective(res, f"V-{i:02d}", licensed_area=D("95.00")).household for i in range(1, n + 1)
    ]
    r = sel.round_create(
        actor=res.officer_r,
        project=res.project,
        name="第一批",
        order_by=order_by,
        scheduled_on=timezone.localdate(),
    )
    sel.round_add_households(actor=res.officer_r, round=r, households=households)
    estate = stock(res)
    sel.round_add_flats(actor=res.officer_r, round=r, flats=Flat.objects.filter(estate=estate))
    return r


def opened(res: Any) -> SelectionRound:
    r = setup_round(res)
    sel.round_fix_order(actor=res.officer_r, round=r)
    sel.round_open(actor=res.officer_r, round=r)
    return r


def test_rounds_page_and_creating_a_round(client, res):
    c = client_for(client, res.officer_r)
    url = reverse("resettlement:rounds", args=[res.project.pk])
    page = c.get(url)
    assert page.status_code == 200 and b'data-testid="round-form"' in page.content
    bad = c.post(url, {"name": "", "order_by": "signing", "scheduled_on": "", "desks": "1"})
    assert bad.status_code == 400 and b"is-invalid" in bad.content
    ok = c.post(
        url,
        {"name": "第二批", "order_by": "lottery", "scheduled_on": "2030-01-05", "desks": "3"},
    )
    r = SelectionRound.objects.get(name="第二批")
    assert ok.status_code == 302 and ok["Location"] == reverse("resettlement:round", args=[r.pk])
    assert (r.order_by, r.desks) == (OrderBy.LOTTERY, 3)


def test_scope_and_write_rights(client, res):
    r = setup_round(res)
    outsider = UserFactory(username="outsider")
    c = client_for(client, outsider)
    assert c.get(reverse("resettlement:round", args=[r.pk])).status_code == 404
    assert c.get(reverse("resettlement:rounds", args=[res.project.pk])).status_code == 404
    # Finance sees the round (masked) but cannot change it.
    c = client_for(client, res.finance)
    page = c.get(reverse("resettlement:round", args=[r.pk]))
    assert page.status_code == 200 and b'data-testid="round-steps"' not in page.content
    denied = c.post(reverse("resettlement:round_order", args=[r.pk]))
    assert denied.status_code == 403
    created = c.post(
        reverse("resettlement:rounds", args=[res.project.pk]),
        {"name": "x", "order_by": "signing", "scheduled_on": "2030-01-05", "desks": "1"},
    )
    assert created.status_code == 403
    assert not SelectionRound.objects.filter(name="x").exists()


def test_names_masked_without_personal_rights_and_unmasked_reads_audited(client, res):
    r = setup_round(res)
    head = RoundEntry.objects.filter(round=r).select_related("household").first().household
    c = client_for(client, res.finance)
    page = c.get(reverse("resettlement:round", args=[r.pk])).content.decode()
    assert head.head_name not in page and mask_name(head.head_name) in page
    assert not Event.objects.filter(event_type="resettlement.round_view_personal").exists()
    c = client_for(client, res.officer_r)
    page = c.get(reverse("resettlement:round", args=[r.pk])).content.decode()
    assert head.head_name in page
    event = Event.objects.get(event_type="resettlement.round_view_personal")
    assert event.actor_id == res.officer_r.pk and event.target_id == str(r.pk)


def test_adding_households_by_code_names_the_refused(client, res):
    r = setup_round(res)
    effective(res, "V-09", licensed_area=D("95.00"))
    c = client_for(client, res.officer_r)
    url = reverse("resettlement:round_households", args=[r.pk])
    unknown = c.post(url, {"codes": "V-09 NOPE"})
    assert unknown.status_code == 400 and "NOPE" in unknown.content.decode()
    again = c.post(url, {"codes": "V-01"})
    assert again.status_code == 400
    assert "V-01 is already in round" in again.content.decode()
    ok = c.post(url, {"codes": "V-09"})
    assert ok.status_code == 302
    assert RoundEntry.objects.filter(round=r).count() == 4


def test_fix_order_open_and_the_hall(client, res):
    r = setup_round(res)
    c = client_for(client, res.officer_r)
    c.post(reverse("resettlement:round_order", args=[r.pk]))
    opened_ = c.post(reverse("resettlement:round_open", args=[r.pk]))
    assert opened_["Location"] == reverse("resettlement:round_day", args=[r.pk])
    day = c.get(reverse("resettlement:round_day", args=[r.pk])).content.decode()
    assert day.count('data-testid="desk"') == 1 and 'data-household="V-01"' in day
    # V-01 (95 m²) is offered the 90 m² flat first, then the 105 m² flat.
    units = re.findall(r'data-testid="combination" data-units="([^"]+)"', day)
    assert units == ["201", "202"]
    # Beyond the 475,000 its agreement pays in cash: 90 m² pays it 65,000 more, 105 m² asks
    # 120,000 of it.
    settles = re.findall(r'data-testid="settle">(.*?)</td>', day, re.S)
    assert "is paid 65,000.00" in settles[0] and "pays 120,000.00" in settles[1]
    entries = list(RoundEntry.objects.filter(round=r).order_by("position"))
    flat = Flat.objects.get(unit_no="201")
    hall = c.post(
        reverse("resettlement:round_choose", args=[entries[0].pk]), {"flats": [flat.pk]}, **HTMX
    ).content.decode()
    assert "Household V-01 chose" in hall and 'data-household="V-02"' in hall
    # A refusal is said at the desk (V-03 is not called yet).
    refused = c.post(
        reverse("resettlement:round_choose", args=[entries[2].pk]),
        {"flats": [Flat.objects.get(unit_no="202").pk]},
        **HTMX,
    ).content.decode()
    assert "has not been called yet" in refused
    absent = c.post(reverse("resettlement:round_absent", args=[entries[1].pk]), **HTMX)
    assert "moved to the end" in absent.content.decode()
    entries[1].refresh_from_db()
    assert entries[1].position == 4
    board = c.get(reverse("resettlement:round_board", args=[r.pk])).content.decode()
    assert 'data-unit="201" data-taken="1"' in board
    # The flat wanted narrows the combinations.
    wanted = Flat.objects.get(unit_no="202")
    narrowed = c.get(
        reverse("resettlement:round_day", args=[r.pk]),
        {"entry": entries[2].pk, "flat": wanted.pk},
        **HTMX,
    ).content.decode()
    assert re.findall(r'data-units="([^"]+)"', narrowed) == ["202"]


def test_lottery_pages_show_the_hash_then_the_seed_and_command(client, res):
    r = setup_round(res, order_by=OrderBy.LOTTERY)
    c = client_for(client, res.officer_r)
    c.post(reverse("resettlement:round_commit", args=[r.pk]))
    r.refresh_from_db()
    page = c.get(reverse("resettlement:round", args=[r.pk])).content.decode()
    assert r.seed_hash in page and r.seed not in page
    assert 'data-testid="draw-form"' in page
    drawn = c.post(
        reverse("resettlement:round_draw", args=[r.pk]),
        {"witness_value": "3 6", "notary": "王公证", "notary_office": "市公证处"},
    )
    assert drawn.status_code == 302
    page = c.get(reverse("resettlement:round", args=[r.pk])).content.decode()
    command = re.search(r'data-testid="rerun-command">([^<]+)<', page)
    assert command is not None
    assert command.group(1) == (
        f"python manage.py rerun_draw --seed {r.seed} --witness &quot;3 6&quot; "
        f"--candidates 3 --expect-hash {r.seed_hash}"
    )
    assert "王公证" in page


def test_close_publish_and_the_masked_result(client, res):
    r = opened(res)
    entries = list(RoundEntry.objects.filter(round=r).order_by("position"))
    sel.choose(actor=res.officer_r, entry=entries[0], flats=[Flat.objects.get(unit_no="201")])
    c = client_for(client, res.officer_r)
    # Not published yet: finance cannot read it; the officer may preview it once closed.
    fin = client_for(client.__class__(), res.finance)
    assert fin.get(reverse("resettlement:round_result", args=[r.pk])).status_code == 404
    c.post(reverse("resettlement:round_close", args=[r.pk]))
    r.refresh_from_db()
    assert r.status == RoundStatus.CLOSED
    preview = c.get(reverse("resettlement:round_result", args=[r.pk]))
    assert preview.status_code == 200 and b'data-testid="preview"' in preview.content
    published = c.post(reverse("resettlement:round_publish", args=[r.pk]))
    assert published["Location"] == reverse("resettlement:round_result", args=[r.pk])
    before = Event.objects.filter(event_type="resettlement.round_view_personal").count()
    for user in (res.officer_r, res.finance):
        page = client_for(client.__class__(), user).get(
            reverse("resettlement:round_result", args=[r.pk])
        )
        text = page.content.decode()
        assert page.status_code == 200 and "@media print" in text
        household = entries[0].household
        assert household.head_name not in text and mask_name(household.head_name) in text
        assert "1幢 201" in text
        assert text.count('data-testid="result-row"') == 3
    # The result is masked whoever reads it: no unmasked read to record.
    assert Event.objects.filter(event_type="resettlement.round_view_personal").count() == before
    statuses = set(RoundEntry.objects.filter(round=r).values_list("status", flat=True))
    assert statuses == {EntryStatus.CHOSEN, EntryStatus.MISSED}


def test_project_section_and_household_part(res):
    r = opened(res)
    entry = RoundEntry.objects.filter(round=r).order_by("position").first()
    sel.choose(actor=res.officer_r, entry=entry, flats=[Flat.objects.get(unit_no="201")])
    section = selectors_selection.project_section(res.finance, res.project)
    assert section is not None and section["count"] == 1 and section["allocated"] == 1
    part = selectors_selection.household_part(res.finance, entry.household)
    assert part is not None and [f.unit_no for f in part["flats"]] == ["201"]
    outsider = UserFactory(username="nobody")
    assert selectors_selection.project_section(outsider, res.project) is None
    assert selectors_selection.household_part(outsider, entry.household) is None


@pytest.mark.parametrize("bad", ["²", "99999999999999999999999"])
def test_a_flat_key_that_is_not_a_number_is_refused_at_the_desk(client, res, bad):
    r = setup_round(res, n=1)
    c = client_for(client, res.officer_r)
    c.post(reverse("resettlement:round_order", args=[r.pk]))
    c.post(reverse("resettlement:round_open", args=[r.pk]))
    entry = RoundEntry.objects.get(round=r)
    answer = c.post(reverse("resettlement:round_choose", args=[entry.pk]), {"flats": [bad]}, **HTMX)
    assert answer.status_code == 200
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WAITING
    day = c.get(reverse("resettlement:round_day", args=[r.pk]), {"entry": bad, "flat": bad})
    assert day.status_code == 200


def test_a_user_limited_to_a_work_group_sees_only_its_households_names(client, res):
    from zhengqian.accounts.roles import RoleCode
    from zhengqian.survey.models import Household
    from zhengqian.testing.factories import WorkGroupFactory, grant

    r = setup_round(res)
    entries = list(RoundEntry.objects.filter(round=r).select_related("household"))
    own, other = entries[0].household, entries[1].household
    group = WorkGroupFactory(project=res.project)
    Household.objects.filter(pk=own.pk).update(work_group=group)
    limited = UserFactory(username="limited-resettler")
    grant(limited, RoleCode.RESETTLEMENT_OFFICER, res.project, work_groups=[group])
    page = client_for(client, limited).get(reverse("resettlement:round", args=[r.pk]))
    text = page.content.decode()
    assert own.head_name in text
    assert other.head_name not in text and mask_name(other.head_name) in text
