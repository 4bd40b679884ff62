"""The agreements pages: the entry page, a project's overview and templates, the agreement page
with its signing form, files and voiding, drafting from a calculation and the household page's
section — each allowed for the right role, 403 without it and 404 for another project's staff."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements import services
from zhengqian.agreements.models import Agreement, AgreementStatus, AgreementTemplate
from zhengqian.agreements.tests.conftest import (
    docx_upload,
    minimal_template,
    pdf_upload,
    signing,
)
from zhengqian.audit.models import Event
from zhengqian.core.masking import mask_name
from zhengqian.testing.factories import PASSWORD, grant

pytestmark = pytest.mark.django_db


def project_url(project: Any, action: str = "") -> str:
    return f"/agreements/projects/{project.pk}/{action}"


def agreement_url(agreement: Any, action: str = "") -> str:
    return f"/agreements/{agreement.pk}/{action}"


def drafted(agr: Any) -> Agreement:
    """The household's agreement, drafted a minute ago (a signing is recorded after it)."""
    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    Agreement.objects.filter(pk=agreement.pk).update(
        drafted_at=timezone.now() - dt.timedelta(minutes=1)
    )
    agreement.refresh_from_db()
    return agreement


def sign_data(agr: Any, **changes: Any) -> dict[str, Any]:
    household = agr.household
    at = timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S")
    data: dict[str, Any] = {
        "signed_at": at,
        "party_capacity": "head",
        "party_name": household.head_name,
        "party_id_number": household.head_id_number,
        "office_group_leader": agr.group_leader.pk,
        "office_cadre": agr.cadre.pk,
        "office_handler": agr.officer.pk,
        "office_reviewer": agr.accountant2.pk,
        "scan": pdf_upload(),
    }
    data.update(changes)
    return data


def body(response: Any) -> str:
    return response.content.decode()


# --- the entry page ----------------------------------------------------------------------


def test_the_entry_page_lists_the_users_projects_with_their_counts_and_rate(agr, login):  # type: ignore[no-untyped-def]
    signing(agr, drafted(agr))
    page = login(agr.officer).get("/agreements/")
    assert page.status_code == 200
    html = body(page)
    assert f'data-project="{agr.project.code}"' in html
    assert f'data-project="{agr.world.other_project.code}"' not in html
    assert 'data-testid="count-signed">1<' in html and 'data-testid="count-effective">1<' in html


def test_another_projects_manager_does_not_see_the_project_on_the_entry_page(agr, login):  # type: ignore[no-untyped-def]
    html = body(login(agr.world.other_pm).get("/agreements/"))
    assert f'data-project="{agr.project.code}"' not in html
    assert f'data-project="{agr.world.other_project.code}"' in html


# --- the project page --------------------------------------------------------------------


def test_the_project_page_shows_the_rate_the_list_and_the_signing_day_link(agr, login):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    page = login(agr.officer).get(project_url(agr.project))
    assert page.status_code == 200
    html = body(page)
    assert 'data-testid="signing-rate"' in html
    assert f'data-number="{agreement.number}"' in html
    assert agr.household.head_name in html
    assert f"/agreements/projects/{agr.project.pk}/signing-day/" in html


def test_the_project_page_masks_the_head_without_the_right_to_personal_data(agr, login):  # type: ignore[no-untyped-def]
    drafted(agr)
    html = body(login(agr.accountant).get(project_url(agr.project)))
    assert mask_name(agr.household.head_name) in html
    assert f'data-testid="head-name">{agr.household.head_name}<' not in html


def test_the_project_list_filters_by_status_and_searches_by_number(agr, login):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    client = login(agr.officer)
    assert agreement.number in body(client.get(project_url(agr.project), {"status": "draft"}))
    assert f'data-number="{agreement.number}"' not in body(
        client.get(project_url(agr.project), {"status": "effective"})
    )
    found = body(client.get(project_url(agr.project), {"q": agreement.number[-3:]}))
    assert f'data-number="{agreement.number}"' in found


def test_the_project_page_is_404_for_another_project_and_an_outsider(agr, login):  # type: ignore[no-untyped-def]
    assert login(agr.world.other_pm).get(project_url(agr.project)).status_code == 404
    assert login(agr.world.outsider).get(project_url(agr.project)).status_code == 404


