"""The valuation page of a household: the valuers' entry, confirmation, the report and the
objections; the valuation card of the survey household page.

Every view is tried by whom it is for (allowed), by office staff or a valuer of another firm
(403, recorded), by staff of another project (404) and with the wrong method (405).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event, EventKind
from zhengqian.core.calendar import office_calendar
from zhengqian.core.models import StaleMark
from zhengqian.core.money import amount_in_words
from zhengqian.ownership.tests.conftest import make_household
from zhengqian.survey import services as survey_services
from zhengqian.survey.models import Building, HouseholdKind
from zhengqian.testing.factories import grant
from zhengqian.valuation import rules, services
from zhengqian.valuation.models import (
    DecorationItem,
    Objection,
    ObjectionKind,
    ObjectionOutcome,
    ObjectionStatus,
    Valuation,
    ValuationStatus,
)
from zhengqian.valuation.tests.conftest import DECISION_DAY, enter

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = timezone.localdate()


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


@pytest.fixture
def decided(chosen):  # type: ignore[no-untyped-def]
    """Project A's expropriation decision announced: the valuation date is known."""
    chosen.project.milestones.filter(code="decision_announced").update(actual_date=DECISION_DAY)
    return chosen


def url(household: Any, action: str = "") -> str:
    return f"/valuation/households/{household.pk}/{action}"


def entry(household: Any, **overrides: str) -> dict[str, str]:
    """The entry form as a valuer fills it in: each building at 12,000/m² of its measured area,
    the wall at 100/m, one decoration item. Overrides by field name ("buildings-1-value")."""
    buildings = list(household.buildings.order_by("number", "pk"))
    ancillaries = list(household.ancillaries.order_by("pk"))
    data = {
        "report_no": f"PG-{household.code}",
        "valuation_date": DECISION_DAY.isoformat(),
        "buildings-TOTAL_FORMS": str(len(buildings)),
        "buildings-INITIAL_FORMS": str(len(buildings)),
        "decorations-TOTAL_FORMS": "1",
        "decorations-INITIAL_FORMS": "0",
        "decorations-0-building": "",
        "decorations-0-description": "厨房整体橱柜",
        "decorations-0-amount": "8000.00",
        "ancillaries-TOTAL_FORMS": str(len(ancillaries)),
        "ancillaries-INITIAL_FORMS": str(len(ancillaries)),
    }
    for i, b in enumerate(buildings):
        data |= {
            f"buildings-{i}-building": str(b.pk),
            f"buildings-{i}-area": str(b.measured_area),
            f"buildings-{i}-unit_price": "12000.00",
            f"buildings-{i}-value": str(rules.product(b.measured_area, Decimal("12000.00"))),
            f"buildings-{i}-notes": "",
        }
    for i, a in enumerate(ancillaries):
        data |= {
            f"ancillaries-{i}-ancillary": str(a.pk),
            f"ancillaries-{i}-quantity": str(a.quantity),
            f"ancillaries-{i}-unit_price": "100.00",
            f"ancillaries-{i}-value": str(rules.product(a.quantity, Decimal("100.00"))),
        }
    data.update(overrides)
    return data


def field_error(body: str, name: str) -> str:
    """The text of the error shown under one field (empty when there is none)."""
    marker = f'data-field-error="{name}">'
    start = body.find(marker)
    if start < 0:
        return ""
    start += len(marker)
    return body[start : body.find("</div>", start)]


def input_value(body: str, name: str) -> str | None:
    """The value an input of the page holds (None when there is no such input)."""
    match = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', body)
    if match is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def denied(response: Any, user: Any) -> bool:
    event = Event.objects.filter(event_type="access.denied").order_by("-seq").first()
    return (
        response.status_code == 403
        and event is not None
        and event.kind == EventKind.DENIED
        and event.actor_id == user.pk
    )


def another_firms_valuer_in_the_project(chosen: Any) -> Any:
    """The other firm's valuer given the valuer role in project A by mistake: still no
    figures of a firm that is not the chosen one."""
    grant(chosen.other_valuer, RoleCode.VALUER, chosen.project)
    return chosen.other_valuer


