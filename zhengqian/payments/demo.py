"""Demo data of the payments module, written by seed_demo for the first demo project.

Through the real services, as the office would do it, on the day of the seeding (the services
take no date before an approval made now): the finance officer records the project's funding
sources and the money that has arrived; the signing officer asks for the first instalment of most
households whose agreement is in force; finance approves and pays most of them, one transfer
comes back from the bank (the instalment is open again), the households' receipts are confirmed
for some, and a few requests wait in finance's queue.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengqian.accounts.models import User
from zhengqian.agreements.models import Agreement
from zhengqian.core.demo import DEMO_PASSWORD
from zhengqian.payments import services
from zhengqian.payments.models import FundKind, Instalment
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household

__all__ = ["PaymentCounts", "seed_payments"]

_BANKS = ("中国农业银行", "中国建设银行", "浙江农商银行", "中国工商银行")
# A one-page PDF standing for the scan of a signed receipt.
_RECEIPT = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@dataclass
class PaymentCounts:
    sources: int = 0
    receipts: int = 0
    plans: int = 0
    paid: int = 0
    requested: int = 0
    returned: int = 0


def _account_no(rng: random.Random) -> str:
    return "6228" + "".join(str(rng.randrange(10)) for _ in range(15))


def seed_payments(*, project: Project, users: dict[str, User], rng: random.Random) -> PaymentCounts:
    """Funds, payments and their receipts of the project; see the module's docstring."""
    counts = PaymentCounts()
    finance, handler = users["finance"], users["signer"]
    today = timezone.localdate()
    agreements = list(
        Agreement.objects.filter(project=project, payment_plan__isnull=False)
        .select_related("household")
        .order_by("signing_order")
    )
    counts.plans = len(agreements)
    committed = sum((a.total for a in agreements), Decimal("0"))
    budget = services.source_create(
        actor=finance,
        project=project,
        kind=FundKind.BUDGET,
        name="区级财政征收补偿专项资金",
        planned=(committed * Decimal("1.5")).quantize(Decimal("1")),
        reference="财预〔2026〕118号",
    )
    loan = services.source_create(
        actor=finance,
        project=project,
        kind=FundKind.LOAN,
        name="国家开发银行城市更新专项贷款",
        planned=(committed * 2).quantize(Decimal("1")),
        reference="开行浙贷〔2026〕36号",
    )
    counts.sources = 2
    for source, share, number in (
        (budget, Decimal("0.6"), "ZJ-001"),
        (loan, Decimal("0.3"), "ZJ-002"),
    ):
        services.receipt_record(
            actor=finance,
            source=source,
            amount=(committed * share).quantize(Decimal("0.01")) or Decimal("1000000.00"),
            received_on=today,
            document_no=number,
            note="专户到账",
        )
        counts.receipts += 1
    first = [
        Instalment.objects.get(plan__agreement=a, position=1)
        for a in agreements
        if a.payment_plan.instalments.filter(position=1, met_on__isnull=False).exists()
    ]
    for n, instalment in enumerate(first):
        payment = services.request(actor=handler, instalment=instalment)
        if n % 5 == 4:
            counts.requested += 1  # waits in finance's queue
            continue
        payment = services.approve(actor=finance, payment=payment, password=DEMO_PASSWORD)
        household = Household.objects.get(pk=instalment.account.household_id)
        payment = services.record_paid(
            actor=finance,
            payment=payment,
            payee=household.head_name,
            bank=rng.choice(_BANKS),
            account_no=_account_no(rng),
            voucher_no=f"付{today:%Y%m%d}-{n + 1:03d}",
            paid_on=today,
        )
        if n == 2:
            services.record_failure(
                actor=finance,
                payment=payment,
                reason="户名与账号不符，银行退回",
                failed_on=today,
            )
            counts.returned += 1
            continue
        counts.paid += 1
        if n % 2 == 0:
            services.confirm_receipt(
                actor=finance,
                payment=payment,
                receipt=SimpleUploadedFile(
                    f"receipt-{payment.pk}.pdf", _RECEIPT, content_type="application/pdf"
                ),
            )
    return counts
