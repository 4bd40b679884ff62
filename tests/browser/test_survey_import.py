"""A surveyor imports a village's survey from Excel, in headless Chromium: downloads the
template, fills it in, uploads it with a fault, reads the fault at its cell, corrects the file,
imports, finds the households in the list, opens one, attaches a site photo and previews it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.pages import HomePage, LoginPage
from tests.browser.pages_survey import SurveyImportPage
from zhengqian.audit.models import Event
from zhengqian.core.idcard import make_id_number
from zhengqian.survey.models import Household, Person

pytestmark = pytest.mark.django_db(transaction=True)


def fill_in(template: Path, target: Path, *, phone: str) -> Path:
    """The template with its example rows replaced by two households of the village."""
    wb = load_workbook(template)
    households, persons, buildings = wb["户表"], wb["家庭成员"], wb["房屋"]
    for ws in (households, persons, buildings, wb["附属物"]):
        ws.delete_rows(2, ws.max_row)
    zhang = make_id_number("330282", dt.date(1968, 3, 12), 135)
    li = make_id_number("330282", dt.date(1959, 11, 2), 246)
    households.append(
        ["GH-001", "第一工作组", "住宅", "张建国", zhang, phone, "330282", "红旗村三组27号"]
    )
    households.append(
        ["GH-002", "第一工作组", "住宅", "李秀英", li, "13805740002", "330282", "红旗村三组28号"]
    )
    persons.append(["GH-001", "张建国", zhang, "户主", "男", dt.date(1968, 3, 12)])
    persons.append(["GH-002", "李秀英", li, "户主", "女", dt.date(1959, 11, 2)])
    buildings.append(["GH-001", "1", "砖混结构", "住宅", 2, 1998, 186.4])
    buildings.append(["GH-002", "1", "砖木结构", "住宅", 1, 1985, 92.5])
    wb.save(target)
    return target


@pytest.mark.browser
def test_a_surveyor_imports_a_corrected_workbook_and_finds_the_households_in_the_list(
    world: SimpleNamespace, page: Any, base_url: str, screenshots: Path, tmp_path: Path
) -> None:
    LoginPage(page, base_url).open().log_in("surveyor", world.password)
    expect(HomePage(page, base_url).current_user).to_contain_text("surveyor")
    upload_page = SurveyImportPage(page, base_url, world.project.pk).open()

    template = upload_page.download_template(tmp_path)
    assert load_workbook(template).sheetnames[:4] == ["户表", "家庭成员", "房屋", "附属物"]

    report = upload_page.upload(fill_in(template, tmp_path / "村调查-有误.xlsx", phone="12345"))
    expect(report.status).to_have_attribute("data-status", "validated")
    expect(report.error_at("户表", 2, "联系电话")).to_be_visible()
    expect(report.errors.locator("tbody tr")).to_have_count(1)
    expect(report.errors_download).to_be_visible()
    expect(report.valid_count("households")).to_have_text("1")
    report.screenshot(screenshots / "survey-import-errors.png")
    assert not Household.objects.exists()

    upload_page = report.upload_again(world.project.pk)
    report = upload_page.upload(fill_in(template, tmp_path / "村调查.xlsx", phone="13805740001"))
    expect(report.errors).to_have_count(0)
    expect(report.valid_count("households")).to_have_text("2")
    report.confirm()

    expect(report.status).to_have_attribute("data-status", "done")
    expect(report.imported_count("households")).to_have_text("2")
    expect(report.imported_count("persons")).to_have_text("2")
    report.screenshot(screenshots / "survey-import-done.png")
    listing = report.open_household_list()
    expect(listing.rows).to_have_count(2)
    assert listing.codes() == ["GH-001", "GH-002"]
    assert Person.objects.filter(household__project=world.project).count() == 2
    assert Event.objects.filter(event_type="survey.import").count() == 1

    # The surveyor opens an imported household, attaches a site photo and previews it.
    page.locator("[data-testid=household-list] a", has_text="GH-001").first.click()
    page.wait_for_url("**/survey/households/*/")
    page.get_by_role("link", name="上传附件").first.click()
    form = page.locator("[data-testid=attachment-form]")
    form.locator("select[name=kind]").select_option("photo")
    form.locator("input[name=file]").set_input_files(_photo(tmp_path / "现场照片.png"))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    photo = page.locator("[data-testid=attachments] img").first
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.naturalWidth") == 40  # the browser decoded the preview
    preview = page.request.get(base_url + (photo.get_attribute("src") or ""))
    assert preview.headers["content-type"] == "image/png"
    assert preview.headers["content-disposition"].startswith("inline")
    page.screenshot(path=str(screenshots / "survey-household-photo.png"), full_page=True)
    assert Event.objects.filter(event_type="attachment.preview").exists()


def _photo(path: Path) -> Path:
    """A real 40×30 PNG (solid colour), written without an imaging library."""
    import struct
    import zlib

    width, height = 40, 30
    raw = b"".join(b"\x00" + b"\x8b\x1a\x1a" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(png)
    return path