def issued(chosen: Any, *, delivered_on: dt.date | None = None) -> Valuation:
    """Entered, confirmed, published and issued (the report generated); received if given."""
    v = enter(chosen.valuer, chosen.household)
    services.valuation_confirm(actor=chosen.valuer, valuation=v)
    services.publish(actor=chosen.pm, project=chosen.project, published_on=TODAY)
    v.refresh_from_db()
    v = services.report_issue(actor=chosen.valuer, valuation=v, issued_on=delivered_on or TODAY)
    if delivered_on is not None:
        services.report_delivered(actor=chosen.pm, valuation=v, delivered_on=delivered_on)
    v.refresh_from_db()
    return v


class TestThePage:
    def test_the_valuer_sees_the_survey_data_with_the_name_masked_and_the_prefilled_form(  # type: ignore[no-untyped-def]
        self, decided, login
    ):
        r = login(decided.valuer).get(url(decided.household))
        body = r.content.decode()
        assert r.status_code == 200
        assert "张*国" in body and "张建国" not in body
        assert 'data-testid="basis-buildings"' in body and "砖混结构" in body
        assert input_value(body, "buildings-0-area") == "96.00"  # prefilled: the measured area
        assert input_value(body, "buildings-0-unit_price") == ""
        assert input_value(body, "ancillaries-0-quantity") == "12.50"
        assert input_value(body, "valuation_date") == DECISION_DAY.isoformat()
        # A residential household has no business stoppage loss.
        assert 'name="business_loss"' not in body
        assert 'data-testid="entry-form"' in body and "zhengqian/valuation.js" in body

    def test_a_non_residential_household_gets_the_business_loss_fields(self, chosen, login):  # type: ignore[no-untyped-def]
        chosen.household.kind = HouseholdKind.NON_RESIDENTIAL
        chosen.household.save()
        body = login(chosen.valuer).get(url(chosen.household)).content.decode()
        assert 'name="business_loss"' in body and 'name="business_loss_basis"' in body

    def test_the_confirmation_areas_are_shown(self, chosen, login):  # type: ignore[no-untyped-def]
        from zhengqian.ownership.tests.conftest import confirm_all

        officer = grant_officer(chosen)
        confirm_all(officer, chosen.household)
        body = login(chosen.valuer).get(url(chosen.household)).content.decode()
        assert "80.00 / 16.00" in body  # building 1: licensed / unlicensed

    def test_the_project_manager_reads_it_without_the_entry_form(self, chosen, login):  # type: ignore[no-untyped-def]
        enter(chosen.valuer, chosen.household)
        body = login(chosen.pm).get(url(chosen.household)).content.decode()
        assert 'data-testid="figures"' in body and "1,152,000.00" in body
        assert 'data-testid="entry-form"' not in body

    def test_a_role_with_personal_data_rights_sees_the_name_and_it_is_recorded(  # type: ignore[no-untyped-def]
        self, chosen, login
    ):
        body = login(chosen.world.supervisor).get(url(chosen.household)).content.decode()
        assert "张建国" in body
        event = Event.objects.get(event_type="valuation.household.view")
        assert event.kind == EventKind.READ and event.target_id == str(chosen.household.pk)

    def test_another_projects_manager_gets_404_and_it_is_recorded(self, chosen, login):  # type: ignore[no-untyped-def]
        assert login(chosen.world.other_pm).get(url(chosen.household)).status_code == 404
        assert Event.objects.filter(event_type="access.out_of_scope").exists()

    def test_a_valuer_of_a_firm_not_chosen_gets_404(self, chosen, login):  # type: ignore[no-untyped-def]
        assert login(chosen.other_valuer).get(url(chosen.household)).status_code == 404

    def test_a_viewer_gets_404(self, chosen, login):  # type: ignore[no-untyped-def]
        assert login(chosen.world.viewer).get(url(chosen.household)).status_code == 404

    def test_an_unknown_household_gets_404(self, chosen, login):  # type: ignore[no-untyped-def]
        assert login(chosen.valuer).get("/valuation/households/999999/").status_code == 404

    def test_anonymous_users_go_to_the_login_page(self, chosen, client):  # type: ignore[no-untyped-def]
        r = client.get(url(chosen.household))
        assert r.status_code == 302 and r.url.startswith("/accounts/login/")

    def test_post_is_refused(self, chosen, login):  # type: ignore[no-untyped-def]
        assert login(chosen.valuer).post(url(chosen.household)).status_code == 405

    def test_the_number_of_queries_does_not_grow_with_the_buildings(self, chosen, login):  # type: ignore[no-untyped-def]
        client = login(chosen.valuer)
        few = make_household(chosen.project, code="H-010", work_group=chosen.world.group)
        many = make_household(chosen.project, code="H-020", work_group=chosen.world.group)
        for n in range(3, 21):
            Building.objects.create(
                household=many,
                number=str(n),
                structure_type="brick_concrete",
                use="residential",
                measured_area=Decimal("50.00"),
            )
        enter(chosen.valuer, few)
        enter(chosen.valuer, many)
        counts = []
        for household in (few, many):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url(household)).status_code == 200
            counts.append(len(captured))
        assert counts[0] == counts[1], counts


