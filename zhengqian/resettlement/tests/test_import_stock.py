"""The Excel import of flats: the template reads back, every fault at its row and column, the
import all or nothing, the file kept with its checksum, the pages."""

from __future__ import annotations

import hashlib
import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.audit.models import Event
from zhengqian.resettlement import imports_stock
from zhengqian.resettlement.models import Building, Flat, FlatStatus, StockImport
from zhengqian.resettlement.tests.conftest import stock

pytestmark = pytest.mark.django_db

D = Decimal
HEADERS = ["安置小区", "楼栋", "房号", "楼层", "户型", "建筑面积", "朝向", "价格基准", "状态"]


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def workbook(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "安置房源"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "房源.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


GOOD = [
    ["安置一区", "2幢", "101", 1, "两室一厅", 60.5, "南北", None, "建成"],
    ["安置一区", "2幢", "102", 1, "三室两厅", "89.00", "南", 11000, "在建"],
    ["安置一区", "1幢", "401", 4, "三室两厅", 92, "南北", None, None],
]


def _faults(job: StockImport) -> list[tuple[Any, str, str]]:
    return [(row, column, message) for _sheet, row, column, message, _code in job.errors]


class TestCheck:
    def test_a_good_file_is_checked_and_imported_whole(self, res):  # type: ignore[no-untyped-def]
        stock(res)
        data = workbook(GOOD)
        job = imports_stock.stock_upload(
            actor=res.officer_r, project=res.project, upload=upload(data)
        )
        assert job.errors == [] and job.rows == 3 and not job.imported
        assert job.sha256 == hashlib.sha256(data).hexdigest()
        assert not Flat.objects.filter(building__name="2幢").exists()  # checking writes nothing
        assert imports_stock.stock_import(actor=res.officer_r, job=job) == 3
        job.refresh_from_db()
        assert job.imported and job.imported_at is not None
        two = Building.objects.get(estate__name="安置一区", name="2幢")
        flats = {f.unit_no: f for f in Flat.objects.filter(building=two)}
        assert flats["101"].area == D("60.50") and flats["101"].status == FlatStatus.READY
        assert flats["102"].price_basis == D("11000.00")
        assert flats["102"].status == FlatStatus.CONSTRUCTION
        planned = Flat.objects.get(building__name="1幢", unit_no="401")
        assert planned.status == FlatStatus.PLANNED and planned.floor == 4
        event = Event.objects.get(event_type="resettlement.stock_import")
        assert event.details["flats"] == 3 and event.details["buildings"] == 1
        assert event.details["sha256"] == job.sha256

    def test_every_fault_is_reported_at_its_row_and_column(self, res):  # type: ignore[no-untyped-def]
        stock(res)
        data = workbook(
            [
                ["安置九区", "1幢", "101", 1, "", 60, "", None, "建成"],  # no such estate
                ["安置一区", "1幢", "101", 1, "", 60, "", None, "建成"],  # already in stock
                ["安置一区", "3幢", "501", "五", "", -3, "", None, "交付"],  # floor, area, status
                ["安置一区", "3幢", "502", 5, "", 70, "", None, ""],
                ["安置一区", "3幢", "502", 5, "", 70, "", None, ""],  # twice in the file
                ["安置一区", "1幢", "", 20, "", 70, "", None, ""],  # unit missing
                ["安置一区", "1幢", "1901", 19, "", "70.123", "", None, ""],  # floor 19 of 18
            ]
        )
        job = imports_stock.stock_upload(
            actor=res.officer_r, project=res.project, upload=upload(data)
        )
        faults = _faults(job)
        at = {(row, column) for row, column, _m in faults}
        assert (2, "安置小区") in at
        assert (3, "房号") in at
        assert {(4, "楼层"), (4, "建筑面积"), (4, "状态")} <= at
        assert (6, "房号") in at
        assert (7, "房号") in at
        assert (8, "建筑面积") in at
        messages = {(row, column): message for row, column, message in faults}
        assert "no estate “安置九区”" in messages[(2, "安置小区")]
        assert messages[(3, "房号")] == "The flat is already in the stock."
        assert messages[(6, "房号")] == "The same flat is on row 5."
        assert messages[(7, "房号")] == "Required."

    def test_a_file_with_any_fault_imports_nothing(self, res):  # type: ignore[no-untyped-def]
        stock(res)
        data = workbook([*GOOD, ["安置一区", "2幢", "101", 1, "", 60, "", None, ""]])
        job = imports_stock.stock_upload(
            actor=res.officer_r, project=res.project, upload=upload(data)
        )
        assert len(job.errors) == 1
        with pytest.raises(ValidationError) as caught:
            imports_stock.stock_import(actor=res.officer_r, job=job)
        assert caught.value.code == "faults"
        assert not Building.objects.filter(name="2幢").exists()
        assert not Flat.objects.filter(building__name="2幢").exists()

    def test_the_stock_is_checked_again_when_importing(self, res):  # type: ignore[no-untyped-def]
        estate = stock(res)
        job = imports_stock.stock_upload(
            actor=res.officer_r, project=res.project, upload=upload(workbook(GOOD))
        )
        building = estate.buildings.get()
        Flat.objects.create(
            project=res.project, estate=estate, building=building, unit_no="401", floor=4, area=90
        )
        with pytest.raises(ValidationError):
            imports_stock.stock_import(actor=res.officer_r, job=job)
        job.refresh_from_db()
        assert not job.imported and _faults(job)[0][:2] == (4, "房号")
        assert Flat.objects.filter(unit_no="101").count() == 1  # the fixture's, nothing new

    def test_a_file_is_imported_once(self, res):  # type: ignore[no-untyped-def]
        stock(res)
        job = imports_stock.stock_upload(
            actor=res.officer_r, project=res.project, upload=upload(workbook(GOOD))
        )
        imports_stock.stock_import(actor=res.officer_r, job=job)
        with pytest.raises(ValidationError) as caught:
            imports_stock.stock_import(actor=res.officer_r, job=job)
        assert caught.value.code == "imported"

    def test_a_missing_column_and_an_unreadable_file_are_reported(self, res):  # type: ignore[no-untyped-def]
        job = imports_stock.stock_upload(
            actor=res.officer_r,
            project=res.project,
            upload=upload(workbook([], headers=HEADERS[:-1])),
        )
        assert any("状态" in message for _r, _c, message in _faults(job))
        job = imports_stock.stock_upload(
            actor=res.officer_r, project=res.project, upload=upload(b"not a workbook")
        )
        assert job.errors

    def test_a_formula_is_read_as_its_last_value_never_as_its_text(self, res):  # type: ignore[no-untyped-def]
        stock(res)
        data = workbook([["安置一区", "2幢", 424242, 1, "", 60, "", None, ""]])
        # The unit's cell becomes a formula whose last computed value is 777.
        source = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for item in source.infolist():
                content = source.read(item.filename)
                if item.filename.startswith("xl/worksheets/"):
                    content = content.replace(
                        b"<v>424242</v>", b'<f>HYPERLINK("x",777)</f><v>777</v>'
                    )
                target.writestr(item, content)
        job = imports_stock.stock_upload(
            actor=res.officer_r, project=res.project, upload=upload(out.getvalue())
        )
        assert job.errors == []
        imports_stock.stock_import(actor=res.officer_r, job=job)
        assert Flat.objects.get(building__name="2幢").unit_no == "777"

    def test_the_template_reads_back_with_its_example(self, res):  # type: ignore[no-untyped-def]
        stock(res, flats=[("901", "x", D("50.00"))])
        out = io.BytesIO()
        imports_stock.write_template(out)
        wb = load_workbook(io.BytesIO(out.getvalue()))
        assert [c.value for c in wb["安置房源"][1]] == HEADERS
        report = imports_stock.check(res.project, io.BytesIO(out.getvalue()))
        assert report.problems == [] and len(report.kept) == 1

    def test_only_the_resettlement_officer_imports(self, res):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            imports_stock.stock_upload(
                actor=res.officer, project=res.project, upload=upload(workbook(GOOD))
            )


class TestPages:
    def test_upload_report_and_confirm(self, res, login):  # type: ignore[no-untyped-def]
        stock(res)
        client = login(res.officer_r)
        start = reverse("resettlement:import_start", args=[res.project.pk])
        assert client.get(start).status_code == 200
        template = client.get(reverse("resettlement:import_template", args=[res.project.pk]))
        assert template.status_code == 200
        r = client.post(start, {"file": upload(workbook(GOOD))})
        assert r.status_code == 302
        job = StockImport.objects.get()
        page = client.get(r["Location"]).content.decode()
        assert 'data-testid="import-ready"' in page
        r = client.post(reverse("resettlement:import_confirm", args=[res.project.pk, job.pk]))
        assert r.status_code == 302 and Flat.objects.filter(building__name="2幢").count() == 2

    def test_the_faults_are_listed_and_downloadable(self, res, login):  # type: ignore[no-untyped-def]
        stock(res)
        client = login(res.officer_r)
        bad = workbook([["安置九区", "1幢", "101", 1, "", 60, "", None, ""]])
        r = client.post(
            reverse("resettlement:import_start", args=[res.project.pk]), {"file": upload(bad)}
        )
        job = StockImport.objects.get()
        page = client.get(r["Location"]).content.decode()
        assert 'data-row="2" data-column="安置小区"' in page and "confirm-form" not in page
        r = client.get(reverse("resettlement:import_errors", args=[res.project.pk, job.pk]))
        sheet = load_workbook(io.BytesIO(b"".join(r.streaming_content))).worksheets[0]
        assert [c.value for c in sheet[2]][:3] == ["安置房源", 2, "安置小区"]

    def test_the_signing_officer_gets_403(self, res, login):  # type: ignore[no-untyped-def]
        r = login(res.officer).get(reverse("resettlement:import_start", args=[res.project.pk]))
        assert r.status_code == 403