def test_a_signing_officer_drafts_all_waiting_agreements_within_the_request(agr, login):  # type: ignore[no-untyped-def]
    client = login(agr.officer)
    r = client.post(project_url(agr.project, "drafts/"))
    assert r.status_code == 302
    assert Agreement.objects.filter(household=agr.household).count() == 1
    html = body(client.get(project_url(agr.project)))
    assert 'data-testid="batch-progress" data-status="done"' in html
    assert "hx-get=" not in html.split('data-testid="batch-progress"')[1].split(">")[0]


def test_drafting_all_when_nothing_waits_is_refused_on_the_page(agr, login):  # type: ignore[no-untyped-def]
    drafted(agr)
    r = login(agr.officer).post(project_url(agr.project, "drafts/"))
    assert r.status_code == 400 and 'data-testid="draft-error"' in body(r)


def test_drafting_all_is_refused_without_the_right(agr, login):  # type: ignore[no-untyped-def]
    assert login(agr.accountant).post(project_url(agr.project, "drafts/")).status_code == 403
    assert not Agreement.objects.exists()


def test_the_batch_progress_partial_asks_for_a_reload_once_finished(agr, login):  # type: ignore[no-untyped-def]
    client = login(agr.officer)
    client.post(project_url(agr.project, "drafts/"))
    from zhengqian.agreements.models import DraftBatch

    batch = DraftBatch.objects.get()
    r = client.get(f"/agreements/batches/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r["HX-Refresh"] == "true"
    assert (
        login(agr.world.other_pm).get(f"/agreements/batches/{batch.pk}/progress/").status_code
        == 404
    )


# --- the templates page ------------------------------------------------------------------


def test_the_project_manager_sees_the_templates_with_versions_and_placeholders(agr, login):  # type: ignore[no-untyped-def]
    page = login(agr.pm).get(project_url(agr.project, "templates/"))
    assert page.status_code == 200
    html = body(page)
    assert 'data-testid="active-template"' in html
    assert "household.head_name" in html and 'data-testid="placeholder-list"' in html
    assert 'data-testid="next-number"' in html


def test_the_templates_page_is_403_for_a_signing_officer_and_404_for_another_project(agr, login):  # type: ignore[no-untyped-def]
    assert login(agr.officer).get(project_url(agr.project, "templates/")).status_code == 403
    assert login(agr.world.other_pm).get(project_url(agr.project, "templates/")).status_code == 404


def test_a_version_used_by_a_signed_agreement_is_marked_as_kept(agr, login):  # type: ignore[no-untyped-def]
    signing(agr, drafted(agr))
    html = body(login(agr.pm).get(project_url(agr.project, "templates/")))
    assert 'data-signed="1"' in html and 'data-testid="kept"' in html


def test_an_upload_with_an_unknown_placeholder_is_refused_at_the_file_field(agr, login):  # type: ignore[no-untyped-def]
    data = minimal_template(["乙方：{{ household.nickname }}"])
    r = login(agr.pm).post(
        project_url(agr.project, "templates/upload/"),
        {"kind": "cash", "title": "新模板", "file": docx_upload(data)},
    )
    assert r.status_code == 400
    html = body(r)
    error = html.split('data-field-error="file"')[1].split("</div>")[0]
    assert "household.nickname" in error
    assert AgreementTemplate.objects.filter(kind="cash").count() == 1


def test_an_upload_makes_a_new_version(agr, login):  # type: ignore[no-untyped-def]
    r = login(agr.pm).post(
        project_url(agr.project, "templates/upload/"),
        {"kind": "cash", "title": "新模板", "file": docx_upload(minimal_template())},
    )
    assert r.status_code == 302
    template = services.active_template(agr.project.pk, "cash")
    assert template is not None and template.version == 2


def test_the_template_file_is_downloaded_by_the_project_manager(agr, login):  # type: ignore[no-untyped-def]
    template = services.active_template(agr.project.pk, "cash")
    assert template is not None
    r = login(agr.pm).get(f"/agreements/templates/{template.pk}/download/")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    assert b"".join(r.streaming_content)[:2] == b"PK"
    assert (
        login(agr.officer).get(f"/agreements/templates/{template.pk}/download/").status_code == 403
    )


def test_the_sample_template_is_a_word_file(agr, login):  # type: ignore[no-untyped-def]
    r = login(agr.pm).get(project_url(agr.project, "templates/sample/cash/"))
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert "attachment" in r["Content-Disposition"]


def test_the_number_pattern_is_saved_and_a_wrong_one_refused_at_its_field(agr, login):  # type: ignore[no-untyped-def]
    client = login(agr.pm)
    r = client.post(project_url(agr.project, "pattern/"), {"pattern": "{project}-{nope}"})
    assert r.status_code == 400 and 'data-field-error="pattern"' in body(r)
    r = client.post(project_url(agr.project, "pattern/"), {"pattern": "XY-{seq:4}"})
    assert r.status_code == 302
    assert services.series(agr.project).pattern == "XY-{seq:4}"
    preview = client.get(project_url(agr.project, "pattern/preview/"), {"pattern": "Q{seq:3}"})
    assert "Q001" in body(preview)


# --- drafting ----------------------------------------------------------------------------


def test_drafting_through_the_view_creates_the_agreement_and_opens_it(agr, login):  # type: ignore[no-untyped-def]
    r = login(agr.officer).post(
        f"/agreements/draft/{agr.calculation.pk}/",
        {"next": f"/survey/households/{agr.household.pk}/"},
    )
    agreement = Agreement.objects.get(household=agr.household)
    assert r.status_code == 302 and r["Location"] == agreement_url(agreement)
    assert agreement.status == AgreementStatus.DRAFT


def test_a_refused_draft_is_a_message_on_the_page_it_came_from(agr, login):  # type: ignore[no-untyped-def]
    existing = drafted(agr)
    client = login(agr.officer)
    back = f"/survey/households/{agr.household.pk}/"
    r = client.post(f"/agreements/draft/{agr.calculation.pk}/", {"next": back})
    assert r.status_code == 302 and r["Location"] == back
    page = client.get(back)
    assert existing.number in body(page) and "alert-danger" in body(page)
    assert Agreement.objects.count() == 1


def test_drafting_is_refused_without_the_right_and_unknown_elsewhere(agr, login):  # type: ignore[no-untyped-def]
    url = f"/agreements/draft/{agr.calculation.pk}/"
    assert login(agr.accountant).post(url).status_code == 403
    assert login(agr.world.other_pm).post(url).status_code == 404
    assert login(agr.officer).get(url).status_code == 405


def test_the_household_page_offers_the_draft_to_a_signing_officer(agr, login):  # type: ignore[no-untyped-def]
    client = login(agr.officer)
    html = body(client.get(f"/survey/households/{agr.household.pk}/"))
    assert 'data-testid="agreements-section"' in html
    assert f'action="/agreements/draft/{agr.calculation.pk}/"' in html
    agreement = drafted(agr)
    html = body(client.get(f"/survey/households/{agr.household.pk}/"))
    assert f'data-number="{agreement.number}"' in html and 'data-testid="draft-button"' not in html


def test_the_household_page_section_has_no_draft_button_for_an_accountant(agr, login):  # type: ignore[no-untyped-def]
    html = body(login(agr.accountant).get(f"/survey/households/{agr.household.pk}/"))
    assert 'data-testid="agreements-section"' in html and 'data-testid="draft-button"' not in html


# --- the agreement page ------------------------------------------------------------------


def test_the_agreement_page_shows_the_figures_the_preview_and_the_signing_form(agr, login):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    page = login(agr.officer).get(agreement_url(agreement))
    assert page.status_code == 200
    html = body(page)
    assert f"/survey/households/{agr.household.pk}/" in html
    assert f"/compensation/calculations/{agr.calculation.pk}/" in html
    assert 'data-testid="total-in-words"' in html and 'data-testid="pdf-preview"' in html
    assert 'data-testid="sign-form"' in html


def test_the_agreement_page_is_404_for_another_project(agr, login):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    assert login(agr.world.other_pm).get(agreement_url(agreement)).status_code == 404
    assert login(agr.world.outsider).get(agreement_url(agreement)).status_code == 404


def test_without_personal_data_rights_the_page_has_no_files_and_no_form(agr, login):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    html = body(login(agr.accountant).get(agreement_url(agreement)))
    assert 'data-testid="files-restricted"' in html and 'data-testid="pdf-preview"' not in html
    assert 'data-testid="sign-form"' not in html
    assert mask_name(agr.household.head_name) in html


def test_signing_through_the_form_signs_the_agreement(agr, login):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    client = login(agr.officer)
    r = client.post(agreement_url(agreement, "sign/"), sign_data(agr))
    assert r.status_code == 302, body(r)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.EFFECTIVE and agreement.signing_order == 1
    assert agreement.office_signatures.count() == 4
    html = body(client.get(agreement_url(agreement)))
    assert 'data-testid="signing-record"' in html and 'data-testid="signing-order">1<' in html
    assert 'data-testid="sign-form"' not in html


def test_one_person_in_two_capacities_is_refused_at_the_field(agr, login):  # type: ignore[no-untyped-def]
    grant(agr.officer, RoleCode.COMMUNITY_CADRE, agr.project)
    agreement = drafted(agr)
    r = login(agr.officer).post(
        agreement_url(agreement, "sign/"), sign_data(agr, office_cadre=agr.officer.pk)
    )
    assert r.status_code == 400
    error = body(r).split('data-field-error="office_handler"')[1].split("</div>")[0]
    assert agr.officer.username in error or agr.officer.get_full_name() in error
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.DRAFT


def test_a_representative_without_power_of_attorney_is_refused_at_the_field(agr, login):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    r = login(agr.officer).post(
        agreement_url(agreement, "sign/"),
        sign_data(agr, party_capacity="representative", party_name="王五"),
    )
    assert r.status_code == 400
    html = body(r)
    assert 'data-field-error="power_of_attorney"' in html
    assert 'data-field-error="party_id_number"' in html


def test_signing_is_refused_without_the_right(agr, login):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    r = login(agr.accountant).post(agreement_url(agreement, "sign/"), sign_data(agr))
    assert r.status_code == 403
    assert login(agr.officer).get(agreement_url(agreement, "sign/")).status_code == 405


@pytest.mark.parametrize("which", ["pdf", "docx", "scan"])
def test_opening_a_file_is_an_audited_read(agr, login, which):  # type: ignore[no-untyped-def]
    agreement = signing(agr, drafted(agr))
    r = login(agr.officer).get(agreement_url(agreement, f"{which}/"))
    assert r.status_code == 200
    b"".join(r.streaming_content)
    disposition = r["Content-Disposition"]
    assert disposition.startswith("inline") if which == "pdf" else disposition.startswith("attach")
    event = Event.objects.filter(event_type="agreement.file").get()
    assert event.details["file"] == which and event.actor_id == agr.officer.pk


def test_the_pdf_may_be_framed_by_the_office_pages(agr, login):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    r = login(agr.officer).get(agreement_url(agreement, "pdf/"))
    assert r["X-Frame-Options"] == "SAMEORIGIN"


def test_files_are_refused_without_the_right_to_personal_data(agr, login):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    assert login(agr.accountant).get(agreement_url(agreement, "docx/")).status_code == 403
    assert login(agr.world.other_pm).get(agreement_url(agreement, "pdf/")).status_code == 404
    assert not Event.objects.filter(event_type="agreement.file").exists()


# --- voiding and supplements -------------------------------------------------------------


def test_voiding_is_asked_for_and_approved_only_with_the_right_password(agr, login, client):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    officer = login(agr.officer)
    r = officer.post(agreement_url(agreement, "void/request/"), {"reason": ""})
    assert r.status_code == 400 and 'data-field-error="reason"' in body(r)
    r = officer.post(agreement_url(agreement, "void/request/"), {"reason": "金额录错"})
    assert r.status_code == 302
    pm = login(agr.pm)
    html = body(pm.get(agreement_url(agreement)))
    assert 'data-testid="void-decide-form"' in html and "金额录错" in html
    r = pm.post(
        agreement_url(agreement, "void/decide/"), {"decision": "approve", "password": "wrong"}
    )
    assert r.status_code == 400 and 'data-field-error="password"' in body(r)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.DRAFT
    r = pm.post(
        agreement_url(agreement, "void/decide/"), {"decision": "approve", "password": PASSWORD}
    )
    assert r.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.VOID


def test_a_refused_request_to_void_leaves_the_agreement(agr, login):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    services.void_request(actor=agr.officer, agreement=agreement, reason="重复")
    r = login(agr.pm).post(
        agreement_url(agreement, "void/decide/"), {"decision": "refuse", "password": PASSWORD}
    )
    assert r.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.DRAFT and agreement.void_requested_at is None


def test_voiding_is_decided_only_by_the_project_manager(agr, login):  # type: ignore[no-untyped-def]
    agreement = drafted(agr)
    services.void_request(actor=agr.officer, agreement=agreement, reason="重复")
    r = login(agr.officer2).post(
        agreement_url(agreement, "void/decide/"), {"decision": "approve", "password": PASSWORD}
    )
    assert r.status_code == 403
    assert 'data-testid="void-decide-form"' not in body(
        login(agr.officer2).get(agreement_url(agreement))
    )


def test_a_newer_approved_calculation_offers_a_supplement(agr, login):  # type: ignore[no-untyped-def]
    from zhengqian.agreements.tests.conftest import approve
    from zhengqian.compensation import services as compensation

    agreement = signing(agr, drafted(agr))
    newer = compensation.calculate(
        actor=agr.accountant, household=agr.household, mode="cash", signing_on=agr.signing_day
    )
    approve(agr, newer)
    client = login(agr.officer)
    html = body(client.get(agreement_url(agreement)))
    assert f'action="/agreements/draft/{newer.pk}/"' in html
    r = client.post(f"/agreements/draft/{newer.pk}/", {"parent": agreement.pk})
    supplement = Agreement.objects.get(parent=agreement)
    assert r.status_code == 302 and r["Location"] == agreement_url(supplement)
    html = body(client.get(agreement_url(agreement)))
    assert f'data-number="{supplement.number}"' in html


def test_a_pending_agreement_says_when_it_takes_effect(agr, login):  # type: ignore[no-untyped-def]
    from zhengqian.compensation.models import Policy
    from zhengqian.ownership.tests.conftest import make_household

    make_household(agr.project, code="H-002", work_group=agr.world.group)
    end = timezone.localdate() + dt.timedelta(days=30)
    Policy.objects.filter(pk=agr.policy.pk).update(
        effect_threshold=Decimal("80.00"), signing_period_end=end
    )
    agreement = signing(agr, drafted(agr))
    assert agreement.status == AgreementStatus.PENDING
    client = login(agr.officer)
    html = body(client.get(agreement_url(agreement)))
    explanation = html.split('data-testid="status-explanation">')[1].split("</div>")[0]
    assert "80.00" in explanation and end.isoformat() in explanation
    overview = body(client.get(project_url(agr.project)))
    assert 'data-testid="rate-pending"' in overview and 'data-percent="50.00"' in overview


def test_the_pages_ask_an_anonymous_visitor_to_log_in(agr, client):  # type: ignore[no-untyped-def]
    for url in (
        "/agreements/",
        project_url(agr.project),
        f"/agreements/draft/{agr.calculation.pk}/",
    ):
        r = client.get(url)
        assert r.status_code == 302 and "/login/" in r["Location"]


def test_the_household_page_has_no_agreements_section_for_a_valuer(agr, login):  # type: ignore[no-untyped-def]
    page = login(agr.valuer).get(f"/survey/households/{agr.household.pk}/")
    assert page.status_code == 200
    assert 'data-testid="agreements-section"' not in body(page)


def test_the_entry_page_costs_the_same_queries_however_many_households(agr, login):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhengqian.ownership.tests.conftest import make_household

    signing(agr, drafted(agr))
    client = login(agr.officer)
    client.get("/agreements/")  # the session and the permissions, once
    with CaptureQueriesContext(connection) as before:
        client.get("/agreements/")
    for n in range(2, 7):
        make_household(agr.project, code=f"H-00{n}", work_group=agr.world.group)
    with CaptureQueriesContext(connection) as after:
        page = client.get("/agreements/")
    assert 'data-testid="count-signed">1<' in body(page)
    assert len(after) == len(before) <= 12
