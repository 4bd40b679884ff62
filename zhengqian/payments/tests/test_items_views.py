"""The pages of items of resettlement and receivables: the household's payments section, the
project's list of what households owe, one receivable with finance's forms; each allowed for
the right role, 403 without the right, 404 for another project's staff, 405 for the wrong
method."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone, translation

from zhengqian.agreements.tests.conftest import agr, signing  # noqa: F401  (the fixture)
from zhengqian.compensation.tests.conftest import comp  # noqa: F401  (the fixture)
from zhengqian.payments.models import (
    EntryKind,
    LedgerEntry,
    Payment,
    PaymentStatus,
    Receivable,
    ReceivableStatus,
)
from zhengqian.payments.tests.conftest import paying
from zhengqian.payments.tests.test_items import item, owe, pay_item
from zhengqian.resettlement.tests.conftest import resettling
from zhengqian.valuation.tests.conftest import chosen, val  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    """Pages and messages in English: the assertions read the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def res(agr):  # type: ignore[no-untyped-def]  # noqa: F811
    return resettling(paying(agr))


def body(response: Any) -> str:
    return response.content.decode()


def household_url(r: Any) -> str:
    return f"/survey/households/{r.household.pk}/"


def test_the_household_section_shows_an_item_and_what_the_household_owes(res, login):  # type: ignore[no-untyped-def]
    pay_item(res, item(res, reference="2026-05"))
    item(res, reference="2026-06", description="过渡费 2026年6月")
    owe(res, reference="R1", due_on=TODAY() - dt.timedelta(days=1))
    html = body(login(res.finance).get(household_url(res)))
    section = html.split('data-testid="payments-section"')[1]
    plan = section.split('data-kind="transition"')[2].split("</table>")[0]
    assert "Transition fee" in plan and "2026-06" in plan and "过渡费 2026年6月" in plan
    assert 'data-state="due"' in plan
    assert "Supplement" not in plan
    owed = section.split('data-testid="household-receivables"')[1].split("</table>")[0]
    assert "安置房差价（第1轮选房）" in owed and "5,000.00" in owed
    assert 'data-overdue="1"' in owed and "Overdue" in owed
    assert "Record as received" in owed
    rows = section.split('data-testid="household-ledger"')[1]
    assert 'data-kind="disbursement"' in rows and "2026-05" in rows


def test_the_household_section_offers_no_receipt_to_a_signing_officer(res, login):  # type: ignore[no-untyped-def]
    owe(res)
    html = body(login(res.officer).get(household_url(res)))
    assert 'data-testid="household-receivable"' in html
    assert "Record as received" not in html


def test_a_resettlement_officer_asks_for_an_items_payment_from_its_link(res, login):  # type: ignore[no-untyped-def]
    instalment = item(res)
    client = login(res.officer_r)
    r = client.post(f"/payments/instalments/{instalment.pk}/request/", {"next": "/"})
    assert r.status_code == 302
    assert Payment.objects.get(instalment=instalment).status == PaymentStatus.REQUESTED
    first = res.agreement.payment_plan.instalments.order_by("position")[0]
    # Not the agreement's own instalments.
    assert client.post(f"/payments/instalments/{first.pk}/request/").status_code == 403
    assert not Payment.objects.filter(instalment=first).exists()


def test_the_payment_page_of_an_item_names_the_item_and_the_agreement(res, login):  # type: ignore[no-untyped-def]
    payment = pay_item(res, item(res))
    html = body(login(res.finance).get(f"/payments/{payment.pk}/"))
    assert 'data-testid="item"' in html and "Transition fee" in html and "2026-05" in html
    assert res.agreement.number in html
    queue = body(login(res.finance).get(f"/payments/projects/{res.project.pk}/queue/"))
    assert "2026-05" in queue


def test_the_receivables_list_shows_open_ones_first_with_the_overdue_marked(res, login):  # type: ignore[no-untyped-def]
    from zhengqian.payments import services

    done = owe(res, reference="R0", due_on=TODAY() - dt.timedelta(days=30))
    services.receivable_record(
        actor=res.finance, receivable=done, received_on=TODAY(), voucher_no="SK-9"
    )
    owe(res, reference="R1", due_on=TODAY() + dt.timedelta(days=10))
    owe(res, reference="R2", amount="700.00", due_on=TODAY() - dt.timedelta(days=2))
    url = f"/payments/projects/{res.project.pk}/receivables/"
    html = body(login(res.pm).get(url))
    rows = html.split('data-testid="receivable-row"')[1:]
    assert [r.split('data-status="')[1].split('"')[0] for r in rows] == [
        "open",
        "open",
        "received",
    ]
    assert "R2" in rows[0] and 'data-overdue="1"' in rows[0]
    assert "R1" in rows[1] and "data-overdue" not in rows[1].split(">")[0]
    assert 'data-testid="total-open">5,700.00<' in html
    assert 'data-testid="total-overdue">700.00<' in html
    assert 'data-testid="total-received">5,000.00<' in html
    assert "户主" not in html.split('data-testid="receivables"')[1] or "*" in html
    received = body(login(res.pm).get(url + "?status=received"))
    assert received.count('data-testid="receivable-row"') == 1
    project = body(login(res.pm).get(f"/payments/projects/{res.project.pk}/"))
    assert 'data-testid="receivables-link"' in project
    assert 'data-testid="figure-receivable" data-value="5700.00"' in project
    assert 'data-testid="figure-collected" data-value="5000.00"' in project


