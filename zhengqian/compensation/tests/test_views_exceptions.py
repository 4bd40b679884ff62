"""The exceptions pages: recording a collective decision, calculating with an exception, the
project's exceptions report and the minutes (an audited read)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengqian.audit.models import Event
from zhengqian.compensation import services
from zhengqian.compensation.models import (
    Calculation,
    CalculationLine,
    CalculationStatus,
    CollectiveDecision,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)


def pdf(name: str = "minutes.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def decision_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "d-meeting_date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "d-participants": "指挥部班子成员",
        "d-decision": "该户搬迁费按6000元计",
        "d-document": pdf(),
    }
    data.update(overrides)
    return data


def household_url(household: Any, action: str = "") -> str:
    return f"/compensation/households/{household.pk}/{action}"


def report_url(project: Any) -> str:
    return f"/compensation/projects/{project.pk}/exceptions/"


def recorded(comp: Any) -> CollectiveDecision:
    return services.decision_record(
        actor=comp.accountant,
        project=comp.project,
        meeting_date=timezone.localdate(),
        participants="指挥部班子成员",
        decision="该户搬迁费按6000元计",
        document=pdf(),
    )


def calculated(comp: Any, **kwargs: Any) -> Calculation:
    return services.calculate(
        actor=comp.accountant,
        household=comp.household,
        mode="cash",
        signing_on=comp.signing_day,
        **kwargs,
    )


class TestRecordDecision:
    def test_the_accountant_records_a_decision(self, comp, login):  # type: ignore[no-untyped-def]
        r = login(comp.accountant).post(
            household_url(comp.household, "decisions/"), decision_data()
        )
        assert r.status_code == 302
        decision = CollectiveDecision.objects.get()
        assert decision.project == comp.project and decision.recorded_by == comp.accountant
        assert decision.document.name.endswith(".pdf")
        event = Event.objects.get(event_type="calculation.decision")
        assert event.project_id == comp.project.pk

    def test_a_missing_document_is_refused_at_the_field(self, comp, login):  # type: ignore[no-untyped-def]
        data = decision_data()
        del data["d-document"]
        r = login(comp.accountant).post(household_url(comp.household, "decisions/"), data)
        assert r.status_code == 400
        assert "document" in r.context["decision_form"].errors
        assert not CollectiveDecision.objects.exists()

    def test_a_word_document_or_a_future_date_is_refused(self, comp, login):  # type: ignore[no-untyped-def]
        future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        r = login(comp.accountant).post(
            household_url(comp.household, "decisions/"),
            decision_data(**{"d-meeting_date": future, "d-document": pdf("x.pdf", b"hello")}),
        )
        assert r.status_code == 400
        errors = r.context["decision_form"].errors
        assert "meeting_date" in errors and "document" in errors
        assert not CollectiveDecision.objects.exists()

    def test_another_projects_accountant_gets_404(self, comp, login):  # type: ignore[no-untyped-def]
        client = login(comp.other_accountant)
        r = client.post(household_url(comp.household, "decisions/"), decision_data())
        assert r.status_code == 404
        assert client.get(household_url(comp.household, "exception/")).status_code == 404
        assert not CollectiveDecision.objects.exists()

    def test_a_reviewer_may_not_record(self, comp, login):  # type: ignore[no-untyped-def]
        r = login(comp.policy_reviewer).post(
            household_url(comp.household, "decisions/"), decision_data()
        )
        assert r.status_code == 403
        assert not CollectiveDecision.objects.exists()


class TestCalculateWithException:
    def test_the_household_page_links_to_the_exception_page(self, comp, login):  # type: ignore[no-untyped-def]
        calculated(comp)
        body = login(comp.accountant).get(household_url(comp.household)).content.decode()
        assert household_url(comp.household, "exception/") in body
        assert report_url(comp.project) in body

    def test_the_line_is_marked_and_needs_the_leader(self, comp, login):  # type: ignore[no-untyped-def]
        calculated(comp)
        decision = recorded(comp)
        client = login(comp.accountant)
        page = client.get(household_url(comp.household, "exception/"))
        assert page.status_code == 200 and 'data-testid="exception-form"' in page.content.decode()
        r = client.post(
            household_url(comp.household, "exception/calculate/"),
            {
                "x-mode": "cash",
                "x-signing_on": comp.signing_day.isoformat(),
                "x-item": "moving",
                "x-amount": "6000.00",
                "x-exception_decision": str(decision.pk),
            },
        )
        assert r.status_code == 302
        calculation = Calculation.objects.order_by("-number").first()
        assert calculation is not None and calculation.number == 2
        assert calculation.needs_leader
        line = calculation.lines.get(item="moving")
        assert line.exception == decision and line.amount == Decimal("6000.00")
        assert line.amount != line.policy_amount
        assert calculation.lines.filter(exception__isnull=False).count() == 1

    def test_another_projects_decision_is_not_offered(self, comp, login):  # type: ignore[no-untyped-def]
        calculated(comp)
        other = CollectiveDecision.objects.create(
            project=comp.world.other_project,
            meeting_date=comp.signing_day,
            participants="x",
            decision="y",
            document="compensation/decisions/x.pdf",
            recorded_by=comp.pm,
        )
        recorded(comp)
        r = login(comp.accountant).post(
            household_url(comp.household, "exception/calculate/"),
            {
                "x-mode": "cash",
                "x-item": "moving",
                "x-amount": "6000.00",
                "x-exception_decision": str(other.pk),
            },
        )
        assert r.status_code == 400
        assert "exception_decision" in r.context["calculate_form"].errors
        assert Calculation.objects.count() == 1

    def test_a_reviewer_may_not_calculate(self, comp, login):  # type: ignore[no-untyped-def]
        calculated(comp)
        client = login(comp.policy_reviewer)
        assert client.get(household_url(comp.household, "exception/")).status_code == 403


class TestReport:
    def test_the_report_lists_exception_lines_newest_first(self, comp, login):  # type: ignore[no-untyped-def]
        decision = recorded(comp)
        first = calculated(comp, exceptions={"moving": (Decimal("6000.00"), decision)})
        second = calculated(comp, exceptions={"decoration": (Decimal("1.00"), decision)})
        calculated(comp)
        r = login(comp.world.supervisor).get(report_url(comp.project))
        assert r.status_code == 200
        lines = list(r.context["lines"])
        assert [line.calculation_id for line in lines] == [second.pk, first.pk]
        moving = CalculationLine.objects.get(calculation=first, item="moving")
        assert lines[1].difference == moving.amount - moving.policy_amount
        body = r.content.decode()
        assert body.count('data-testid="exception-row"') == 2
        assert "该户搬迁费按6000元计" in body and comp.household.code in body
        assert f"/compensation/decisions/{decision.pk}/document/" in body
        assert Calculation.objects.get(pk=first.pk).status == CalculationStatus.SUPERSEDED

    def test_another_projects_staff_get_404(self, comp, login):  # type: ignore[no-untyped-def]
        decision = recorded(comp)
        calculated(comp, exceptions={"moving": (Decimal("6000.00"), decision)})
        client = login(comp.other_accountant)
        assert client.get(report_url(comp.project)).status_code == 404
        assert client.get(f"/compensation/decisions/{decision.pk}/document/").status_code == 404
        assert not Event.objects.filter(event_type="calculation.decision_view").exists()

    def test_the_minutes_are_served_and_the_read_recorded(self, comp, login):  # type: ignore[no-untyped-def]
        decision = recorded(comp)
        r = login(comp.world.supervisor).get(f"/compensation/decisions/{decision.pk}/document/")
        assert r.status_code == 200
        assert b"".join(r.streaming_content) == PDF
        assert r["Content-Type"] == "application/pdf"
        event = Event.objects.get(event_type="calculation.decision_view")
        assert event.actor_id == comp.world.supervisor.pk
