"""Petitions: deadlines on both sides of the day, the steps in their order with every refusal,
repeated petitions, escalation of overdue ones (idempotent, with the command), counts, the
deadlines settings; cases with hearings and outcomes; the register of collective decisions."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.audit.models import Event
from zhengqian.compensation.models import CollectiveDecision
from zhengqian.ownership.tests.conftest import make_household
from zhengqian.petitions import selectors, services
from zhengqian.petitions.models import (
    CaseKind,
    CaseSubject,
    Channel,
    Outcome,
    Overdue,
    Petition,
    PetitionStatus,
)
from zhengqian.petitions.tests.conftest import (
    ID_NUMBER,
    OTHER_ID_NUMBER,
    pdf_upload,
    petition,
    text_upload,
    today,
    walk,
)

pytestmark = pytest.mark.django_db


def codes(exc: Any) -> dict[str, list[str]]:
    return {k: [e.code for e in v] for k, v in exc.value.error_dict.items()}


# --- deadlines -----------------------------------------------------------------------------------


def test_deadlines_are_calendar_days_after_the_day_of_receipt(pet):  # type: ignore[no-untyped-def]
    received = today() - dt.timedelta(days=100)
    p = petition(pet, received_on=received)
    assert p.acknowledge_by == received + dt.timedelta(days=15)
    assert p.answer_by == received + dt.timedelta(days=60)


def test_the_project_settings_give_the_deadlines_and_only_the_manager_changes_them(pet):  # type: ignore[no-untyped-def]
    with pytest.raises(AccessDenied):
        services.settings_change(
            actor=pet.officer, project=pet.project, acknowledge_days=10, answer_days=30
        )
    with pytest.raises(ValidationError) as exc:
        services.settings_change(
            actor=pet.pm, project=pet.project, acknowledge_days=40, answer_days=30
        )
    assert codes(exc) == {"acknowledge_days": ["order"]}
    with pytest.raises(ValidationError) as exc:
        services.settings_change(
            actor=pet.pm, project=pet.project, acknowledge_days=0, answer_days=30
        )
    assert codes(exc) == {"acknowledge_days": ["range"]}
    services.settings_change(actor=pet.pm, project=pet.project, acknowledge_days=10, answer_days=30)
    p = petition(pet, received_on=today() - dt.timedelta(days=2))
    assert p.acknowledge_by == p.received_on + dt.timedelta(days=10)
    assert p.answer_by == p.received_on + dt.timedelta(days=30)
    assert Event.objects.filter(event_type="petition.settings").count() == 1


@pytest.mark.parametrize(("age", "overdue"), [(15, False), (16, True)])
def test_acknowledgement_overdue_only_after_its_last_day(pet, age, overdue):  # type: ignore[no-untyped-def]
    p = petition(pet, received_on=today() - dt.timedelta(days=age))
    found = services.overdue_for(p, today())
    assert (found == (Overdue.ACKNOWLEDGE, 1)) if overdue else found is None
    assert Petition.objects.filter(services.overdue_filter(today())).exists() is overdue


@pytest.mark.parametrize(("age", "overdue"), [(60, False), (61, True)])
def test_answer_overdue_only_after_its_last_day(pet, age, overdue):  # type: ignore[no-untyped-def]
    p = petition(pet, received_on=today() - dt.timedelta(days=age))
    p = walk(pet, p, until="acknowledged")
    found = services.overdue_for(p, today())
    assert (found == (Overdue.ANSWER, 1)) if overdue else found is None
    answered = walk(pet, p, until="answered")
    assert services.overdue_for(answered, today()) is None


# --- recording and the steps ----------------------------------------------------------------


def test_recording_refuses_what_is_missing_or_wrong(pet):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.petition_record(
            actor=pet.officer,
            project=pet.project,
            channel="fax",
            petitioner_name=" ",
            id_number=ID_NUMBER[:-1] + ("1" if ID_NUMBER[-1] != "1" else "2"),
            received_on=today() + dt.timedelta(days=1),
            request="",
            attachment=text_upload(),
        )
    found = codes(exc)
    assert set(found) == {
        "channel",
        "petitioner_name",
        "id_number",
        "received_on",
        "request",
        "attachment",
    }
    assert found["id_number"] == ["check_digit"]
    assert found["received_on"] == ["future"]


def test_recording_needs_the_right_and_a_household_of_the_project(pet):  # type: ignore[no-untyped-def]
    with pytest.raises(AccessDenied):
        petition(pet, actor=pet.surveyor)
    with pytest.raises(AccessDenied):
        petition(pet, actor=pet.other_pm)
    other = make_household(pet.other_project, code="B-001")
    with pytest.raises(AccessDenied):
        petition(pet, household=other)
    household = make_household(pet.project, code="A-001")
    p = petition(pet, household=household, attachment=pdf_upload("my name.pdf"))
    assert p.household == household
    assert p.attachment.name.endswith(".pdf") and "my name" not in p.attachment.name
    assert len(p.attachment_sha256) == 64
    event = Event.objects.get(event_type="petition.record")
    assert event.details["acknowledge_by"] == p.acknowledge_by.isoformat()


def test_the_steps_in_order_to_closing(pet):  # type: ignore[no-untyped-def]
    p = walk(pet, petition(pet))
    assert p.status == PetitionStatus.CLOSED
    assert p.satisfaction == "satisfied"
    assert list(
        Event.objects.filter(target_type="petitions.petition")
        .order_by("seq")
        .values_list("event_type", flat=True)
    ) == [
        "petition.record",
        "petition.assign",
        "petition.acknowledge",
        "petition.answer",
        "petition.satisfaction",
        "petition.close",
    ]


def test_steps_out_of_order_are_refused(pet):  # type: ignore[no-untyped-def]
    p = petition(pet)
    day = p.received_on
    with pytest.raises(ValidationError) as exc:
        services.acknowledge(actor=pet.officer, petition=p, acknowledged_on=day)
    assert exc.value.code == "out_of_order"
    with pytest.raises(ValidationError):
        services.answer(actor=pet.officer, petition=p, answered_on=day, reply="x")
    with pytest.raises(ValidationError):
        services.rate(actor=pet.officer, petition=p, satisfaction="satisfied", satisfaction_on=day)
    with pytest.raises(ValidationError):
        services.close(actor=pet.officer, petition=p, closed_on=day)
    p = walk(pet, p, until="assigned")
    with pytest.raises(ValidationError) as exc:
        services.assign(actor=pet.officer, petition=p, assignee=pet.officer, assigned_on=day)
    assert exc.value.code == "out_of_order"


def test_step_dates_cannot_be_before_the_previous_step_or_in_the_future(pet):  # type: ignore[no-untyped-def]
    p = petition(pet, received_on=today() - dt.timedelta(days=5))
    before = p.received_on - dt.timedelta(days=1)
    future = today() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.assign(actor=pet.officer, petition=p, assignee=pet.officer, assigned_on=before)
    assert codes(exc) == {"assigned_on": ["before_previous"]}
    with pytest.raises(ValidationError) as exc:
        services.assign(actor=pet.officer, petition=p, assignee=pet.officer, assigned_on=future)
    assert codes(exc) == {"assigned_on": ["future"]}
    p = services.assign(
        actor=pet.officer,
        petition=p,
        assignee=pet.officer,
        assigned_on=today() - dt.timedelta(days=3),
    )
    with pytest.raises(ValidationError) as exc:
        services.acknowledge(
            actor=pet.officer, petition=p, acknowledged_on=today() - dt.timedelta(days=4)
        )
    assert codes(exc) == {"acknowledged_on": ["before_previous"]}
    p = services.acknowledge(
        actor=pet.officer, petition=p, acknowledged_on=today() - dt.timedelta(days=2)
    )
    with pytest.raises(ValidationError) as exc:
        services.answer(
            actor=pet.officer, petition=p, answered_on=today() - dt.timedelta(days=3), reply=""
        )
    assert codes(exc) == {"answered_on": ["before_previous"], "reply": ["required"]}
    with pytest.raises(ValidationError) as exc:
        services.answer(
            actor=pet.officer,
            petition=p,
            answered_on=today(),
            reply="ok",
            reply_document=text_upload(),
        )
    assert codes(exc) == {"reply_document": ["type"]}
    p = services.answer(
        actor=pet.officer,
        petition=p,
        answered_on=today() - dt.timedelta(days=1),
        reply="ok",
        reply_document=pdf_upload(),
    )
    assert len(p.reply_sha256) == 64
    with pytest.raises(ValidationError) as exc:
        services.rate(
            actor=pet.officer,
            petition=p,
            satisfaction="happy",
            satisfaction_on=today() - dt.timedelta(days=2),
        )
    assert codes(exc) == {"satisfaction_on": ["before_previous"], "satisfaction": ["required"]}
    p = services.rate(
        actor=pet.officer, petition=p, satisfaction="not_satisfied", satisfaction_on=today()
    )
    with pytest.raises(ValidationError) as exc:
        services.close(actor=pet.officer, petition=p, closed_on=today() - dt.timedelta(days=1))
    assert codes(exc) == {"closed_on": ["before_previous"]}
    with pytest.raises(ValidationError) as exc:
        services.close(actor=pet.officer, petition=p, closed_on=None)
    assert codes(exc) == {"closed_on": ["required"]}


def test_assignment_only_to_the_projects_people_who_handle_petitions(pet):  # type: ignore[no-untyped-def]
    p = petition(pet)
    for person in (pet.surveyor, pet.other_pm, pet.outsider, None):
        with pytest.raises(ValidationError) as exc:
            services.assign(
                actor=pet.officer, petition=p, assignee=person, assigned_on=p.received_on
            )
        assert codes(exc) == {"assignee": ["not_in_project"]}
    assert (
        services.assign(
            actor=pet.pm, petition=p, assignee=pet.pm, assigned_on=p.received_on
        ).assigned_to
        == pet.pm
    )


def test_steps_need_the_change_right(pet):  # type: ignore[no-untyped-def]
    p = petition(pet)
    for user in (pet.surveyor, pet.viewer, pet.other_pm):
        with pytest.raises(AccessDenied):
            services.assign(actor=user, petition=p, assignee=pet.officer, assigned_on=p.received_on)


# --- repeated petitions ---------------------------------------------------------------------


def test_a_repeated_petition_is_linked_by_id_number_or_name_and_phone(pet):  # type: ignore[no-untyped-def]
    first = petition(pet, received_on=today() - dt.timedelta(days=30))
    assert first.repeat_of is None and first.earlier_count == 0
    second = petition(pet, phone="", received_on=today() - dt.timedelta(days=10))
    assert second.repeat_of == first and second.earlier_count == 1
    third = petition(pet, id_number="", channel=Channel.HOTLINE)
    assert third.repeat_of == first and third.earlier_count == 1
    fourth = petition(pet)
    assert fourth.repeat_of == third and fourth.earlier_count == 3
    stranger = petition(
        pet, petitioner_name="李秀英", id_number=OTHER_ID_NUMBER, phone="13900002222"
    )
    assert stranger.repeat_of is None
    namesake = petition(pet, id_number="", phone="13900009999")
    assert namesake.repeat_of is None
    elsewhere = petition(pet, actor=pet.other_pm, project=pet.other_project)
    assert elsewhere.repeat_of is None
    assert set(selectors.same_person(first)) == {second, third, fourth}


# --- escalation --------------------------------------------------------------------------------


def test_escalation_flags_only_overdue_petitions_once(pet):  # type: ignore[no-untyped-def]
    late_ack = petition(pet, received_on=today() - dt.timedelta(days=16))
    in_time = petition(
        pet,
        petitioner_name="李秀英",
        id_number=OTHER_ID_NUMBER,
        phone="",
        received_on=today() - dt.timedelta(days=15),
    )
    late_answer = walk(
        pet,
        petition(
            pet,
            petitioner_name="赵大海",
            id_number="",
            phone="1",
            received_on=today() - dt.timedelta(days=70),
        ),
        until="acknowledged",
    )
    answered_late = walk(
        pet,
        petition(
            pet,
            petitioner_name="钱二",
            id_number="",
            phone="2",
            received_on=today() - dt.timedelta(days=80),
        ),
        until="answered",
    )
    escalated = services.escalate_overdue(pet.project.pk, today())
    assert {p.pk for p in escalated} == {late_ack.pk, late_answer.pk}
    late_ack.refresh_from_db()
    assert late_ack.escalated_on == today()
    assert late_ack.escalated_for == Overdue.ACKNOWLEDGE
    assert late_ack.escalated_to == pet.pm
    in_time.refresh_from_db()
    answered_late.refresh_from_db()
    assert in_time.escalated_on is None and answered_late.escalated_on is None
    events = Event.objects.filter(event_type="petition.escalate")
    assert events.count() == 2
    assert events.get(target_id=str(late_answer.pk)).details["days_overdue"] == 10
    # Idempotent.
    assert services.escalate_overdue(pet.project.pk, today()) == []
    assert services.escalate_overdue(pet.project.pk, today() + dt.timedelta(days=1)) == [in_time]
    assert Event.objects.filter(event_type="petition.escalate").count() == 3


def test_an_acknowledged_late_petition_is_escalated_again_when_the_answer_is_late(pet):  # type: ignore[no-untyped-def]
    p = petition(pet, received_on=today() - dt.timedelta(days=20))
    services.escalate_overdue(pet.project.pk, today())
    p = walk(pet, Petition.objects.get(pk=p.pk), until="acknowledged")
    later = p.answer_by + dt.timedelta(days=1)
    assert services.escalate_overdue(pet.project.pk, later) == [p]
    p.refresh_from_db()
    assert p.escalated_for == Overdue.ANSWER and p.escalated_on == later


def test_the_command_escalates_and_says_so(pet):  # type: ignore[no-untyped-def]
    p = petition(pet, received_on=today() - dt.timedelta(days=16))
    out = StringIO()
    call_command("escalate_petitions", stdout=out)
    assert f"XM-A: petition #{p.pk} escalated (acknowledge)" in out.getvalue()
    assert "1 petition(s) escalated." in out.getvalue()
    out = StringIO()
    call_command("escalate_petitions", "--project", "XM-A", stdout=out)
    assert out.getvalue().strip() == "0 petition(s) escalated."
    out = StringIO()
    call_command(
        "escalate_petitions", "--today", (today() + dt.timedelta(days=60)).isoformat(), stdout=out
    )
    assert "(answer)" in out.getvalue()


# --- counts --------------------------------------------------------------------------------------


def test_counts_by_channel_and_status(pet):  # type: ignore[no-untyped-def]
    petition(pet, channel=Channel.LETTER)
    petition(pet, channel=Channel.LETTER, received_on=today() - dt.timedelta(days=20))
    walk(pet, petition(pet, channel=Channel.DISCIPLINE))
    petition(pet, actor=pet.other_pm, project=pet.other_project, channel=Channel.HOTLINE)
    found = selectors.counts(pet.pm, pet.project)
    channels = {value: n for value, _label, n in found["channels"]}
    statuses = {value: n for value, _label, n in found["statuses"]}
    assert channels == {"visit": 0, "letter": 2, "online": 0, "hotline": 0, "discipline": 1}
    assert statuses["received"] == 2 and statuses["closed"] == 1 and statuses["assigned"] == 0
    assert found["total"] == 3 and found["overdue"] == 1
    rows = {r.project.code: r for r in selectors.project_rows(pet.supervisor)}
    assert (rows["XM-A"].total, rows["XM-A"].open, rows["XM-A"].overdue) == (3, 2, 1)
    assert rows["XM-B"].total == 1


# --- cases -------------------------------------------------------------------------------


def case(c: Any, **changes: Any) -> Any:
    kwargs: dict[str, Any] = {
        "actor": c.officer,
        "project": c.project,
        "kind": CaseKind.RECONSIDERATION,
        "body": "区人民政府",
        "case_number": "复〔2026〕1号",
        "applicant": "王建国",
        "respondent": "区房屋征收部门",
        "subject": CaseSubject.DECISION,
        "filed_on": today() - dt.timedelta(days=10),
    }
    kwargs.update(changes)
    return services.case_record(**kwargs)


def test_a_case_with_hearings_and_its_outcome(pet):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        case(pet, kind="appeal", body="", subject="x", filed_on=today() + dt.timedelta(days=1))
    assert set(codes(exc)) == {"kind", "body", "subject", "filed_on"}
    with pytest.raises(AccessDenied):
        case(pet, actor=pet.surveyor)
    c = case(pet)
    with pytest.raises(ValidationError) as exc:
        case(pet)
    assert codes(exc) == {"case_number": ["exists"]}
    with pytest.raises(ValidationError) as exc:
        services.hearing_record(
            actor=pet.officer, case=c, held_on=c.filed_on - dt.timedelta(days=1), place=""
        )
    assert codes(exc) == {"held_on": ["before_previous"], "place": ["required"]}
    services.hearing_record(
        actor=pet.officer, case=c, held_on=today() - dt.timedelta(days=5), place="区政府复议室"
    )
    services.hearing_record(
        actor=pet.officer, case=c, held_on=today() - dt.timedelta(days=2), place="区政府复议室"
    )
    with pytest.raises(ValidationError) as exc:
        services.outcome_record(
            actor=pet.officer,
            case=c,
            outcome=Outcome.UPHELD,
            outcome_on=today() - dt.timedelta(days=3),
            document=None,
        )
    assert codes(exc) == {"outcome_on": ["before_previous"], "document": ["required"]}
    with pytest.raises(ValidationError) as exc:
        services.outcome_record(
            actor=pet.officer,
            case=c,
            outcome=Outcome.CHANGED,
            outcome_on=today(),
            document=text_upload(),
        )
    assert codes(exc) == {"outcome": ["no_household"], "document": ["type"]}
    c = services.outcome_record(
        actor=pet.officer, case=c, outcome=Outcome.UPHELD, outcome_on=today(), document=pdf_upload()
    )
    assert c.outcome == Outcome.UPHELD and len(c.outcome_sha256) == 64
    with pytest.raises(ValidationError) as exc:
        services.outcome_record(
            actor=pet.officer,
            case=c,
            outcome=Outcome.REVOKED,
            outcome_on=today(),
            document=pdf_upload(),
        )
    assert exc.value.code == "decided"
    with pytest.raises(ValidationError) as exc:
        services.hearing_record(actor=pet.officer, case=c, held_on=today(), place="x")
    assert exc.value.code == "decided"


def test_a_case_subject_links_only_to_its_households_objects(agr, pet):  # type: ignore[no-untyped-def]
    other = make_household(agr.project, code="H-999")
    with pytest.raises(ValidationError) as exc:
        case(
            pet,
            project=agr.project,
            actor=agr.officer,
            household=other,
            subject=CaseSubject.VALUATION,
            valuation=agr.valuation,
        )
    assert codes(exc) == {"valuation": ["valuation"]}
    found = case(
        pet,
        project=agr.project,
        actor=agr.officer,
        household=agr.household,
        subject=CaseSubject.VALUATION,
        valuation=agr.valuation,
    )
    assert found.valuation == agr.valuation


# --- collective decisions ----------------------------------------------------------------------


def test_only_the_project_manager_records_a_decision_with_its_minutes(pet):  # type: ignore[no-untyped-def]
    kwargs: dict[str, Any] = {
        "project": pet.project,
        "meeting_date": today(),
        "participants": "指挥部、街道、村委",
        "decision": "同意王建国户附属房按主房标准补偿。",
    }
    for user in (pet.officer, pet.surveyor, pet.other_pm):
        with pytest.raises(AccessDenied):
            services.decision_record(actor=user, document=pdf_upload(), **kwargs)
    with pytest.raises(ValidationError) as exc:
        services.decision_record(
            actor=pet.pm,
            document=None,
            **{**kwargs, "participants": "", "meeting_date": today() + dt.timedelta(days=1)},
        )
    assert codes(exc) == {
        "meeting_date": ["future"],
        "participants": ["required"],
        "document": ["required"],
    }
    with pytest.raises(ValidationError) as exc:
        services.decision_record(actor=pet.pm, document=text_upload(), **kwargs)
    assert codes(exc) == {"document": ["type"]}
    decision = services.decision_record(
        actor=pet.pm, document=pdf_upload("会议纪要 原件.pdf"), **kwargs
    )
    assert CollectiveDecision.objects.get() == decision
    assert "原件" not in decision.document.name and decision.document.name.endswith(".pdf")
    assert len(services.decision_sha256(decision)) == 64


def test_an_outcome_changing_the_amount_sends_the_calculation_back_through_review(agr, pet):  # type: ignore[no-untyped-def]
    from zhengqian.agreements import services as agreements
    from zhengqian.compensation import services as compensation
    from zhengqian.core.models import StaleMark

    c = case(pet, project=agr.project, actor=agr.officer, household=agr.household)
    assert not compensation.is_stale(agr.calculation)
    services.outcome_record(
        actor=agr.officer,
        case=c,
        outcome=Outcome.CHANGED,
        outcome_on=today(),
        document=pdf_upload(),
        note="判决变更补偿金额",
    )
    mark = StaleMark.objects.get(
        target_type=compensation.STALE_TARGET, target_id=agr.calculation.pk
    )
    assert (mark.household_id, mark.source, mark.source_id) == (
        agr.household.pk,
        "petitions.lawcase",
        str(c.pk),
    )
    assert mark.changes["outcome"] == [None, "changed"]
    assert compensation.is_stale(agr.calculation)
    event = Event.objects.get(event_type="lawcase.outcome")
    assert event.details["stale_calculations"] == [agr.calculation.pk]
    with pytest.raises(ValidationError) as exc:
        agreements.draft(actor=agr.officer, calculation=agr.calculation)
    assert exc.value.code == "stale"


def test_an_outcome_that_changes_nothing_leaves_the_calculation(agr, pet):  # type: ignore[no-untyped-def]
    from zhengqian.compensation import services as compensation

    c = case(pet, project=agr.project, actor=agr.officer, household=agr.household)
    services.outcome_record(
        actor=agr.officer, case=c, outcome=Outcome.UPHELD, outcome_on=today(), document=pdf_upload()
    )
    assert not compensation.is_stale(agr.calculation)


def test_an_amount_changing_outcome_also_stops_a_calculation_in_review(agr, pet):  # type: ignore[no-untyped-def]
    from zhengqian.compensation import services as compensation

    # A newer calculation is already on its way through review when the judgment comes.
    newer = compensation.calculate(
        actor=agr.accountant, household=agr.household, mode="cash", signing_on=agr.signing_day
    )
    compensation.submit(actor=agr.accountant, calculation=newer)
    c = case(pet, project=agr.project, actor=agr.officer, household=agr.household)
    services.outcome_record(
        actor=agr.officer,
        case=c,
        outcome=Outcome.CHANGED,
        outcome_on=today(),
        document=pdf_upload(),
    )
    assert compensation.is_stale(agr.calculation)
    assert compensation.is_stale(newer)
