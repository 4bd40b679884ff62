"""The policy's resettlement settings: edited on the draft version's page with the others, kept
as they are when a form leaves them out, and shown on a published version."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from zhengqian.compensation import services
from zhengqian.compensation.models import Policy
from zhengqian.compensation.tests.test_views_policy import SETTINGS, detail, field_errors

pytestmark = pytest.mark.django_db

RESETTLEMENT = {
    "fit_above": "10.00",
    "fit_below": "5.00",
    "flat_step_area": "80.00",
    "max_flats": "3",
    "transition_rate": "25.00",
    "transition_minimum": "1200.00",
    "transition_after_handover_months": "4",
    "transition_late_factor": "1.50",
    "voucher_cash_allowed": "false",
    "voucher_cash_full_percent": "3.00",
    "voucher_cash_rate": "85.00",
    "voucher_cash_forfeits_premium": "true",
    "voucher_developer_first_percent": "60.00",
}


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def draft(comp: Any) -> Policy:
    return services.policy_draft(actor=comp.pm, project=comp.project)


def test_the_manager_sets_the_resettlement_settings(comp, draft, login):  # type: ignore[no-untyped-def]
    r = login(comp.pm).post(detail(draft), {**SETTINGS, **RESETTLEMENT})
    assert r.status_code == 302
    draft.refresh_from_db()
    assert (draft.fit_above, draft.fit_below, draft.flat_step_area) == (
        Decimal("10.00"),
        Decimal("5.00"),
        Decimal("80.00"),
    )
    assert draft.max_flats == 3 and draft.transition_after_handover_months == 4
    assert draft.transition_late_factor == Decimal("1.50")
    assert draft.voucher_cash_allowed is False and draft.voucher_cash_forfeits_premium is True
    assert draft.voucher_developer_first_percent == Decimal("60.00")


def test_settings_left_out_keep_their_values(comp, draft, login):  # type: ignore[no-untyped-def]
    before = Policy.objects.get(pk=draft.pk)
    assert login(comp.pm).post(detail(draft), SETTINGS).status_code == 302
    draft.refresh_from_db()
    assert draft.voucher_cash_allowed == before.voucher_cash_allowed
    assert draft.fit_above == before.fit_above and draft.max_flats == before.max_flats


def test_a_bad_resettlement_setting_is_shown_at_its_field(comp, draft, login):  # type: ignore[no-untyped-def]
    r = login(comp.pm).post(detail(draft), {**SETTINGS, "transition_late_factor": "0.5"})
    assert r.status_code == 400 and field_errors(r.content.decode(), "transition_late_factor")


def test_a_published_version_shows_them(comp, login):  # type: ignore[no-untyped-def]
    body = login(comp.pm).get(detail(comp.policy)).content.decode()
    assert 'data-testid="settings-form"' not in body
    assert (
        "Entitled area per flat (m²)" in body
        and "Transition fee factor when handover is late" in body
    )
