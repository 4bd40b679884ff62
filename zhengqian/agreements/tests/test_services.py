"""Drafting, signing, effectiveness, supplements and voiding (the services)."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements import batch, documents, services
from zhengqian.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    AgreementTemplate,
    OfficeCapacity,
    PartyCapacity,
)
from zhengqian.agreements.pdf import docx_text
from zhengqian.agreements.tests.conftest import (
    approve,
    docx_upload,
    mark_stale,
    minimal_template,
    pdf_upload,
    signing,
)
from zhengqian.audit.models import Event
from zhengqian.compensation import services as compensation
from zhengqian.compensation.models import CalculationStatus
from zhengqian.survey.models import Household
from zhengqian.survey.tests.test_import_validation import id_number
from zhengqian.testing.factories import PASSWORD, UserFactory, grant

pytestmark = pytest.mark.django_db


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


# --- templates -------------------------------------------------------------------------------


def test_unknown_placeholder_is_refused_with_its_name(agr):  # type: ignore[no-untyped-def]
    data = minimal_template(["{{ household.head_name }} {{ household.nickname }} {{ bonus }}"])
    with pytest.raises(ValidationError) as exc:
        services.template_upload(
            actor=agr.pm, project=agr.project, kind="cash", title="新模板", file=docx_upload(data)
        )
    message = errors_of(exc)["file"][0]
    assert "household.nickname" in message and "bonus" in message


def test_placeholders_of_loops_and_items_are_checked(agr):  # type: ignore[no-untyped-def]
    good = minimal_template(
        [
            "{% for line in lines %}{{ line.name }}{{ line.amount_words }}{% endfor %}",
            "{{ items.moving.amount }} {{ totals.house_value.words }}",
        ]
    )
    row = services.template_upload(
        actor=agr.pm, project=agr.project, kind="cash", title="新模板", file=docx_upload(good)
    )
    assert row.placeholders == ["items", "lines", "totals"]
    bad = minimal_template(
        ["{% for line in lines %}{{ line.price }}{% endfor %}{{ items.x.amount }}"]
    )
    with pytest.raises(ValidationError) as exc:
        services.template_upload(
            actor=agr.pm, project=agr.project, kind="cash", title="新模板", file=docx_upload(bad)
        )
    message = errors_of(exc)["file"][0]
    assert "line.price" in message and "items.x" in message


def test_template_syntax_error_and_non_word_file(agr):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.template_upload(
            actor=agr.pm,
            project=agr.project,
            kind="cash",
            title="坏模板",
            file=docx_upload(minimal_template(["{{ household.code "])),
        )
    assert "file" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        services.template_upload(
            actor=agr.pm, project=agr.project, kind="cash", title="x", file=pdf_upload("a.docx")
        )
    assert "file" in errors_of(exc)


def test_only_the_project_manager_uploads_templates(agr):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.template_upload(
            actor=agr.officer,
            project=agr.project,
            kind="cash",
            title="x",
            file=docx_upload(minimal_template()),
        )


def test_new_version_keeps_the_one_agreements_use(agr):  # type: ignore[no-untyped-def]
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    first = agreement.template
    digest = first.sha256
    second = services.template_upload(
        actor=agr.pm,
        project=agr.project,
        kind="cash",
        title="第二版",
        file=docx_upload(minimal_template(["{{ agreement.number }} 第二版"])),
    )
    assert second.version == first.version + 1 and second.active
    first.refresh_from_db()
    assert not first.active and first.sha256 == digest
    with first.file.open("rb") as f:
        assert documents.sha256(f.read()) == digest
    agreement.refresh_from_db()
    assert agreement.template_id == first.pk


# --- numbering -------------------------------------------------------------------------------


def test_number_pattern_and_its_checks(agr):  # type: ignore[no-untyped-def]
    assert (
        services.format_number("XM{year}-集-{seq:6}", project_code="A", year=2026, seq=123)
        == "XM2026-集-000123"
    )
    for bad in ("XM-{seq}-{seq}", "XM-{count}", "XM-2026", "XM-{seq"):
        with pytest.raises(ValidationError):
            services.pattern_set(actor=agr.pm, project=agr.project, pattern=bad)
    services.pattern_set(actor=agr.pm, project=agr.project, pattern="XM{year}-集-{seq:6}")
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    assert agreement.number == f"XM{timezone.localdate().year}-集-000001"


def test_numbers_have_no_gaps_and_are_never_reused(agr):  # type: ignore[no-untyped-def]
    first = services.draft(actor=agr.officer, calculation=agr.calculation)
    # A refused draft takes no number.
    with pytest.raises(ValidationError):
        services.draft(actor=agr.officer, calculation=agr.calculation)
    services.void_request(actor=agr.officer, agreement=first, reason="户主信息有误")
    services.void_decide(actor=agr.pm, agreement=first, approve=True, password=PASSWORD)
    second = services.draft(actor=agr.officer, calculation=agr.calculation)
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.number != first.number
    first.refresh_from_db()
    assert first.status == AgreementStatus.VOID and first.number.endswith("000001")


# --- drafting --------------------------------------------------------------------------------


def test_figures_in_word_and_pdf_equal_the_calculation(agr):  # type: ignore[no-untyped-def]
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    with agreement.docx.open("rb") as f:
        docx = f.read()
    with agreement.pdf.open("rb") as f:
        pdf = f.read()
    assert documents.sha256(docx) == agreement.docx_sha256
    assert documents.sha256(pdf) == agreement.pdf_sha256
    word_text, pdf_text_ = docx_text(docx), pdf_text(pdf)
    calc = agr.calculation
    assert agreement.total == calc.total
    expected = [(f"{line.amount:,.2f}", documents.words(line.amount)) for line in calc.lines.all()]
    expected.append((f"{calc.total:,.2f}", documents.words(calc.total)))
    for figures, words in expected:
        for text in (word_text, re.sub(r"\s+", "", pdf_text_)):
            assert figures in text
            assert words in text
    assert agr.household.head_name in word_text and agreement.number in pdf_text_


def test_drafting_is_refused_unless_approved_current_and_fresh(agr):  # type: ignore[no-untyped-def]
    newer = compensation.calculate(actor=agr.accountant, household=agr.household, mode="cash")
    with pytest.raises(ValidationError) as exc:
        services.draft(actor=agr.officer, calculation=newer)
    assert exc.value.code == "not_approved"
    approve(agr, newer)
    with pytest.raises(ValidationError) as exc:
        services.draft(actor=agr.officer, calculation=agr.calculation)
    assert exc.value.code == "outdated"
    mark_stale(newer)
    with pytest.raises(ValidationError) as exc:
        services.draft(actor=agr.officer, calculation=newer)
    assert exc.value.code == "stale"
    assert not Agreement.objects.exists()


def test_only_signing_officers_draft(agr):  # type: ignore[no-untyped-def]
    for user in (agr.accountant, agr.pm, agr.cadre):
        with pytest.raises(PermissionDenied):
            services.draft(actor=user, calculation=agr.calculation)


def test_no_template_is_refused(agr):  # type: ignore[no-untyped-def]
    AgreementTemplate.objects.filter(kind="cash").update(active=False)
    with pytest.raises(ValidationError) as exc:
        services.draft(actor=agr.officer, calculation=agr.calculation)
    assert exc.value.code == "no_template"


def test_one_agreement_in_force_per_household(agr):  # type: ignore[no-untyped-def]
    services.draft(actor=agr.officer, calculation=agr.calculation)
    with pytest.raises(ValidationError) as exc:
        services.draft(actor=agr.officer, calculation=agr.calculation)
    assert exc.value.code == "exists"


# --- signing ---------------------------------------------------------------------------------


def test_signing_records_everything_and_orders(agr):  # type: ignore[no-untyped-def]
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    signed = signing(agr, agreement)
    assert signed.status == AgreementStatus.EFFECTIVE
    assert signed.signing_order == 1 and signed.signed_on == timezone.localdate()
    assert signed.office_signatures.count() == 4
    assert signed.signatories.get().capacity == PartyCapacity.HEAD
    assert signed.scan_sha256
    assert Event.objects.filter(event_type="agreement.sign", target_id=str(signed.pk)).exists()
    with pytest.raises(ValidationError) as exc:
        signing(agr, signed)
    assert exc.value.code == "not_draft"


def test_the_same_person_cannot_sign_twice(agr):  # type: ignore[no-untyped-def]
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    grant(agr.accountant2, RoleCode.SIGNING_OFFICER, agr.project)
    now = timezone.now()
    with pytest.raises(ValidationError) as exc:
        signing(agr, agreement, office={OfficeCapacity.HANDLER.value: (agr.accountant2, now)})
    assert "office_reviewer" in errors_of(exc) or "office_handler" in errors_of(exc)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.DRAFT and agreement.signing_order is None


@pytest.mark.parametrize(
    "capacity,who",
    [
        (OfficeCapacity.GROUP_LEADER, "cadre"),
        (OfficeCapacity.CADRE, "officer2"),
        (OfficeCapacity.HANDLER, "group_leader"),
        (OfficeCapacity.REVIEWER, "policy_reviewer_outsider"),
    ],
)
def test_each_signature_needs_its_role(agr, capacity, who):  # type: ignore[no-untyped-def]
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    if who == "policy_reviewer_outsider":
        user = UserFactory(username="outsider")
        grant(user, RoleCode.POLICY_REVIEWER, agr.project)
    else:
        user = getattr(agr, who)
    others = {
        OfficeCapacity.GROUP_LEADER: agr.group_leader,
        OfficeCapacity.CADRE: agr.cadre,
        OfficeCapacity.HANDLER: agr.officer,
        OfficeCapacity.REVIEWER: agr.accountant2,
    }
    clash = next((c for c, u in others.items() if u == user and c != capacity), None)
    now = timezone.now()
    office = {capacity.value: (user, now)}
    if clash is not None:
        office[clash.value] = (agr.officer2 if clash == OfficeCapacity.HANDLER else None, now)
    with pytest.raises(ValidationError) as exc:
        signing(agr, agreement, office=office)
    assert f"office_{capacity.value}" in errors_of(exc)


def test_reviewer_must_have_approved_this_calculation(agr):  # type: ignore[no-untyped-def]
    assert services.approvers(agr.calculation) == {agr.policy_reviewer.pk, agr.accountant2.pk}
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    signed = signing(
        agr,
        agreement,
        office={OfficeCapacity.REVIEWER.value: (agr.policy_reviewer, timezone.now())},
    )
    assert signed.is_signed


def test_representative_needs_a_power_of_attorney(agr):  # type: ignore[no-untyped-def]
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    party = services.Party(PartyCapacity.REPRESENTATIVE, "李代理", id_number())
    with pytest.raises(ValidationError) as exc:
        signing(agr, agreement, party=party)
    assert "power_of_attorney" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        signing(agr, agreement, party=services.Party(PartyCapacity.HEAD, "别人", "x"))
    assert "party_name" in errors_of(exc)
    party.power_of_attorney = pdf_upload("委托书.pdf")
    signed = signing(agr, agreement, party=party)
    assert signed.signatories.get().power_of_attorney


def test_scan_and_times_are_required(agr):  # type: ignore[no-untyped-def]
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    with pytest.raises(ValidationError) as exc:
        signing(agr, agreement, scan=None)
    assert "scan" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        signing(agr, agreement, at=timezone.now() + dt.timedelta(hours=2))
    assert "signed_at" in errors_of(exc)


def test_signing_a_stale_calculation_is_refused(agr):  # type: ignore[no-untyped-def]
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    mark_stale(agr.calculation)
    with pytest.raises(ValidationError) as exc:
        signing(agr, agreement)
    assert exc.value.code == "stale"


def test_early_signing_incentive_uses_the_real_date(agr):  # type: ignore[no-untyped-def]
    policy = compensation.policy_draft(actor=agr.pm, project=agr.project)
    compensation.policy_item_save(
        actor=agr.pm,
        policy=policy,
        code="early",
        name="提前签约奖励",
        category="incentive",
        rule={
            "type": "tiers",
            "from": "decision_announced",
            "to": "signing",
            "tiers": [{"up_to_days": 30, "amount": "50000"}, {"amount": "0"}],
        },
    )
    compensation.policy_publish(actor=agr.pm, policy=policy)
    today = timezone.localdate()
    calc = compensation.calculate(
        actor=agr.accountant, household=agr.household, mode="cash", signing_on=agr.signing_day
    )
    approve(agr, calc)
    agreement = services.draft(actor=agr.officer, calculation=calc)
    assert calc.lines.get(item="early").amount == Decimal("50000.00")
    with pytest.raises(ValidationError) as exc:
        signing(agr, agreement)
    assert "提前签约奖励" in errors_of(exc)["signed_at"][0]
    assert today.isoformat() in errors_of(exc)["signed_at"][0]


# --- effectiveness ---------------------------------------------------------------------------


def _conditional(agr, threshold: str, period_end: dt.date):  # type: ignore[no-untyped-def]
    policy = compensation.policy_draft(actor=agr.pm, project=agr.project)
    compensation.policy_update(
        actor=agr.pm,
        policy=policy,
        effect_threshold=Decimal(threshold),
        signing_period_end=period_end,
    )
    return compensation.policy_publish(actor=agr.pm, policy=policy)


def _second_household(agr):  # type: ignore[no-untyped-def]
    """Another household of the project, with an approved calculation."""
    from zhengqian.ownership.tests.conftest import lock_confirmation, make_household
    from zhengqian.valuation import services as valuation_services
    from zhengqian.valuation.tests.conftest import enter

    household = make_household(agr.project, code="H-002", work_group=agr.world.group)
    owner = UserFactory(username="own2")
    grant(owner, RoleCode.OWNERSHIP_OFFICER, agr.project)
    lock_confirmation(owner, agr.pm, household)
    valuation_services.valuation_confirm(actor=agr.valuer, valuation=enter(agr.valuer, household))
    calc = compensation.calculate(actor=agr.accountant, household=household, mode="cash")
    approve(agr, calc)
    return calc


def test_agreements_wait_for_the_threshold_then_all_take_effect(agr):  # type: ignore[no-untyped-def]
    _conditional(agr, "100", timezone.localdate() + dt.timedelta(days=30))
    second = _second_household(agr)
    a1 = signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    assert a1.status == AgreementStatus.PENDING and a1.effective_on is None
    rate = services.signing_rate(agr.project.pk)
    assert (rate.signed, rate.households, rate.percent) == (1, 2, Decimal("50.00"))
    a2 = signing(agr, services.draft(actor=agr.officer, calculation=second))
    a1.refresh_from_db()
    assert a1.status == a2.status == AgreementStatus.EFFECTIVE
    assert a1.effective_on == a2.effective_on == timezone.localdate()
    event = Event.objects.get(event_type="agreement.effective")
    assert event.details["agreements"] == [a1.number, a2.number]


def test_threshold_not_reached_in_the_period_lapses(agr):  # type: ignore[no-untyped-def]
    end = timezone.localdate() + dt.timedelta(days=3)
    _conditional(agr, "80", end)
    _second_household(agr)
    a1 = signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    assert services.settle(project_id=agr.project.pk, today=end) == ""
    a1.refresh_from_db()
    assert a1.status == AgreementStatus.PENDING
    assert services.settle(project_id=agr.project.pk, today=end + dt.timedelta(days=1)) == "lapsed"
    a1.refresh_from_db()
    assert a1.status == AgreementStatus.LAPSED and a1.lapsed_on == end + dt.timedelta(days=1)
    # Idempotent: a second run changes nothing and records nothing.
    assert services.settle(project_id=agr.project.pk, today=end + dt.timedelta(days=2)) == ""
    assert Event.objects.filter(event_type="agreement.lapse").count() == 1


def test_threshold_exactly_reached(agr):  # type: ignore[no-untyped-def]
    _conditional(agr, "50", timezone.localdate() + dt.timedelta(days=3))
    _second_household(agr)
    a1 = signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    assert a1.status == AgreementStatus.EFFECTIVE  # 1 of 2 = 50 % ≥ 50 %


def test_signing_after_a_lapsed_period_is_refused(agr):  # type: ignore[no-untyped-def]
    _conditional(agr, "80", timezone.localdate() - dt.timedelta(days=1))
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    with pytest.raises(ValidationError) as exc:
        signing(agr, agreement)
    assert exc.value.code == "lapsed"


def test_policy_with_threshold_needs_a_period_end(agr):  # type: ignore[no-untyped-def]
    policy = compensation.policy_draft(actor=agr.pm, project=agr.project)
    compensation.policy_update(actor=agr.pm, policy=policy, effect_threshold=Decimal("80"))
    with pytest.raises(ValidationError) as exc:
        compensation.policy_publish(actor=agr.pm, policy=policy)
    assert "signing_period_end" in errors_of(exc)


# --- supplements and voiding -----------------------------------------------------------------


def test_supplement_from_a_newer_calculation_shows_the_difference(agr):  # type: ignore[no-untyped-def]
    main = signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    with pytest.raises(ValidationError) as exc:
        services.draft(actor=agr.officer, calculation=agr.calculation, parent=main)
    assert exc.value.code == "not_newer"
    newer = compensation.calculate(
        actor=agr.accountant,
        household=agr.household,
        mode="cash",
        exceptions={"moving": (Decimal("9999.00"), _decision(agr))},
    )
    approve(agr, newer)
    compensation.review(actor=agr.leader, calculation=newer, approve=True)
    newer.refresh_from_db()
    assert newer.status == CalculationStatus.APPROVED
    supplement = services.draft(actor=agr.officer, calculation=newer, parent=main)
    assert supplement.kind == AgreementKind.SUPPLEMENT
    assert supplement.difference == newer.total - main.total
    with supplement.docx.open("rb") as f:
        text = docx_text(f.read())
    assert main.number in text
    assert (
        f"{supplement.difference:,.2f}" in text and documents.words(supplement.difference) in text
    )
    signed = signing(agr, supplement)
    assert signed.status == AgreementStatus.EFFECTIVE and signed.signing_order is None


def _decision(agr):  # type: ignore[no-untyped-def]
    return compensation.decision_record(
        actor=agr.accountant,
        project=agr.project,
        meeting_date=timezone.localdate(),
        participants="指挥部全体成员",
        decision="同意搬迁费按 9,999 元计",
        document=pdf_upload("纪要.pdf"),
    )


def test_voiding_needs_reason_manager_and_password(agr):  # type: ignore[no-untyped-def]
    agreement = signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    with pytest.raises(ValidationError):
        services.void_request(actor=agr.officer, agreement=agreement, reason=" ")
    with pytest.raises(PermissionDenied):
        services.void_request(actor=agr.pm, agreement=agreement, reason="错误")
    services.void_request(actor=agr.officer, agreement=agreement, reason="被征收人死亡，继承人另签")
    with pytest.raises(PermissionDenied):
        services.void_decide(actor=agr.officer, agreement=agreement, approve=True, password="x")
    with pytest.raises(ValidationError) as exc:
        services.void_decide(actor=agr.pm, agreement=agreement, approve=True, password="wrong")
    assert "password" in errors_of(exc)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.EFFECTIVE
    services.void_decide(actor=agr.pm, agreement=agreement, approve=True, password=PASSWORD)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.VOID and agreement.voided_by == agr.pm
    assert agreement.signing_order == 1  # kept: order numbers are never given again


# --- background drafting ---------------------------------------------------------------------


def test_batch_drafts_the_waiting_and_lists_the_left_out(agr):  # type: ignore[no-untyped-def]
    second = _second_household(agr)
    mark_stale(second)
    assert set(batch.waiting(agr.officer, agr.project).values_list("pk", flat=True)) == {
        agr.calculation.pk,
        second.pk,
    }
    run = batch.run_drafts(batch.drafts_start(actor=agr.officer, project=agr.project))
    assert run.status == "done" and run.done == 2
    assert list(run.skipped) == ["H-002"]
    assert Agreement.objects.get().household == agr.household
    assert list(batch.waiting(agr.officer, agr.project)) == [second]
    assert Household.objects.filter(project=agr.project).count() == 2


def test_daily_command_lapses_and_is_idempotent(agr):  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    end = timezone.localdate() + dt.timedelta(days=3)
    _conditional(agr, "80", end)
    _second_household(agr)
    a1 = signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    out = io.StringIO()
    later = (end + dt.timedelta(days=1)).isoformat()
    call_command("settle_agreements", "--date", later, stdout=out)
    call_command("settle_agreements", "--date", later, stdout=out)
    a1.refresh_from_db()
    assert a1.status == AgreementStatus.LAPSED
    assert out.getvalue().splitlines() == [f"{agr.project.code}: lapsed"]


def test_signing_after_the_period_once_the_rate_was_reached_is_effective(agr):  # type: ignore[no-untyped-def]
    end = timezone.localdate() + dt.timedelta(days=3)
    _conditional(agr, "50", end)
    second = _second_household(agr)
    a1 = signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    assert a1.status == AgreementStatus.EFFECTIVE
    # The period ends (it is the published policy's): the rate was reached in time.
    agr.project.policies.filter(status="published").update(
        signing_period_end=timezone.localdate() - dt.timedelta(days=1)
    )
    a2 = signing(agr, services.draft(actor=agr.officer, calculation=second))
    assert a2.status == AgreementStatus.EFFECTIVE and a2.effective_on == timezone.localdate()


def test_a_time_in_the_second_of_drafting_is_accepted(agr):  # type: ignore[no-untyped-def]
    """The form gives times to the second: the drafting's own second is not "before" it."""
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    at = agreement.drafted_at.replace(microsecond=0)
    assert signing(agr, agreement, at=at).is_signed


