"""The signing-day screen (集中签约日): who sees it, its counters before and after a signing, the
queue's states, order and filters, masked names, and the live partial polled by the hall
screens (a fragment, a constant number of queries however many households)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements import services
from zhengqian.agreements import views_signing_day as screen
from zhengqian.agreements.models import Agreement, AgreementStatus
from zhengqian.agreements.tests.conftest import signing
from zhengqian.compensation import services as compensation
from zhengqian.compensation.models import Calculation, CalculationStatus
from zhengqian.survey.models import Household
from zhengqian.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def page_url(project: Any) -> str:
    return reverse("agreements:signing_day", args=[project.pk])


def live_url(project: Any, query: str = "") -> str:
    url = reverse("agreements:signing_day_live", args=[project.pk])
    return f"{url}?{query}" if query else url


def household_with_calculation(
    agr: Any, code: str, *, head_name: str = "李秀英", group: Any = None, total: str = "500000.00"
) -> Calculation:
    """Another household of project A with an approved calculation, made directly (the screen
    only reads them; the services' own tests cover how they come to be)."""
    household = Household.objects.create(
        project=agr.project,
        work_group=group or agr.world.group,
        code=code,
        head_name=head_name,
        division_code="330282",
        address=f"浙江省慈溪市新塘镇红旗村{code}号",
    )
    return Calculation.objects.create(
        household=household,
        number=1,
        policy=agr.policy,
        mode="cash",
        status=CalculationStatus.APPROVED,
        inputs={},
        total=Decimal(total),
        prepared_by=agr.accountant,
    )


def agreement_for(agr: Any, calculation: Calculation, **fields: Any) -> Agreement:
    """An agreement row for a made household (no files: the screen does not read them)."""
    sequence = Agreement.objects.filter(project=agr.project).count() + 100
    values: dict[str, Any] = {
        "project": agr.project,
        "household": calculation.household,
        "calculation": calculation,
        "template": services.active_template(agr.project.pk, "cash"),
        "kind": "cash",
        "sequence": sequence,
        "number": f"XM-A-{sequence}",
        "total": calculation.total,
        "drafted_by": agr.officer,
        **fields,
    }
    return Agreement.objects.create(**values)


def text(response: Any) -> str:
    return response.content.decode()


def figure(body: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', body)
    assert found, f"{testid} not on the page"
    return found.group(1).strip()


def states(body: str) -> list[tuple[str, str]]:
    return re.findall(r'data-testid="queue-row" data-household="([^"]+)" data-state="(\w+)"', body)


# --- who sees it -----------------------------------------------------------------------------


def test_a_signing_officer_sees_the_screen_with_a_draft_button(agr, login):  # type: ignore[no-untyped-def]
    r = login(agr.officer).get(page_url(agr.project))
    body = text(r)
    assert r.status_code == 200
    assert states(body) == [("H-001", "waiting")]
    # The hall screen may be projected: names are masked for everyone, officers included.
    assert figure(body, "head-name") == "张*国" and "张建国" not in body
    draft = reverse("agreements:draft", args=[agr.calculation.pk])
    assert f'action="{draft}"' in body and "csrfmiddlewaretoken" in body
    # A refused draft comes back here (the drafted agreement's page otherwise).
    assert f'name="next" value="{page_url(agr.project)}"' in body
    assert 'hx-trigger="every 5s"' in body and f'hx-get="{live_url(agr.project)}"' in body


def test_an_accountant_sees_the_screen_with_masked_names_and_no_draft_button(agr, login):  # type: ignore[no-untyped-def]
    body = text(login(agr.accountant).get(page_url(agr.project)))
    assert states(body) == [("H-001", "waiting")]
    assert figure(body, "head-name") == "张*国" and "张建国" not in body
    assert 'data-testid="draft-form"' not in body


def test_a_community_cadre_sees_the_screen(agr, login):  # type: ignore[no-untyped-def]
    body = text(login(agr.cadre).get(page_url(agr.project)))
    assert states(body) == [("H-001", "waiting")] and 'data-testid="draft-form"' not in body


def test_a_viewer_without_the_right_to_view_agreements_is_refused(agr, login):  # type: ignore[no-untyped-def]
    client = login(agr.world.viewer)
    assert client.get(page_url(agr.project)).status_code == 403
    assert client.get(live_url(agr.project)).status_code == 403


def test_another_projects_staff_and_outsiders_get_404(agr, login):  # type: ignore[no-untyped-def]
    for user in (agr.other_accountant, agr.world.other_pm, agr.world.outsider):
        client = login(user)
        assert client.get(page_url(agr.project)).status_code == 404
        assert client.get(live_url(agr.project)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(agr, client):  # type: ignore[no-untyped-def]
    r = client.get(page_url(agr.project))
    assert r.status_code == 302 and "login" in r["Location"]


def test_the_screen_only_reads(agr, login):  # type: ignore[no-untyped-def]
    client = login(agr.officer)
    assert client.post(page_url(agr.project)).status_code == 405
    assert client.post(live_url(agr.project)).status_code == 405


def test_a_work_group_member_sees_only_the_groups_households(agr, login):  # type: ignore[no-untyped-def]
    household_with_calculation(agr, "H-900", group=agr.world.other_group)
    member = UserFactory(username="group-signer")
    grant(member, RoleCode.SIGNING_OFFICER, agr.project, work_groups=[agr.world.other_group])
    body = text(login(member).get(page_url(agr.project)))
    assert states(body) == [("H-900", "waiting")]
    # The signing rate is the project's: the counters are not limited to the group.
    assert figure(body, "households") == "2"


# --- counters and states ---------------------------------------------------------------------


def test_counters_and_the_row_follow_drafting_and_signing(agr, login):  # type: ignore[no-untyped-def]
    client = login(agr.officer)
    body = text(client.get(page_url(agr.project)))
    assert [figure(body, t) for t in ("signed-today", "signed-total", "households", "rate")] == [
        "0",
        "0",
        "1",
        "0.00",
    ]
    assert 'data-testid="threshold"' not in body  # the policy sets none

    agreement = services.draft(actor=agr.officer, calculation=agr.calculation)
    body = text(client.get(page_url(agr.project)))
    assert states(body) == [("H-001", "drafted")]
    assert f'href="{reverse("agreements:agreement", args=[agreement.pk])}"' in body
    assert 'data-testid="draft-form"' not in body and figure(body, "signed-today") == "0"

    signed = signing(agr, agreement)
    body = text(client.get(page_url(agr.project)))
    assert states(body) == [("H-001", "signed")]
    assert [figure(body, t) for t in ("signed-today", "signed-total", "households", "rate")] == [
        "1",
        "1",
        "1",
        "100.00",
    ]
    assert f'data-testid="signing-order" data-order="{signed.signing_order}"' in body
    # Signed today: the time alone.
    signed_at = timezone.localtime(signed.signed_at)
    assert f"· {signed_at:%H:%M}</div>" in body and f"{signed_at:%Y-%m-%d %H:%M}" not in body


def test_signed_today_counts_only_todays_main_agreements_not_void(agr):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    yesterday = timezone.now() - dt.timedelta(days=1)
    signed = {}
    for code, at, status in [
        ("H-101", timezone.now(), AgreementStatus.EFFECTIVE),
        ("H-102", yesterday, AgreementStatus.EFFECTIVE),
        ("H-103", timezone.now(), AgreementStatus.VOID),
    ]:
        calc = household_with_calculation(agr, code)
        signed[code] = agreement_for(
            agr,
            calc,
            status=status,
            signed_at=at,
            signed_on=timezone.localtime(at).date(),
            signing_order=int(code[-1]),
        )
    # A supplement signed today corrects an agreement: no household more has signed.
    agreement_for(
        agr,
        signed["H-102"].calculation,
        parent=signed["H-102"],
        kind="supplement",
        difference=Decimal("0.00"),
        status=AgreementStatus.EFFECTIVE,
        signed_at=timezone.now(),
        signed_on=today,
    )
    figures = screen.counters(agr.project)
    assert figures.today == today
    assert (figures.signed_today, figures.rate.signed, figures.effective) == (1, 2, 2)


def test_a_threshold_shows_how_many_more_signatures_reach_it(agr, login):  # type: ignore[no-untyped-def]
    end = timezone.localdate() + dt.timedelta(days=10)
    policy = compensation.policy_draft(actor=agr.pm, project=agr.project)
    compensation.policy_update(
        actor=agr.pm, policy=policy, effect_threshold=Decimal("80"), signing_period_end=end
    )
    compensation.policy_publish(actor=agr.pm, policy=policy)
    household_with_calculation(agr, "H-002")
    client = login(agr.officer)
    body = text(client.get(page_url(agr.project)))
    assert figure(body, "needed") == "2"  # 80 % of 2 households is 1.6: two signatures
    assert end.isoformat() in figure(body, "period-end")
    signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    body = text(client.get(live_url(agr.project)))
    assert figure(body, "needed") == "1" and figure(body, "rate") == "50.00"
    figures = screen.counters(agr.project)
    assert (figures.pending, figures.effective, figures.needed) == (1, 0, 1)


def test_the_queue_puts_drafts_first_then_waiting_then_the_latest_signed(agr, login):  # type: ignore[no-untyped-def]
    now = timezone.now()
    waiting = household_with_calculation(agr, "H-002")
    drafted = household_with_calculation(agr, "H-003")
    agreement_for(agr, drafted)
    for code, minutes, order in [("H-004", 30, 1), ("H-005", 5, 2)]:
        calc = household_with_calculation(agr, code)
        agreement_for(
            agr,
            calc,
            status=AgreementStatus.EFFECTIVE,
            signed_at=now - dt.timedelta(minutes=minutes),
            signed_on=timezone.localdate(),
            signing_order=order,
        )
    lapsed = household_with_calculation(agr, "H-006")
    agreement_for(agr, lapsed, status=AgreementStatus.LAPSED)
    voided = household_with_calculation(agr, "H-007")
    agreement_for(agr, voided, status=AgreementStatus.VOID)
    client = login(agr.officer)
    body = text(client.get(page_url(agr.project)))
    assert states(body) == [
        ("H-003", "drafted"),
        ("H-001", "waiting"),
        ("H-002", "waiting"),
        ("H-007", "void"),
        ("H-005", "signed"),
        ("H-004", "signed"),
        ("H-006", "lapsed"),
    ]
    # A household whose agreement was voided may have a new one drafted.
    assert f'action="{reverse("agreements:draft", args=[voided.pk])}"' in body
    assert f'action="{reverse("agreements:draft", args=[waiting.pk])}"' in body


def test_the_household_latest_approved_calculation_is_shown(agr, login):  # type: ignore[no-untyped-def]
    first = household_with_calculation(agr, "H-002", total="100.00")
    newer = Calculation.objects.create(
        household=first.household,
        number=2,
        policy=agr.policy,
        mode="voucher",
        status=CalculationStatus.APPROVED,
        inputs={},
        total=Decimal("222.00"),
        prepared_by=agr.accountant,
    )
    agreement_for(agr, first)
    body = text(login(agr.officer).get(page_url(agr.project) + "?state=drafted"))
    assert states(body) == [("H-002", "drafted")]
    assert 'data-total="222.00"' in body and 'data-total="100.00"' not in body
    assert 'data-testid="outdated"' in body  # drafted from version 1, version 2 approved since
    assert newer.pk != first.pk


def test_filters_by_state_and_work_group_and_the_live_partial_keeps_them(agr, login):  # type: ignore[no-untyped-def]
    household_with_calculation(agr, "H-002", group=agr.world.other_group)
    agreement_for(agr, household_with_calculation(agr, "H-003", group=agr.world.other_group))
    client = login(agr.officer)
    group = agr.world.other_group.pk
    body = text(client.get(page_url(agr.project), {"work_group": group}))
    assert states(body) == [("H-003", "drafted"), ("H-002", "waiting")]
    body = text(client.get(page_url(agr.project), {"work_group": group, "state": "waiting"}))
    assert states(body) == [("H-002", "waiting")]
    assert f'hx-get="{live_url(agr.project, f"work_group={group}&amp;state=waiting")}"' in body
    live = text(client.get(live_url(agr.project, f"work_group={group}&state=waiting")))
    assert states(live) == [("H-002", "waiting")]
    # A filter the screen does not know shows everything rather than an error.
    body = text(client.get(page_url(agr.project), {"state": "nonsense", "work_group": "x"}))
    assert len(states(body)) == 3


# --- the live partial ------------------------------------------------------------------------


def test_the_live_partial_is_a_fragment_that_shows_a_new_signing(agr, login):  # type: ignore[no-untyped-def]
    client = login(agr.officer)
    before = text(client.get(live_url(agr.project)))
    assert before.startswith('<div id="signing-day-live"') and "<html" not in before
    assert "navbar" not in before and 'data-testid="signing-day-filter"' not in before
    assert figure(before, "signed-today") == "0"
    assert re.search(r'data-testid="refreshed-at">[^<]*\d\d:\d\d:\d\d', before)
    signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    after = text(client.get(live_url(agr.project)))
    assert figure(after, "signed-today") == "1" and states(after) == [("H-001", "signed")]


def test_an_htmx_request_for_the_page_gets_the_partial(agr, login):  # type: ignore[no-untyped-def]
    body = text(login(agr.officer).get(page_url(agr.project), HTTP_HX_REQUEST="true"))
    assert body.startswith('<div id="signing-day-live"') and "<html" not in body


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_live_partial_costs_the_same_queries_however_many_households(
    agr, login, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    client = login(agr.officer)
    url = live_url(agr.project)
    one = _queries(client, url)
    for n in range(2, 5):
        calc = household_with_calculation(agr, f"H-00{n}", group=agr.world.other_group)
        if n % 2:
            agreement_for(agr, calc)
    signing(agr, services.draft(actor=agr.officer, calculation=agr.calculation))
    assert _queries(client, url) == one
    with django_assert_max_num_queries(one):
        body = text(client.get(url))
    assert len(states(body)) == 4


def test_the_queue_is_paged(agr, login, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(screen, "PAGE_SIZE", 2)
    for n in range(2, 6):
        household_with_calculation(agr, f"H-00{n}")
    client = login(agr.accountant)
    first = text(client.get(page_url(agr.project)))
    assert [code for code, _state in states(first)] == ["H-001", "H-002"]
    assert figure(first, "queue-count") == "(5)"
    third = text(client.get(page_url(agr.project), {"page": 3}))
    assert [code for code, _state in states(third)] == ["H-005"]
    assert f'hx-get="{live_url(agr.project, "page=3")}"' in third
