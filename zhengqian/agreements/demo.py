"""Demo data of the agreements module, written by seed_demo for the first demo project.

Through the real services, as the office would do it: the project manager uploads the sample
template of every kind of agreement and sets the number pattern; the signing officer drafts the
agreements of about two thirds of the approved calculations and records the signing of about half
of them, with the head of household as signatory, the four office signatures (the leader of the
household's work group, the village or community cadre, the signing officer as handler and the
policy reviewer who approved the calculation) and the scan.

The services accept a signing time only between the drafting and now, and in the order of the
signing order numbers, so the demo's agreements are all signed a moment after they are drafted:
on the day of the seeding, which is also the signing date the calculations assumed.
"""

from __future__ import annotations

import functools
import math
import random
import re
from dataclasses import dataclass
from typing import Final

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengqian.accounts.models import User
from zhengqian.agreements import services
from zhengqian.agreements.models import Agreement, OfficeCapacity, PartyCapacity
from zhengqian.agreements.samples import KINDS, sample_template
from zhengqian.compensation.models import Calculation, CalculationStatus
from zhengqian.projects.models import Project
from zhengqian.projects.procedures import ProjectKind

__all__ = ["AgreementCounts", "seed_agreements"]

_TITLES: Final = {
    "cash": "房屋征收货币补偿协议（统一文本）",
    "exchange": "房屋征收产权调换协议（统一文本）",
    "voucher": "房屋征收房票安置协议（统一文本）",
    "non_residential": "非住宅房屋征收补偿协议（统一文本）",
    "supplement": "房屋征收补偿补充协议（统一文本）",
}
# The mark of the land in the agreement numbers: 国 state-owned, 集 collective, 协 negotiated.
_NUMBER_MARK: Final = {
    ProjectKind.STATE_OWNED: "国",
    ProjectKind.SHANTYTOWN: "国",
    ProjectKind.COLLECTIVE: "集",
    ProjectKind.AGREEMENT: "协",
}
_DOCX: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DRAFTED_SHARE: Final = (2, 3)
# Each draft renders its Word file and PDF (a few tenths of a second): enough to show them.
MAX_DRAFTED: Final = 40
SIGNED_SHARE: Final = (1, 2)


@functools.cache
def _sample(kind: str) -> bytes:
    # Built once per process: the same bytes serve every seeding (and every test that seeds).
    return sample_template(kind)


@dataclass
class AgreementCounts:
    templates: int = 0
    drafted: int = 0
    signed: int = 0


def seed_agreements(
    *, project: Project, users: dict[str, User], rng: random.Random
) -> AgreementCounts:
    """Templates, numbering, drafts and signings of the project; see the module's docstring."""
    counts = AgreementCounts()
    manager, signer = users["pm"], users["signer"]
    for kind in KINDS:
        services.template_upload(
            actor=manager,
            project=project,
            kind=kind,
            title=_TITLES[kind],
            file=SimpleUploadedFile(f"{kind}.docx", _sample(kind), content_type=_DOCX),
        )
        counts.templates += 1
    mark = _NUMBER_MARK.get(ProjectKind(project.kind), "征")
    services.pattern_set(actor=manager, project=project, pattern=f"{{project}}-{mark}-{{seq:6}}")

    approved = list(
        Calculation.objects.filter(
            household__project=project, status=CalculationStatus.APPROVED
        ).order_by("household__code")
    )
    drafted_n = min(math.ceil(len(approved) * DRAFTED_SHARE[0] / DRAFTED_SHARE[1]), MAX_DRAFTED)
    drafts = [
        services.draft(actor=signer, calculation=calculation)
        for calculation in approved[:drafted_n]
    ]
    counts.drafted = len(drafts)
    # The households come to sign in their own order; an enterprise (no head with an ID
    # number) signs through a representative with a power of attorney, later.
    signable = [a for a in drafts if a.household.head_id_number]
    rng.shuffle(signable)
    signed_n = math.ceil(len(drafts) * SIGNED_SHARE[0] / SIGNED_SHARE[1])
    for agreement in signable[:signed_n]:
        _sign(agreement, users)
        counts.signed += 1
    return counts


def _sign(agreement: Agreement, users: dict[str, User]) -> Agreement:
    household = agreement.household
    group = household.work_group
    assert group is not None and group.leader is not None  # the demo gives every group one
    with agreement.pdf.open("rb") as f:
        # The scan of the signed paper: the demo has only the printed PDF to stand for it.
        scan = SimpleUploadedFile(
            re.sub(r"[^\w.-]+", "_", f"{agreement.number}-signed.pdf"),
            f.read(),
            content_type="application/pdf",
        )
    at = timezone.now()
    return services.sign(
        actor=users["signer"],
        agreement=agreement,
        signed_at=at,
        party=services.Party(PartyCapacity.HEAD, household.head_name, household.head_id_number),
        office={
            OfficeCapacity.GROUP_LEADER.value: (group.leader, at),
            OfficeCapacity.CADRE.value: (users["cadre"], at),
            OfficeCapacity.HANDLER.value: (users["signer"], at),
            OfficeCapacity.REVIEWER.value: (users["reviewer"], at),
        },
        scan=scan,
    )