def test_exchange_difference_is_stated_with_who_pays_it() -> None:
    assert documents._payer(Decimal("-1258895.43")) == "甲方"
    assert documents._payer(Decimal("52000.00")) == "乙方"
    assert documents._payer(Decimal("0.00")) == documents._payer(None) == ""


# --- what a second reading found ---------------------------------------------------------------


def _corrected(agr, moving: str):  # type: ignore[no-untyped-def]
    """A newer approved calculation of the household with the moving fee set by decision."""
    calc = compensation.calculate(
        actor=agr.accountant,
        household=agr.household,
        mode="cash",
        exceptions={"moving": (Decimal(moving), _decision(agr))},
    )
    approve(agr, calc)
    compensation.review(actor=agr.leader, calculation=calc, approve=True)
    calc.refresh_from_db()
    return calc


def test_a_second_supplement_states_its_figures_against_the_first(agr):  # type: ignore[no-untyped-def]
    main = signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    first = signing(
        agr, services.draft(actor=agr.officer, calculation=_corrected(agr, "9999.00"), parent=main)
    )
    third = _corrected(agr, "12000.00")
    second = services.draft(actor=agr.officer, calculation=third, parent=main)
    assert second.difference == third.total - first.calculation.total == Decimal("2001.00")
    with second.docx.open("rb") as f:
        text = docx_text(f.read())
    # The corrected agreement named is the first supplement; its line change and the
    # difference say the same +2,001.00.
    assert f"补充原协议 {first.number}" in text
    assert "9,999.00 → 12,000.00（+2,001.00）" in text
    assert "差额：+2,001.00 元" in text


