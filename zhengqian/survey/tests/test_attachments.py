"""Attachments: the type comes from the content (magic bytes), the size is limited, files go
through the storage API, and previews and downloads are audited reads."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengqian.audit.models import Event, EventKind
from zhengqian.survey import attachments
from zhengqian.survey.models import Attachment
from zhengqian.survey.tests.test_services import (
    lock_confirmation,
    make_building,
    make_household,
)


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, grey) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG = png_bytes()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def ooxml(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(main_part, "<document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):  # type: ignore[no-untyped-def]
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


class TestSniffing:
    @pytest.mark.parametrize(
        ("content", "expected"),
        [
            (JPEG, "image/jpeg"),
            (PNG, "image/png"),
            (PDF, "application/pdf"),
            (ooxml("word/document.xml"), attachments.DOCX.content_type),
            (ooxml("xl/workbook.xml"), attachments.XLSX.content_type),
        ],
    )
    def test_allowed_types_are_recognised_by_their_content(self, content, expected):  # type: ignore[no-untyped-def]
        found = attachments.sniff(io.BytesIO(content))
        assert found is not None and found.content_type == expected

    @pytest.mark.parametrize(
        "content",
        [
            b"<html><script>alert(1)</script></html>",
            b"MZ\x90\x00executable",
            b"GIF89a\x01\x00\x01\x00",
            b"PK\x03\x04 not really a zip",
            b"",
        ],
    )
    def test_anything_else_is_none(self, content):  # type: ignore[no-untyped-def]
        assert attachments.sniff(io.BytesIO(content)) is None

    def test_a_macro_enabled_document_is_none(self):  # type: ignore[no-untyped-def]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            package.writestr("[Content_Types].xml", "<Types/>")
            package.writestr("word/document.xml", "<document/>")
            package.writestr("word/vbaProject.bin", b"\x00macro")
        assert attachments.sniff(buffer) is None

    def test_a_zip_that_is_no_office_document_is_none(self):  # type: ignore[no-untyped-def]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            package.writestr("word/document.xml", "<document/>")  # no [Content_Types].xml
        assert attachments.sniff(buffer) is None


@pytest.fixture
def household(world):  # type: ignore[no-untyped-def]
    return make_household(world.project, work_group=world.group)


def upload_url(household) -> str:  # type: ignore[no-untyped-def]
    return f"/survey/households/{household.pk}/attachments/new/"


def post_file(client, household, name: str, content: bytes, **extra):  # type: ignore[no-untyped-def]
    return client.post(
        upload_url(household), {"kind": "photo", "file": upload(name, content), **extra}
    )


@pytest.mark.django_db
class TestUpload:
    def test_a_png_is_stored_under_a_name_of_its_own_with_its_checksum(  # type: ignore[no-untyped-def]
        self, world, household, login, media
    ):
        client = login(world.surveyor)
        assert client.get(upload_url(household)).status_code == 200
        r = post_file(client, household, "门头照片.PNG", PNG)
        assert r.status_code == 302 and r.url.endswith("#attachments")
        a = Attachment.objects.get()
        assert a.content_type == "image/png" and a.size == len(PNG)
        assert a.sha256 == hashlib.sha256(PNG).hexdigest()
        assert a.original_name == "门头照片.PNG" and a.uploaded_by == world.surveyor
        assert a.file.name.startswith(f"survey/{world.project.pk}/{household.pk}/")
        assert a.file.name.endswith(".png") and "门头" not in a.file.name
        assert (media / a.file.name).read_bytes() == PNG
        [event] = Event.objects.filter(event_type="attachment.create")
        assert event.changes["sha256"] == [None, a.sha256]
        assert event.changes["original_name"] == [None, "门头照片.PNG"]

    def test_a_pdf_named_jpg_is_refused(self, world, household, login, media):  # type: ignore[no-untyped-def]
        r = post_file(login(world.surveyor), household, "photo.jpg", PDF)
        assert r.status_code == 400 and 'data-field-error="file"' in r.content.decode()
        assert not Attachment.objects.exists() and stored_files(media) == []

    def test_a_file_whose_content_is_not_allowed_is_refused_whatever_its_name(  # type: ignore[no-untyped-def]
        self, world, household, login, media
    ):
        html = b"<html><body>phishing</body></html>"
        r = post_file(login(world.surveyor), household, "scan.pdf", html)
        assert r.status_code == 400 and not Attachment.objects.exists()
        assert stored_files(media) == []

    def test_an_xlsx_named_docx_is_refused(self, world, household, login):  # type: ignore[no-untyped-def]
        r = post_file(login(world.surveyor), household, "表.docx", ooxml("xl/workbook.xml"))
        assert r.status_code == 400 and not Attachment.objects.exists()

    def test_a_word_document_is_accepted(self, world, household, login):  # type: ignore[no-untyped-def]
        r = post_file(login(world.surveyor), household, "调查表.docx", ooxml("word/document.xml"))
        assert r.status_code == 302
        assert Attachment.objects.get().content_type == attachments.DOCX.content_type

    def test_a_file_over_the_limit_is_refused(self, world, household, login, settings, media):  # type: ignore[no-untyped-def]
        settings.ZQ_ATTACHMENT_MAX_MB = 1
        big = PNG + b"\x00" * (1024 * 1024)
        r = post_file(login(world.surveyor), household, "big.png", big)
        assert r.status_code == 400 and 'data-field-error="file"' in r.content.decode()
        assert not Attachment.objects.exists() and stored_files(media) == []
        assert post_file(login(world.surveyor), household, "ok.png", PNG).status_code == 302

    def test_a_file_is_attached_to_a_building_of_the_household_only(self, world, household, login):  # type: ignore[no-untyped-def]
        own = make_building(household, number="1")
        foreign = make_building(make_household(world.project, code="H-002"), number="1")
        client = login(world.surveyor)
        r = post_file(client, household, "a.png", PNG, building=foreign.pk)
        assert r.status_code == 400 and not Attachment.objects.exists()
        r = post_file(client, household, "a.png", PNG, building=own.pk)
        assert r.status_code == 302 and Attachment.objects.get().building == own

    def test_a_document_kind_must_come_from_the_dictionary(self, world, household, login):  # type: ignore[no-untyped-def]
        r = login(world.surveyor).post(
            upload_url(household), {"kind": "selfie", "file": upload("a.png", PNG)}
        )
        assert r.status_code == 400 and not Attachment.objects.exists()

    def test_evidence_may_still_be_added_once_the_household_is_locked(
        self, world, household, login
    ):  # type: ignore[no-untyped-def]
        lock_confirmation(household)
        assert post_file(login(world.surveyor), household, "a.png", PNG).status_code == 302

    def test_an_accountant_is_refused(self, world, household, login):  # type: ignore[no-untyped-def]
        client = login(world.accountant)
        assert client.get(upload_url(household)).status_code == 403
        assert post_file(client, household, "a.png", PNG).status_code == 403
        assert not Attachment.objects.exists()

    def test_another_projects_surveyor_gets_404(self, world, household, login):  # type: ignore[no-untyped-def]
        assert post_file(login(world.other_surveyor), household, "a.png", PNG).status_code == 404

    def test_a_group_surveyor_gets_404_for_another_groups_household(self, world, login):  # type: ignore[no-untyped-def]
        theirs = make_household(world.project, code="H-009", work_group=world.other_group)
        assert post_file(login(world.group_surveyor), theirs, "a.png", PNG).status_code == 404

    def test_put_is_refused(self, world, household, login):  # type: ignore[no-untyped-def]
        assert login(world.surveyor).put(upload_url(household)).status_code == 405


@pytest.fixture
def stored(world, household, login):  # type: ignore[no-untyped-def]
    """A PNG and a Word document uploaded by the surveyor."""
    client = login(world.surveyor)
    assert post_file(client, household, "照片.png", PNG).status_code == 302
    assert post_file(client, household, "表.docx", ooxml("word/document.xml")).status_code == 302
    return (
        Attachment.objects.get(content_type="image/png"),
        Attachment.objects.get(original_name="表.docx"),
    )


@pytest.mark.django_db
class TestServing:
    def test_a_png_previews_inline_as_image_png_and_the_read_is_recorded(  # type: ignore[no-untyped-def]
        self, world, stored, login
    ):
        png, _docx = stored
        r = login(world.accountant).get(f"/survey/attachments/{png.pk}/preview/")
        assert r.status_code == 200 and b"".join(r.streaming_content) == PNG
        assert r["Content-Type"] == "image/png"
        assert r["Content-Disposition"].startswith("inline")
        assert r["X-Frame-Options"] == "SAMEORIGIN"  # the household page may frame it
        assert r["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in r["Cache-Control"]
        [event] = Event.objects.filter(event_type="attachment.preview")
        assert event.kind == EventKind.READ and event.actor_id == world.accountant.pk
        assert event.target_id == str(png.pk) and event.details["sha256"] == png.sha256

    def test_the_download_is_an_attachment_and_recorded(self, world, stored, login):  # type: ignore[no-untyped-def]
        png, docx = stored
        client = login(world.surveyor)
        r = client.get(f"/survey/attachments/{docx.pk}/download/")
        assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
        assert r["Content-Type"] == attachments.DOCX.content_type
        assert r["X-Frame-Options"] == "DENY"  # the site default outside the preview
        r = client.get(f"/survey/attachments/{png.pk}/download/")
        assert r["Content-Disposition"].startswith("attachment")
        assert (
            Event.objects.filter(event_type="attachment.download", kind=EventKind.READ).count() == 2
        )

    def test_a_word_document_has_no_preview(self, world, stored, login):  # type: ignore[no-untyped-def]
        _png, docx = stored
        assert (
            login(world.surveyor).get(f"/survey/attachments/{docx.pk}/preview/").status_code == 404
        )
        assert not Event.objects.filter(event_type="attachment.preview").exists()

    def test_the_household_page_shows_the_thumbnail_and_links(
        self, world, household, stored, login
    ):  # type: ignore[no-untyped-def]
        png, docx = stored
        body = login(world.surveyor).get(f"/survey/households/{household.pk}/").content.decode()
        assert f'<img src="/survey/attachments/{png.pk}/preview/"' in body
        assert f"/survey/attachments/{docx.pk}/download/" in body
        assert f"/survey/attachments/{docx.pk}/preview/" not in body

    def test_another_projects_staff_get_404(self, world, stored, login):  # type: ignore[no-untyped-def]
        png, _docx = stored
        client = login(world.other_surveyor)
        assert client.get(f"/survey/attachments/{png.pk}/preview/").status_code == 404
        assert client.get(f"/survey/attachments/{png.pk}/download/").status_code == 404

    def test_a_viewer_gets_403(self, world, stored, login):  # type: ignore[no-untyped-def]
        png, _docx = stored
        assert login(world.viewer).get(f"/survey/attachments/{png.pk}/download/").status_code == 403

    def test_post_is_refused(self, world, stored, login):  # type: ignore[no-untyped-def]
        png, _docx = stored
        client = login(world.surveyor)
        assert client.post(f"/survey/attachments/{png.pk}/preview/").status_code == 405
        assert client.post(f"/survey/attachments/{png.pk}/download/").status_code == 405


@pytest.mark.django_db
class TestDelete:
    def test_the_surveyor_deletes_a_file_and_it_leaves_the_storage(  # type: ignore[no-untyped-def]
        self, world, stored, login, media, django_capture_on_commit_callbacks
    ):
        png, _docx = stored
        client = login(world.surveyor)
        assert client.get(f"/survey/attachments/{png.pk}/delete/").status_code == 405
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(f"/survey/attachments/{png.pk}/delete/")
        assert r.status_code == 302 and not Attachment.objects.filter(pk=png.pk).exists()
        assert not (media / png.file.name).exists()
        [event] = Event.objects.filter(event_type="attachment.delete")
        assert event.changes["sha256"] == [png.sha256, None]

    def test_a_locked_household_keeps_its_files(self, world, household, stored, login, media):  # type: ignore[no-untyped-def]
        png, _docx = stored
        lock_confirmation(household)
        login(world.surveyor).post(f"/survey/attachments/{png.pk}/delete/")
        assert Attachment.objects.filter(pk=png.pk).exists() and (media / png.file.name).exists()

    def test_an_accountant_may_not_delete(self, world, stored, login):  # type: ignore[no-untyped-def]
        png, _docx = stored
        assert (
            login(world.accountant).post(f"/survey/attachments/{png.pk}/delete/").status_code == 403
        )
        assert Attachment.objects.filter(pk=png.pk).exists()
