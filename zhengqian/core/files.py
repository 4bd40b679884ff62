"""Serving a stored upload (a scan, a photo, a document) to a user who may see it."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}


def serve_stored(stored: Any, name: str, *, as_attachment: bool = False) -> FileResponse:
    """The file under `name` plus its stored extension, of its type (PDF, JPEG, PNG), never
    cached by a shared proxy or the browser's disk (uploads carry personal data), never
    sniffed into another type. A missing file is a 404, not a server error."""
    if not stored:
        raise Http404(_("There is no such file."))
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("The file is missing from the storage.")) from exc
    extension = stored.name.rsplit(".", 1)[-1].lower() if "." in stored.name else ""
    response = FileResponse(
        handle,
        as_attachment=as_attachment,
        filename=f"{name}.{extension or 'bin'}",
        content_type=CONTENT_TYPES.get(extension) or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