def test_no_supplement_while_voiding_is_asked_for(agr):  # type: ignore[no-untyped-def]
    main = signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    services.void_request(actor=agr.officer, agreement=main, reason="户主身份有误")
    with pytest.raises(ValidationError) as exc:
        services.draft(actor=agr.officer, calculation=_corrected(agr, "9999.00"), parent=main)
    assert exc.value.code == "parent_void_requested"


def test_after_a_lapse_no_agreement_can_be_signed(agr):  # type: ignore[no-untyped-def]
    end = timezone.localdate() + dt.timedelta(days=3)
    _conditional(agr, "100", end)
    second = _second_household(agr)
    signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    services.settle(project_id=agr.project.pk, today=end + dt.timedelta(days=1))
    late = services.draft(actor=agr.officer, calculation=second)
    with pytest.raises(ValidationError) as exc:
        signing(agr, late)  # signed within the period on paper, recorded after the lapse
    assert exc.value.code == "lapsed"


def test_once_in_force_a_redrafted_agreement_takes_effect_after_the_period(agr):  # type: ignore[no-untyped-def]
    _conditional(agr, "100", timezone.localdate() + dt.timedelta(days=3))
    second = _second_household(agr)
    signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    a2 = signing(agr, services.draft(actor=agr.officer, calculation=second))
    assert a2.status == AgreementStatus.EFFECTIVE
    assert services.series(agr.project).effective_since == timezone.localdate()
    services.void_request(actor=agr.officer, agreement=a2, reason="姓名错误")
    services.void_decide(actor=agr.pm, agreement=a2, approve=True, password=PASSWORD)
    agr.project.policies.filter(status="published").update(
        signing_period_end=timezone.localdate() - dt.timedelta(days=1)
    )
    redrafted = signing(agr, services.draft(actor=agr.officer, calculation=second))
    assert redrafted.status == AgreementStatus.EFFECTIVE  # the rate was reached in time


