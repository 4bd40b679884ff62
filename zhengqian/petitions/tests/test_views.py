"""The petitions pages: the entry page, a project's page (escalating its overdue petitions,
filters, counts), a petition's page and its steps, masking and the recorded unmasked views,
cases, the register of collective decisions, the files; 403 without the right, 404 across
projects."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from zhengqian.audit.models import Event
from zhengqian.compensation.models import CollectiveDecision
from zhengqian.core.masking import mask_name, mask_phone
from zhengqian.petitions import services
from zhengqian.petitions.models import LawCase, Petition, PetitionStatus
from zhengqian.petitions.tests.conftest import ID_NUMBER, pdf_upload, petition, text_upload, today
from zhengqian.petitions.tests.test_services import case

pytestmark = pytest.mark.django_db


def body(response: Any) -> str:
    return response.content.decode()


def test_the_entry_page_lists_projects_with_counts(pet, login):  # type: ignore[no-untyped-def]
    petition(pet, received_on=today() - dt.timedelta(days=20))
    page = login(pet.officer).get("/petitions/")
    assert page.status_code == 200
    text = body(page)
    assert "XM-A" in text and "XM-B" not in text
    assert 'data-testid="count-overdue">1<' in text


def test_the_project_page_escalates_and_filters(pet, login):  # type: ignore[no-untyped-def]
    late = petition(pet, received_on=today() - dt.timedelta(days=20))
    fresh = petition(pet, petitioner_name="李秀英", id_number="", phone="", channel="letter")
    client = login(pet.officer)
    page = client.get(f"/petitions/projects/{pet.project.pk}/")
    assert page.status_code == 200
    late.refresh_from_db()
    assert late.escalated_on == today() and late.escalated_to == pet.pm
    text = body(page)
    assert 'data-testid="escalated"' in text and "5 days overdue" in text
    assert 'data-testid="petition-form"' in text and 'data-testid="settings-form"' not in text
    assert Event.objects.filter(event_type="petition.escalate").count() == 1
    client.get(f"/petitions/projects/{pet.project.pk}/")
    assert Event.objects.filter(event_type="petition.escalate").count() == 1
    only_overdue = body(client.get(f"/petitions/projects/{pet.project.pk}/?overdue=on"))
    assert f'data-petition="{late.pk}"' in only_overdue
    assert f'data-petition="{fresh.pk}"' not in only_overdue
    letters = body(client.get(f"/petitions/projects/{pet.project.pk}/?channel=letter"))
    assert f'data-petition="{fresh.pk}"' in letters and f'data-petition="{late.pk}"' not in letters
    received = body(client.get(f"/petitions/projects/{pet.project.pk}/?status=assigned"))
    assert "data-petition=" not in received


def test_the_list_masks_personal_data_unless_asked_by_whom_may(pet, login):  # type: ignore[no-untyped-def]
    p = petition(pet)
    text = body(login(pet.surveyor).get(f"/petitions/projects/{pet.project.pk}/?personal=1"))
    assert mask_name("王建国") in text and "王建国" not in text
    assert Event.objects.filter(event_type="petition.personal").count() == 0
    text = body(login(pet.officer).get(f"/petitions/projects/{pet.project.pk}/"))
    assert "王建国" not in text and 'data-testid="show-personal"' in text
    text = body(login(pet.officer).get(f"/petitions/projects/{pet.project.pk}/?personal=1"))
    assert "王建国" in text
    event = Event.objects.get(event_type="petition.personal")
    assert event.details["petitions"] == [p.pk] and event.actor_id == pet.officer.pk


def test_the_petition_page_unmasks_for_whom_may_and_records_it(pet, login):  # type: ignore[no-untyped-def]
    p = petition(pet)
    text = body(login(pet.surveyor).get(f"/petitions/petitions/{p.pk}/"))
    assert ID_NUMBER not in text and mask_phone("13800001111") in text
    assert 'data-testid="step-form"' not in text
    assert not Event.objects.filter(event_type="petition.personal").exists()
    text = body(login(pet.officer).get(f"/petitions/petitions/{p.pk}/"))
    assert ID_NUMBER in text and "13800001111" in text and 'data-testid="step-form"' in text
    assert Event.objects.get(event_type="petition.personal").target_id == str(p.pk)


def test_recording_a_petition_and_its_steps_through_the_pages(pet, login):  # type: ignore[no-untyped-def]
    client = login(pet.officer)
    url = f"/petitions/projects/{pet.project.pk}/new/"
    refused = client.post(
        url,
        {
            "channel": "visit",
            "petitioner_name": "王建国",
            "received_on": (today() + dt.timedelta(days=1)).isoformat(),
            "request": "x",
        },
    )
    assert refused.status_code == 400 and 'data-field-error="received_on"' in body(refused)
    done = client.post(
        url,
        {
            "channel": "visit",
            "petitioner_name": "王建国",
            "phone": "13800001111",
            "received_on": today().isoformat(),
            "request": "要求复核",
            "attachment": pdf_upload(),
        },
    )
    p = Petition.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/petitions/petitions/{p.pk}/"
    step = f"/petitions/petitions/{p.pk}/step/"
    stale = client.post(step, {"step": "assigned", "acknowledged_on": today().isoformat()})
    assert stale.status_code == 302
    p.refresh_from_db()
    assert p.status == PetitionStatus.RECEIVED
    bad = client.post(
        step, {"step": "received", "assignee": pet.surveyor.pk, "assigned_on": today().isoformat()}
    )
    assert bad.status_code == 400
    ok = client.post(
        step, {"step": "received", "assignee": pet.officer.pk, "assigned_on": today().isoformat()}
    )
    assert ok.status_code == 302
    client.post(step, {"step": "assigned", "acknowledged_on": today().isoformat()})
    client.post(
        step,
        {
            "step": "acknowledged",
            "answered_on": today().isoformat(),
            "reply": "已复核",
            "reply_document": pdf_upload(),
        },
    )
    client.post(
        step,
        {"step": "answered", "satisfaction": "basically", "satisfaction_on": today().isoformat()},
    )
    client.post(step, {"step": "rated", "closed_on": today().isoformat()})
    p.refresh_from_db()
    assert p.status == PetitionStatus.CLOSED and p.satisfaction == "basically"
    assert login(pet.surveyor).post(step, {"step": "closed"}).status_code == 403
    client = login(pet.officer)
    repeat = client.post(
        url,
        {
            "channel": "hotline",
            "petitioner_name": "王建国",
            "phone": "13800001111",
            "received_on": today().isoformat(),
            "request": "再次反映",
        },
    )
    second = Petition.objects.exclude(pk=p.pk).get()
    assert repeat.status_code == 302 and second.repeat_of == p
    page = body(client.get(f"/petitions/petitions/{second.pk}/"))
    assert 'data-testid="repeat-of"' in page and 'data-testid="same-count">1<' in page


def test_petition_files_are_served_to_the_project_and_recorded(pet, login):  # type: ignore[no-untyped-def]
    p = petition(pet, attachment=pdf_upload())
    response = login(pet.surveyor).get(f"/petitions/petitions/{p.pk}/files/attachment/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert Event.objects.filter(event_type="petition.document").count() == 1
    assert login(pet.surveyor).get(f"/petitions/petitions/{p.pk}/files/reply/").status_code == 404
    assert (
        login(pet.other_pm).get(f"/petitions/petitions/{p.pk}/files/attachment/").status_code == 404
    )


def test_404_across_projects_and_for_viewers(pet, login):  # type: ignore[no-untyped-def]
    p = petition(pet)
    c = case(pet)
    decision = services.decision_record(
        actor=pet.pm,
        project=pet.project,
        meeting_date=today(),
        participants="指挥部",
        decision="同意",
        document=pdf_upload(),
    )
    for user in (pet.other_pm, pet.viewer, pet.outsider):
        client = login(user)
        for url in (
            f"/petitions/projects/{pet.project.pk}/",
            f"/petitions/petitions/{p.pk}/",
            f"/petitions/cases/{c.pk}/",
            f"/petitions/projects/{pet.project.pk}/decisions/",
            f"/petitions/decisions/{decision.pk}/",
            f"/petitions/decisions/{decision.pk}/minutes/",
        ):
            assert client.get(url).status_code == 404, (user, url)
    assert login(pet.supervisor).get(f"/petitions/petitions/{p.pk}/").status_code == 200


def test_writes_without_the_right_are_403(pet, login):  # type: ignore[no-untyped-def]
    client = login(pet.surveyor)
    assert client.post(f"/petitions/projects/{pet.project.pk}/new/", {}).status_code == 403
    assert client.post(f"/petitions/projects/{pet.project.pk}/cases/new/", {}).status_code == 403
    assert client.post(f"/petitions/projects/{pet.project.pk}/settings/", {}).status_code == 403
    assert (
        login(pet.officer)
        .post(
            f"/petitions/projects/{pet.project.pk}/settings/",
            {"acknowledge_days": 5, "answer_days": 30},
        )
        .status_code
        == 403
    )
    assert (
        login(pet.officer).post(f"/petitions/projects/{pet.project.pk}/decisions/", {}).status_code
        == 403
    )


def test_the_manager_changes_the_deadlines_on_the_page(pet, login):  # type: ignore[no-untyped-def]
    client = login(pet.pm)
    url = f"/petitions/projects/{pet.project.pk}/settings/"
    assert client.post(url, {"acknowledge_days": 50, "answer_days": 30}).status_code == 400
    assert client.post(url, {"acknowledge_days": 10, "answer_days": 30}).status_code == 302
    assert "Acknowledge within 10 days and answer within 30 days" in body(
        client.get(f"/petitions/projects/{pet.project.pk}/")
    )


def test_a_case_through_its_pages(pet, login):  # type: ignore[no-untyped-def]
    client = login(pet.officer)
    url = f"/petitions/projects/{pet.project.pk}/cases/new/"
    data = {
        "kind": "litigation",
        "body": "区人民法院",
        "case_number": "(2026)行初1号",
        "applicant": "王建国",
        "respondent": "区征收部门",
        "subject": "decision",
        "filed_on": today().isoformat(),
    }
    assert client.post(url, {**data, "case_number": ""}).status_code == 400
    assert client.post(url, data).status_code == 302
    c = LawCase.objects.get()
    page = body(client.get(f"/petitions/cases/{c.pk}/"))
    assert "王建国" in page and 'data-testid="hearing-form"' in page
    assert Event.objects.filter(event_type="lawcase.personal").count() == 1
    assert mask_name("王建国") in body(login(pet.surveyor).get(f"/petitions/cases/{c.pk}/"))
    client = login(pet.officer)
    assert (
        client.post(
            f"/petitions/cases/{c.pk}/hearing/", {"held_on": today().isoformat(), "place": ""}
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/petitions/cases/{c.pk}/hearing/",
            {"held_on": today().isoformat(), "place": "第三法庭"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/petitions/cases/{c.pk}/outcome/",
            {"outcome": "upheld", "outcome_on": today().isoformat(), "document": text_upload()},
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/petitions/cases/{c.pk}/outcome/",
            {"outcome": "upheld", "outcome_on": today().isoformat(), "document": pdf_upload()},
        ).status_code
        == 302
    )
    page = body(client.get(f"/petitions/cases/{c.pk}/"))
    assert 'data-testid="hearing-row"' in page and 'data-testid="outcome-form"' not in page
    assert client.get(f"/petitions/cases/{c.pk}/document/").status_code == 200
    assert login(pet.surveyor).post(f"/petitions/cases/{c.pk}/hearing/", {}).status_code == 403


def test_the_decision_register(pet, login):  # type: ignore[no-untyped-def]
    client = login(pet.pm)
    url = f"/petitions/projects/{pet.project.pk}/decisions/"
    page = body(client.get(url))
    assert 'data-testid="decision-form"' in page
    assert 'data-testid="decision-form"' not in body(login(pet.officer).get(url))
    client = login(pet.pm)
    data = {
        "meeting_date": "2026-01-05",
        "participants": "指挥部、街道",
        "decision": "同意附属房按主房标准补偿",
    }
    assert client.post(url, {**data, "document": text_upload()}).status_code == 400
    assert client.post(url, data).status_code == 400
    assert client.post(url, {**data, "document": pdf_upload()}).status_code == 302
    client.post(
        url,
        {
            "meeting_date": "2026-03-01",
            "participants": "指挥部",
            "decision": "同意延期搬迁",
            "document": pdf_upload(),
        },
    )
    first = CollectiveDecision.objects.get(decision__contains="附属房")
    c = case(pet, decision=first)
    found = body(client.get(url + "?q=附属房"))
    assert f'data-decision="{first.pk}"' in found and found.count('data-testid="decision-row"') == 1
    by_date = body(client.get(url + "?since=2026-02-01"))
    assert (
        f'data-decision="{first.pk}"' not in by_date
        and by_date.count('data-testid="decision-row"') == 1
    )
    detail = body(client.get(f"/petitions/decisions/{first.pk}/"))
    assert c.case_number in detail
    response = client.get(f"/petitions/decisions/{first.pk}/minutes/")
    assert response.status_code == 200
    assert Event.objects.filter(event_type="decision.document").count() == 1


def test_a_decision_shows_the_calculation_lines_under_it(agr, pet, login):  # type: ignore[no-untyped-def]
    decision = services.decision_record(
        actor=agr.pm,
        project=agr.project,
        meeting_date=today(),
        participants="指挥部",
        decision="同意",
        document=pdf_upload(),
    )
    line = agr.calculation.lines.order_by("position").first()
    type(line).objects.filter(pk=line.pk).update(exception=decision)
    page = body(login(pet.officer).get(f"/petitions/decisions/{decision.pk}/"))
    assert 'data-testid="line-row"' in page and line.name in page