def test_the_receivables_list_is_not_shown_to_another_projects_staff(res, login):  # type: ignore[no-untyped-def]
    url = f"/payments/projects/{res.project.pk}/receivables/"
    assert login(res.world.other_pm).get(url).status_code == 404
    assert login(res.finance).post(url).status_code == 405


def test_finance_records_a_receivable_from_its_page(res, login):  # type: ignore[no-untyped-def]
    receivable = owe(res)
    client = login(res.finance)
    url = f"/payments/receivables/{receivable.pk}/"
    html = body(client.get(url))
    assert 'data-testid="record-form"' in html and 'data-testid="cancel-form"' in html
    r = client.post(url + "received/", {"received_on": "", "voucher_no": ""})
    assert r.status_code == 400
    assert 'data-field-error="voucher_no"' in body(r)
    assert "Enter the voucher number." in body(r)
    r = client.post(url + "received/", {"received_on": TODAY().isoformat(), "voucher_no": "SK-1"})
    assert r.status_code == 302 and r["Location"] == url
    assert Receivable.objects.get(pk=receivable.pk).status == ReceivableStatus.RECEIVED
    entry = LedgerEntry.objects.get(kind=EntryKind.COLLECTION)
    assert entry.amount == Decimal("5000.00")
    html = body(client.get(url))
    assert 'data-testid="record-form"' not in html and 'data-testid="voucher-no">SK-1<' in html
    ledger = body(client.get(f"/payments/projects/{res.project.pk}/ledger/"))
    assert 'data-kind="collection"' in ledger and "Received from a household" in ledger
    assert 'data-testid="total-collected">5,000.00<' in ledger
    # Recorded twice (two tabs): refused at the top of the page.
    r = client.post(url + "received/", {"received_on": TODAY().isoformat(), "voucher_no": "SK-2"})
    assert r.status_code == 400 and 'data-testid="step-refused"' in body(r)


def test_finance_cancels_a_receivable_with_its_reason(res, login):  # type: ignore[no-untyped-def]
    receivable = owe(res)
    client = login(res.finance2)
    url = f"/payments/receivables/{receivable.pk}/cancel/"
    r = client.post(url, {"reason": ""})
    assert r.status_code == 400 and "Give the reason for cancelling." in body(r)
    assert client.post(url, {"reason": "选房撤销"}).status_code == 302
    assert Receivable.objects.get(pk=receivable.pk).status == ReceivableStatus.CANCELLED


def test_a_receivables_page_and_forms_are_refused_without_the_right(res, login):  # type: ignore[no-untyped-def]
    receivable = owe(res)
    url = f"/payments/receivables/{receivable.pk}/"
    html = body(login(res.officer).get(url))
    assert 'data-testid="record-form"' not in html and 'data-testid="cancel-form"' not in html
    data = {"received_on": TODAY().isoformat(), "voucher_no": "SK"}
    assert login(res.officer).post(url + "received/", data).status_code == 403
    assert login(res.officer).post(url + "cancel/", {"reason": "x"}).status_code == 403
    assert login(res.world.other_pm).get(url).status_code == 404
    assert login(res.world.other_pm).post(url + "received/", data).status_code == 404
    assert login(res.finance).get(url + "received/").status_code == 405
    assert Receivable.objects.get(pk=receivable.pk).status == ReceivableStatus.OPEN


def test_the_ledger_export_carries_collections_and_item_payments(res, login):  # type: ignore[no-untyped-def]
    import io

    from openpyxl import load_workbook

    from zhengqian.payments import services

    pay_item(res, item(res))
    services.receivable_record(
        actor=res.finance, receivable=owe(res), received_on=TODAY(), voucher_no="SK-7"
    )
    response = login(res.finance).get(f"/payments/projects/{res.project.pk}/ledger/export/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    collected = next(r for r in rows if r[5] == "SK-7")
    assert collected[1] == "Received from a household"
    assert collected[4] == res.agreement.number
    assert collected[7] == 5000 and collected[8] is None
    paid = next(r for r in rows if r[5] == f"GD-{Payment.objects.get().instalment_id}")
    assert paid[8] == 1800 and "2026-05" in paid[6]