def test_items_of_the_policy_the_calculation_lacks_are_zero(agr):  # type: ignore[no-untyped-def]
    policy = compensation.policy_draft(actor=agr.pm, project=agr.project)
    compensation.policy_item_save(
        actor=agr.pm,
        policy=policy,
        code="voucher_bonus",
        name="房票奖励",
        category="incentive",
        rule={"type": "per_household", "amount": "20000"},
        modes=["voucher"],
    )
    compensation.policy_publish(actor=agr.pm, policy=policy)
    services.template_upload(
        actor=agr.pm,
        project=agr.project,
        kind="cash",
        title="含房票奖励",
        file=docx_upload(
            minimal_template(["{{ items.voucher_bonus.name }}：{{ items.voucher_bonus.amount }}"])
        ),
    )
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    with agreement.docx.open("rb") as f:
        assert "房票奖励：0.00" in docx_text(f.read())


def test_office_roles_limited_to_work_groups_count_there_only(agr):  # type: ignore[no-untyped-def]
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    elsewhere = UserFactory(username="cadre-of-another-village")
    grant(elsewhere, RoleCode.COMMUNITY_CADRE, agr.project, work_groups=[agr.world.other_group])
    with pytest.raises(ValidationError) as exc:
        signing(agr, agreement, office={OfficeCapacity.CADRE.value: (elsewhere, timezone.now())})
    assert "office_cadre" in errors_of(exc)
    from zhengqian.agreements.selectors import eligible_signers

    cadres = set(eligible_signers(agreement)["cadre"])
    assert agr.cadre in cadres and elsewhere not in cadres


