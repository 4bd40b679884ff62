"""Legal personas on top of the agreement fixtures: household H-001 of project A (state-owned
land) has an approved calculation and no agreement; the signing period ended on 31 March 2025
and the office's today is fixed in January 2026, inside the years the holiday calendar knows."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation

from zhengqian.agreements.tests.conftest import agr, pdf_upload  # noqa: F401  (the fixture)
from zhengqian.compensation.models import Policy
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (the fixture)
from zhengqian.legal import services
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (the fixtures)

SIGNING_END = dt.date(2025, 3, 31)
TODAY = dt.date(2026, 1, 20)
DECIDED = dt.date(2025, 4, 1)
SERVED = dt.date(2025, 4, 3)


def set_today(monkeypatch: Any, day: dt.date) -> None:
    monkeypatch.setattr(services, "today", lambda: day)


@pytest.fixture
def legal(agr, monkeypatch):  # type: ignore[no-untyped-def]  # noqa: F811
    Policy.objects.filter(pk=agr.calculation.policy_id).update(signing_period_end=SIGNING_END)
    set_today(monkeypatch, TODAY)
    return SimpleNamespace(**vars(agr), monkeypatch=monkeypatch)


def opened(c: Any, path: str = "state_owned_decision") -> Any:
    return services.open_proceeding(actor=c.pm, household=c.household, path=path)


def step(c: Any, proceeding: Any, code: str, day: dt.date, **changes: Any) -> Any:
    kwargs: dict[str, Any] = {
        "actor": c.pm,
        "proceeding": proceeding,
        "code": code,
        "done_on": day,
        "document_no": f"征补决字〔2025〕{code}号",
    }
    kwargs.update(changes)
    return services.record_step(**kwargs)


def served(c: Any, path: str = "state_owned_decision") -> Any:
    """A proceeding whose decision was made on 1 April 2025 and served on 3 April."""
    proceeding = opened(c, path)
    step(c, proceeding, "decision", DECIDED, document=pdf_upload())
    step(c, proceeding, "served", SERVED)
    return proceeding


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    """Pages and messages in English: the assertions read the msgids, whatever the catalogue
    says."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