def grant_officer(chosen: Any) -> Any:
    from zhengqian.testing.factories import UserFactory

    officer = UserFactory(username="officer")
    grant(officer, RoleCode.OWNERSHIP_OFFICER, chosen.project)
    return officer


class TestSave:
    def test_the_valuer_saves_the_whole_valuation(self, chosen, login):  # type: ignore[no-untyped-def]
        r = login(chosen.valuer).post(url(chosen.household, "save/"), entry(chosen.household))
        assert r.status_code == 302 and r.url.endswith("#entry")
        v = Valuation.objects.get(household=chosen.household)
        assert v.buildings_total == Decimal("1632000.00")
        assert v.decoration_total == Decimal("8000.00")
        assert v.ancillaries_total == Decimal("1250.00")
        assert v.total == Decimal("1641250.00") and v.report_no == "PG-H-001"
        assert Event.objects.filter(event_type="valuation.save").count() == 1

    def test_a_value_that_is_not_area_times_price_is_shown_at_its_row_and_nothing_is_saved(  # type: ignore[no-untyped-def]
        self, chosen, login
    ):
        data = entry(chosen.household, **{"buildings-1-value": "480000.01"})
        r = login(chosen.valuer).post(url(chosen.household, "save/"), data)
        body = r.content.decode()
        assert r.status_code == 400
        error = field_error(body, "buildings-1-value")
        assert "40.00 m² × 12,000.00 = 480,000.00" in error and "480,000.01" in error
        assert "+0.01" in error
        assert field_error(body, "buildings-0-value") == ""
        # The figures typed are kept for correction.
        assert input_value(body, "buildings-1-value") == "480000.01"
        assert not Valuation.objects.exists()
        assert not Event.objects.filter(event_type="valuation.save").exists()

    def test_a_row_left_blank_is_not_sent_and_the_error_still_lands_on_its_own_row(  # type: ignore[no-untyped-def]
        self, chosen, login
    ):
        data = entry(
            chosen.household,
            **{
                "buildings-0-unit_price": "",
                "buildings-0-value": "",
                "buildings-1-value": "1.00",
            },
        )
        body = login(chosen.valuer).post(url(chosen.household, "save/"), data).content.decode()
        # The service was sent one building line (index 0): its error is shown on row 1.
        assert "480,000.00" in field_error(body, "buildings-1-value")
        assert field_error(body, "buildings-0-value") == ""

    def test_an_unvalued_building_may_wait_for_a_later_sitting(self, chosen, login):  # type: ignore[no-untyped-def]
        data = entry(chosen.household, **{"buildings-1-unit_price": "", "buildings-1-value": ""})
        assert login(chosen.valuer).post(url(chosen.household, "save/"), data).status_code == 302
        v = Valuation.objects.get()
        assert list(v.buildings.values_list("building__number", flat=True)) == ["1"]

    def test_an_ancillary_error_is_shown_at_its_field(self, chosen, login):  # type: ignore[no-untyped-def]
        data = entry(chosen.household, **{"ancillaries-0-value": "1200.00"})
        body = login(chosen.valuer).post(url(chosen.household, "save/"), data).content.decode()
        error = field_error(body, "ancillaries-0-value")
        assert "12.50 m × 100.00 = 1,250.00" in error

    def test_a_number_with_three_decimals_is_refused_by_the_form(self, chosen, login):  # type: ignore[no-untyped-def]
        data = entry(chosen.household, **{"ancillaries-0-unit_price": "100.005"})
        r = login(chosen.valuer).post(url(chosen.household, "save/"), data)
        assert r.status_code == 400 and field_error(r.content.decode(), "ancillaries-0-unit_price")
        assert not Valuation.objects.exists()

    def test_the_valuation_date_must_be_the_day_of_the_decision(self, decided, login):  # type: ignore[no-untyped-def]
        data = entry(decided.household, valuation_date="2026-03-03")
        body = login(decided.valuer).post(url(decided.household, "save/"), data).content.decode()
        assert DECISION_DAY.isoformat() in field_error(body, "valuation_date")

    def test_decoration_rows_are_added_and_removed(self, chosen, login):  # type: ignore[no-untyped-def]
        client = login(chosen.valuer)
        building = chosen.household.buildings.get(number="1")
        data = entry(
            chosen.household,
            **{
                "decorations-TOTAL_FORMS": "3",
                "decorations-1-building": str(building.pk),
                "decorations-1-description": "木地板",
                "decorations-1-amount": "3600.00",
                # A blank extra row is left out.
                "decorations-2-description": "",
                "decorations-2-amount": "",
            },
        )
        assert client.post(url(chosen.household, "save/"), data).status_code == 302
        assert DecorationItem.objects.count() == 2
        body = client.get(url(chosen.household)).content.decode()
        assert input_value(body, "decorations-1-description") == "木地板"
        assert input_value(body, "decorations-2-description") == ""  # one blank row offered
        data |= {"decorations-INITIAL_FORMS": "2", "decorations-0-DELETE": "on"}
        assert client.post(url(chosen.household, "save/"), data).status_code == 302
        [item] = DecorationItem.objects.all()
        assert item.description == "木地板" and item.building == building
        assert Valuation.objects.get().decoration_total == Decimal("3600.00")

    def test_a_decoration_without_its_amount_is_refused_at_the_amount(self, chosen, login):  # type: ignore[no-untyped-def]
        data = entry(chosen.household, **{"decorations-0-amount": ""})
        body = login(chosen.valuer).post(url(chosen.household, "save/"), data).content.decode()
        assert field_error(body, "decorations-0-amount")

    def test_the_project_manager_is_refused_and_it_is_recorded(self, chosen, login):  # type: ignore[no-untyped-def]
        r = login(chosen.pm).post(url(chosen.household, "save/"), entry(chosen.household))
        assert denied(r, chosen.pm)
        assert not Valuation.objects.exists()

    def test_a_valuer_of_another_firm_is_refused_even_inside_the_project(self, chosen, login):  # type: ignore[no-untyped-def]
        other = another_firms_valuer_in_the_project(chosen)
        client = login(other)
        body = client.get(url(chosen.household)).content.decode()
        assert 'data-testid="entry-form"' not in body
        r = client.post(url(chosen.household, "save/"), entry(chosen.household))
        assert denied(r, other)
        assert not Valuation.objects.exists()

    def test_another_projects_staff_get_404(self, chosen, login):  # type: ignore[no-untyped-def]
        r = login(chosen.world.other_pm).post(
            url(chosen.household, "save/"), entry(chosen.household)
        )
        assert r.status_code == 404

    def test_get_is_refused(self, chosen, login):  # type: ignore[no-untyped-def]
        assert login(chosen.valuer).get(url(chosen.household, "save/")).status_code == 405

    def test_an_issued_valuation_is_shown_without_the_form(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen)
        body = login(chosen.valuer).get(url(chosen.household)).content.decode()
        assert 'data-testid="entry-form"' not in body and 'data-testid="figures"' in body


