"""Attachments of the survey (survey forms, photos, certificates, measurement drawings).

A file's type is decided by its content, never by its name or the browser's Content-Type: the
first bytes must be those of an allowed format, and the name's extension must agree with it (a
PDF named ``photo.jpg`` is refused). Files go through Django's storage API (local disk by
default, S3-compatible object storage in production) and are served back through a view that
checks the user's scope and records the read.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from typing import IO, Any, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record, record_read
from zhengqian.core.selectors import dictionary
from zhengqian.core.updates import lock
from zhengqian.survey.models import Attachment, Building, Household
from zhengqian.survey.permissions import require_household, require_unlocked

__all__ = [
    "ALLOWED_TYPES",
    "FileType",
    "attachment_create",
    "attachment_delete",
    "attachment_response",
    "check_upload",
    "max_upload_bytes",
    "sniff",
]

_CHUNK: Final = 64 * 1024
# Enough of the start of a file for every signature below.
_HEAD: Final = 16


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str  # the extension the stored file gets
    extensions: frozenset[str]  # the extensions a name of this type may have
    previewable: bool  # shown in the browser (inline) rather than only downloaded


JPEG: Final = FileType("image/jpeg", "jpg", frozenset({"jpg", "jpeg", "jpe"}), True)
PNG: Final = FileType("image/png", "png", frozenset({"png"}), True)
PDF: Final = FileType("application/pdf", "pdf", frozenset({"pdf"}), True)
DOCX: Final = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
    frozenset({"docx"}),
    False,
)
XLSX: Final = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
    frozenset({"xlsx"}),
    False,
)
ALLOWED_TYPES: Final = (JPEG, PNG, PDF, DOCX, XLSX)

# The part every Office Open XML package of that kind has (ECMA-376 part 2).
_OOXML_MAIN_PART: Final = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX}


def max_upload_bytes() -> int:
    return int(getattr(settings, "ZQ_ATTACHMENT_MAX_MB", 20)) * 1024 * 1024


def _ooxml_type(file: IO[bytes]) -> FileType | None:
    """DOCX or XLSX by the package's main part. Only the zip directory is read: nothing is
    decompressed, so a zip bomb costs nothing here."""
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    # A macro-enabled document renamed to .docx / .xlsx carries its macros in this part.
    if any(name.endswith("vbaProject.bin") for name in names):
        return None
    for part, file_type in _OOXML_MAIN_PART.items():
        if part in names:
            return file_type
    return None


def sniff(file: IO[bytes]) -> FileType | None:
    """The allowed type the content is, by its magic bytes; None if it is none of them."""
    file.seek(0)
    head = file.read(_HEAD)
    file.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        found = _ooxml_type(file)
        file.seek(0)
        return found
    return None


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _sha256(file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(_CHUNK), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def check_upload(upload: UploadedFile) -> FileType:
    """The file's type if it may be stored; a ValidationError on the "file" field otherwise."""
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": ValidationError(_("The file is empty."), code="empty")})
    limit = max_upload_bytes()
    if size > limit:
        message = _("The file is %(size).1f MB; at most %(limit)d MB may be uploaded.") % {
            "size": size / 1024 / 1024,
            "limit": limit // 1024 // 1024,
        }
        raise ValidationError({"file": ValidationError(message, code="too_large")})
    file_type = sniff(upload)
    if file_type is None:
        message = _(
            "The content of this file is not a JPEG or PNG image, a PDF, or a Word or Excel "
            "document (.docx, .xlsx) without macros."
        )
        raise ValidationError({"file": ValidationError(message, code="type")})
    extension = _extension(upload.name or "")
    if extension not in file_type.extensions:
        message = _(
            "The file is named .%(extension)s but its content is %(actual)s: rename it or "
            "choose the right file."
        ) % {"extension": extension or "?", "actual": file_type.extension.upper()}
        raise ValidationError({"file": ValidationError(message, code="type_mismatch")})
    return file_type


def _snapshot(attachment: Attachment) -> dict[str, Any]:
    return {
        "kind": attachment.kind,
        "building": attachment.building_id,
        "original_name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "file": attachment.file.name,
    }


@transaction.atomic
def attachment_create(
    *,
    actor: Any,
    household: Household,
    kind: str,
    upload: UploadedFile,
    building: Building | None = None,
) -> Attachment:
    """Check and store one file of a household (or of one of its buildings).

    Adding a document to a household whose confirmation is locked is allowed: it changes no
    surveyed figure, and late evidence (a photo, a certificate found later) belongs in the file;
    removing one is not (attachment_delete).

    The file is written before the row; if the row or its audit event fails, the file is
    removed again. Called inside a larger transaction that rolls back later, the stored file
    stays behind without a row: an orphan file is harmless, a row without its file is not.
    """
    require_household(actor, household, Module.SURVEY, Action.CHANGE)
    if building is not None and building.household_id != household.pk:
        raise ValidationError({"building": _("The building must belong to this household.")})
    if not dictionary("document_kind").filter(code=kind).exists():
        raise ValidationError({"kind": _("Choose a document kind from the list.")})
    file_type = check_upload(upload)
    original = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    attachment = Attachment(
        household=household,
        building=building,
        kind=kind,
        original_name=original,
        content_type=file_type.content_type,
        size=upload.size or 0,
        sha256=_sha256(upload),
        uploaded_by=actor,
    )
    # The stored name gets the extension of the detected type (models.attachment_path).
    attachment.file.save(f"upload.{file_type.extension}", upload, save=False)
    stored = attachment.file.name
    try:
        attachment.full_clean()
        attachment.save()
        record(
            actor=actor,
            event_type="attachment.create",
            target=attachment,
            project=household.project_id,
            changes={k: [None, v] for k, v in _snapshot(attachment).items() if v is not None},
            details={"household": household.pk},
        )
    except BaseException:
        attachment.file.storage.delete(stored)
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, actor: Any, attachment: Attachment) -> None:
    """Remove a document: refused once the household's confirmation is locked (evidence)."""
    household = attachment.household
    require_household(actor, household, Module.SURVEY, Action.CHANGE)
    require_unlocked(household)
    attachment = lock(attachment)
    stored, storage = attachment.file.name, attachment.file.storage
    record(
        actor=actor,
        event_type="attachment.delete",
        target=attachment,
        project=household.project_id,
        changes={k: [v, None] for k, v in _snapshot(attachment).items() if v is not None},
        details={"household": household.pk},
    )
    attachment.delete()
    # The file goes only once the row is gone for good.
    transaction.on_commit(lambda: storage.delete(stored))


def attachment_response(*, actor: Any, attachment: Attachment, inline: bool) -> FileResponse:
    """The file itself, inline (images and PDFs, for the preview) or as a download; either way
    an audited read. The caller has checked that the actor may see the household."""
    if inline and not attachment.previewable:
        raise ValidationError(_("This file type cannot be shown in the browser."), code="inline")
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("The file is missing from the storage.")) from exc
    record_read(
        actor=actor,
        event_type="attachment.preview" if inline else "attachment.download",
        target=attachment,
        project=attachment.household.project_id,
        details={"household": attachment.household_id, "sha256": attachment.sha256},
    )
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.original_name or f"file.{_extension(attachment.file.name)}",
        content_type=attachment.content_type,
    )
    # Personal documents: never kept by a shared proxy or the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    return response
