"""The housing stock: estates, buildings and flats, their status by hand, the handover, and the
pages (allowed, other project, denied, wrong method)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event
from zhengqian.resettlement import selectors_stock, services_stock
from zhengqian.resettlement.models import (
    Building,
    Choice,
    Estate,
    Flat,
    FlatStatus,
    RoundEntry,
    SelectionRound,
)
from zhengqian.resettlement.tests.conftest import effective, stock
from zhengqian.testing.factories import ProjectFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def _codes(exc: ValidationError, field: str) -> list[str]:
    return [e.code or "" for e in exc.error_dict[field]]


def _allocate(flat: Flat, household) -> None:  # type: ignore[no-untyped-def]
    """What the selection day does: the flat allocated with a live choice."""
    Flat.objects.filter(pk=flat.pk).update(status=FlatStatus.ALLOCATED, household=household)


def _chosen(res, flat: Flat, code: str = "R-900") -> Choice:  # type: ignore[no-untyped-def]
    agreement = effective(res, code)
    rnd = SelectionRound.objects.create(
        project=res.project,
        name=f"第一批{code}",
        order_by="signing",
        scheduled_on=timezone.localdate(),
        created_by=res.officer_r,
    )
    entry = RoundEntry.objects.create(
        round=rnd,
        household=agreement.household,
        agreement=agreement,
        entitled_area=D("90.00"),
        flats_allowed=1,
    )
    _allocate(flat, agreement.household)
    return Choice.objects.create(
        round=rnd,
        entry=entry,
        household=agreement.household,
        flat=flat,
        area=flat.area,
        recorded_by=res.officer_r,
    )


# --- services ----------------------------------------------------------------------------------


class TestEstatesAndFlats:
    def test_the_officer_records_an_estate_a_building_and_a_flat(self, res):  # type: ignore[no-untyped-def]
        estate = services_stock.estate_create(
            actor=res.officer_r,
            project=res.project,
            name=" 安置二区 ",
            planned_handover=dt.date(2027, 6, 30),
            address="新城路1号",
        )
        building = services_stock.building_create(
            actor=res.officer_r, estate=estate, name="2幢", floors=11
        )
        flat = services_stock.flat_create(
            actor=res.officer_r,
            building=building,
            unit_no="1101",
            floor=11,
            area=D("89.50"),
            layout="三室两厅",
            status=FlatStatus.READY,
        )
        assert estate.name == "安置二区" and flat.project_id == res.project.pk
        assert flat.estate_id == estate.pk and flat.status == FlatStatus.READY
        kinds = set(Event.objects.values_list("event_type", flat=True))
        assert {
            "resettlement.estate_create",
            "resettlement.building_create",
            "resettlement.flat_create",
        } <= kinds

    def test_a_second_estate_of_the_same_name_is_refused_at_the_name(self, res):  # type: ignore[no-untyped-def]
        stock(res)
        with pytest.raises(ValidationError) as caught:
            services_stock.estate_create(
                actor=res.officer_r,
                project=res.project,
                name="安置一区",
                planned_handover=dt.date(2027, 1, 1),
            )
        assert _codes(caught.value, "name") == ["duplicate_estate"]

    def test_a_duplicate_unit_and_a_floor_above_the_building_are_refused(self, res):  # type: ignore[no-untyped-def]
        estate = stock(res)
        building = estate.buildings.get()
        with pytest.raises(ValidationError) as caught:
            services_stock.flat_create(
                actor=res.officer_r, building=building, unit_no="101", floor=19, area=D("60")
            )
        assert _codes(caught.value, "unit_no") == ["duplicate_flat"]
        assert _codes(caught.value, "floor") == ["floor_range"]

    def test_a_new_flat_cannot_be_allocated_by_hand(self, res):  # type: ignore[no-untyped-def]
        building = stock(res).buildings.get()
        with pytest.raises(ValidationError) as caught:
            services_stock.flat_create(
                actor=res.officer_r,
                building=building,
                unit_no="999",
                floor=9,
                area=D("60"),
                status=FlatStatus.ALLOCATED,
            )
        assert _codes(caught.value, "status") == ["status_not_manual"]

    def test_the_signing_officer_may_not_record_stock(self, res):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services_stock.estate_create(
                actor=res.officer,
                project=res.project,
                name="X",
                planned_handover=dt.date(2027, 1, 1),
            )

    def test_a_flat_is_edited_with_an_audit_of_what_changed(self, res):  # type: ignore[no-untyped-def]
        flat = stock(res).flats.get(unit_no="101")
        services_stock.flat_update(actor=res.officer_r, flat=flat, area=D("61.20"), layout="两室")
        flat.refresh_from_db()
        assert flat.area == D("61.20")
        event = Event.objects.get(event_type="resettlement.flat_update")
        assert event.changes["area"] == ["60.00", "61.20"]

    def test_a_chosen_flat_keeps_its_unit_and_area_and_is_not_deleted(self, res):  # type: ignore[no-untyped-def]
        flat = stock(res).flats.get(unit_no="201")
        _chosen(res, flat)
        with pytest.raises(ValidationError) as caught:
            services_stock.flat_update(actor=res.officer_r, flat=flat, area=D("91"), unit_no="X")
        assert _codes(caught.value, "area") == ["chosen"]
        assert _codes(caught.value, "unit_no") == ["chosen"]
        services_stock.flat_update(actor=res.officer_r, flat=flat, orientation="东西")
        with pytest.raises(ValidationError) as caught:
            services_stock.flat_delete(actor=res.officer_r, flat=flat)
        assert _codes(caught.value, "flat") == ["chosen"]
        assert Flat.objects.filter(pk=flat.pk).exists()

    def test_a_chosen_flat_keeps_the_price_basis_it_is_settled_on(self, res):  # type: ignore[no-untyped-def]
        # The settlement at the round's close prices the area above the entitlement at the
        # flat's price basis: changed after the choice, it would change the money owed.
        flat = stock(res).flats.get(unit_no="201")
        _chosen(res, flat)
        with pytest.raises(ValidationError) as caught:
            services_stock.flat_update(actor=res.officer_r, flat=flat, price_basis=D("6000.00"))
        assert _codes(caught.value, "price_basis") == ["chosen"]
        flat.refresh_from_db()
        assert flat.price_basis is None

    def test_a_flat_never_chosen_is_deleted_with_an_audit(self, res):  # type: ignore[no-untyped-def]
        flat = stock(res).flats.get(unit_no="101")
        services_stock.flat_delete(actor=res.officer_r, flat=flat)
        assert not Flat.objects.filter(pk=flat.pk).exists()
        event = Event.objects.get(event_type="resettlement.flat_delete")
        assert event.details["unit_no"] == "101" and event.target_id == str(flat.pk)


class TestStatus:
    def test_the_status_moves_one_step_forward(self, res):  # type: ignore[no-untyped-def]
        flat = stock(res, status=FlatStatus.PLANNED).flats.get(unit_no="101")
        services_stock.flat_set_status(
            actor=res.officer_r, flat=flat, status=FlatStatus.CONSTRUCTION
        )
        services_stock.flat_set_status(actor=res.officer_r, flat=flat, status=FlatStatus.READY)
        flat.refresh_from_db()
        assert flat.status == FlatStatus.READY

    def test_skipping_a_step_is_refused(self, res):  # type: ignore[no-untyped-def]
        flat = stock(res, status=FlatStatus.PLANNED).flats.get(unit_no="101")
        with pytest.raises(ValidationError) as caught:
            services_stock.flat_set_status(actor=res.officer_r, flat=flat, status=FlatStatus.READY)
        assert _codes(caught.value, "status") == ["status_step"]

    def test_moving_back_needs_a_reason_that_the_audit_keeps(self, res):  # type: ignore[no-untyped-def]
        flat = stock(res).flats.get(unit_no="101")
        with pytest.raises(ValidationError) as caught:
            services_stock.flat_set_status(
                actor=res.officer_r, flat=flat, status=FlatStatus.CONSTRUCTION
            )
        assert _codes(caught.value, "reason") == ["reason_required"]
        services_stock.flat_set_status(
            actor=res.officer_r, flat=flat, status=FlatStatus.CONSTRUCTION, reason="验收未通过"
        )
        event = Event.objects.get(event_type="resettlement.flat_status")
        assert event.details == {"reason": "验收未通过"}
        assert event.changes == {"status": ["ready", "construction"]}

    def test_allocated_and_handed_over_are_not_set_by_hand(self, res):  # type: ignore[no-untyped-def]
        flats = stock(res).flats.order_by("unit_no")
        with pytest.raises(ValidationError) as caught:
            services_stock.flat_set_status(
                actor=res.officer_r, flat=flats[0], status=FlatStatus.ALLOCATED
            )
        assert _codes(caught.value, "status") == ["status_not_manual"]
        agreement = effective(res, "R-910")
        _allocate(flats[1], agreement.household)
        with pytest.raises(ValidationError) as caught:
            services_stock.flat_set_status(
                actor=res.officer_r, flat=flats[1], status=FlatStatus.READY
            )
        assert _codes(caught.value, "status") == ["status_locked"]


class TestHandover:
    def test_the_handover_marks_the_allocated_flats_handed_over(self, res):  # type: ignore[no-untyped-def]
        estate = stock(res)
        flats = list(estate.flats.order_by("unit_no"))
        agreement = effective(res, "R-920")
        _allocate(flats[0], agreement.household)
        day = timezone.localdate() - dt.timedelta(days=3)
        services_stock.estate_handover(actor=res.officer_r, estate=estate, on=day)
        estate.refresh_from_db()
        assert estate.actual_handover == day
        statuses = dict(estate.flats.values_list("unit_no", "status"))
        assert statuses["101"] == FlatStatus.HANDED_OVER
        assert statuses["102"] == FlatStatus.READY
        assert Flat.objects.get(pk=flats[0].pk).handed_over_on == day
        event = Event.objects.get(event_type="resettlement.estate_handover")
        assert event.details["households"] == [agreement.household_id]

    def test_a_handover_in_the_future_or_before_the_project_start_is_refused(self, res):  # type: ignore[no-untyped-def]
        estate = stock(res)
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        with pytest.raises(ValidationError) as caught:
            services_stock.estate_handover(actor=res.officer_r, estate=estate, on=tomorrow)
        assert _codes(caught.value, "on") == ["future"]
        res.project.planned_start = timezone.localdate() - dt.timedelta(days=10)
        res.project.save(update_fields=["planned_start"])
        with pytest.raises(ValidationError) as caught:
            services_stock.estate_handover(
                actor=res.officer_r,
                estate=estate,
                on=timezone.localdate() - dt.timedelta(days=11),
            )
        assert _codes(caught.value, "on") == ["before_start"]
        estate.refresh_from_db()
        assert estate.actual_handover is None

    def test_a_later_handover_takes_the_flats_allocated_since(self, res):  # type: ignore[no-untyped-def]
        estate = stock(res)
        first = timezone.localdate() - dt.timedelta(days=30)
        services_stock.estate_handover(actor=res.officer_r, estate=estate, on=first)
        with pytest.raises(ValidationError) as caught:
            services_stock.estate_handover(actor=res.officer_r, estate=estate, on=first)
        assert _codes(caught.value, "on") == ["nothing_to_hand_over"]
        flat = estate.flats.get(unit_no="202")
        _allocate(flat, effective(res, "R-930").household)
        services_stock.estate_handover(actor=res.officer_r, estate=estate, on=timezone.localdate())
        estate.refresh_from_db()
        flat.refresh_from_db()
        assert estate.actual_handover == first
        assert flat.status == FlatStatus.HANDED_OVER and flat.handed_over_on == timezone.localdate()


# --- selectors ---------------------------------------------------------------------------------


class TestSelectors:
    def test_the_flats_are_filtered_by_status_layout_and_area(self, res):  # type: ignore[no-untyped-def]
        estate = stock(res)
        Flat.objects.filter(estate=estate, unit_no="301").update(status=FlatStatus.PLANNED)
        f = selectors_stock.Filters
        units = lambda q: [x.unit_no for x in q]  # noqa: E731
        assert units(selectors_stock.flats(res.project, f(status="planned"))) == ["301"]
        assert units(selectors_stock.flats(res.project, f(layout="三室两厅"))) == ["201", "202"]
        assert units(
            selectors_stock.flats(res.project, f(area_min=D("70"), area_max=D("100")))
        ) == ["102", "201"]

    def test_the_project_section_counts_by_status_and_names_the_next_handover(self, res):  # type: ignore[no-untyped-def]
        stock(res, planned_handover=dt.date(2028, 1, 1))
        stock(res, estate="安置二区", planned_handover=dt.date(2027, 3, 1), status="planned")
        section = selectors_stock.project_section(res.officer_r, res.project)
        assert section is not None
        counts = {value: n for _label, n, value in section["counts"]}
        assert counts["ready"] == 5 and counts["planned"] == 5 and section["total"] == 10
        assert section["next_estate"].name == "安置二区"
        assert section["next_handover"] == dt.date(2027, 3, 1)
        outsider = UserFactory()
        assert selectors_stock.project_section(outsider, res.project) is None

    def test_the_household_part_lists_fitting_combinations_of_open_flats(self, res):  # type: ignore[no-untyped-def]
        estate = stock(res)
        agreement = effective(res, "R-940", licensed_area=D("90.00"), total=D("450000.00"))
        # The 90 m² flat is taken by someone else: it is no longer offered.
        _allocate(estate.flats.get(unit_no="201"), effective(res, "R-941").household)
        part = selectors_stock.household_part(res.officer_r, agreement.household)
        assert part is not None
        ent = part["entitlement"]
        assert (ent.area, ent.flats, ent.lowest, ent.highest) == (
            D("90.00"),
            1,
            D("75.00"),
            D("105.00"),
        )
        fits = part["fits"]
        # 75 and 105 m² fit within 90 ± 15 (the 90 m² flat is allocated).
        assert sorted(str(fit["flats"][0].unit_no) for fit in fits) == ["102", "202"]
        by_unit = {fit["flats"][0].unit_no: fit for fit in fits}
        # 105 m²: 90 at 5,000 + 15 at 12,000 = 630,000, less the credit of 450,000.
        assert by_unit["202"]["price"] == D("630000.00")
        assert by_unit["202"]["household_pays"] and by_unit["202"]["amount"] == D("180000.00")
        # 75 m²: 75 at 5,000, 15 bought back at 8,000 = 255,000: the household is paid 195,000.
        assert by_unit["102"]["price"] == D("255000.00")
        assert not by_unit["102"]["household_pays"] and by_unit["102"]["amount"] == D("195000.00")

    def test_no_household_part_for_a_cash_household(self, res):  # type: ignore[no-untyped-def]
        assert selectors_stock.household_part(res.officer_r, res.household) is None


# --- pages -------------------------------------------------------------------------------------


@pytest.fixture
def stranger(res):  # type: ignore[no-untyped-def]
    """A resettlement officer of another project."""
    user = UserFactory(username="elsewhere")
    grant(user, RoleCode.RESETTLEMENT_OFFICER, ProjectFactory())
    return user


class TestPages:
    def test_the_stock_page_shows_estates_counts_and_flats(self, res, login):  # type: ignore[no-untyped-def]
        stock(res)
        r = login(res.officer_r).get(reverse("resettlement:stock", args=[res.project.pk]))
        body = r.content.decode()
        assert r.status_code == 200
        assert 'data-testid="count-ready">5<' in body and body.count('data-testid="flat-row"') == 5

    def test_an_htmx_filter_returns_the_list_alone(self, res, login):  # type: ignore[no-untyped-def]
        stock(res)
        r = login(res.officer_r).get(
            reverse("resettlement:stock", args=[res.project.pk]),
            {"layout": "三室两厅"},
            HTTP_HX_REQUEST="true",
        )
        body = r.content.decode()
        assert body.startswith('<div id="flat-list"') and body.count('data-testid="flat-row"') == 2

    def test_the_head_is_masked_unless_the_user_sees_personal_data(self, res, login):  # type: ignore[no-untyped-def]
        estate = stock(res)
        agreement = effective(res, "R-950")
        agreement.household.head_name = "张三丰"
        agreement.household.save(update_fields=["head_name"])
        _allocate(estate.flats.get(unit_no="101"), agreement.household)
        url = reverse("resettlement:stock", args=[res.project.pk])
        body = login(res.officer_r).get(url).content.decode()
        assert "张三丰" in body  # the officer sees personal data, an audited read
        assert Event.objects.filter(event_type="resettlement.stock_read").exists()
        body = login(res.officer).get(url).content.decode()  # the signing officer
        assert "张三丰" not in body and "张*丰" in body

    def test_another_projects_officer_gets_404(self, res, login, stranger):  # type: ignore[no-untyped-def]
        estate = stock(res)
        client = login(stranger)
        assert client.get(reverse("resettlement:stock", args=[res.project.pk])).status_code == 404
        assert client.get(reverse("resettlement:estate", args=[estate.pk])).status_code == 404
        flat = estate.flats.first()
        assert flat is not None
        r = client.post(reverse("resettlement:flat_delete", args=[flat.pk]))
        assert r.status_code == 404 and Flat.objects.filter(pk=flat.pk).exists()

    def test_the_signing_officer_may_look_but_not_create(self, res, login):  # type: ignore[no-untyped-def]
        client = login(res.officer)
        url = reverse("resettlement:estate_create", args=[res.project.pk])
        r = client.post(url, {"name": "X", "planned_handover": "2027-01-01"})
        assert r.status_code == 403 and not Estate.objects.filter(name="X").exists()

    def test_the_estate_form_creates_and_refuses_at_the_field(self, res, login):  # type: ignore[no-untyped-def]
        client = login(res.officer_r)
        url = reverse("resettlement:estate_create", args=[res.project.pk])
        assert client.get(url).status_code == 200
        r = client.post(url, {"name": "安置三区", "planned_handover": "2027-05-01"})
        estate = Estate.objects.get(name="安置三区")
        assert r.status_code == 302 and r["Location"] == reverse(
            "resettlement:estate", args=[estate.pk]
        )
        r = client.post(url, {"name": "安置三区", "planned_handover": "2027-05-01"})
        assert r.status_code == 400 and 'data-field-error="name"' in r.content.decode()

    def test_the_estate_page_adds_a_building_and_a_flat(self, res, login):  # type: ignore[no-untyped-def]
        estate = stock(res)
        client = login(res.officer_r)
        r = client.post(
            reverse("resettlement:building_create", args=[estate.pk]), {"name": "2幢", "floors": 6}
        )
        assert r.status_code == 302
        building = Building.objects.get(estate=estate, name="2幢")
        r = client.post(
            reverse("resettlement:flat_create", args=[estate.pk]),
            {
                "building": building.pk,
                "unit_no": "601",
                "floor": 6,
                "area": "88.00",
                "status": "ready",
            },
        )
        assert (
            r.status_code == 302 and Flat.objects.filter(building=building, unit_no="601").exists()
        )
        r = client.post(
            reverse("resettlement:flat_create", args=[estate.pk]),
            {
                "building": building.pk,
                "unit_no": "701",
                "floor": 7,
                "area": "88",
                "status": "ready",
            },
        )
        assert r.status_code == 400 and 'data-field-error="floor"' in r.content.decode()
        page = client.get(reverse("resettlement:estate", args=[estate.pk])).content.decode()
        assert page.count('data-testid="building-row"') == 2

    def test_a_refused_status_change_is_shown_on_the_estate_page(self, res, login):  # type: ignore[no-untyped-def]
        estate = stock(res)
        flat = estate.flats.get(unit_no="101")
        r = login(res.officer_r).post(
            reverse("resettlement:flat_status", args=[flat.pk]), {"status": "planned"}
        )
        assert r.status_code == 400 and "one step at a time" in r.content.decode()

    def test_the_handover_form_records_the_date(self, res, login):  # type: ignore[no-untyped-def]
        estate = stock(res)
        day = timezone.localdate().isoformat()
        r = login(res.officer_r).post(
            reverse("resettlement:estate_handover", args=[estate.pk]), {"on": day}
        )
        assert r.status_code == 302
        estate.refresh_from_db()
        assert estate.actual_handover == timezone.localdate()

    def test_writes_refuse_get(self, res, login):  # type: ignore[no-untyped-def]
        estate = stock(res)
        flat = estate.flats.get(unit_no="101")
        client = login(res.officer_r)
        assert client.get(reverse("resettlement:flat_delete", args=[flat.pk])).status_code == 405
        assert (
            client.get(reverse("resettlement:estate_handover", args=[estate.pk])).status_code == 405
        )
