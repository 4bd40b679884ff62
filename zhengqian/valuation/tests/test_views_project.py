"""The firm register and the project valuation page: allowed, other project (404), denied (403),
wrong method; each form's success and its errors at the field, with nothing saved."""

from __future__ import annotations

import datetime as dt
import io
import re
import shlex

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook

from zhengqian.accounts.models import Membership
from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event
from zhengqian.core import draws
from zhengqian.core.models import StaleMark
from zhengqian.ownership.tests.conftest import make_household
from zhengqian.survey.models import Household
from zhengqian.testing.factories import UserFactory, grant
from zhengqian.valuation import services
from zhengqian.valuation.models import (
    AppraisalFirm,
    FirmSelection,
    FirmVote,
    Publication,
    SelectionStatus,
    Valuation,
    ValuationStatus,
    Valuer,
)
from zhengqian.valuation.receivers import STALE_TARGET
from zhengqian.valuation.tests.conftest import enter

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = dt.date.today().isoformat()


def household_page_exists() -> bool:
    """The household valuation page is built as a module of its own."""
    try:
        reverse("valuation:household", args=[1])
    except NoReverseMatch:
        return False
    return True


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


def page(val) -> str:  # type: ignore[no-untyped-def]
    return f"/valuation/projects/{val.project.pk}/"


def selection_url(val, selection, action: str) -> str:  # type: ignore[no-untyped-def]
    return f"{page(val)}selections/{selection.pk}/{action}/"


def field_errors(body: str, field: str) -> list[str]:
    return re.findall(rf'data-field-error="{field}">([^<]*)<', body)


def open_vote(val, firms=None):  # type: ignore[no-untyped-def]
    return services.selection_vote_open(
        actor=val.pm,
        project=val.project,
        firms=firms or [val.firm, val.other_firm],
        reports_due_on=dt.date(2026, 4, 30),
    )


def prepare_draw(val):  # type: ignore[no-untyped-def]
    return services.selection_draw_prepare(
        actor=val.pm, project=val.project, firms=[val.other_firm, val.firm]
    )


# --- The register of firms --------------------------------------------------------------------


class TestFirmList:
    url = "/valuation/firms/"

    def test_the_manager_sees_the_firms_with_the_expired_one_marked(self, val, login) -> None:  # type: ignore[no-untyped-def]
        body = login(val.pm).get(self.url).content.decode()
        assert val.firm.name in body and val.other_firm.name in body
        expired_rows = re.findall(r'<tr data-firm="(\d+)" class="table-danger" data-expired', body)
        assert expired_rows == [str(val.expired.pk)]
        assert "估价师valuer1" in body  # the firm's valuers
        assert 'data-testid="firm-create"' in body

    def test_a_surveyor_sees_the_register_without_the_forms(self, val, login) -> None:  # type: ignore[no-untyped-def]
        body = login(val.world.surveyor).get(self.url).content.decode()
        assert val.firm.name in body and 'data-testid="firm-create"' not in body

    def test_a_viewer_without_valuation_rights_is_denied(self, val, login) -> None:  # type: ignore[no-untyped-def]
        assert login(val.world.viewer).get(self.url).status_code == 403

    def test_anonymous_users_go_to_the_login_page(self, val, client) -> None:  # type: ignore[no-untyped-def]
        r = client.get(self.url)
        assert r.status_code == 302 and r.url.startswith("/accounts/login/")

    def test_wrong_method_is_refused(self, val, login) -> None:  # type: ignore[no-untyped-def]
        assert login(val.pm).post(self.url).status_code == 405


def firm_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "宁波新评估有限公司",
        "grade": "2",
        "certificate_no": "ZJ-NEW-001",
        "valid_until": "2029-06-30",
        "contact_person": "李经理",
        "contact_phone": "0574-87654321",
        "address": "宁波市海曙区",
        "notes": "",
    }
    data.update(overrides)
    return data


class TestFirmCreate:
    url = "/valuation/firms/new/"

    def test_the_manager_adds_a_firm_and_it_is_recorded(self, val, login) -> None:  # type: ignore[no-untyped-def]
        r = login(val.pm).post(self.url, firm_data())
        firm = AppraisalFirm.objects.get(certificate_no="ZJ-NEW-001")
        assert r.status_code == 302 and r.url == f"/valuation/firms/{firm.pk}/"
        assert firm.valid_until == dt.date(2029, 6, 30)
        assert Event.objects.filter(event_type="valuation.firm.create", actor_id=val.pm.pk).exists()

    def test_a_certificate_already_registered_is_shown_at_the_field(self, val, login) -> None:  # type: ignore[no-untyped-def]
        r = login(val.pm).post(self.url, firm_data(certificate_no=val.firm.certificate_no))
        assert r.status_code == 400
        assert field_errors(r.content.decode(), "certificate_no")
        assert not AppraisalFirm.objects.filter(name="宁波新评估有限公司").exists()

    def test_a_surveyor_is_denied(self, val, login) -> None:  # type: ignore[no-untyped-def]
        assert login(val.world.surveyor).get(self.url).status_code == 403
        assert login(val.world.surveyor).post(self.url, firm_data()).status_code == 403
        assert not AppraisalFirm.objects.filter(name="宁波新评估有限公司").exists()