class TestConfirm:
    def test_it_refuses_with_what_is_missing(self, chosen, login):  # type: ignore[no-untyped-def]
        client = login(chosen.valuer)
        data = entry(
            chosen.household,
            report_no="",
            **{"buildings-1-unit_price": "", "buildings-1-value": ""},
        )
        client.post(url(chosen.household, "save/"), data)
        r = client.post(url(chosen.household, "confirm/"))
        body = r.content.decode()
        assert r.status_code == 400 and 'data-testid="confirm-error"' in body
        with translation.override("zh-hans"):
            assert _("Building %(number)s has no value.") % {"number": "2"} in body
            assert _("The report number is missing.") in body
        assert Valuation.objects.get().status == ValuationStatus.DRAFT

    def test_the_valuer_confirms(self, chosen, login):  # type: ignore[no-untyped-def]
        enter(chosen.valuer, chosen.household)
        r = login(chosen.valuer).post(url(chosen.household, "confirm/"))
        assert r.status_code == 302
        assert Valuation.objects.get().status == ValuationStatus.CONFIRMED

    def test_a_change_of_the_survey_is_listed_and_confirming_again_settles_it(  # type: ignore[no-untyped-def]
        self, chosen, login
    ):
        enter(chosen.valuer, chosen.household)
        services.valuation_confirm(actor=chosen.valuer, valuation=Valuation.objects.get())
        building = chosen.household.buildings.get(number="1")
        survey_services.member_update(
            actor=chosen.world.surveyor, instance=building, measured_area=Decimal("100.00")
        )
        client = login(chosen.valuer)
        body = client.get(url(chosen.household)).content.decode()
        assert 'data-testid="stale-warning"' in body
        warning = body[body.find('data-testid="stale-changes"') :]
        warning = warning[: warning.find("</ul>")]
        with translation.override("zh-hans"):
            assert _("Building %(number)s") % {"number": "1"} in warning
            assert str(Building._meta.get_field("measured_area").verbose_name) in warning
        assert "96.00" in warning and "100.00" in warning
        # The household page flags it too.
        survey_page = client.get(f"/survey/households/{chosen.household.pk}/").content.decode()
        assert 'data-testid="valuation-stale"' in survey_page

        assert client.post(url(chosen.household, "confirm/")).status_code == 302
        assert not StaleMark.objects.filter(resolved_at__isnull=True).exists()
        assert (
            'data-testid="stale-warning"' not in client.get(url(chosen.household)).content.decode()
        )

    def test_the_project_manager_may_not_confirm(self, chosen, login):  # type: ignore[no-untyped-def]
        enter(chosen.valuer, chosen.household)
        assert denied(login(chosen.pm).post(url(chosen.household, "confirm/")), chosen.pm)

    def test_without_a_valuation_there_is_nothing_to_confirm(self, chosen, login):  # type: ignore[no-untyped-def]
        assert login(chosen.valuer).post(url(chosen.household, "confirm/")).status_code == 404

    def test_get_is_refused(self, chosen, login):  # type: ignore[no-untyped-def]
        assert login(chosen.valuer).get(url(chosen.household, "confirm/")).status_code == 405


