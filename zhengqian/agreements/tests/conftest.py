"""Agreement personas on top of the compensation fixtures: an approved calculation of household
H-001 of project A, the project's templates, and the four office signers."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements import services
from zhengqian.agreements.models import AgreementKind, OfficeCapacity, PartyCapacity
from zhengqian.compensation import services as compensation
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (the fixture)
from zhengqian.testing.factories import UserFactory, grant
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (the fixtures)

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


SUPPLEMENT = [
    "补充协议 {{ agreement.number }}，补充原协议 {{ original.number }}",
    "{% for c in changes %}{{ c.name }}：{{ c.old }} → {{ c.new }}"
    "（{{ c.difference }}）{% endfor %}",
    "差额：{{ difference }} 元（{{ difference_words }}）；"
    "调整后合计 {{ total }} 元（{{ total_words }}）",
]


def minimal_template(body: list[str] | None = None) -> bytes:
    """A small Word template: the given paragraphs (placeholders allowed)."""
    from docx import Document

    doc = Document()
    for text in body or [
        "补偿协议 {{ agreement.number }}",
        "乙方：{{ household.head_name }}（{{ household.head_id_number }}）",
        "{% for line in lines %}{{ line.name }}：{{ line.amount }} 元（{{ line.amount_words }}）"
        "{% endfor %}",
        "合计：{{ total }} 元，人民币（大写）{{ total_words }}",
    ]:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def docx_upload(data: bytes, name: str = "template.docx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name,
        data,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


def pdf_upload(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def mark_stale(calculation: Any) -> None:
    """What a change upstream leaves on the calculation (compensation.receivers)."""
    from zhengqian.compensation.services import STALE_TARGET
    from zhengqian.core.models import StaleMark

    StaleMark.objects.create(
        household_id=calculation.household_id,
        target_type=STALE_TARGET,
        target_id=calculation.pk,
        source="survey.building",
        source_id="1",
        changes={"measured_area": ["96.00", "98.00"]},
    )


def approve(c: Any, calculation: Any) -> Any:
    compensation.submit(actor=c.accountant, calculation=calculation)
    compensation.review(actor=c.policy_reviewer, calculation=calculation, approve=True)
    return compensation.review(actor=c.accountant2, calculation=calculation, approve=True)


@pytest.fixture
def agr(comp):  # type: ignore[no-untyped-def]  # noqa: F811
    w = comp.world
    household = comp.household
    officer = UserFactory(username="signing-officer", first_name="签约员")
    officer2 = UserFactory(username="signing-officer2")
    cadre = UserFactory(username="cadre", first_name="村干部")
    group_leader = UserFactory(username="group-leader", first_name="组长")
    grant(officer, RoleCode.SIGNING_OFFICER, comp.project)
    grant(officer2, RoleCode.SIGNING_OFFICER, comp.project)
    grant(cadre, RoleCode.COMMUNITY_CADRE, comp.project)
    grant(group_leader, RoleCode.SURVEYOR, comp.project)
    w.group.leader = group_leader
    w.group.save()
    calculation = compensation.calculate(
        actor=comp.accountant, household=household, mode="cash", signing_on=comp.signing_day
    )
    approve(comp, calculation)
    calculation.refresh_from_db()
    for kind in AgreementKind.values:
        services.template_upload(
            actor=comp.pm,
            project=comp.project,
            kind=kind,
            title=f"统一协议模板 {kind}",
            file=docx_upload(minimal_template(SUPPLEMENT if kind == "supplement" else None)),
        )
    return SimpleNamespace(
        **vars(comp),
        officer=officer,
        officer2=officer2,
        cadre=cadre,
        group_leader=group_leader,
        calculation=calculation,
    )


def signing(c: Any, agreement: Any, *, at: dt.datetime | None = None, **changes: Any) -> Any:
    """Sign `agreement` with a complete, valid record (change any part by keyword)."""
    at = at or timezone.now()
    household = agreement.household
    office = {
        OfficeCapacity.GROUP_LEADER.value: (c.group_leader, at),
        OfficeCapacity.CADRE.value: (c.cadre, at),
        OfficeCapacity.HANDLER.value: (c.officer, at),
        OfficeCapacity.REVIEWER.value: (c.accountant2, at),
    }
    office.update(changes.pop("office", {}))
    kwargs: dict[str, Any] = {
        "actor": c.officer,
        "agreement": agreement,
        "signed_at": at,
        "party": services.Party(PartyCapacity.HEAD, household.head_name, household.head_id_number),
        "office": office,
        "scan": pdf_upload(),
    }
    kwargs.update(changes)
    return services.sign(**kwargs)