class TestFirmDetail:
    def url(self, firm) -> str:  # type: ignore[no-untyped-def]
        return f"/valuation/firms/{firm.pk}/"

    def test_the_manager_extends_the_qualification(self, val, login) -> None:  # type: ignore[no-untyped-def]
        data = firm_data(
            name=val.expired.name,
            certificate_no=val.expired.certificate_no,
            valid_until="2028-12-31",
        )
        r = login(val.pm).post(self.url(val.expired), data)
        assert r.status_code == 302
        val.expired.refresh_from_db()
        assert val.expired.valid_until == dt.date(2028, 12, 31)
        assert Event.objects.filter(event_type="valuation.firm.update").exists()

    def test_an_invalid_date_is_shown_at_the_field_and_nothing_changes(self, val, login) -> None:  # type: ignore[no-untyped-def]
        data = firm_data(
            name="改名", certificate_no=val.firm.certificate_no, valid_until="2028-02-30"
        )
        r = login(val.pm).post(self.url(val.firm), data)
        assert r.status_code == 400 and field_errors(r.content.decode(), "valid_until")
        val.firm.refresh_from_db()
        assert val.firm.name == "宁波甬信房地产估价有限公司"

    def test_the_expired_qualification_is_announced(self, val, login) -> None:  # type: ignore[no-untyped-def]
        body = login(val.pm).get(self.url(val.expired)).content.decode()
        assert 'data-testid="expired"' in body and "2025-06-30" in body

    def test_a_surveyor_reads_the_firm_but_cannot_change_it(self, val, login) -> None:  # type: ignore[no-untyped-def]
        client = login(val.world.surveyor)
        body = client.get(self.url(val.firm)).content.decode()
        assert val.firm.certificate_no in body and 'data-testid="firm-form"' not in body
        assert client.post(self.url(val.firm), firm_data()).status_code == 403

    def test_an_unknown_firm_gets_404(self, val, login) -> None:  # type: ignore[no-untyped-def]
        assert login(val.pm).get("/valuation/firms/999999/").status_code == 404

    def test_only_the_projects_the_user_sees_are_listed_as_chosen_for(self, chosen, login) -> None:  # type: ignore[no-untyped-def]
        assert chosen.project.name in login(chosen.pm).get(self.url(chosen.firm)).content.decode()
        body = login(chosen.world.other_pm).get(self.url(chosen.firm)).content.decode()
        assert chosen.project.name not in body


class TestValuerAdd:
    def url(self, firm) -> str:  # type: ignore[no-untyped-def]
        return f"/valuation/firms/{firm.pk}/valuers/"

    def test_only_free_accounts_without_office_roles_are_offered(self, val, login) -> None:  # type: ignore[no-untyped-def]
        UserFactory(username="newvaluer", full_name="新估价师")
        body = login(val.pm).get(f"/valuation/firms/{val.firm.pk}/").content.decode()
        options = re.search(r'<select name="user".*?</select>', body, re.S)
        assert options is not None
        assert "newvaluer" in options.group(0)
        assert "valuer1" not in options.group(0)  # already a valuer
        assert ">pm<" not in options.group(0) and "surveyor" not in options.group(0)

    def test_the_manager_adds_a_valuer_who_then_works_on_the_chosen_project(
        self, chosen, login
    ) -> None:  # type: ignore[no-untyped-def]
        user = UserFactory(username="newvaluer")
        r = login(chosen.pm).post(
            self.url(chosen.firm), {"user": user.pk, "registration_no": "3320"}
        )
        assert r.status_code == 302
        assert Valuer.objects.get(user=user).firm == chosen.firm
        assert Membership.objects.filter(
            user=user, project=chosen.project, role=RoleCode.VALUER
        ).exists()

    def test_an_account_that_is_not_offered_is_refused_at_the_field(self, val, login) -> None:  # type: ignore[no-untyped-def]
        r = login(val.pm).post(self.url(val.firm), {"user": val.world.surveyor.pk})
        assert r.status_code == 400 and field_errors(r.content.decode(), "user")
        assert not Valuer.objects.filter(user=val.world.surveyor).exists()

    def test_a_surveyor_is_denied(self, val, login) -> None:  # type: ignore[no-untyped-def]
        user = UserFactory(username="newvaluer")
        r = login(val.world.surveyor).post(self.url(val.firm), {"user": user.pk})
        assert r.status_code == 403 and not Valuer.objects.filter(user=user).exists()

    def test_wrong_method_is_refused(self, val, login) -> None:  # type: ignore[no-untyped-def]
        assert login(val.pm).get(self.url(val.firm)).status_code == 405


