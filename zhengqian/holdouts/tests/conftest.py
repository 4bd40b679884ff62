"""Holdout personas on top of the payment fixtures: household H-001's agreement in force, an
unsigned household H-002 in the same project and work group, helpers that set the deadlines
and record a valid case or negotiation (change any part by keyword)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengqian.agreements.models import Agreement
from zhengqian.agreements.tests.conftest import pdf_upload
from zhengqian.compensation.models import CollectiveDecision, Policy
from zhengqian.holdouts import services
from zhengqian.ownership.tests.conftest import make_household
from zhengqian.payments.tests.conftest import (  # noqa: F401  (the fixtures)
    agr,
    chosen,
    comp,
    pay,
    png_upload,
    val,
)

__all__ = [
    "decision",
    "negotiating",
    "opening",
    "pdf_upload",
    "png_upload",
    "set_deadlines",
    "text_upload",
    "today",
    "unsigned",
]


def today() -> dt.date:
    return timezone.localdate()


def text_upload(name: str = "minutes.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"not a pdf at all", content_type="application/pdf")


def set_deadlines(
    c: Any,
    *,
    signing_end: dt.date | None = None,
    effective_on: dt.date | None = None,
    vacate_days: int = 30,
) -> None:
    """The policy's end of the signing period and vacating days, and the day H-001's agreement
    took effect."""
    Policy.objects.filter(pk=c.policy.pk).update(
        signing_period_end=signing_end, vacate_within_days=vacate_days
    )
    if effective_on is not None:
        Agreement.objects.filter(pk=c.agreement.pk).update(effective_on=effective_on)


def unsigned(c: Any, code: str = "H-002") -> Any:
    return make_household(c.project, code=code, work_group=c.world.group)


def decision(project: Any, by: Any) -> CollectiveDecision:
    return CollectiveDecision.objects.create(
        project=project,
        meeting_date=today(),
        participants="指挥部班子成员",
        decision="该户另给困难补助",
        document="compensation/decisions/x.pdf",
        recorded_by=by,
    )


def opening(c: Any, household: Any = None, **changes: Any) -> Any:
    kwargs: dict[str, Any] = {
        "actor": c.officer,
        "household": household if household is not None else c.household,
        "team_name": "第一攻坚清零小组",
        "leader": c.officer,
        "members": [c.officer2, c.cadre],
        "family_analysis": "户主年迈",
        "property_analysis": "附属用房有争议",
    }
    kwargs.update(changes)
    return services.case_open(**kwargs)


def negotiating(c: Any, case: Any, **changes: Any) -> Any:
    kwargs: dict[str, Any] = {
        "actor": c.officer,
        "case": case,
        "held_on": today(),
        "place": "指挥部会议室",
        "household_participants": "户主及长子",
        "office_participants": [c.officer, c.cadre],
        "offered": "按方案补偿",
        "response": "再考虑",
        "amount": None,
        "decision": None,
        "attachments": [pdf_upload(), png_upload()],
    }
    kwargs.update(changes)
    return services.negotiate(**kwargs)


ONE_FEN = Decimal("0.01")
