"""The demolition services: vacating acceptance, demolition, debris clearance, dust inspections
and rectifications — each refusal with its field or code, the permission refusals, nothing
half-written on a refusal, the audit events and the payments module told of the site steps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements import services as agreements
from zhengqian.agreements.models import AgreementStatus
from zhengqian.audit.models import Event
from zhengqian.demolition import selectors, services
from zhengqian.demolition.models import (
    Checkpoint,
    Clearance,
    Demolition,
    Inspection,
    Rectification,
    SitePhoto,
    Vacating,
)
from zhengqian.demolition.tests.conftest import (
    all_passed,
    clearing,
    demolishing,
    inspecting,
    jpeg_upload,
    pdf_upload,
    png_upload,
    text_upload,
    today,
    vacating,
)
from zhengqian.testing.factories import PASSWORD, UserFactory, grant

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def field_code(exc: Any, field: str) -> str:
    return str(exc.value.error_dict[field][0].code)


def nothing_written() -> bool:
    return not (
        Vacating.objects.exists()
        or Demolition.objects.exists()
        or Clearance.objects.exists()
        or Inspection.objects.exists()
        or SitePhoto.objects.exists()
    )


# --- vacating ------------------------------------------------------------------------------


def test_vacating_is_accepted_with_its_form_photos_and_audit_event(pay):  # type: ignore[no-untyped-def]
    vacated = vacating(pay, photos=[png_upload(), jpeg_upload()])
    assert vacated.agreement_id == pay.agreement.pk
    assert vacated.form_sha256 and len(vacated.form_sha256) == 64
    assert vacated.form_scan.name.endswith(".pdf")
    photos = list(SitePhoto.objects.filter(household=pay.household, step="vacating"))
    assert len(photos) == 2 and all(len(p.sha256) == 64 for p in photos)
    assert {p.file.name.rsplit(".", 1)[-1] for p in photos} == {"png", "jpg"}
    event = Event.objects.get(event_type="demolition.vacate")
    assert event.actor_id == pay.demolisher.pk and event.project_id == pay.project.pk
    assert event.details["agreement"] == pay.agreement.number
    assert event.details["form_sha256"] == vacated.form_sha256


def test_vacating_makes_the_instalment_after_vacating_due(pay):  # type: ignore[no-untyped-def]
    second = pay.agreement.payment_plan.instalments.get(position=2)
    assert second.met_on is None
    vacating(pay)
    pay.account.refresh_from_db()
    second.refresh_from_db()
    assert pay.account.vacated_on == today()
    assert second.met_on == today()
    assert second.due_on == today() + dt.timedelta(days=15)


@pytest.mark.parametrize(
    "field", ["keys_handed_over", "water_closed", "power_closed", "gas_closed"]
)
def test_vacating_needs_every_tick(pay, field):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        vacating(pay, **{field: False})
    assert field_code(exc, field) == "not_done"
    assert nothing_written()


def test_vacating_is_refused_without_an_agreement_naming_the_household(pay):  # type: ignore[no-untyped-def]
    agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="户主信息有误")
    with pytest.raises(ValidationError) as exc:
        vacating(pay)
    assert exc.value.code == "void_requested"
    assert pay.agreement.number in exc.value.messages[0]
    agreements.void_decide(actor=pay.pm, agreement=pay.agreement, approve=True, password=PASSWORD)
    with pytest.raises(ValidationError) as exc:
        vacating(pay)
    assert exc.value.code == "no_agreement"
    assert pay.household.code in exc.value.messages[0]
    assert nothing_written()


def test_vacating_is_refused_while_the_agreement_is_not_effective(pay):  # type: ignore[no-untyped-def]
    agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="户主信息有误")
    agreements.void_decide(actor=pay.pm, agreement=pay.agreement, approve=True, password=PASSWORD)
    drafted = agreements.draft(actor=pay.officer, calculation=pay.calculation)
    assert drafted.status == AgreementStatus.DRAFT
    with pytest.raises(ValidationError) as exc:
        vacating(pay)
    assert exc.value.code == "not_effective"
    message = exc.value.messages[0]
    assert drafted.number in message and str(AgreementStatus.DRAFT.label) in message
    with pytest.raises(ValidationError) as exc:
        demolishing(pay)
    assert exc.value.code == "not_effective"
    assert nothing_written()


def test_vacating_date_is_not_in_the_future_nor_before_the_agreement(pay):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        vacating(pay, accepted_on=today() + DAY)
    assert field_code(exc, "accepted_on") == "future"
    with pytest.raises(ValidationError) as exc:
        vacating(pay, accepted_on=pay.agreement.effective_on - DAY)
    assert field_code(exc, "accepted_on") == "before_agreement"
    assert pay.agreement.number in exc.value.messages[0]
    assert nothing_written()


def test_vacating_needs_the_signatory_the_form_and_a_photo(pay):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        vacating(pay, household_signatory="  ", form_scan=None, photos=[])
    assert field_code(exc, "household_signatory") == "required"
    assert field_code(exc, "form_scan") == "required"
    assert field_code(exc, "photos") == "required"
    assert nothing_written()


def test_vacating_refuses_files_of_the_wrong_kind_and_stores_none(pay):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        vacating(pay, form_scan=text_upload("form.pdf"), photos=[png_upload(), pdf_upload()])
    assert field_code(exc, "form_scan") == "type"
    assert field_code(exc, "photos") == "type"
    assert "scan.pdf" in exc.value.error_dict["photos"][0].messages[0]
    assert nothing_written()


def test_the_people_named_must_be_of_the_project(pay):  # type: ignore[no-untyped-def]
    other = pay.world.other_pm
    with pytest.raises(ValidationError) as exc:
        vacating(pay, accepted_by=other, witness=pay.world.outsider)
    assert field_code(exc, "accepted_by") == "not_in_project"
    assert field_code(exc, "witness") == "not_in_project"
    with pytest.raises(ValidationError) as exc:
        vacating(pay, witness=pay.demolisher)
    assert field_code(exc, "witness") == "same_person"
    assert nothing_written()


def test_vacating_is_accepted_once(pay):  # type: ignore[no-untyped-def]
    vacating(pay)
    with pytest.raises(ValidationError) as exc:
        vacating(pay)
    assert exc.value.code == "exists"
    assert SitePhoto.objects.count() == 1


@pytest.mark.parametrize("who", ["finance", "world.surveyor", "officer", "world.supervisor"])
def test_only_the_demolition_officer_records_vacating(pay, who):  # type: ignore[no-untyped-def]
    actor = pay
    for part in who.split("."):
        actor = getattr(actor, part)
    with pytest.raises(AccessDenied):
        vacating(pay, actor=actor)
    assert nothing_written()


def test_a_demolition_officer_of_another_work_group_is_refused(pay):  # type: ignore[no-untyped-def]
    grouped = UserFactory(username="grouped-demolisher")
    grant(grouped, RoleCode.DEMOLITION_OFFICER, pay.project, work_groups=[pay.world.other_group])
    assert pay.household.work_group_id == pay.world.group.pk
    with pytest.raises(AccessDenied):
        vacating(pay, actor=grouped, accepted_by=grouped)


# --- demolition ----------------------------------------------------------------------------


def test_demolition_is_recorded_after_vacating_and_told_to_payments(pay):  # type: ignore[no-untyped-def]
    vacating(pay)
    demolished = demolishing(pay)
    assert demolished.contractor == "某某拆除工程有限公司"
    assert SitePhoto.objects.filter(step="demolition").count() == 2
    pay.account.refresh_from_db()
    assert pay.account.demolished_on == today()
    event = Event.objects.get(event_type="demolition.demolish")
    assert event.details["contractor"] == demolished.contractor
    with pytest.raises(ValidationError) as exc:
        demolishing(pay)
    assert exc.value.code == "exists"


def test_demolition_is_refused_before_vacating(pay):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        demolishing(pay)
    assert exc.value.code == "not_vacated"
    assert nothing_written()


def test_demolition_date_lies_between_vacating_and_today(pay):  # type: ignore[no-untyped-def]
    vacating(pay)
    Vacating.objects.update(accepted_on=today())
    with pytest.raises(ValidationError) as exc:
        demolishing(pay, demolished_on=today() - DAY)
    assert field_code(exc, "demolished_on") == "before_vacating"
    with pytest.raises(ValidationError) as exc:
        demolishing(pay, demolished_on=today() + DAY)
    assert field_code(exc, "demolished_on") == "future"
    with pytest.raises(ValidationError) as exc:
        demolishing(pay, contractor="", photos=[])
    assert field_code(exc, "contractor") == "required"
    assert field_code(exc, "photos") == "required"
    assert not Demolition.objects.exists()
    assert SitePhoto.objects.filter(step="demolition").count() == 0


def test_only_the_demolition_officer_records_demolition(pay):  # type: ignore[no-untyped-def]
    vacating(pay)
    with pytest.raises(AccessDenied):
        demolishing(pay, actor=pay.finance)


# --- clearance -----------------------------------------------------------------------------


def test_clearance_is_recorded_after_demolition(pay):  # type: ignore[no-untyped-def]
    vacating(pay)
    with pytest.raises(ValidationError) as exc:
        clearing(pay)
    assert exc.value.code == "not_demolished"
    demolishing(pay)
    cleared = clearing(pay, volume=Decimal("85.50"), photos=[png_upload()])
    assert cleared.volume == Decimal("85.50")
    assert SitePhoto.objects.filter(step="clearance").count() == 1
    assert Event.objects.get(event_type="demolition.clear").details["volume"] == "85.50"
    with pytest.raises(ValidationError) as exc:
        clearing(pay)
    assert exc.value.code == "exists"


def test_clearance_checks_its_fields(pay):  # type: ignore[no-untyped-def]
    vacating(pay)
    demolishing(pay)
    with pytest.raises(ValidationError) as exc:
        clearing(pay, cleared_on=today() - DAY, haulier=" ", disposal_site="", volume=Decimal(0))
    assert field_code(exc, "cleared_on") == "before_demolition"
    assert field_code(exc, "haulier") == "required"
    assert field_code(exc, "disposal_site") == "required"
    assert field_code(exc, "volume") == "not_positive"
    with pytest.raises(ValidationError) as exc:
        clearing(pay, cleared_on=today() + DAY, photos=[text_upload()])
    assert field_code(exc, "cleared_on") == "future"
    assert field_code(exc, "photos") == "type"
    assert not Clearance.objects.exists()
    assert clearing(pay).volume is None


# --- dust inspections ----------------------------------------------------------------------


def test_a_site_is_inspected_only_once_vacated(pay):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        inspecting(pay)
    assert exc.value.code == "not_a_site"


def test_an_inspection_with_failed_checkpoints_orders_rectifications(pay):  # type: ignore[no-untyped-def]
    vacating(pay)
    findings = {**all_passed(), "covered": False, "wet": False}
    inspection = inspecting(
        pay,
        findings=findings,
        problems={"covered": "渣土未覆盖", "wet": "未洒水"},
        deadlines={"wet": today() + dt.timedelta(days=1)},
        inspector=pay.officer,
        photos=[png_upload()],
    )
    assert inspection.failed == 2
    assert inspection.findings == findings
    assert inspection.inspector_id == pay.officer.pk
    orders = {r.checkpoint: r for r in inspection.rectifications.all()}
    assert set(orders) == {"covered", "wet"}
    assert orders["covered"].deadline == today() + dt.timedelta(days=3)
    assert orders["wet"].deadline == today() + dt.timedelta(days=1)
    assert orders["covered"].problem == "渣土未覆盖" and orders["covered"].is_open
    assert inspection.photos.count() == 1
    event = Event.objects.get(event_type="dust.inspect")
    assert event.details["failed"] == 2 and event.details["findings"] == findings


def test_the_inspector_defaults_to_the_actor(pay):  # type: ignore[no-untyped-def]
    vacating(pay)
    inspection = inspecting(pay)
    assert inspection.inspector_id == pay.demolisher.pk and inspection.failed == 0
    assert not Rectification.objects.exists()


def test_an_inspection_needs_every_checkpoint_and_the_problems(pay):  # type: ignore[no-untyped-def]
    vacating(pay)
    with pytest.raises(ValidationError) as exc:
        inspecting(pay, findings={"hoarding": True})
    assert field_code(exc, "findings") == "incomplete"
    with pytest.raises(ValidationError) as exc:
        inspecting(
            pay,
            findings={**all_passed(), "roads": False, "washing": False},
            problems={"washing": "车辆带泥上路"},
            deadlines={"washing": today() - DAY},
        )
    assert field_code(exc, "problem_roads") == "required"
    assert field_code(exc, "deadline_washing") == "before_inspection"
    with pytest.raises(ValidationError) as exc:
        inspecting(pay, inspected_on=today() + DAY, inspector=pay.world.other_pm)
    assert field_code(exc, "inspected_on") == "future"
    assert field_code(exc, "inspector") == "not_in_project"
    with pytest.raises(ValidationError) as exc:
        inspecting(pay, inspected_on=today() - DAY)
    assert field_code(exc, "inspected_on") == "before_site"
    assert not Inspection.objects.exists() and not Rectification.objects.exists()


def test_only_the_demolition_officer_inspects(pay):  # type: ignore[no-untyped-def]
    vacating(pay)
    with pytest.raises(AccessDenied):
        inspecting(pay, actor=pay.world.surveyor)


def failed_inspection(pay: Any) -> Rectification:
    vacating(pay)
    inspection = inspecting(
        pay, findings={**all_passed(), "hoarding": False}, problems={"hoarding": "围挡缺口"}
    )
    return inspection.rectifications.get()


def test_a_rectification_is_closed_once_with_what_was_done(pay):  # type: ignore[no-untyped-def]
    order = failed_inspection(pay)
    closed = services.rectification_close(
        actor=pay.demolisher,
        rectification=order,
        closed_on=today(),
        closing_note="围挡已补齐",
        photo=png_upload(),
    )
    assert closed.closed_on == today() and closed.closed_by_id == pay.demolisher.pk
    assert not closed.is_open
    assert SitePhoto.objects.get(step="rectification").rectification_id == order.pk
    event = Event.objects.get(event_type="dust.rectify_close")
    assert event.details["checkpoint"] == "hoarding" and event.details["late"] is False
    with pytest.raises(ValidationError) as exc:
        services.rectification_close(
            actor=pay.demolisher, rectification=order, closed_on=today(), closing_note="再次"
        )
    assert exc.value.code == "closed"


def test_closing_a_rectification_checks_its_fields_and_right(pay):  # type: ignore[no-untyped-def]
    order = failed_inspection(pay)
    with pytest.raises(ValidationError) as exc:
        services.rectification_close(
            actor=pay.demolisher,
            rectification=order,
            closed_on=today() - DAY,
            closing_note=" ",
            photo=text_upload(),
        )
    assert field_code(exc, "closed_on") == "before_inspection"
    assert field_code(exc, "closing_note") == "required"
    assert field_code(exc, "photo") == "type"
    with pytest.raises(ValidationError) as exc:
        services.rectification_close(
            actor=pay.demolisher, rectification=order, closed_on=today() + DAY, closing_note="好"
        )
    assert field_code(exc, "closed_on") == "future"
    with pytest.raises(AccessDenied):
        services.rectification_close(
            actor=pay.finance, rectification=order, closed_on=today(), closing_note="好"
        )
    order.refresh_from_db()
    assert order.is_open and not SitePhoto.objects.filter(step="rectification").exists()


# --- the lists -----------------------------------------------------------------------------


def test_overdue_rectifications_start_the_day_after_the_deadline(pay):  # type: ignore[no-untyped-def]
    order = failed_inspection(pay)
    user, project = pay.demolisher, pay.project
    on_deadline = selectors.overdue_rectifications(user, project, today=order.deadline)
    assert list(on_deadline) == []
    after = selectors.overdue_rectifications(user, project, today=order.deadline + DAY)
    assert list(after) == [order]
    services.rectification_close(
        actor=pay.demolisher, rectification=order, closed_on=today(), closing_note="已整改"
    )
    assert not selectors.overdue_rectifications(user, project, today=order.deadline + DAY)
    assert not selectors.overdue_rectifications(
        pay.world.other_pm, project, today=order.deadline + DAY
    )


def test_the_household_list_follows_the_stages(pay):  # type: ignore[no-untyped-def]
    def codes(stage: str) -> list[str]:
        return [
            h.code for h in selectors.households_for_user(pay.demolisher, pay.project, stage=stage)
        ]

    code = pay.household.code
    assert code in codes("waiting") and code not in codes("vacated")
    vacating(pay)
    assert code in codes("vacated") and code not in codes("waiting")
    demolishing(pay)
    assert code in codes("demolished") and code not in codes("vacated")
    clearing(pay)
    assert code in codes("cleared") and code not in codes("demolished")
    counts = selectors.counts(pay.demolisher, pay.project)
    assert (counts["in_force"], counts["vacated"], counts["demolished"], counts["cleared"]) == (
        1,
        1,
        1,
        1,
    )


def test_every_checkpoint_is_in_the_findings(pay):  # type: ignore[no-untyped-def]
    vacating(pay)
    inspection = inspecting(pay)
    assert set(inspection.findings) == set(Checkpoint.values)


def test_the_household_list_is_one_query_with_its_steps(pay, django_assert_num_queries):  # type: ignore[no-untyped-def]
    vacating(pay)
    demolishing(pay)
    selectors.households_for_user(pay.demolisher, pay.project)  # the user's roles, memoised
    with django_assert_num_queries(1):
        rows = list(selectors.households_for_user(pay.demolisher, pay.project))
        steps = [
            (h.agreement_number, h.vacating.accepted_on, h.demolition.demolished_on) for h in rows
        ]
    assert steps == [(pay.agreement.number, today(), today())]


def test_an_agreement_whose_house_was_vacated_is_not_voided(pay):  # type: ignore[no-untyped-def]
    vacating(pay)
    with pytest.raises(ValidationError) as exc:
        agreements.void_request(actor=pay.officer, agreement=pay.agreement, reason="录入错误")
    assert exc.value.code == "vacated"
    assert pay.agreement.number in exc.value.messages[0]
    pay.agreement.refresh_from_db()
    assert pay.agreement.void_requested_at is None and pay.agreement.status == "effective"