# --- The project page -------------------------------------------------------------------------


class TestProjectPage:
    def test_without_a_firm_the_manager_sees_the_three_ways_to_choose_one(self, val, login) -> None:  # type: ignore[no-untyped-def]
        body = login(val.pm).get(page(val)).content.decode()
        for form in ("negotiation-form", "vote-form", "draw-form"):
            assert f'data-testid="{form}"' in body
        assert val.firm.name in body and val.other_firm.name in body
        assert val.expired.name not in body  # an expired qualification is not offered

    def test_a_surveyor_sees_the_page_without_the_forms(self, val, login) -> None:  # type: ignore[no-untyped-def]
        r = login(val.world.surveyor).get(page(val))
        body = r.content.decode()
        assert r.status_code == 200 and 'data-testid="households"' in body
        assert "negotiation-form" not in body and "publish-form" not in body

    def test_a_valuer_of_the_chosen_firm_sees_the_page(self, chosen, login) -> None:  # type: ignore[no-untyped-def]
        body = login(chosen.valuer).get(page(chosen)).content.decode()
        assert 'data-testid="chosen-firm"' in body and "publish-form" not in body

    def test_another_projects_manager_gets_404(self, val, login) -> None:  # type: ignore[no-untyped-def]
        assert login(val.world.other_pm).get(page(val)).status_code == 404

    def test_a_viewer_without_valuation_rights_is_denied(self, val, login) -> None:  # type: ignore[no-untyped-def]
        assert login(val.world.viewer).get(page(val)).status_code == 403

    def test_anonymous_users_go_to_the_login_page(self, val, client) -> None:  # type: ignore[no-untyped-def]
        r = client.get(page(val))
        assert r.status_code == 302 and r.url.startswith("/accounts/login/")

    def test_wrong_method_is_refused(self, val, login) -> None:  # type: ignore[no-untyped-def]
        assert login(val.pm).post(page(val)).status_code == 405

    def test_the_chosen_firm_and_its_history_are_shown(self, chosen, login) -> None:  # type: ignore[no-untyped-def]
        body = login(chosen.pm).get(page(chosen)).content.decode()
        assert re.search(r'data-testid="chosen-firm">宁波甬信房地产估价有限公司<', body)
        assert 'data-testid="reports-due">2026-04-30<' in body
        assert "一致同意选定宁波甬信" in body  # the record
        assert "negotiation-form" not in body

    def test_the_project_page_links_to_the_valuation_page(self, val, login) -> None:  # type: ignore[no-untyped-def]
        body = login(val.pm).get(f"/projects/{val.project.pk}/").content.decode()
        assert f'href="/valuation/projects/{val.project.pk}/"' in body


class TestNegotiation:
    def url(self, val) -> str:  # type: ignore[no-untyped-def]
        return f"{page(val)}negotiation/"

    def data(self, val, **overrides):  # type: ignore[no-untyped-def]
        data = {
            "firm": val.firm.pk,
            "decided_on": "2026-03-05",
            "record_text": "被征收人协商会议，一致同意。",
            "reports_due_on": "2026-04-30",
        }
        data.update(overrides)
        return data

    def test_the_manager_records_the_firm_agreed_on_with_its_signed_record(
        self, val, login, media
    ) -> None:  # type: ignore[no-untyped-def]
        data = self.data(val, document=SimpleUploadedFile("协商记录.pdf", PDF))
        client = login(val.pm)
        r = client.post(self.url(val), data)
        assert r.status_code == 302 and r.url.endswith("#firm")
        selection = FirmSelection.objects.get(project=val.project)
        assert selection.status == SelectionStatus.DECIDED and selection.firm == val.firm
        assert Membership.objects.filter(user=val.valuer, project=val.project).exists()
        body = client.get(page(val)).content.decode()
        link = f"{page(val)}selections/{selection.pk}/document/"
        assert link in body
        download = client.get(link)
        assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
        assert Event.objects.filter(event_type="valuation.selection.document_view").exists()

    def test_a_document_that_is_not_a_pdf_or_image_is_refused_at_the_field(
        self, val, login, media
    ) -> None:  # type: ignore[no-untyped-def]
        data = self.data(val, document=SimpleUploadedFile("记录.pdf", b"just some text"))
        r = login(val.pm).post(self.url(val), data)
        assert r.status_code == 400 and field_errors(r.content.decode(), "document")
        assert not FirmSelection.objects.exists()

    def test_an_expired_firm_is_refused_at_the_field(self, val, login) -> None:  # type: ignore[no-untyped-def]
        r = login(val.pm).post(self.url(val), self.data(val, firm=val.expired.pk))
        assert r.status_code == 400 and field_errors(r.content.decode(), "firm")
        assert not FirmSelection.objects.exists()

    def test_a_date_in_the_future_is_refused_at_the_field(self, val, login) -> None:  # type: ignore[no-untyped-def]
        tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
        r = login(val.pm).post(self.url(val), self.data(val, decided_on=tomorrow))
        assert r.status_code == 400 and field_errors(r.content.decode(), "decided_on")

    def test_a_second_choice_is_refused_with_the_reason(self, chosen, login) -> None:  # type: ignore[no-untyped-def]
        r = login(chosen.pm).post(self.url(chosen), self.data(chosen, firm=chosen.other_firm.pk))
        assert r.status_code == 400 and 'class="alert alert-danger"' in r.content.decode()
        assert FirmSelection.objects.filter(project=chosen.project).count() == 1

    def test_a_surveyor_cannot_post_a_selection(self, val, login) -> None:  # type: ignore[no-untyped-def]
        assert login(val.world.surveyor).post(self.url(val), self.data(val)).status_code == 403
        assert not FirmSelection.objects.exists()

    def test_another_projects_manager_gets_404(self, val, login) -> None:  # type: ignore[no-untyped-def]
        r = login(val.world.other_pm).post(self.url(val), self.data(val))
        assert r.status_code == 404 and not FirmSelection.objects.exists()

    def test_wrong_method_is_refused(self, val, login) -> None:  # type: ignore[no-untyped-def]
        assert login(val.pm).get(self.url(val)).status_code == 405


