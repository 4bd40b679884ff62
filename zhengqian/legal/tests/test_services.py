"""Opening a proceeding and recording its steps: the figures frozen from the calculation, every
refusal, the late steps, the permissions and the audit events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from zhengqian.agreements.tests.conftest import approve, mark_stale
from zhengqian.audit.models import Event
from zhengqian.compensation import services as compensation
from zhengqian.legal import services
from zhengqian.legal.models import Proceeding, ProceedingStep
from zhengqian.legal.tests.conftest import (
    DECIDED,
    SERVED,
    SIGNING_END,
    TODAY,
    opened,
    pdf_upload,
    served,
    set_today,
    step,
)
from zhengqian.payments.tests.conftest import paying, png_upload
from zhengqian.projects.models import Project

pytestmark = pytest.mark.django_db


def code_of(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return next(e.code for errors in exc.error_dict.values() for e in errors)
    return str(exc.error_list[0].code)


def refused(code: str, call, *args, **kwargs) -> ValidationError:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    assert code_of(caught.value) == code
    return caught.value


# --- opening -----------------------------------------------------------------------------------


def test_the_project_manager_opens_a_proceeding_with_the_calculations_figures(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(legal)
    assert proceeding.calculation == legal.calculation
    assert proceeding.total == legal.calculation.total > Decimal("0")
    assert proceeding.mode == legal.calculation.mode
    assert proceeding.signing_end == SIGNING_END
    event = Event.objects.get(event_type="legal.open")
    assert event.details["calculation"] == legal.calculation.pk
    assert event.details["signing_end"] == "2025-03-31"


def test_the_figures_stay_frozen_when_a_newer_calculation_is_approved(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(legal)
    newer = compensation.calculate(
        actor=legal.accountant,
        household=legal.household,
        mode=legal.calculation.mode,
        signing_on=legal.signing_day,
    )
    approve(legal, newer)
    proceeding.refresh_from_db()
    assert proceeding.calculation_id == legal.calculation.pk
    assert proceeding.total == legal.calculation.total


def test_a_project_without_a_legal_path_is_refused(legal) -> None:  # type: ignore[no-untyped-def]
    Project.objects.filter(pk=legal.project.pk).update(kind="agreement")
    legal.household.project.refresh_from_db()
    refused("wrong_kind", opened, legal)


def test_a_state_owned_project_offers_no_ruling(legal) -> None:  # type: ignore[no-untyped-def]
    refused("wrong_kind", opened, legal, "ruling")


def test_a_collective_project_offers_the_decision_and_the_ruling(legal) -> None:  # type: ignore[no-untyped-def]
    Project.objects.filter(pk=legal.project.pk).update(kind="collective")
    legal.household.project.refresh_from_db()
    refused("wrong_kind", opened, legal, "state_owned_decision")
    assert opened(legal, "collective_decision").path == "collective_decision"
    assert opened(legal, "ruling").path == "ruling"


def test_a_household_that_signed_is_refused(legal) -> None:  # type: ignore[no-untyped-def]
    paying(legal)
    refused("signed", opened, legal)


def test_nothing_is_opened_before_the_signing_period_ended(legal) -> None:  # type: ignore[no-untyped-def]
    set_today(legal.monkeypatch, SIGNING_END)
    refused("signing_open", opened, legal)
    set_today(legal.monkeypatch, SIGNING_END + dt.timedelta(days=1))
    assert opened(legal).pk


def test_the_planned_end_of_signing_serves_when_the_policy_has_none(legal) -> None:  # type: ignore[no-untyped-def]
    from zhengqian.compensation.models import Policy

    Policy.objects.filter(pk=legal.calculation.policy_id).update(signing_period_end=None)
    Project.objects.filter(pk=legal.project.pk).update(
        planned_start=dt.date(2025, 1, 1), planned_signing_end=dt.date(2025, 6, 30)
    )
    legal.household.project.refresh_from_db()
    assert opened(legal).signing_end == dt.date(2025, 6, 30)


def test_a_household_without_an_approved_calculation_is_refused(legal) -> None:  # type: ignore[no-untyped-def]
    legal.calculation.delete()
    refused("no_calculation", opened, legal)


def test_a_stale_calculation_is_refused(legal) -> None:  # type: ignore[no-untyped-def]
    mark_stale(legal.calculation)
    refused("stale", opened, legal)


def test_one_live_proceeding_per_household_and_path(legal) -> None:  # type: ignore[no-untyped-def]
    first = opened(legal)
    refused("exists", opened, legal)
    with pytest.raises(IntegrityError):
        Proceeding.objects.create(
            project=first.project,
            household=first.household,
            path=first.path,
            calculation=first.calculation,
            total=first.total,
            mode=first.mode,
            signing_end=first.signing_end,
            opened_by=legal.pm,
        )


def test_a_signing_officer_cannot_open_a_proceeding(legal) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.open_proceeding(
            actor=legal.officer, household=legal.household, path="state_owned_decision"
        )
    assert not Proceeding.objects.exists()


def test_another_projects_manager_cannot_open_a_proceeding(legal) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.open_proceeding(
            actor=legal.world.other_pm, household=legal.household, path="state_owned_decision"
        )


# --- the steps ---------------------------------------------------------------------------------


def test_a_decision_is_recorded_with_its_document(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(legal)
    recorded = step(legal, proceeding, "decision", DECIDED, document=pdf_upload())
    assert recorded.done_on == DECIDED
    assert len(recorded.document_sha256) == 64
    assert recorded.document.name.endswith(".pdf")
    assert not recorded.late
    event = Event.objects.get(event_type="legal.step")
    assert event.details["step"] == "decision"
    assert event.details["earliest"] == "2025-04-01"
    assert event.details["document_sha256"] == recorded.document_sha256


def test_a_signing_officer_records_steps(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(legal)
    assert step(legal, proceeding, "decision", DECIDED, actor=legal.officer).pk


def test_a_viewer_cannot_record_a_step(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(legal)
    with pytest.raises(PermissionDenied):
        step(legal, proceeding, "decision", DECIDED, actor=legal.world.viewer)


def test_a_decision_on_the_last_day_of_signing_is_too_early(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(legal)
    error = refused("too_early", step, legal, proceeding, "decision", SIGNING_END)
    assert "2025-04-01" in str(error.messages[0])
    assert "art. 26" in str(error.messages[0])


def test_a_future_date_is_refused(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(legal)
    refused("future", step, legal, proceeding, "decision", TODAY + dt.timedelta(days=1))


def test_service_before_the_decision_is_out_of_order(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = opened(legal)
    refused("out_of_order", step, legal, proceeding, "served", SERVED)


def test_a_step_is_recorded_once(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(legal)
    refused("exists", step, legal, proceeding, "served", SERVED)


def test_a_period_is_not_recorded(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(legal)
    refused("unknown_step", step, legal, proceeding, "litigation_end", dt.date(2025, 10, 9))


def test_a_document_must_be_a_pdf_or_an_image(legal) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    proceeding = opened(legal)
    text = SimpleUploadedFile("decision.pdf", b"not a pdf at all", content_type="application/pdf")
    refused("type", step, legal, proceeding, "decision", DECIDED, document=text)
    assert step(legal, proceeding, "decision", DECIDED, document=png_upload()).pk


def test_the_choice_of_mode_after_15_days_needs_a_note_and_is_late(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(legal)
    refused("late_without_note", step, legal, proceeding, "mode_chosen", dt.date(2025, 4, 19))
    late = step(legal, proceeding, "mode_chosen", dt.date(2025, 4, 19), note="住户当日提交书面选择")
    assert late.late


def test_the_choice_of_mode_on_its_last_day_is_not_late(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(legal)
    assert not step(legal, proceeding, "mode_chosen", dt.date(2025, 4, 18)).late


def test_the_reminder_before_the_litigation_period_ended_is_refused(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(legal)
    error = refused("too_early", step, legal, proceeding, "reminder", dt.date(2025, 10, 9))
    assert "2025-10-10" in str(error.messages[0])
    assert step(legal, proceeding, "reminder", dt.date(2025, 10, 10)).pk


def test_the_reminder_while_an_appeal_is_pending_is_refused(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(legal)
    step(legal, proceeding, "appeal_filed", dt.date(2025, 5, 6), note="申请行政复议")
    refused("appeal_pending", step, legal, proceeding, "reminder", dt.date(2025, 10, 10))
    step(legal, proceeding, "appeal_outcome", dt.date(2025, 11, 3), note="维持原决定")
    # 15 days after the outcome to sue or appeal (行政诉讼法 arts. 45, 85).
    refused("too_early", step, legal, proceeding, "reminder", dt.date(2025, 11, 18))
    assert step(legal, proceeding, "reminder", dt.date(2025, 11, 19)).pk


def test_no_appeal_is_recorded_after_the_reminder(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(legal)
    step(legal, proceeding, "reminder", dt.date(2025, 10, 10))
    refused("after_reminder", step, legal, proceeding, "appeal_filed", dt.date(2025, 10, 13))


def test_the_application_waits_ten_working_days_after_the_reminder(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(legal)
    step(legal, proceeding, "reminder", dt.date(2025, 10, 10))
    refused("too_early", step, legal, proceeding, "application", dt.date(2025, 10, 23))
    assert not step(legal, proceeding, "application", dt.date(2025, 10, 24)).late


def test_an_application_after_three_months_needs_a_note(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(legal)
    step(legal, proceeding, "reminder", dt.date(2025, 10, 10))
    refused("late_without_note", step, legal, proceeding, "application", dt.date(2026, 1, 12))
    late = step(legal, proceeding, "application", dt.date(2026, 1, 12), note="法院节后受理")
    assert late.late
    assert (
        Event.objects.filter(event_type="legal.step").order_by("pk").last().details["late"] is True
    )


def test_an_application_on_its_last_day_is_not_late(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(legal)
    step(legal, proceeding, "reminder", dt.date(2025, 10, 10))
    assert not step(legal, proceeding, "application", dt.date(2026, 1, 9)).late


def test_enforcement_finishes_the_proceeding(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(legal)
    step(legal, proceeding, "reminder", dt.date(2025, 10, 10))
    step(legal, proceeding, "application", dt.date(2025, 10, 27))
    refused("out_of_order", step, legal, proceeding, "enforced", dt.date(2025, 11, 20))
    step(legal, proceeding, "court_ruling", dt.date(2025, 11, 3))
    step(legal, proceeding, "enforced", dt.date(2025, 11, 20))
    proceeding.refresh_from_db()
    assert proceeding.closed_on == dt.date(2025, 11, 20)
    refused("closed", step, legal, proceeding, "mode_chosen", dt.date(2025, 4, 10))
    assert ProceedingStep.objects.filter(proceeding=proceeding).count() == 6


def test_the_ruling_path_records_the_application_then_the_ruling(legal) -> None:  # type: ignore[no-untyped-def]
    Project.objects.filter(pk=legal.project.pk).update(kind="collective")
    legal.household.project.refresh_from_db()
    proceeding = opened(legal, "ruling")
    refused("out_of_order", step, legal, proceeding, "ruling_made", dt.date(2025, 4, 2))
    step(legal, proceeding, "ruling_applied", dt.date(2025, 4, 1))
    refused("too_early", step, legal, proceeding, "ruling_made", dt.date(2025, 3, 31))
    step(legal, proceeding, "ruling_made", dt.date(2025, 4, 2))
    step(legal, proceeding, "served", dt.date(2025, 4, 3))
    rows = {p.step.code: p for p in services.plan(proceeding)}
    assert rows["litigation_end"].latest.day == dt.date(2025, 10, 9)


def test_no_step_on_the_figures_goes_ahead_on_a_stale_calculation(legal) -> None:  # type: ignore[no-untyped-def]
    from zhengqian.agreements.tests.conftest import mark_stale

    proceeding = opened(legal)
    mark_stale(proceeding.calculation)
    refused("stale", step, legal, proceeding, "decision", dt.date(2025, 4, 1))


def test_an_earliest_day_in_a_year_without_its_holidays_is_not_guessed(legal) -> None:  # type: ignore[no-untyped-def]
    proceeding = served(legal)
    set_today(legal.monkeypatch, dt.date(2027, 6, 1))
    # The reminder served at the end of 2026: its 10 working days run into 2027, whose public
    # holidays the calendar does not hold; the application is not let through on a guess.
    step(legal, proceeding, "reminder", dt.date(2026, 12, 24))
    refused("calendar", step, legal, proceeding, "application", dt.date(2027, 1, 11), note="迟延")
