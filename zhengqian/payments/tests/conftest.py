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
from zhengqian.payments.models import FundKind, HouseholdAccount, LedgerEntry
from zhengqian.testing.factories import PASSWORD, UserFactory, grant
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (the fixtures)

# A 1×1 PNG.
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


# What the `pay` fixture puts in the project's account before the agreement is signed.
FUND_SOURCE = "区级财政征收补偿专项资金"
FUND_PLANNED = Decimal("100000000.00")
FUNDED = Decimal("50000000.00")
FUNDED_DOCUMENT = "ZJ-0001"


def ledger() -> Any:
    """The ledger's entries other than the `pay` fixture's receipt of funds."""
    return LedgerEntry.objects.exclude(receipt__document_no=FUNDED_DOCUMENT)


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def paying(base: Any, *, funded: Decimal | None = FUNDED) -> SimpleNamespace:
    """The `pay` state on top of the agreement fixture; `funded` is the receipt recorded in the
    project's account before the agreement is signed (None: no funding source, no receipt)."""
    Policy.objects.filter(pk=base.calculation.policy_id).update(
        payment_first_percent=Decimal("70.00"), payment_due_days=15
    )
    base.calculation.policy.refresh_from_db()
    finance = UserFactory(username="finance", first_name="财务")
    finance2 = UserFactory(username="finance2", first_name="复核财务")
    demolisher = UserFactory(username="demolisher", first_name="拆除员")
    grant(finance, RoleCode.FINANCE_OFFICER, base.project)
    grant(finance2, RoleCode.FINANCE_OFFICER, base.project)
    grant(demolisher, RoleCode.DEMOLITION_OFFICER, base.project)
    if funded is not None:
        # The project's account holds the money before anything is paid out of it.
        source = services.source_create(
            actor=finance,
            project=base.project,
            kind=FundKind.BUDGET,
            name=FUND_SOURCE,
            planned=FUND_PLANNED,
        )
        services.receipt_record(
            actor=finance,
            source=source,
            amount=funded,
            received_on=timezone.localdate(),
            document_no=FUNDED_DOCUMENT,
        )
    agreement = agreements.draft(actor=base.officer, calculation=base.calculation)
    agreement = signing(base, agreement)
    account = HouseholdAccount.objects.get(agreement=agreement)
    return SimpleNamespace(
        **vars(base),
        finance=finance,
        finance2=finance2,
        demolisher=demolisher,
        agreement=agreement,
        account=account,
    )


@pytest.fixture
def pay(agr):  # type: ignore[no-untyped-def]  # noqa: F811
    return paying(agr)


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