class TestReport:
    def confirmed(self, chosen: Any, *, publish: bool = True) -> Valuation:
        v = enter(chosen.valuer, chosen.household)
        services.valuation_confirm(actor=chosen.valuer, valuation=v)
        if publish:
            services.publish(actor=chosen.pm, project=chosen.project, published_on=TODAY)
        return v

    def test_the_valuer_issues_a_generated_report_and_each_view_is_recorded(  # type: ignore[no-untyped-def]
        self, chosen, login, media
    ):
        self.confirmed(chosen)
        client = login(chosen.valuer)
        r = client.post(url(chosen.household, "report/issue/"), {"issued_on": TODAY.isoformat()})
        assert r.status_code == 302 and r.url.endswith("#report")
        v = Valuation.objects.get()
        assert v.status == ValuationStatus.ISSUED and v.report_generated
        body = client.get(url(chosen.household)).content.decode()
        assert 'data-testid="report-link"' in body

        r = login(chosen.pm).get(url(chosen.household, "report/"))
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
        assert r["Content-Disposition"].startswith("inline")
        assert b"".join(r.streaming_content).startswith(b"%PDF-")
        event = Event.objects.get(event_type="valuation.report.view")
        assert event.kind == EventKind.READ and event.actor_id == chosen.pm.pk
        assert event.target_id == str(v.pk) and event.project_id == chosen.project.pk

    def test_the_firms_signed_pdf_is_kept(self, chosen, login, media):  # type: ignore[no-untyped-def]
        self.confirmed(chosen)
        upload = SimpleUploadedFile("报告.pdf", PDF, content_type="application/pdf")
        r = login(chosen.valuer).post(
            url(chosen.household, "report/issue/"),
            {"issued_on": TODAY.isoformat(), "report_file": upload},
        )
        assert r.status_code == 302
        v = Valuation.objects.get()
        assert not v.report_generated and v.report_file.read() == PDF

    def test_an_image_is_refused_at_the_file(self, chosen, login, media):  # type: ignore[no-untyped-def]
        self.confirmed(chosen)
        upload = SimpleUploadedFile("报告.png", b"\x89PNG\r\n\x1a\n" + b"0" * 40)
        r = login(chosen.valuer).post(
            url(chosen.household, "report/issue/"),
            {"issued_on": TODAY.isoformat(), "report_file": upload},
        )
        assert r.status_code == 400 and field_error(r.content.decode(), "report_file")
        assert Valuation.objects.get().status == ValuationStatus.CONFIRMED

    def test_before_the_publication_it_is_refused_with_the_reason(self, chosen, login, media):  # type: ignore[no-untyped-def]
        self.confirmed(chosen, publish=False)
        r = login(chosen.valuer).post(
            url(chosen.household, "report/issue/"), {"issued_on": TODAY.isoformat()}
        )
        assert r.status_code == 400
        with translation.override("zh-hans"):
            reason = _("The preliminary results must be published before the reports are issued.")
        assert reason in r.content.decode()
        assert Valuation.objects.get().status == ValuationStatus.CONFIRMED

    def test_the_project_manager_may_not_issue(self, chosen, login, media):  # type: ignore[no-untyped-def]
        self.confirmed(chosen)
        r = login(chosen.pm).post(
            url(chosen.household, "report/issue/"), {"issued_on": TODAY.isoformat()}
        )
        assert denied(r, chosen.pm)

    def test_the_office_records_the_day_the_household_received_it(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen)
        r = login(chosen.pm).post(
            url(chosen.household, "report/delivered/"), {"report-delivered_on": TODAY.isoformat()}
        )
        assert r.status_code == 302
        assert Valuation.objects.get().delivered_on == TODAY
        # Recorded once: the objection periods run from that day.
        body = login(chosen.pm).get(url(chosen.household)).content.decode()
        assert 'data-testid="delivered-form"' not in body
        assert 'data-testid="delivered-on"' in body

    def test_a_receipt_before_the_issue_is_refused_at_the_date(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen)
        day = (TODAY - dt.timedelta(days=1)).isoformat()
        r = login(chosen.pm).post(
            url(chosen.household, "report/delivered/"), {"report-delivered_on": day}
        )
        assert r.status_code == 400 and TODAY.isoformat() in field_error(
            r.content.decode(), "delivered_on"
        )

    def test_the_valuer_may_not_record_the_receipt(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen)
        r = login(chosen.valuer).post(
            url(chosen.household, "report/delivered/"), {"report-delivered_on": TODAY.isoformat()}
        )
        assert denied(r, chosen.valuer)

    def test_no_report_no_file(self, chosen, login):  # type: ignore[no-untyped-def]
        enter(chosen.valuer, chosen.household)
        assert login(chosen.pm).get(url(chosen.household, "report/")).status_code == 404

    def test_another_projects_staff_get_404_for_the_report(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen)
        r = login(chosen.world.other_pm).get(url(chosen.household, "report/"))
        assert r.status_code == 404
        assert not Event.objects.filter(event_type="valuation.report.view").exists()

    def test_post_is_refused_for_the_report(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen)
        assert login(chosen.pm).post(url(chosen.household, "report/")).status_code == 405


