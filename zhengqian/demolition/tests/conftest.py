"""Demolition personas on top of the payment fixtures: household H-001's agreement in force, a
demolition officer, and helpers that record each site step with a complete, valid record
(change any part by keyword)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengqian.agreements.tests.conftest import pdf_upload
from zhengqian.demolition import services
from zhengqian.demolition.models import Checkpoint
from zhengqian.payments.tests.conftest import (  # noqa: F401  (the fixtures)
    agr,
    chosen,
    comp,
    pay,
    png_upload,
    val,
)

__all__ = ["clearing", "demolishing", "inspecting", "pdf_upload", "png_upload", "vacating"]

# The first bytes of a JPEG file.
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def jpeg_upload(name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, JPEG_BYTES, content_type="image/jpeg")


def text_upload(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"not an image at all", content_type="image/png")


def today() -> dt.date:
    return timezone.localdate()


def vacating(c: Any, **changes: Any) -> Any:
    kwargs: dict[str, Any] = {
        "actor": c.demolisher,
        "household": c.household,
        "accepted_on": today(),
        "keys_handed_over": True,
        "water_closed": True,
        "power_closed": True,
        "gas_closed": True,
        "household_signatory": c.household.head_name,
        "accepted_by": c.demolisher,
        "witness": c.officer,
        "form_scan": pdf_upload(),
        "photos": [png_upload()],
        "note": "钥匙两把",
    }
    kwargs.update(changes)
    return services.vacate(**kwargs)


def demolishing(c: Any, **changes: Any) -> Any:
    kwargs: dict[str, Any] = {
        "actor": c.demolisher,
        "household": c.household,
        "contractor": "某某拆除工程有限公司",
        "demolished_on": today(),
        "photos": [png_upload(), jpeg_upload()],
    }
    kwargs.update(changes)
    return services.demolish(**kwargs)


def clearing(c: Any, **changes: Any) -> Any:
    kwargs: dict[str, Any] = {
        "actor": c.demolisher,
        "household": c.household,
        "haulier": "某某渣土运输公司",
        "cleared_on": today(),
        "disposal_site": "城东建筑垃圾消纳场",
    }
    kwargs.update(changes)
    return services.clear(**kwargs)


def all_passed() -> dict[str, bool]:
    return {c.value: True for c in Checkpoint}


def inspecting(c: Any, **changes: Any) -> Any:
    kwargs: dict[str, Any] = {
        "actor": c.demolisher,
        "household": c.household,
        "inspected_on": today(),
        "findings": all_passed(),
    }
    kwargs.update(changes)
    return services.inspect(**kwargs)
