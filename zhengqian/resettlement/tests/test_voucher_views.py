"""The housing voucher pages: allowed, other project, denied, wrong method; the holder masked
unless the user sees personal data, and an unmasked view recorded; refusals at their field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event
from zhengqian.core.masking import mask_id_number, mask_name
from zhengqian.resettlement import selectors_voucher as vs
from zhengqian.resettlement.models import Developer, Voucher, VoucherStatus, VoucherUse
from zhengqian.resettlement.tests.test_voucher_support import (
    CREDIT_CODE,
    HEAD_ID,
    OTHER_CREDIT_CODE,
    developer,
    expired_voucher,
    issue,
    today,
    use,
    voucher_agreement,
)
from zhengqian.survey.models import Household
from zhengqian.testing.factories import ProjectFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def stranger(res):  # type: ignore[no-untyped-def]
    """A resettlement officer of another project."""
    user = UserFactory(username="elsewhere_v")
    grant(user, RoleCode.RESETTLEMENT_OFFICER, ProjectFactory())
    return user


def _head(agreement) -> str:  # type: ignore[no-untyped-def]
    return Household.objects.get(pk=agreement.household_id).head_name


def test_the_vouchers_page_lists_filters_and_warns_of_expiry(res, login):
    soon = expired_voucher(res, "V-001", months_ago=12)
    later = issue(res, voucher_agreement(res, "V-002"))
    gone = expired_voucher(res, "V-003")
    from zhengqian.resettlement import services_voucher as services

    services.lapse_due(on=today())
    client = login(res.officer_r)
    url = reverse("resettlement:vouchers", args=[res.project.pk])
    body = client.get(url).content.decode()
    assert body.count('data-testid="voucher-row"') == 3
    assert 'data-testid="expiring-count">1<' in body
    assert f'data-testid="expiring-row" data-number="{soon.number}"' in body
    assert f'data-testid="lapsed-row" data-number="{gone.number}"' in body
    r = client.get(url, {"status": "issued"}, HTTP_HX_REQUEST="true")
    part = r.content.decode()
    assert part.startswith('<div id="voucher-list"')
    assert later.number in part and gone.number not in part
    part = client.get(url, {"expiring": "on"}, HTTP_HX_REQUEST="true").content.decode()
    assert soon.number in part and later.number not in part


def test_a_voucher_is_issued_from_the_page(res, login):
    agreement = voucher_agreement(res, "V-001")
    client = login(res.officer_r)
    url = reverse("resettlement:vouchers", args=[res.project.pk])
    assert agreement.number in client.get(url).content.decode()
    r = client.post(
        reverse("resettlement:voucher_issue", args=[res.project.pk]),
        {
            "agreement": agreement.pk,
            "holder_name": _head(agreement),
            "holder_id_number": HEAD_ID,
            "issued_on": today().isoformat(),
        },
    )
    voucher = Voucher.objects.get(agreement=agreement)
    assert r.status_code == 302 and r["Location"] == reverse(
        "resettlement:voucher", args=[voucher.pk]
    )


def test_a_refused_issue_shows_the_error_at_its_field(res, login):
    agreement = voucher_agreement(res, "V-001")
    r = login(res.officer_r).post(
        reverse("resettlement:voucher_issue", args=[res.project.pk]),
        {
            "agreement": agreement.pk,
            "holder_name": "张三",
            "holder_id_number": HEAD_ID,
            "issued_on": today().isoformat(),
        },
    )
    body = r.content.decode()
    assert r.status_code == 400 and 'data-field-error="holder_name"' in body
    assert "does not match the ID number" in body
    assert not Voucher.objects.exists()


def test_finance_may_look_but_not_issue(res, login):
    agreement = voucher_agreement(res, "V-001")
    client = login(res.finance)
    url = reverse("resettlement:vouchers", args=[res.project.pk])
    r = client.get(url)
    assert r.status_code == 200 and 'data-testid="issue-form"' not in r.content.decode()
    r = client.post(
        reverse("resettlement:voucher_issue", args=[res.project.pk]),
        {
            "agreement": agreement.pk,
            "holder_name": _head(agreement),
            "holder_id_number": HEAD_ID,
            "issued_on": today().isoformat(),
        },
    )
    assert r.status_code == 403 and not Voucher.objects.exists()


def test_another_projects_officer_gets_404(res, login, stranger):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    dev = developer(res)
    client = login(stranger)
    for url in [
        reverse("resettlement:vouchers", args=[res.project.pk]),
        reverse("resettlement:voucher", args=[voucher.pk]),
        reverse("resettlement:voucher_certificate", args=[voucher.pk]),
        reverse("resettlement:developers", args=[res.project.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    r = client.post(reverse("resettlement:voucher_cash", args=[voucher.pk]), {"on": "2026-01-01"})
    assert r.status_code == 404
    r = client.post(reverse("resettlement:developer_update", args=[dev.pk]), {"name": "x"})
    assert r.status_code == 404


def test_writes_answer_only_post(res, login):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    client = login(res.officer_r)
    for name in ["voucher_use", "voucher_cash", "voucher_lapse", "voucher_reissue"]:
        assert client.get(reverse(f"resettlement:{name}", args=[voucher.pk])).status_code == 405
    assert (
        client.get(reverse("resettlement:voucher_issue", args=[res.project.pk])).status_code == 405
    )
    assert client.post(reverse("resettlement:voucher", args=[voucher.pk])).status_code == 405


def test_the_holder_is_shown_to_the_officer_and_the_view_recorded(res, login):
    agreement = voucher_agreement(res, "V-001")
    voucher = issue(res, agreement)
    body = login(res.officer_r).get(reverse("resettlement:voucher", args=[voucher.pk])).content
    text = body.decode()
    assert HEAD_ID in text and voucher.holder_name in text
    event = Event.objects.get(event_type="resettlement.voucher_view_personal")
    assert event.target_id == str(voucher.pk) and event.kind == "read"


def test_the_holder_is_masked_for_finance_and_nothing_recorded(res, login):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    client = login(res.finance)
    for name in ["voucher", "voucher_certificate"]:
        r = client.get(reverse(f"resettlement:{name}", args=[voucher.pk]))
        text = r.content.decode()
        assert r.status_code == 200
        assert HEAD_ID not in text and mask_id_number(HEAD_ID) in text
        assert mask_name(voucher.holder_name) in text
    # Finance sees no action form on the voucher.
    assert 'data-testid="voucher-actions"' not in text
    assert not Event.objects.filter(kind="read", event_type__startswith="resettlement.").exists()


def test_the_certificate_gives_the_face_value_in_figures_and_words(res, login):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    r = login(res.officer_r).get(reverse("resettlement:voucher_certificate", args=[voucher.pk]))
    text = r.content.decode()
    assert voucher.number in text and "1,100,000.00" in text
    assert "人民币壹佰壹拾万元整" in text
    assert voucher.valid_until.isoformat() in text and HEAD_ID in text
    assert Event.objects.filter(event_type="resettlement.voucher_certificate").count() == 1


def test_a_use_is_recorded_from_the_voucher_page_and_shows_its_settlement(res, login):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    dev = developer(res)
    client = login(res.officer_r)
    r = client.post(
        reverse("resettlement:voucher_use", args=[voucher.pk]),
        {
            "developer": dev.pk,
            "contract_no": "HT-77",
            "flat": "江南府 1幢 801",
            "flat_area": "98.00",
            "contract_price": "1300000.00",
            "amount": "1000000.00",
            "used_on": today().isoformat(),
        },
    )
    assert r.status_code == 302
    body = client.get(reverse("resettlement:voucher", args=[voucher.pk])).content.decode()
    assert 'data-contract="HT-77"' in body
    assert 'data-testid="settlement-row" data-stage="filed"' in body
    assert 'data-state="due"' in body
    use_pk = VoucherUse.objects.get(contract_no="HT-77").pk
    r = client.post(
        reverse("resettlement:voucher_registered", args=[use_pk]),
        {"registered_on": today().isoformat()},
    )
    assert r.status_code == 302
    assert VoucherUse.objects.get(pk=use_pk).registered_on == today()


def test_a_use_beyond_the_balance_is_refused_at_the_amount(res, login):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    dev = developer(res)
    r = login(res.officer_r).post(
        reverse("resettlement:voucher_use", args=[voucher.pk]),
        {
            "developer": dev.pk,
            "contract_no": "HT-78",
            "flat": "江南府 1幢 802",
            "contract_price": "3000000.00",
            "amount": "1100000.01",
            "used_on": today().isoformat(),
        },
    )
    body = r.content.decode()
    assert r.status_code == 400 and 'data-field-error="amount"' in body
    assert "beyond the face value" in body
    assert not VoucherUse.objects.exists()


def test_the_balance_is_cashed_from_the_page(res, login):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    client = login(res.officer_r)
    page = client.get(reverse("resettlement:voucher", args=[voucher.pk])).content.decode()
    assert "905,500.00" in page  # the preview of what cashing pays
    r = client.post(
        reverse("resettlement:voucher_cash", args=[voucher.pk]), {"on": today().isoformat()}
    )
    assert r.status_code == 302
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.CASHED and voucher.cash_paid == Decimal("905500.00")
    body = client.get(reverse("resettlement:voucher", args=[voucher.pk])).content.decode()
    assert 'data-testid="cash-item"' in body and 'data-testid="voucher-actions"' not in body
    # Cashing again: the form is gone, the refusal is said at the top.
    r = client.post(
        reverse("resettlement:voucher_cash", args=[voucher.pk]), {"on": today().isoformat()}
    )
    assert r.status_code == 400 and 'data-testid="refused"' in r.content.decode()


def test_an_expired_voucher_offers_the_lapse_only(res, login):
    voucher = expired_voucher(res, "V-001")
    client = login(res.officer_r)
    body = client.get(reverse("resettlement:voucher", args=[voucher.pk])).content.decode()
    assert 'data-testid="lapse-form"' in body
    assert 'data-testid="use-form"' not in body and 'data-testid="cash-form"' not in body
    r = client.post(
        reverse("resettlement:voucher_lapse", args=[voucher.pk]), {"on": today().isoformat()}
    )
    assert r.status_code == 302
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.LAPSED


def test_a_lost_voucher_is_reissued_from_the_page(res, login):
    from zhengqian.resettlement.tests.test_voucher_support import MEMBER_ID, MEMBER_NAME

    voucher = issue(res, voucher_agreement(res, "V-001"))
    client = login(res.officer_r)
    r = client.post(
        reverse("resettlement:voucher_reissue", args=[voucher.pk]),
        {
            "reason": "遗失",
            "holder_name": MEMBER_NAME,
            "holder_id_number": MEMBER_ID,
            "issued_on": today().isoformat(),
        },
    )
    new = Voucher.objects.get(replaces=voucher)
    assert r.status_code == 302 and r["Location"] == reverse("resettlement:voucher", args=[new.pk])
    body = client.get(r["Location"]).content.decode()
    assert 'data-testid="voucher-chain"' in body and voucher.number in body
    r = client.post(
        reverse("resettlement:voucher_reissue", args=[new.pk]),
        {"reason": "", "holder_name": MEMBER_NAME, "holder_id_number": MEMBER_ID},
    )
    body = r.content.decode()
    assert r.status_code == 400 and 'data-field-error="reason"' in body


def test_developers_are_added_and_edited_on_their_page(res, login):
    client = login(res.officer_r)
    url = reverse("resettlement:developers", args=[res.project.pk])
    assert client.get(url).status_code == 200
    r = client.post(
        reverse("resettlement:developer_create", args=[res.project.pk]),
        {
            "name": "滨江地产",
            "credit_code": OTHER_CREDIT_CODE,
            "bank": "农业银行",
            "account_no": "6228480012345678",
            "active": "on",
        },
    )
    assert r.status_code == 302
    dev = Developer.objects.get(credit_code=OTHER_CREDIT_CODE)
    r = client.post(
        reverse("resettlement:developer_create", args=[res.project.pk]),
        {"name": "坏码", "credit_code": "91350100M000100Y44", "bank": "b", "account_no": "1"},
    )
    body = r.content.decode()
    assert r.status_code == 400 and 'data-field-error="credit_code"' in body
    assert 'data-field-error="account_no"' in body
    r = client.post(
        reverse("resettlement:developer_update", args=[dev.pk]),
        {
            "name": "滨江地产",
            "credit_code": OTHER_CREDIT_CODE,
            "bank": "农业银行",
            "account_no": "6228480012345678",
        },
    )
    assert r.status_code == 302
    dev.refresh_from_db()
    assert not dev.active


def test_finance_sees_developers_masked_and_cannot_add_one(res, login):
    developer(res)
    client = login(res.finance)
    body = client.get(reverse("resettlement:developers", args=[res.project.pk])).content.decode()
    assert "1202020009000123456" not in body and 'data-testid="developer-form"' not in body
    r = client.post(
        reverse("resettlement:developer_create", args=[res.project.pk]),
        {"name": "x", "credit_code": CREDIT_CODE, "bank": "b", "account_no": "12345678"},
    )
    assert r.status_code == 403


def test_the_project_section_and_the_household_part(res):
    assert vs.project_section(res.finance, res.project) is None
    agreement = voucher_agreement(res, "V-001")
    section = vs.project_section(res.officer_r, res.project)
    assert section is not None and section["eligible"] == 1
    voucher = issue(res, agreement)
    use(res, voucher, developer(res), "100000.00")
    section = vs.project_section(res.finance, res.project)
    assert section is not None and section["summary"].used == Decimal("100000.00")
    household = Household.objects.get(pk=agreement.household_id)
    part = vs.household_part(res.finance, household)
    assert part is not None and part["vouchers"] == [voucher]
    outsider = UserFactory(username="nobody_v")
    assert vs.household_part(outsider, household) is None
    from django.template.loader import render_to_string

    html = render_to_string(
        "resettlement/voucher/_household_part.html", {"part": part, "household": household}
    )
    assert voucher.number in html
    html = render_to_string(
        "resettlement/voucher/_project_section.html",
        {"section": section, "project": res.project},
    )
    assert 'data-testid="vouchers-section"' in html


def test_the_last_valid_day_shows_on_the_page(res, login):
    day = today() - dt.timedelta(days=3)
    voucher = issue(res, voucher_agreement(res, "V-001", effective_on=day), on=day)
    body = login(res.officer_r).get(reverse("resettlement:voucher", args=[voucher.pk]))
    assert voucher.valid_until.isoformat() in body.content.decode()