class TestObjections:
    def apply(self, client: Any, chosen: Any, **data: Any) -> Any:
        return client.post(
            url(chosen.household, "objections/"),
            {"kind": "review", "applied_on": TODAY.isoformat(), "grounds": "装修评估偏低"} | data,
        )

    def test_before_the_household_received_the_report_the_page_says_why(  # type: ignore[no-untyped-def]
        self, chosen, login, media
    ):
        issued(chosen)
        body = login(chosen.pm).get(url(chosen.household)).content.decode()
        with translation.override("zh-hans"):
            assert _("The household has not received its report yet.") in body
        assert 'data-testid="apply-form"' not in body

    def test_the_office_records_an_application_with_its_deadlines(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen, delivered_on=TODAY)
        client = login(chosen.pm)
        body = client.get(url(chosen.household)).content.decode()
        assert 'data-testid="apply-form"' in body
        upload = SimpleUploadedFile("复核申请.pdf", PDF, content_type="application/pdf")
        r = self.apply(client, chosen, application=upload)
        assert r.status_code == 302 and r.url.endswith("#objections")
        objection = Objection.objects.get()
        assert objection.kind == ObjectionKind.REVIEW and objection.application
        body = client.get(url(chosen.household)).content.decode()
        assert 'data-testid="objection-review"' in body
        assert objection.answer_deadline.isoformat() in body
        document = client.get(url(chosen.household, f"objections/{objection.pk}/application/"))
        assert document.status_code == 200 and document["Content-Type"] == "application/pdf"
        assert Event.objects.filter(event_type="valuation.objection.document_view").exists()

    def test_an_application_after_the_period_is_refused_at_the_date_with_the_last_day(  # type: ignore[no-untyped-def]
        self, chosen, login, media
    ):
        received = TODAY - dt.timedelta(days=40)
        issued(chosen, delivered_on=received)
        last_day = rules.apply_deadline(received, office_calendar())
        r = self.apply(login(chosen.pm), chosen)
        body = r.content.decode()
        assert r.status_code == 400
        error = field_error(body, "applied_on")
        assert last_day.isoformat() in error and received.isoformat() in error
        assert not Objection.objects.exists()

    def test_the_valuer_may_not_record_an_application(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen, delivered_on=TODAY)
        assert denied(self.apply(login(chosen.valuer), chosen), chosen.valuer)

    def test_a_second_application_of_the_same_kind_is_refused(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen, delivered_on=TODAY)
        client = login(chosen.pm)
        self.apply(client, chosen)
        r = self.apply(client, chosen)
        assert r.status_code == 400 and Objection.objects.count() == 1

    def test_the_firm_reopens_revises_and_answers_a_re_assessment(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen, delivered_on=TODAY)
        self.apply(login(chosen.pm), chosen)
        objection = Objection.objects.get()
        client = login(chosen.valuer)
        body = client.get(url(chosen.household)).content.decode()
        assert 'data-testid="reopen-button"' in body and 'data-testid="entry-form"' not in body
        base = url(chosen.household, f"objections/{objection.pk}/")
        assert client.post(base + "reopen/").status_code == 302
        assert 'data-testid="entry-form"' in client.get(url(chosen.household)).content.decode()
        data = entry(
            chosen.household,
            **{"buildings-0-unit_price": "12500.00", "buildings-0-value": "1200000.00"},
        )
        assert client.post(url(chosen.household, "save/"), data).status_code == 302
        r = client.post(
            base + "review-answer/",
            {
                f"o{objection.pk}-answered_on": TODAY.isoformat(),
                f"o{objection.pk}-answer": "单价调整",
            },
        )
        assert r.status_code == 302
        objection.refresh_from_db()
        assert objection.status == ObjectionStatus.ANSWERED
        assert objection.outcome == ObjectionOutcome.REVISED
        assert objection.total_after == Decimal("1689250.00")
        body = client.get(url(chosen.household)).content.decode()
        assert 'data-testid="reissue-due"' in body and 'data-testid="issue-form"' in body
        deadline = body[body.find('data-testid="answer-deadline"') :]
        deadline = deadline[: deadline.find("</dd>")]
        # Answered: "closed on" the day of the answer instead of the days left.
        assert objection.answer_deadline.isoformat() in deadline and TODAY.isoformat() in deadline

    def test_an_answer_without_text_is_refused_at_the_field(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen, delivered_on=TODAY)
        self.apply(login(chosen.pm), chosen)
        objection = Objection.objects.get()
        r = login(chosen.valuer).post(
            url(chosen.household, f"objections/{objection.pk}/review-answer/"),
            {f"o{objection.pk}-answered_on": TODAY.isoformat(), f"o{objection.pk}-answer": ""},
        )
        assert r.status_code == 400 and field_error(r.content.decode(), "answer")

    def test_the_office_may_not_answer_for_the_firm(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen, delivered_on=TODAY)
        self.apply(login(chosen.pm), chosen)
        objection = Objection.objects.get()
        r = login(chosen.pm).post(
            url(chosen.household, f"objections/{objection.pk}/review-answer/"),
            {f"o{objection.pk}-answered_on": TODAY.isoformat(), f"o{objection.pk}-answer": "维持"},
        )
        assert denied(r, chosen.pm)

    def test_the_experts_answer_the_firm_revises_and_closes(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen, delivered_on=TODAY)
        pm = login(chosen.pm)
        self.apply(pm, chosen)
        review = Objection.objects.get()
        services.review_answer(
            actor=chosen.valuer, objection=review, answered_on=TODAY, answer="维持原评估"
        )
        r = pm.post(
            url(chosen.household, f"objections/{review.pk}/delivered/"),
            {f"o{review.pk}-delivered_on": TODAY.isoformat()},
        )
        assert r.status_code == 302
        self.apply(pm, chosen, kind="appraisal", grounds="对复核结果不服")
        appraisal = Objection.objects.get(kind=ObjectionKind.APPRAISAL)
        base = url(chosen.household, f"objections/{appraisal.pk}/")
        r = pm.post(
            base + "appraisal-answer/",
            {
                f"o{appraisal.pk}-answered_on": TODAY.isoformat(),
                f"o{appraisal.pk}-outcome": "revised",
                f"o{appraisal.pk}-answer": "专家委员会认定单价偏低",
            },
        )
        assert r.status_code == 302
        valuer = login(chosen.valuer)
        assert valuer.post(base + "reopen/").status_code == 302
        data = entry(
            chosen.household,
            **{"buildings-0-unit_price": "12500.00", "buildings-0-value": "1200000.00"},
        )
        assert valuer.post(url(chosen.household, "save/"), data).status_code == 302
        assert valuer.post(base + "revision-done/").status_code == 302
        appraisal.refresh_from_db()
        assert appraisal.total_after == Decimal("1689250.00")
        assert Valuation.objects.get().reopened_by is None

    def test_reopening_an_answered_re_assessment_is_refused_with_the_reason(  # type: ignore[no-untyped-def]
        self, chosen, login, media
    ):
        issued(chosen, delivered_on=TODAY)
        self.apply(login(chosen.pm), chosen)
        review = Objection.objects.get()
        services.review_answer(
            actor=chosen.valuer, objection=review, answered_on=TODAY, answer="维持原评估"
        )
        r = login(chosen.valuer).post(url(chosen.household, f"objections/{review.pk}/reopen/"))
        assert r.status_code == 400 and 'data-testid="objection-error"' in r.content.decode()

    def test_an_objection_of_another_household_gets_404(self, chosen, login, media):  # type: ignore[no-untyped-def]
        issued(chosen, delivered_on=TODAY)
        self.apply(login(chosen.pm), chosen)
        objection = Objection.objects.get()
        other = make_household(chosen.project, code="H-002", work_group=chosen.world.group)
        r = login(chosen.valuer).post(url(other, f"objections/{objection.pk}/reopen/"))
        assert r.status_code == 404

    def test_get_is_refused(self, chosen, login, media):  # type: ignore[no-untyped-def]
        assert login(chosen.pm).get(url(chosen.household, "objections/")).status_code == 405


