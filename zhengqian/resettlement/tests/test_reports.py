"""The resettlement reports with known answers, and the same figures on the page and in the
workbook."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements.models import Agreement, AgreementKind, AgreementStatus
from zhengqian.audit.models import Event
from zhengqian.demolition.models import Vacating
from zhengqian.resettlement import reports
from zhengqian.resettlement.models import Flat, FlatStatus, Voucher, VoucherStatus
from zhengqian.resettlement.tests.conftest import effective, stock
from zhengqian.testing.factories import ProjectFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def months_ago(n: int) -> dt.date:
    year, month = divmod(TODAY.year * 12 + TODAY.month - 1 - n, 12)
    return dt.date(year, month + 1, TODAY.day)


def vacated(res: Any, agreement: Agreement, on: dt.date) -> None:
    Vacating.objects.create(
        project=res.project,
        household=agreement.household,
        agreement=agreement,
        accepted_on=on,
        keys_handed_over=True,
        water_closed=True,
        power_closed=True,
        gas_closed=True,
        household_signatory="户主",
        accepted_by=res.officer,
        form_scan="demolition/vacating/x.pdf",
        form_sha256="0" * 64,
        recorded_by=res.officer,
    )


def voucher(res: Any, agreement: Agreement, number: str, **fields: Any) -> Voucher:
    return Voucher.objects.create(
        project=res.project,
        household=agreement.household,
        agreement=agreement,
        number=number,
        issued_on=TODAY - dt.timedelta(days=100),
        valid_until=TODAY + dt.timedelta(days=265),
        holder_name="户主",
        holder_id_number="",
        issued_by=res.officer_r,
        **fields,
    )


class TestShares:
    def test_the_source_documents_split(self) -> None:
        assert reports.shares([257, 1365]) == [D("15.84"), D("84.16")]

    def test_thirds_add_up_to_a_hundred(self) -> None:
        assert reports.shares([1, 1, 1]) == [D("33.34"), D("33.33"), D("33.33")]
        assert sum(reports.shares([D("0.10"), D("0.20"), D("0.40")])) == D("100.00")

    def test_nothing_gives_zeros(self) -> None:
        assert reports.shares([0, 0, 0]) == [D("0.00")] * 3

    def test_whole_months(self) -> None:
        assert reports.months_between(dt.date(2026, 5, 20), TODAY) == 6
        assert reports.months_between(dt.date(2026, 5, 21), TODAY) == 5
        assert reports.months_between(TODAY, TODAY - dt.timedelta(days=1)) == 0


class TestReport:
    def test_flats_by_status_per_estate(self, res):  # type: ignore[no-untyped-def]
        stock(res)
        stock(res, estate="安置二区", status=FlatStatus.PLANNED, flats=[("101", "x", D("50.00"))])
        first = effective(res, "R-001")
        Flat.objects.filter(unit_no="201", estate__name="安置一区").update(
            status=FlatStatus.ALLOCATED, household=first.household
        )
        rows = reports.flats_by_status(res.project)
        one, two = rows
        assert one.name == "安置一区" and one.counts["ready"] == 4 and one.counts["allocated"] == 1
        assert one.areas["allocated"] == D("90.00") and one.area == D("450.00")
        assert two.counts["planned"] == 1 and two.count == 1
        total = reports.totals_by_status(rows)
        assert total.count == 6 and total.area == D("500.00")

    def test_households_waiting_by_bucket_with_the_longest(self, res):  # type: ignore[no-untyped-def]
        estate = stock(res)
        waits = {"R-001": 3, "R-002": 7, "R-003": 13, "R-004": 30, "R-005": 12}
        agreements = {code: effective(res, code) for code in [*waits, "R-006", "R-007"]}
        for code, months in waits.items():
            vacated(res, agreements[code], months_ago(months))
        # R-007 has its flat handed over: it waits no more. R-006 has not moved out.
        Flat.objects.filter(estate=estate, unit_no="101").update(
            status=FlatStatus.HANDED_OVER, household=agreements["R-007"].household
        )
        vacated(res, agreements["R-007"], dt.date(2025, 1, 1))
        w = reports.waiting(res.project, TODAY)
        assert w.households == 6 and w.not_moved_out == 1
        assert w.buckets == {"upto6": 1, "7to12": 2, "13to24": 1, "over24": 1}
        assert (w.longest_months, w.longest_household) == (30, "R-004")

    def test_vouchers_issued_used_outstanding_lapsed_and_cashed(self, res):  # type: ignore[no-untyped-def]
        a, b, c, d = (effective(res, f"V-{i}", kind=AgreementKind.VOUCHER) for i in range(4))
        voucher(
            res,
            a,
            "FP-1",
            face_value=D("100000.00"),
            used=D("40000.00"),
            status=VoucherStatus.PARTLY_USED,
        )
        voucher(
            res,
            b,
            "FP-2",
            face_value=D("200000.00"),
            used=D("150000.00"),
            cashed=D("50000.00"),
            cash_paid=D("46000.00"),
            status=VoucherStatus.CASHED,
        )
        voucher(res, c, "FP-3", face_value=D("80000.00"), status=VoucherStatus.LAPSED)
        lost = voucher(res, d, "FP-4", face_value=D("50000.00"), status=VoucherStatus.CANCELLED)
        voucher(res, d, "FP-5", face_value=D("50000.00"), replaces=lost)
        v = reports.vouchers(res.project)
        assert (v["issued"].count, v["issued"].amount) == (4, D("430000.00"))
        assert (v["used"].count, v["used"].amount) == (2, D("190000.00"))
        assert (v["outstanding"].count, v["outstanding"].amount) == (2, D("110000.00"))
        assert (v["lapsed"].count, v["lapsed"].amount) == (1, D("80000.00"))
        assert (v["cashed"].count, v["cashed"].amount) == (1, D("50000.00"))
        assert v["cash_paid"] == D("46000.00")

    def test_mode_shares_count_non_residential_as_cash(self, res):  # type: ignore[no-untyped-def]
        # The fixture's household H-001 has an effective cash agreement.
        cash_total = Agreement.objects.get(household=res.household, parent__isnull=True).total
        effective(res, "R-1", total=D("300000.00"))
        effective(res, "R-2", total=D("300000.00"))
        effective(res, "V-1", kind=AgreementKind.VOUCHER, total=D("400000.00"))
        nr = effective(res, "N-1", kind=AgreementKind.VOUCHER, total=D("100000.00"))
        Agreement.objects.filter(pk=nr.pk).update(kind=AgreementKind.NON_RESIDENTIAL)
        void = effective(res, "R-3")
        Agreement.objects.filter(pk=void.pk).update(status=AgreementStatus.VOID)
        rows, non_residential = reports.modes(res.project)
        by = {r.mode: r for r in rows}
        assert non_residential == 1
        assert [by[m].households for m in ("cash", "voucher", "exchange")] == [2, 1, 2]
        assert [by[m].household_share for m in ("cash", "voucher", "exchange")] == [
            D("40.00"),
            D("20.00"),
            D("40.00"),
        ]
        assert by["cash"].amount == cash_total + D("100000.00")
        assert sum(r.amount_share for r in rows) == D("100.00")


class TestPages:
    def test_the_page_and_the_workbook_show_the_same_figures(self, res, login):  # type: ignore[no-untyped-def]
        stock(res)
        effective(res, "R-1", total=D("300000.00"))
        effective(res, "V-1", kind=AgreementKind.VOUCHER, total=D("400000.00"))
        client = login(res.officer_r)
        page = client.get(reverse("resettlement:reports", args=[res.project.pk]))
        assert page.status_code == 200
        report = reports.build(res.project, timezone.localdate())
        body = page.content.decode()
        for m in report.modes:
            assert f'data-mode="{m.mode}"' in body and f">{m.household_share}<" in body
        r = client.get(reverse("resettlement:reports_export", args=[res.project.pk]))
        wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
        modes = wb["Resettlement modes"]
        rows = [[c.value for c in row] for row in modes.iter_rows(min_row=2)]
        for m, row in zip(report.modes, rows, strict=False):
            assert row[:2] == [m.label, m.households]
            assert D(str(row[2])) == m.household_share and D(str(row[3])) == m.amount
        flats = wb["Flats by status"]
        total = [c.value for c in list(flats.iter_rows())[-1]]
        assert total[0] == "Total" and total[-2:] == [report.total.count, float(report.total.area)]
        assert Event.objects.filter(event_type="resettlement.reports_export").exists()

    def test_another_project_is_404_and_export_needs_the_right(self, res, login):  # type: ignore[no-untyped-def]
        user = UserFactory()
        grant(user, RoleCode.RESETTLEMENT_OFFICER, ProjectFactory())
        client = login(user)
        assert client.get(reverse("resettlement:reports", args=[res.project.pk])).status_code == 404
        client = login(res.officer)  # the signing officer views but does not export
        assert client.get(reverse("resettlement:reports", args=[res.project.pk])).status_code == 200
        url = reverse("resettlement:reports_export", args=[res.project.pk])
        assert client.get(url).status_code == 403
        assert login(res.officer_r).post(url).status_code == 405