def test_a_wrong_head_id_number_is_shown_at_its_field(agr):  # type: ignore[no-untyped-def]
    household = agr.household
    household.head_id_number = id_number()
    household.save(update_fields=["head_id_number"])
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    party = services.Party(PartyCapacity.HEAD, household.head_name, id_number(male=False))
    with pytest.raises(ValidationError) as exc:
        signing(agr, agreement, party=party)
    assert list(errors_of(exc)) == ["party_id_number"]


def test_a_pattern_that_would_give_a_number_again_is_refused(agr):  # type: ignore[no-untyped-def]
    services.pattern_set(actor=agr.pm, project=agr.project, pattern="A-{seq}0")
    services.draft(actor=agr.officer, calculation=agr.calculation)  # sequence 1: "A-10"
    series = services.series(agr.project)
    series.next_number = 10  # as if nine more had been drafted: sequence 10 would be "A-10"
    series.save()
    with pytest.raises(ValidationError) as exc:
        services.pattern_set(actor=agr.pm, project=agr.project, pattern="A-{seq}")
    assert "A-10" in errors_of(exc)["pattern"][0]
    services.pattern_set(actor=agr.pm, project=agr.project, pattern="A-{seq:6}")  # A-000010


def test_placeholders_in_a_header_are_refused(agr):  # type: ignore[no-untyped-def]
    from docx import Document

    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "协议编号 {{ agreement.number }}"
    doc.add_paragraph("{{ household.head_name }}")
    out = io.BytesIO()
    doc.save(out)
    with pytest.raises(ValidationError) as exc:
        services.template_upload(
            actor=agr.pm,
            project=agr.project,
            kind="cash",
            title="页眉模板",
            file=docx_upload(out.getvalue()),
        )
    assert "file" in errors_of(exc)


def test_a_wrong_password_for_voiding_is_recorded(agr):  # type: ignore[no-untyped-def]
    agreement = signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    services.void_request(actor=agr.officer, agreement=agreement, reason="错误")
    with pytest.raises(ValidationError):
        services.void_decide(actor=agr.pm, agreement=agreement, approve=True, password="nope")
    event = Event.objects.get(event_type="auth.sudo_failed")
    assert event.actor_id == agr.pm.pk and event.details == {"action": "agreement.void"}
