"""Payment personas on top of the agreement fixtures: household H-001's agreement signed and
in force (its policy pays 70 % when the agreement takes effect, the rest within 15 days of
vacating), two finance officers, a demolition officer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements import services as agreements
from zhengqian.agreements.tests.conftest import agr, pdf_upload, signing  # noqa: F401
from zhengqian.compensation.models import Policy
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (the fixture)
from zhengqian.payments import services
from zhengqian.payments.models import HouseholdAccount
from zhengqian.testing.factories import PASSWORD, UserFactory, grant
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (the fixtures)

# A 1×1 PNG.
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


@pytest.fixture
def pay(agr):  # type: ignore[no-untyped-def]  # noqa: F811
    Policy.objects.filter(pk=agr.calculation.policy_id).update(
        payment_first_percent=Decimal("70.00"), payment_due_days=15
    )
    agr.calculation.policy.refresh_from_db()
    finance = UserFactory(username="finance", first_name="财务")
    finance2 = UserFactory(username="finance2", first_name="复核财务")
    demolisher = UserFactory(username="demolisher", first_name="拆除员")
    grant(finance, RoleCode.FINANCE_OFFICER, agr.project)
    grant(finance2, RoleCode.FINANCE_OFFICER, agr.project)
    grant(demolisher, RoleCode.DEMOLITION_OFFICER, agr.project)
    agreement = agreements.draft(actor=agr.officer, calculation=agr.calculation)
    agreement = signing(agr, agreement)
    account = HouseholdAccount.objects.get(agreement=agreement)
    return SimpleNamespace(
        **vars(agr),
        finance=finance,
        finance2=finance2,
        demolisher=demolisher,
        agreement=agreement,
        account=account,
    )


def pay_out(c: Any, instalment: Any, *, paid_on: dt.date | None = None, **changes: Any) -> Any:
    """Request (handler), approve (finance2) and record the transfer (finance) of an
    instalment; any argument of record_paid can be changed by keyword."""
    payment = services.request(actor=c.officer, instalment=instalment)
    payment = services.approve(actor=c.finance2, payment=payment, password=PASSWORD)
    kwargs: dict[str, Any] = {
        "actor": c.finance,
        "payment": payment,
        "payee": c.household.head_name,
        "bank": "农村商业银行",
        "account_no": "6222021234567890123",
        "voucher_no": f"FK-{instalment.pk:04d}",
        "paid_on": paid_on or timezone.localdate(),
    }
    kwargs.update(changes)
    return services.record_paid(**kwargs)
