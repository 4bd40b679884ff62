"""The ownership pages: allowed, other project (404), denied (403, recorded), wrong method."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event, EventKind
from zhengqian.ownership import services
from zhengqian.ownership.models import (
    BuildingConfirmation,
    ChangeRequest,
    ChangeStatus,
    Confirmation,
    ConfirmationStatus,
    PersonConfirmation,
)
from zhengqian.ownership.tests.conftest import confirm_all, lock_confirmation, make_household
from zhengqian.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def page(own) -> str:  # type: ignore[no-untyped-def]
    return f"/ownership/households/{own.household.pk}/"


def building_post(own, **overrides):  # type: ignore[no-untyped-def]
    prefix = f"b{own.big.pk}"
    data = {
        f"{prefix}-licensed_area": "80.00",
        f"{prefix}-unlicensed_area": "16.00",
        f"{prefix}-unlicensed_treatment": "recognised",
        f"{prefix}-basis": "不动产权证",
    }
    data.update({f"{prefix}-{k}": v for k, v in overrides.items()})
    return data


def assert_denied_and_recorded(response, user) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 403
    event = Event.objects.filter(event_type="access.denied").latest("seq")
    assert event.kind == EventKind.DENIED and event.actor_id == user.pk


class TestHouseholdPage:
    def test_the_officer_sees_the_forms(self, own, login) -> None:  # type: ignore[no-untyped-def]
        r = login(own.officer).get(page(own))
        body = r.content.decode()
        assert r.status_code == 200
        assert f'name="b{own.big.pk}-licensed_area"' in body
        assert f'name="p{own.head.pk}-reason"' in body
        assert 'data-testid="submit-button"' in body
        # Nothing to review for an officer.
        assert 'data-testid="approve-button"' not in body

    def test_a_surveyor_sees_it_without_forms(self, own, login) -> None:  # type: ignore[no-untyped-def]
        body = login(own.world.surveyor).get(page(own)).content.decode()
        assert "licensed_area" not in body and 'data-testid="submit-button"' not in body

    def test_another_projects_manager_gets_404_and_it_is_recorded(self, own, login) -> None:  # type: ignore[no-untyped-def]
        r = login(own.world.other_pm).get(page(own))
        assert r.status_code == 404
        assert Event.objects.filter(event_type="access.out_of_scope").exists()

    def test_an_officer_of_another_work_group_gets_404(self, own, login) -> None:  # type: ignore[no-untyped-def]
        assert login(own.group_officer).get(page(own)).status_code == 404

    def test_an_unknown_household_gets_404(self, own, login) -> None:  # type: ignore[no-untyped-def]
        assert login(own.officer).get("/ownership/households/999999/").status_code == 404

    def test_a_viewer_without_the_module_gets_404(self, own, login) -> None:  # type: ignore[no-untyped-def]
        assert login(own.world.viewer).get(page(own)).status_code == 404

    def test_anonymous_users_go_to_the_login_page(self, own, client) -> None:  # type: ignore[no-untyped-def]
        r = client.get(page(own))
        assert r.status_code == 302 and r.url.startswith("/accounts/login/")

    def test_wrong_method_is_refused(self, own, login) -> None:  # type: ignore[no-untyped-def]
        assert login(own.officer).post(page(own)).status_code == 405

    def test_the_manager_sees_the_review_of_a_submitted_confirmation(self, own, login) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        services.confirmation_submit(actor=own.officer, household=own.household)
        body = login(own.pm).get(page(own)).content.decode()
        assert 'data-testid="approve-button"' in body and 'data-testid="return-button"' in body


class TestBuildingConfirm:
    def url(self, own) -> str:  # type: ignore[no-untyped-def]
        return f"{page(own)}buildings/{own.big.pk}/"

    def test_the_officer_confirms_and_is_sent_back(self, own, login) -> None:  # type: ignore[no-untyped-def]
        r = login(own.officer).post(self.url(own), building_post(own))
        assert r.status_code == 302 and r.url.endswith(f"#building-{own.big.pk}")
        assert BuildingConfirmation.objects.get().unlicensed_area == Decimal("16.00")

    def test_a_wrong_split_shows_the_figures_at_the_field(self, own, login) -> None:  # type: ignore[no-untyped-def]
        r = login(own.officer).post(self.url(own), building_post(own, unlicensed_area="15.50"))
        body = r.content.decode()
        assert r.status_code == 400
        assert 'data-field-error="licensed_area"' in body
        assert "95.50" in body and "96.00" in body
        assert not BuildingConfirmation.objects.exists()

    def test_a_surveyor_is_denied_and_recorded(self, own, login) -> None:  # type: ignore[no-untyped-def]
        r = login(own.world.surveyor).post(self.url(own), building_post(own))
        assert_denied_and_recorded(r, own.world.surveyor)
        assert not BuildingConfirmation.objects.exists()

    def test_a_building_of_another_household_gets_404(self, own, login) -> None:  # type: ignore[no-untyped-def]
        other = make_household(own.world.project, code="H-002", work_group=own.world.group)
        url = f"{page(own)}buildings/{other.buildings.first().pk}/"
        assert login(own.officer).post(url, building_post(own)).status_code == 404

    def test_another_projects_officer_gets_404(self, own, login) -> None:  # type: ignore[no-untyped-def]
        r = login(own.other_officer).post(self.url(own), building_post(own))
        assert r.status_code == 404

    def test_wrong_method_is_refused(self, own, login) -> None:  # type: ignore[no-untyped-def]
        assert login(own.officer).get(self.url(own)).status_code == 405


class TestPersonConfirm:
    def url(self, own) -> str:  # type: ignore[no-untyped-def]
        return f"{page(own)}persons/{own.spouse.pk}/"

    def data(self, own, eligible: str = "1", reason: str = "married_in"):  # type: ignore[no-untyped-def]
        p = f"p{own.spouse.pk}"
        return {f"{p}-eligible": eligible, f"{p}-reason": reason, f"{p}-note": "2019年婚入"}

    def test_the_officer_confirms(self, own, login) -> None:  # type: ignore[no-untyped-def]
        r = login(own.officer).post(self.url(own), self.data(own))
        assert r.status_code == 302
        assert PersonConfirmation.objects.get().reason == "married_in"

    def test_an_inconsistent_reason_is_shown(self, own, login) -> None:  # type: ignore[no-untyped-def]
        r = login(own.officer).post(self.url(own), self.data(own, eligible="0"))
        assert r.status_code == 400
        assert 'data-field-error="reason"' in r.content.decode()

    def test_the_manager_is_denied(self, own, login) -> None:  # type: ignore[no-untyped-def]
        assert_denied_and_recorded(login(own.pm).post(self.url(own), self.data(own)), own.pm)

    def test_wrong_method_is_refused(self, own, login) -> None:  # type: ignore[no-untyped-def]
        assert login(own.officer).get(self.url(own)).status_code == 405


class TestSubmitAndReview:
    def test_an_incomplete_submission_says_what_is_missing(self, own, login) -> None:  # type: ignore[no-untyped-def]
        r = login(own.officer).post(f"{page(own)}submit/")
        assert r.status_code == 400
        assert 'data-testid="page-error"' in r.content.decode()

    def test_submit_then_approve(self, own, login, client) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        assert login(own.officer).post(f"{page(own)}submit/").status_code == 302
        r = login(own.pm).post(f"{page(own)}review/", {"decision": "approve", "reason": ""})
        assert r.status_code == 302
        assert Confirmation.objects.get().status == ConfirmationStatus.LOCKED

    def test_returning_without_a_reason_is_refused_at_the_field(self, own, login) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        services.confirmation_submit(actor=own.officer, household=own.household)
        r = login(own.pm).post(f"{page(own)}review/", {"decision": "return", "reason": ""})
        assert r.status_code == 400
        assert 'data-field-error="reason"' in r.content.decode()

    def test_the_returned_reason_is_shown_to_the_preparer(self, own, login) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        services.confirmation_submit(actor=own.officer, household=own.household)
        login(own.pm).post(f"{page(own)}review/", {"decision": "return", "reason": "依据不足"})
        body = login(own.officer).get(page(own)).content.decode()
        assert 'data-testid="returned-reason"' in body and "依据不足" in body

    def test_an_officer_is_denied_the_review(self, own, login) -> None:  # type: ignore[no-untyped-def]
        confirm_all(own.officer, own.household)
        services.confirmation_submit(actor=own.officer, household=own.household)
        r = login(own.officer).post(f"{page(own)}review/", {"decision": "approve"})
        assert_denied_and_recorded(r, own.officer)

    def test_a_manager_who_prepared_it_is_denied_and_recorded(self, own, login) -> None:  # type: ignore[no-untyped-def]
        both = UserFactory(username="both")
        grant(both, RoleCode.OWNERSHIP_OFFICER, own.world.project)
        grant(both, RoleCode.PROJECT_MANAGER, own.world.project)
        confirm_all(both, own.household)
        services.confirmation_submit(actor=both, household=own.household)
        client = login(both)
        assert 'data-testid="approve-button"' not in client.get(page(own)).content.decode()
        r = client.post(f"{page(own)}review/", {"decision": "approve"})
        assert_denied_and_recorded(r, both)
        assert Confirmation.objects.get().status == ConfirmationStatus.SUBMITTED

    def test_the_manager_of_another_project_gets_404(self, own, login) -> None:  # type: ignore[no-untyped-def]
        r = login(own.world.other_pm).post(f"{page(own)}review/", {"decision": "approve"})
        assert r.status_code == 404

    def test_wrong_method_is_refused(self, own, login) -> None:  # type: ignore[no-untyped-def]
        client = login(own.pm)
        assert client.get(f"{page(own)}review/").status_code == 405
        assert client.get(f"{page(own)}submit/").status_code == 405


class TestChangeRequestPages:
    @pytest.fixture
    def locked(self, own):  # type: ignore[no-untyped-def]
        lock_confirmation(own.officer, own.pm, own.household)
        return own

    def url(self, own) -> str:  # type: ignore[no-untyped-def]
        return f"{page(own)}changes/new/"

    def test_the_form_offers_the_households_records(self, locked, login) -> None:  # type: ignore[no-untyped-def]
        r = login(locked.world.surveyor).get(self.url(locked))
        assert r.status_code == 200
        assert f'value="survey.building:{locked.big.pk}:measured_area"' in r.content.decode()

    def test_a_surveyor_requests_a_re_measured_area_with_evidence(
        self, locked, login, media
    ) -> None:  # type: ignore[no-untyped-def]
        data = {
            "target": f"survey.building:{locked.big.pk}:measured_area",
            "new_value": "100.00",
            "paired_licensed_area": "80.00",
            "paired_unlicensed_area": "20.00",
            "reason": "复测",
            "evidence": SimpleUploadedFile("复测报告.pdf", PDF, "application/pdf"),
        }
        r = login(locked.world.surveyor).post(self.url(locked), data)
        cr = ChangeRequest.objects.get()
        assert r.status_code == 302 and r.url == f"/ownership/changes/{cr.pk}/"
        assert cr.paired_changes == {"unlicensed_area": ["16.00", "20.00"]}
        assert cr.evidence.name.endswith(".pdf")

    def test_evidence_that_is_not_a_pdf_or_image_is_refused(self, locked, login, media) -> None:  # type: ignore[no-untyped-def]
        data = {
            "target": f"survey.building:{locked.big.pk}:structure_type",
            "new_value": "steel_concrete",
            "reason": "复核",
            "evidence": SimpleUploadedFile("report.pdf", b"PK\x03\x04zip", "application/pdf"),
        }
        r = login(locked.world.surveyor).post(self.url(locked), data)
        assert r.status_code == 400
        assert 'data-field-error="evidence"' in r.content.decode()
        assert not ChangeRequest.objects.exists()

    def test_a_paired_error_is_shown_at_its_field(self, locked, login) -> None:  # type: ignore[no-untyped-def]
        data = {
            "target": f"survey.building:{locked.big.pk}:measured_area",
            "new_value": "100.00",
            "reason": "复测",
        }
        r = login(locked.world.surveyor).post(self.url(locked), data)
        assert r.status_code == 400
        assert 'data-field-error="paired_licensed_area"' in r.content.decode()

    def test_an_officer_asking_for_a_survey_field_is_denied(self, locked, login) -> None:  # type: ignore[no-untyped-def]
        data = {
            "target": f"survey.building:{locked.big.pk}:structure_type",
            "new_value": "steel_concrete",
            "reason": "复核",
        }
        r = login(locked.officer).post(self.url(locked), data)
        assert_denied_and_recorded(r, locked.officer)

    def test_the_manager_may_not_request(self, locked, login) -> None:  # type: ignore[no-untyped-def]
        assert_denied_and_recorded(login(locked.pm).get(self.url(locked)), locked.pm)

    def test_another_project_gets_404(self, locked, login) -> None:  # type: ignore[no-untyped-def]
        assert login(locked.world.other_surveyor).get(self.url(locked)).status_code == 404

    def test_wrong_method_is_refused(self, locked, login) -> None:  # type: ignore[no-untyped-def]
        assert login(locked.world.surveyor).put(self.url(locked)).status_code == 405

    def test_the_manager_decides_on_the_detail_page(self, locked, login, media) -> None:  # type: ignore[no-untyped-def]
        cr = services.change_request_create(
            actor=locked.world.surveyor,
            household=locked.household,
            target_type="survey.building",
            target_id=locked.big.pk,
            field="structure_type",
            new_value="steel_concrete",
            reason="复核",
            evidence=SimpleUploadedFile("a.pdf", PDF, "application/pdf"),
        )
        detail = f"/ownership/changes/{cr.pk}/"
        client = login(locked.pm)
        body = client.get(detail).content.decode()
        assert "砖混结构" in body and "钢混结构" in body and "/decide/" in body
        evidence = client.get(f"{detail}evidence/")
        assert evidence.status_code == 200 and evidence["Content-Type"] == "application/pdf"
        assert b"".join(evidence.streaming_content).startswith(b"%PDF")
        assert Event.objects.filter(event_type="changerequest.evidence_view").exists()
        r = client.post(f"{detail}decide/", {"decision": "approve", "reason": "同意"})
        assert r.status_code == 302
        locked.big.refresh_from_db()
        assert locked.big.structure_type == "steel_concrete"

    def test_a_stale_request_shows_why_it_cannot_apply(self, locked, login) -> None:  # type: ignore[no-untyped-def]
        cr = services.change_request_create(
            actor=locked.world.surveyor,
            household=locked.household,
            target_type="survey.building",
            target_id=locked.big.pk,
            field="floors",
            new_value="3",
            reason="复核",
        )
        type(locked.big).objects.filter(pk=locked.big.pk).update(floors=4)
        r = login(locked.pm).post(f"/ownership/changes/{cr.pk}/decide/", {"decision": "approve"})
        assert r.status_code == 400
        assert "提出申请后数据已发生变化" in r.content.decode()

    def test_the_requester_is_denied_the_decision(self, locked, login) -> None:  # type: ignore[no-untyped-def]
        cr = services.change_request_create(
            actor=locked.world.surveyor,
            household=locked.household,
            target_type="survey.building",
            target_id=locked.big.pk,
            field="floors",
            new_value="3",
            reason="复核",
        )
        r = login(locked.world.surveyor).post(
            f"/ownership/changes/{cr.pk}/decide/", {"decision": "approve"}
        )
        assert_denied_and_recorded(r, locked.world.surveyor)
        assert ChangeRequest.objects.get().status == ChangeStatus.PENDING

    def test_another_project_gets_404_for_the_request(self, locked, login) -> None:  # type: ignore[no-untyped-def]
        cr = services.change_request_create(
            actor=locked.world.surveyor,
            household=locked.household,
            target_type="survey.building",
            target_id=locked.big.pk,
            field="floors",
            new_value="3",
            reason="复核",
        )
        client = login(locked.world.other_pm)
        assert client.get(f"/ownership/changes/{cr.pk}/").status_code == 404
        assert client.post(f"/ownership/changes/{cr.pk}/decide/", {}).status_code == 404
        assert client.get(f"/ownership/changes/{cr.pk}/evidence/").status_code == 404

    def test_decide_takes_only_post(self, locked, login) -> None:  # type: ignore[no-untyped-def]
        cr = services.change_request_create(
            actor=locked.world.surveyor,
            household=locked.household,
            target_type="survey.building",
            target_id=locked.big.pk,
            field="floors",
            new_value="3",
            reason="复核",
        )
        assert login(locked.pm).get(f"/ownership/changes/{cr.pk}/decide/").status_code == 405


class TestProjectQueue:
    def url(self, own) -> str:  # type: ignore[no-untyped-def]
        return f"/ownership/projects/{own.world.project.pk}/"

    def test_it_lists_households_by_status(self, own, login) -> None:  # type: ignore[no-untyped-def]
        second = make_household(own.world.project, code="H-002", work_group=own.world.group)
        confirm_all(own.officer, second)
        services.confirmation_submit(actor=own.officer, household=second)
        client = login(own.pm)
        body = client.get(self.url(own)).content.decode()
        assert 'data-household="H-001"' in body and 'data-household="H-002"' in body
        submitted = client.get(self.url(own), {"status": "submitted"}).content.decode()
        assert 'data-household="H-002"' in submitted and 'data-household="H-001"' not in submitted

    def test_it_pages(self, own, login) -> None:  # type: ignore[no-untyped-def]
        from zhengqian.survey.models import Household

        Household.objects.bulk_create(
            Household(
                project=own.world.project,
                work_group=own.world.group,
                code=f"H-{n:03d}",
                head_name="王",
                division_code="330282",
                address="某村",
            )
            for n in range(100, 160)
        )
        client = login(own.officer)
        first = client.get(self.url(own)).content.decode()
        assert 'data-household="H-001"' in first and 'data-household="H-159"' not in first
        second = client.get(self.url(own), {"page": 2}).content.decode()
        assert 'data-household="H-159"' in second

    def test_a_work_group_officer_sees_only_their_group(self, own, login) -> None:  # type: ignore[no-untyped-def]
        make_household(own.world.project, code="H-050", work_group=own.world.other_group)
        body = login(own.group_officer).get(self.url(own)).content.decode()
        assert 'data-household="H-050"' in body and 'data-household="H-001"' not in body

    def test_another_project_gets_404(self, own, login) -> None:  # type: ignore[no-untyped-def]
        assert login(own.other_officer).get(self.url(own)).status_code == 404

    def test_a_viewer_without_the_module_is_denied(self, own, login) -> None:  # type: ignore[no-untyped-def]
        assert_denied_and_recorded(login(own.world.viewer).get(self.url(own)), own.world.viewer)

    def test_wrong_method_is_refused(self, own, login) -> None:  # type: ignore[no-untyped-def]
        assert login(own.pm).post(self.url(own)).status_code == 405