class TestMajorityVote:
    def test_the_manager_opens_a_vote_between_two_firms(self, val, login) -> None:  # type: ignore[no-untyped-def]
        r = login(val.pm).post(f"{page(val)}vote/", {"firms": [val.firm.pk, val.other_firm.pk]})
        assert r.status_code == 302
        selection = FirmSelection.objects.get(project=val.project)
        assert selection.status == SelectionStatus.OPEN
        assert {c.firm_id for c in selection.candidates.all()} == {val.firm.pk, val.other_firm.pk}

    def test_one_candidate_is_not_enough_and_it_is_said_at_the_field(self, val, login) -> None:  # type: ignore[no-untyped-def]
        r = login(val.pm).post(f"{page(val)}vote/", {"firms": [val.firm.pk]})
        body = r.content.decode()
        assert r.status_code == 400 and field_errors(body, "firms")
        assert 'class="nav-link active" data-bs-toggle="tab" data-bs-target="#choose-vote"' in body
        assert not FirmSelection.objects.exists()

    def test_a_surveyor_cannot_open_a_vote(self, val, login) -> None:  # type: ignore[no-untyped-def]
        r = login(val.world.surveyor).post(
            f"{page(val)}vote/", {"firms": [val.firm.pk, val.other_firm.pk]}
        )
        assert r.status_code == 403 and not FirmSelection.objects.exists()

    def test_votes_are_recorded_and_the_tally_shows_them_against_the_households(
        self, val, login
    ) -> None:  # type: ignore[no-untyped-def]
        for code in ("H-002", "H-003"):
            make_household(val.project, code=code, work_group=val.world.group)
        selection = open_vote(val)
        client = login(val.pm)
        r = client.post(
            selection_url(val, selection, "votes"),
            {f"firm_{val.firm.pk}": "H-001, H-002", f"firm_{val.other_firm.pk}": ""},
        )
        assert r.status_code == 302
        assert FirmVote.objects.filter(selection=selection, firm=val.firm).count() == 2
        body = client.get(page(val)).content.decode()
        assert f'data-firm="{val.firm.pk}" data-votes="2"' in body
        assert f'data-firm="{val.other_firm.pk}" data-votes="0"' in body
        assert 'data-testid="turnout">2 / 3<' in body

    def test_an_unknown_household_is_shown_at_its_firms_box_and_nothing_is_recorded(
        self, val, login
    ) -> None:  # type: ignore[no-untyped-def]
        selection = open_vote(val)
        r = login(val.pm).post(
            selection_url(val, selection, "votes"),
            {f"firm_{val.firm.pk}": "H-001", f"firm_{val.other_firm.pk}": "H-999"},
        )
        body = r.content.decode()
        assert r.status_code == 400
        errors = field_errors(body, f"firm_{val.other_firm.pk}")
        assert errors and "H-999" in errors[0]
        assert not field_errors(body, f"firm_{val.firm.pk}")
        assert "H-999" in body  # what was typed is kept
        assert not FirmVote.objects.exists()

    def test_a_household_that_has_voted_cannot_vote_again(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = open_vote(val)
        services.selection_vote_record(
            actor=val.pm, selection=selection, ballots={val.firm.pk: "H-001"}
        )
        r = login(val.pm).post(
            selection_url(val, selection, "votes"), {f"firm_{val.other_firm.pk}": "H-001"}
        )
        assert r.status_code == 400
        assert "H-001" in field_errors(r.content.decode(), f"firm_{val.other_firm.pk}")[0]
        assert FirmVote.objects.count() == 1

    def test_closing_with_a_majority_chooses_the_firm(self, val, login) -> None:  # type: ignore[no-untyped-def]
        make_household(val.project, code="H-002", work_group=val.world.group)
        selection = open_vote(val)
        services.selection_vote_record(
            actor=val.pm, selection=selection, ballots={val.firm.pk: "H-001 H-002"}
        )
        r = login(val.pm).post(selection_url(val, selection, "close"), {"decided_on": TODAY})
        assert r.status_code == 302
        selection.refresh_from_db()
        assert selection.status == SelectionStatus.DECIDED and selection.firm == val.firm
        assert selection.households_total == 2 and selection.votes_cast == 2

    def test_closing_without_enough_votes_fails_the_vote_and_the_forms_come_back(
        self, val, login
    ) -> None:  # type: ignore[no-untyped-def]
        for code in ("H-002", "H-003"):
            make_household(val.project, code=code, work_group=val.world.group)
        selection = open_vote(val)
        services.selection_vote_record(
            actor=val.pm, selection=selection, ballots={val.firm.pk: "H-001"}
        )
        client = login(val.pm)
        r = client.post(selection_url(val, selection, "close"), {"decided_on": TODAY})
        assert r.status_code == 302
        selection.refresh_from_db()
        assert selection.status == SelectionStatus.FAILED
        body = client.get(page(val)).content.decode()
        assert selection.outcome in body and 'data-testid="negotiation-form"' in body

    def test_closing_without_a_date_is_refused_at_the_field(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = open_vote(val)
        r = login(val.pm).post(selection_url(val, selection, "close"), {"decided_on": ""})
        assert r.status_code == 400 and field_errors(r.content.decode(), "decided_on")
        selection.refresh_from_db()
        assert selection.status == SelectionStatus.OPEN

    def test_a_selection_of_another_project_gets_404(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = open_vote(val)
        url = f"/valuation/projects/{val.world.other_project.pk}/selections/{selection.pk}/close/"
        assert login(val.world.other_pm).post(url, {"decided_on": TODAY}).status_code == 404
        # The project's own manager, through the other project's address: still not found.
        grant(val.pm, RoleCode.PROJECT_MANAGER, val.world.other_project)
        assert login(val.pm).post(url, {"decided_on": TODAY}).status_code == 404
        selection.refresh_from_db()
        assert selection.status == SelectionStatus.OPEN

    def test_a_surveyor_cannot_record_votes(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = open_vote(val)
        r = login(val.world.surveyor).post(
            selection_url(val, selection, "votes"), {f"firm_{val.firm.pk}": "H-001"}
        )
        assert r.status_code == 403 and not FirmVote.objects.exists()


class TestRandomDraw:
    def test_the_manager_prepares_a_draw_with_the_candidates_in_the_order_given(
        self, val, login
    ) -> None:  # type: ignore[no-untyped-def]
        r = login(val.pm).post(f"{page(val)}draw/", {"firms": [val.other_firm.pk, "", val.firm.pk]})
        assert r.status_code == 302
        selection = FirmSelection.objects.get(project=val.project)
        assert selection.draw is not None
        assert [k for k, _label in selection.draw.candidates] == [val.other_firm.pk, val.firm.pk]
        assert [c.firm_id for c in selection.candidates.order_by("position")] == [
            val.other_firm.pk,
            val.firm.pk,
        ]

    def test_a_firm_listed_twice_is_refused_at_the_field(self, val, login) -> None:  # type: ignore[no-untyped-def]
        r = login(val.pm).post(f"{page(val)}draw/", {"firms": [val.firm.pk, val.firm.pk]})
        body = r.content.decode()
        assert r.status_code == 400 and field_errors(body, "firms")
        assert not FirmSelection.objects.exists()

    def test_an_expired_firm_is_not_a_valid_candidate(self, val, login) -> None:  # type: ignore[no-untyped-def]
        r = login(val.pm).post(f"{page(val)}draw/", {"firms": [val.firm.pk, val.expired.pk]})
        assert r.status_code == 400 and field_errors(r.content.decode(), "firms")
        assert not FirmSelection.objects.exists()

    def test_before_the_draw_the_hash_is_public_and_the_seed_is_not(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = prepare_draw(val)
        client = login(val.pm)
        for url in (page(val), selection_url(val, selection, "draw")):
            body = client.get(url).content.decode()
            assert selection.draw.seed_hash in body
            assert selection.draw.seed not in body
            listed = re.search(r'data-testid="commitment">(.*?)</(ol|table)>', body, re.S)
            assert listed is not None
            text = listed.group(1)
            assert text.index(val.other_firm.name) < text.index(val.firm.name)

    def test_after_the_draw_the_page_shows_a_command_that_reproduces_the_order(
        self, val, login
    ) -> None:  # type: ignore[no-untyped-def]
        selection = prepare_draw(val)
        client = login(val.pm)
        r = client.post(
            selection_url(val, selection, "run"),
            {"witness_value": "3 5 6", "witnesses": "公证员 王某", "decided_on": TODAY},
        )
        assert r.status_code == 302
        selection.refresh_from_db()
        assert selection.status == SelectionStatus.DECIDED
        for url in (page(val), selection_url(val, selection, "draw")):
            body = client.get(url).content.decode()
            command = re.search(r'data-testid="rerun-command">([^<]*)<', body).group(1)
            shown_order = [
                int(n)
                for n in re.findall(
                    r'<li data-number="(\d+)">', body.split('data-testid="drawn-order"')[1]
                )
            ]
            seed = re.search(r'data-testid="seed">([0-9a-f]+)<', body).group(1)
            args = shlex.split(command.replace("&quot;", '"'))
            assert args[:3] == ["python", "manage.py", "rerun_draw"]
            assert args[args.index("--witness") + 1] == "3 5 6"
            assert draws.draw_order(seed, 2, witness="3 5 6") == shown_order
            out = io.StringIO()
            call_command(*args[2:], stdout=out)
            printed = re.search(r"order: ([\d ]+)", out.getvalue()).group(1).split()
            assert [int(n) for n in printed] == shown_order
            winner = selection.draw.labels_in_order()[0]
            assert winner == selection.firm.name
            assert re.search(rf"<li data-number=\"\d+\">{winner} ", body)

    def test_without_a_witness_value_the_command_has_no_witness(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = prepare_draw(val)
        client = login(val.pm)
        client.post(selection_url(val, selection, "run"), {"decided_on": TODAY})
        body = client.get(page(val)).content.decode()
        command = re.search(r'data-testid="rerun-command">([^<]*)<', body).group(1)
        assert "--witness" not in command
        assert f"--candidates 2 --expect-hash {selection.draw.seed_hash}" in command

    def test_running_without_a_date_is_refused_at_the_field(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = prepare_draw(val)
        r = login(val.pm).post(selection_url(val, selection, "run"), {"witness_value": "1"})
        assert r.status_code == 400 and field_errors(r.content.decode(), "decided_on")
        selection.draw.refresh_from_db()
        assert not selection.draw.drawn

    def test_a_surveyor_cannot_run_the_draw(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = prepare_draw(val)
        r = login(val.world.surveyor).post(
            selection_url(val, selection, "run"), {"decided_on": TODAY}
        )
        assert r.status_code == 403
        selection.draw.refresh_from_db()
        assert not selection.draw.drawn

    def test_a_surveyor_may_read_the_public_notice(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = prepare_draw(val)
        r = login(val.world.surveyor).get(selection_url(val, selection, "draw"))
        assert r.status_code == 200 and selection.draw.seed_hash in r.content.decode()

    def test_a_vote_has_no_draw_notice(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = open_vote(val)
        assert login(val.pm).get(selection_url(val, selection, "draw")).status_code == 404


class TestCancel:
    def test_the_manager_cancels_with_a_reason(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = prepare_draw(val)
        client = login(val.pm)
        r = client.post(selection_url(val, selection, "cancel"), {"reason": "候选机构资质到期"})
        assert r.status_code == 302
        selection.refresh_from_db()
        assert (
            selection.status == SelectionStatus.FAILED and "候选机构资质到期" in selection.outcome
        )
        assert 'data-testid="negotiation-form"' in client.get(page(val)).content.decode()

    def test_a_reason_is_required_at_the_field(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = open_vote(val)
        r = login(val.pm).post(selection_url(val, selection, "cancel"), {"reason": "  "})
        body = r.content.decode()
        assert r.status_code == 400 and field_errors(body, "reason")
        assert "<details open>" in body
        selection.refresh_from_db()
        assert selection.status == SelectionStatus.OPEN

    def test_a_decided_selection_cannot_be_cancelled(self, chosen, login) -> None:  # type: ignore[no-untyped-def]
        selection = FirmSelection.objects.get(project=chosen.project)
        r = login(chosen.pm).post(selection_url(chosen, selection, "cancel"), {"reason": "x"})
        assert r.status_code == 400
        selection.refresh_from_db()
        assert selection.status == SelectionStatus.DECIDED

    def test_a_surveyor_cannot_cancel(self, val, login) -> None:  # type: ignore[no-untyped-def]
        selection = open_vote(val)
        r = login(val.world.surveyor).post(selection_url(val, selection, "cancel"), {"reason": "x"})
        assert r.status_code == 403


# --- The households ---------------------------------------------------------------------------


@pytest.fixture
def valued(chosen):  # type: ignore[no-untyped-def]
    """H-001 entered and stale after a survey change, H-002 confirmed, H-003 not started."""
    h2 = make_household(chosen.project, code="H-002", work_group=chosen.world.other_group)
    make_household(chosen.project, code="H-003", work_group=chosen.world.group)
    v1 = enter(chosen.valuer, chosen.household)
    v2 = enter(chosen.valuer, h2)
    services.valuation_confirm(actor=chosen.valuer, valuation=v2)
    StaleMark.objects.create(
        household=chosen.household,
        target_type=STALE_TARGET,
        target_id=v1.pk,
        source="survey.building",
        source_id="1",
    )
    chosen.h2 = h2
    chosen.v1, chosen.v2 = v1, v2
    return chosen


def household_codes(body: str) -> list[str]:
    return re.findall(r'<tr data-household="([^"]+)">', body)


class TestHouseholdList:
    def test_each_household_shows_its_valuation_status(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        body = login(valued.pm).get(page(valued)).content.decode()
        assert household_codes(body) == ["H-001", "H-002", "H-003"]
        rows = dict(re.findall(r'<tr data-household="([^"]+)">(.*?)</tr>', body, re.S))
        assert 'data-testid="stale"' in rows["H-001"] and "PG-H-001" in rows["H-001"]
        assert "text-bg-secondary" in rows["H-001"]  # being entered
        assert "text-bg-primary" in rows["H-002"] and 'data-testid="stale"' not in rows["H-002"]
        assert f"{valued.v2.total}" in rows["H-002"]
        assert "text-bg-light" in rows["H-003"]  # not started
        assert "张*国" in rows["H-001"] and "张建国" not in rows["H-001"]

    @pytest.mark.parametrize(
        ("status", "codes"),
        [
            ("none", ["H-003"]),
            ("draft", ["H-001"]),
            ("confirmed", ["H-002"]),
            ("issued", []),
            ("stale", ["H-001"]),
            ("nonsense", ["H-001", "H-002", "H-003"]),
        ],
    )
    def test_the_list_is_filtered_by_status(self, valued, login, status, codes) -> None:  # type: ignore[no-untyped-def]
        body = login(valued.pm).get(f"{page(valued)}?status={status}").content.decode()
        assert household_codes(body) == codes

    def test_the_filter_counts_each_status(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        body = login(valued.pm).get(page(valued)).content.decode()
        counts = dict(
            re.findall(
                r'data-status="(\w+)"[^>]*>[^<]*<span class="badge text-bg-light">(\d+)<', body
            )
        )
        assert counts == {"none": "1", "draft": "1", "confirmed": "1", "issued": "0", "stale": "1"}

    def test_rows_link_to_the_household_valuation_page(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        if not household_page_exists():
            pytest.skip("the household valuation page is not there yet")
        body = login(valued.pm).get(page(valued)).content.decode()
        assert f'href="{reverse("valuation:household", args=[valued.household.pk])}"' in body

    def test_a_user_limited_to_a_work_group_sees_its_households_only(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        body = login(valued.world.group_surveyor).get(page(valued)).content.decode()
        assert household_codes(body) == ["H-001", "H-003"]

    def test_the_list_has_pages_of_fifty_in_code_order(self, val, login) -> None:  # type: ignore[no-untyped-def]
        Household.objects.bulk_create(
            Household(
                project=val.project,
                code=f"H-{n:03d}",
                head_name="王某",
                division_code="330282",
                address="某村",
            )
            for n in range(60, 1, -1)
        )
        client = login(val.pm)
        first = household_codes(client.get(page(val)).content.decode())
        assert first == [f"H-{n:03d}" for n in range(1, 51)]
        second = client.get(f"{page(val)}?page=2").content.decode()
        assert household_codes(second) == [f"H-{n:03d}" for n in range(51, 61)]
        assert f'href="{page(val)}?page=1#households"' in second

    def test_an_htmx_request_gets_the_list_alone(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        r = login(valued.pm).get(f"{page(valued)}?status=draft", HTTP_HX_REQUEST="true")
        body = r.content.decode()
        assert body.lstrip().startswith('<div id="household-list">')
        assert household_codes(body) == ["H-001"] and "<html" not in body


# --- Publication ------------------------------------------------------------------------------


class TestPublication:
    def test_the_manager_publishes_and_the_printable_list_masks_names(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        client = login(valued.pm)
        body = client.get(page(valued)).content.decode()
        assert 'data-testid="publish-form"' in body
        r = client.post(f"{page(valued)}publish/", {"published_on": "2026-04-10", "note": "公示"})
        publication = Publication.objects.get(project=valued.project)
        assert r.status_code == 302
        assert r.url == f"{page(valued)}publications/{publication.pk}/"
        assert Valuation.objects.get(pk=valued.v2.pk).publication == publication
        printed = client.get(r.url).content.decode()
        assert household_codes(printed) == ["H-002"]  # the stale draft is not published
        assert "张*国" in printed and "张建国" not in printed
        assert f"{valued.v2.total}" in printed and "@media print" in printed
        assert "2026-04-20" in printed  # published until
        listed = client.get(page(valued)).content.decode()
        assert f'data-publication="{publication.number}"' in listed
        # A new publication would list it again, but none of it for the first time.
        assert 'data-ready="1" data-first-time="0"' in listed

    def test_the_page_says_how_many_valuations_a_publication_would_list(
        self, valued, login
    ) -> None:  # type: ignore[no-untyped-def]
        body = login(valued.pm).get(page(valued)).content.decode()
        # H-002 confirmed; H-001 is a draft and stale, H-003 not started.
        assert 'data-ready="1" data-first-time="1"' in body

    def test_the_form_is_not_offered_when_nothing_is_ready(self, chosen, login) -> None:  # type: ignore[no-untyped-def]
        body = login(chosen.pm).get(page(chosen)).content.decode()
        assert 'data-ready="0"' in body and 'data-testid="publish-form"' not in body

    def test_nothing_to_publish_is_said_and_nothing_is_created(self, chosen, login) -> None:  # type: ignore[no-untyped-def]
        r = login(chosen.pm).post(f"{page(chosen)}publish/", {"published_on": "2026-04-10"})
        assert r.status_code == 400 and 'class="alert alert-danger"' in r.content.decode()
        assert not Publication.objects.exists()

    def test_a_missing_date_is_shown_at_the_field(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        r = login(valued.pm).post(f"{page(valued)}publish/", {"published_on": ""})
        assert r.status_code == 400 and field_errors(r.content.decode(), "published_on")
        assert not Publication.objects.exists()

    def test_a_surveyor_cannot_publish(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        r = login(valued.world.surveyor).post(
            f"{page(valued)}publish/", {"published_on": "2026-04-10"}
        )
        assert r.status_code == 403 and not Publication.objects.exists()

    def test_another_projects_manager_gets_404(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        publication = services.publish(
            actor=valued.pm, project=valued.project, published_on=dt.date(2026, 4, 10)
        )
        url = f"{page(valued)}publications/{publication.pk}/"
        assert login(valued.world.other_pm).get(url).status_code == 404
        # Nor through the other project's address.
        other = (
            f"/valuation/projects/{valued.world.other_project.pk}/publications/{publication.pk}/"
        )
        assert login(valued.world.other_pm).get(other).status_code == 404


# --- Performance ------------------------------------------------------------------------------


def issue(valuation: Valuation, issued_on: dt.date) -> None:
    Valuation.objects.filter(pk=valuation.pk).update(
        status=ValuationStatus.ISSUED, issued_on=issued_on
    )


class TestPerformance:
    def test_the_page_shows_the_firms_figures(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        issue(valued.v2, dt.date(2026, 5, 3))
        body = login(valued.pm).get(page(valued)).content.decode()
        row = re.search(
            rf'<tr data-firm="{valued.firm.pk}">(.*?)</tr>',
            body.split('data-testid="performance"')[1],
            re.S,
        )
        assert row is not None
        figures = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', row.group(1)))
        assert figures["valued"] == "1" and figures["issued"] == "1"
        assert figures["on_time"] == "0" and figures["late"] == "1"
        assert figures["average_days_late"] == "3.0"

    def test_the_manager_exports_the_figures_and_it_is_recorded(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        issue(valued.v2, dt.date(2026, 4, 20))
        r = login(valued.pm).get(f"{page(valued)}performance.xlsx")
        assert r.status_code == 200
        assert (
            "attachment" in r["Content-Disposition"]
            and valued.project.code in r["Content-Disposition"]
        )
        workbook = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
        assert len(rows) == 2
        assert rows[1][:8] == (
            valued.project.code,
            valued.project.name,
            valued.firm.name,
            dt.datetime(2026, 4, 30),
            1,
            1,
            1,
            0,
        )
        event = Event.objects.get(event_type="valuation.performance.export")
        assert event.actor_id == valued.pm.pk and event.project_id == valued.project.pk

    def test_a_surveyor_cannot_export(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        r = login(valued.world.surveyor).get(f"{page(valued)}performance.xlsx")
        assert r.status_code == 403
        assert not Event.objects.filter(event_type="valuation.performance.export").exists()

    def test_another_projects_manager_gets_404(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        r = login(valued.world.other_pm).get(f"{page(valued)}performance.xlsx")
        assert r.status_code == 404

    def test_the_export_link_is_shown_to_those_who_may_export(self, valued, login) -> None:  # type: ignore[no-untyped-def]
        assert "performance-export" in login(valued.pm).get(page(valued)).content.decode()
        body = login(valued.world.surveyor).get(page(valued)).content.decode()
        assert "performance-export" not in body


def test_the_page_costs_the_same_queries_however_many_households(valued, login) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(valued.pm)
    client.get(page(valued))  # sessions and caches warmed
    with CaptureQueriesContext(connection) as before:
        client.get(page(valued))
    for n in range(4, 12):
        h = make_household(valued.project, code=f"H-{n:03d}", work_group=valued.world.group)
        services.valuation_confirm(actor=valued.valuer, valuation=enter(valued.valuer, h))
    with CaptureQueriesContext(connection) as after:
        client.get(page(valued))
    assert len(after) == len(before)