class TestHouseholdSection:
    def test_the_household_page_shows_the_valuation_with_the_total_in_words(  # type: ignore[no-untyped-def]
        self, chosen, login
    ):
        v = enter(chosen.valuer, chosen.household)
        body = login(chosen.pm).get(f"/survey/households/{chosen.household.pk}/").content.decode()
        assert 'data-testid="valuation-section"' in body
        assert f'data-total="total">{v.total:,.2f}<' in body
        assert amount_in_words(v.total) in body
        assert chosen.firm.name in body and "PG-H-001" in body
        assert f'href="/valuation/households/{chosen.household.pk}/"' in body

    def test_before_any_entry_it_names_the_chosen_firm(self, chosen, login):  # type: ignore[no-untyped-def]
        body = login(chosen.pm).get(f"/survey/households/{chosen.household.pk}/").content.decode()
        assert 'data-status="none"' in body and chosen.firm.name in body

    def test_it_reads_two_queries_whatever_the_household_holds(self, chosen, media):  # type: ignore[no-untyped-def]
        from zhengqian.valuation import selectors

        issued(chosen, delivered_on=TODAY)
        services.objection_apply(
            actor=chosen.pm,
            valuation=Valuation.objects.get(),
            kind=ObjectionKind.REVIEW,
            applied_on=TODAY,
            grounds="偏低",
        )
        selectors.household_section(chosen.pm, chosen.household)  # the roles, memoised
        with CaptureQueriesContext(connection) as captured:
            section = selectors.household_section(chosen.pm, chosen.household)
            assert section["pending_objections"] == 1 and not section["stale"]
        assert len(captured) == 2
