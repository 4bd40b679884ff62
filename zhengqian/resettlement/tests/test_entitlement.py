"""Entitlement fits (上靠/下靠) and the price of a combination, with known answers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhengqian.agreements.models import AgreementKind
from zhengqian.resettlement import entitlement
from zhengqian.resettlement.models import Flat
from zhengqian.resettlement.tests.conftest import effective, stock

pytestmark = pytest.mark.django_db

D = Decimal


def test_entitlement_of_an_exchange_household(res):
    agreement = effective(res, "R-001", licensed_area=D("95.00"), total=D("950000.00"))
    ent = entitlement.for_household(agreement.household)
    assert ent is not None
    assert ent.area == D("95.00")
    assert ent.flats == 1  # one per 90 m²: 95 // 90 = 1
    assert (ent.lowest, ent.highest) == (D("80.00"), D("110.00"))
    assert ent.credit == D("950000.00")


def test_two_flats_from_twice_the_step(res):
    agreement = effective(res, "R-002", licensed_area=D("185.00"))
    ent = entitlement.for_household(agreement.household)
    assert ent is not None and ent.flats == 2


def test_no_entitlement_for_a_voucher_or_cash_household(res):
    voucher = effective(res, "R-003", kind=AgreementKind.VOUCHER)
    assert entitlement.for_household(voucher.household) is None
    assert entitlement.for_household(res.household) is None  # the fixture's cash agreement


def test_fits_within_the_tolerance_closest_first(res):
    estate = stock(res)
    agreement = effective(res, "R-004", licensed_area=D("95.00"))
    ent = entitlement.for_household(agreement.household)
    flats = list(Flat.objects.filter(estate=estate))
    found = entitlement.fits(ent, flats)
    # 80 ≤ area ≤ 110, one flat: 90 (5 off), 105 (10 off); 75 and 120 are outside.
    assert [fit.flats[0].unit_no for fit in found] == ["201", "202"]


def test_pairs_fit_a_large_entitlement(res):
    estate = stock(res)
    agreement = effective(res, "R-005", licensed_area=D("180.00"))
    ent = entitlement.for_household(agreement.household)
    assert ent.flats == 2
    found = entitlement.fits(ent, list(Flat.objects.filter(estate=estate)))
    areas = [fit.area for fit in found]
    assert all(D("165.00") <= a <= D("195.00") for a in areas)
    # 60+105, 60+120, 75+90, 75+105, 75+120, 90+90 (no: one flat each), 90+105: pairs in window.
    expected = {
        tuple(sorted((a, b)))
        for a in (60, 75, 90, 105, 120)
        for b in (60, 75, 90, 105, 120)
        if a < b and 165 <= a + b <= 195
    }
    assert {tuple(sorted(int(f.area) for f in fit.flats)) for fit in found} == expected
    assert areas == sorted(areas, key=lambda a: abs(a - D("180.00")))


def test_price_within_above_and_unused(res):
    estate = stock(res)
    agreement = effective(res, "R-006", licensed_area=D("95.00"), total=D("950000.00"))
    ent = entitlement.for_household(agreement.household)
    f105 = Flat.objects.get(estate=estate, unit_no="202")
    f90 = Flat.objects.get(estate=estate, unit_no="201")
    larger = entitlement.price(ent, [f105])
    # 95 × 5,000 + 10 × 12,000 = 595,000; credit 950,000 → the household is paid 355,000.
    assert larger.price == D("595000.00")
    assert larger.balance == D("-355000.00")
    smaller = entitlement.price(ent, [f90])
    # 90 × 5,000 − 5 × 8,000 = 410,000.
    assert smaller.price == D("410000.00")
    assert smaller.unused == D("5.00")
    f105.price_basis = D("15000.00")
    assert entitlement.price(ent, [f105]).price == D("625000.00")


def test_refusals(res):
    estate = stock(res)
    agreement = effective(res, "R-007", licensed_area=D("95.00"))
    ent = entitlement.for_household(agreement.household)
    by = {f.unit_no: f for f in Flat.objects.filter(estate=estate)}
    assert entitlement.refusal(ent, []) == "empty"
    assert entitlement.refusal(ent, [by["101"]]) == "too_small"
    assert entitlement.refusal(ent, [by["301"]]) == "too_large"
    assert entitlement.refusal(ent, [by["101"], by["102"]]) == "too_many"
    assert entitlement.refusal(ent, [by["201"]]) is None
