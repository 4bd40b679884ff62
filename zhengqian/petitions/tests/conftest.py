"""Petition personas on top of the `world` fixture: a signing officer of the project (records
and handles petitions), the project manager (deadlines, decisions), and helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements.tests.conftest import PDF_BYTES, agr  # noqa: F401  (the fixture)
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (the fixture)
from zhengqian.core.idcard import make_id_number
from zhengqian.petitions import services
from zhengqian.petitions.models import Channel, Petition
from zhengqian.testing.factories import UserFactory, grant
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (the fixtures)

ID_NUMBER = make_id_number("330203", dt.date(1970, 5, 1), 13)
OTHER_ID_NUMBER = make_id_number("330203", dt.date(1980, 6, 2), 24)


def today() -> dt.date:
    return timezone.localdate()


def pdf_upload(name: str = "doc.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def text_upload(name: str = "doc.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"not a document at all", content_type="application/pdf")


@pytest.fixture
def pet(world):  # type: ignore[no-untyped-def]
    officer = UserFactory(username="petition-officer", first_name="信访员")
    grant(officer, RoleCode.SIGNING_OFFICER, world.project)
    return SimpleNamespace(**vars(world), officer=officer)


def petition(c: Any, **changes: Any) -> Petition:
    kwargs: dict[str, Any] = {
        "actor": c.officer,
        "project": c.project,
        "channel": Channel.VISIT,
        "petitioner_name": "王建国",
        "id_number": ID_NUMBER,
        "phone": "13800001111",
        "received_on": today() - dt.timedelta(days=1),
        "request": "要求重新测量附属房面积。",
    }
    kwargs.update(changes)
    return services.petition_record(**kwargs)


def walk(c: Any, p: Petition, until: str = "closed") -> Petition:
    """Take the petition through its steps, each on the day it was received, up to `until`."""
    day = p.received_on
    o = c.officer
    steps: list[tuple[str, Callable[[Petition], Petition]]] = [
        ("assigned", lambda p: services.assign(actor=o, petition=p, assignee=o, assigned_on=day)),
        ("acknowledged", lambda p: services.acknowledge(actor=o, petition=p, acknowledged_on=day)),
        (
            "answered",
            lambda p: services.answer(actor=o, petition=p, answered_on=day, reply="已答复"),
        ),
        (
            "rated",
            lambda p: services.rate(
                actor=o, petition=p, satisfaction="satisfied", satisfaction_on=day
            ),
        ),
        ("closed", lambda p: services.close(actor=o, petition=p, closed_on=day)),
    ]
    order = ["received", *(status for status, _step in steps)]
    for status, step in steps[order.index(p.status) :]:
        p = step(p)
        if status == until:
            break
    return p


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    """Pages and messages in English: the assertions read the msgids, whatever the catalogue
    says."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
