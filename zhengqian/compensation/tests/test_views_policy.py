"""The policy pages: allowed, other project (404), denied (403), wrong method; the structured
item form and its errors at the field; the preview against example households (nothing saved);
the publication behind the password confirmation."""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from zhengqian.accounts.decorators import SUDO_SESSION_KEY
from zhengqian.accounts.models import User
from zhengqian.compensation import services
from zhengqian.compensation.models import Calculation, Policy, PolicyStatus
from zhengqian.compensation.views_policy import describe_rule
from zhengqian.ownership.tests.conftest import lock_confirmation, make_household
from zhengqian.survey.models import Building, Household
from zhengqian.valuation import services as valuation_services
from zhengqian.valuation.tests.conftest import DECISION_DAY, enter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    """The pages in English: the assertions read the msgids, whatever the catalogue says."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def field_errors(body: str, field: str) -> list[str]:
    return re.findall(rf'data-field-error="{field}">([^<]*)<', body)


def page(comp: Any) -> str:
    return f"/compensation/projects/{comp.project.pk}/policy/"


def detail(policy: Policy) -> str:
    return f"/compensation/policies/{policy.pk}/"


def with_sudo(client: Any) -> Any:
    session = client.session
    session[SUDO_SESSION_KEY] = time.time()
    session.save()
    return client


@pytest.fixture
def draft(comp):  # type: ignore[no-untyped-def]
    return services.policy_draft(actor=comp.pm, project=comp.project)


def item_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "code": "relocation",
        "name": "临时安置费",
        "category": "transition",
        "rule": "per_household",
        "amount": "3000",
    }
    data.update(overrides)
    return data


class TestPolicyPage:
    def test_it_lists_the_versions_with_the_one_in_force_and_offers_a_draft(self, comp, login):  # type: ignore[no-untyped-def]
        r = login(comp.pm).get(page(comp))
        body = r.content.decode()
        assert r.status_code == 200
        assert 'data-version="1"' in body and 'data-testid="draft-form"' in body
        assert comp.pm.display_name in body

    def test_an_accountant_reads_it_without_the_buttons(self, comp, login):  # type: ignore[no-untyped-def]
        r = login(comp.accountant).get(page(comp))
        assert r.status_code == 200 and 'data-testid="draft-form"' not in r.content.decode()

    def test_another_projects_manager_gets_404_and_a_viewer_403(self, comp, login, client):  # type: ignore[no-untyped-def]
        assert login(comp.world.other_pm).get(page(comp)).status_code == 404
        assert login(comp.world.viewer).get(page(comp)).status_code == 403

    def test_a_post_is_refused(self, comp, login):  # type: ignore[no-untyped-def]
        assert login(comp.pm).post(page(comp)).status_code == 405

    def test_the_project_page_links_to_it(self, comp, login):  # type: ignore[no-untyped-def]
        body = login(comp.pm).get(f"/projects/{comp.project.pk}/").content.decode()
        assert page(comp) in body


class TestDraft:
    def test_the_manager_drafts_a_copy_of_the_version_in_force(self, comp, login):  # type: ignore[no-untyped-def]
        r = login(comp.pm).post(f"{page(comp)}draft/", {"title": "补偿方案（修订）"})
        policy = Policy.objects.get(project=comp.project, version=2)
        assert r.status_code == 302 and r.url == detail(policy)
        assert policy.status == PolicyStatus.DRAFT and policy.title == "补偿方案（修订）"
        assert policy.items.count() == 3

    def test_a_second_draft_is_refused_with_the_reason(self, comp, draft, login):  # type: ignore[no-untyped-def]
        c = login(comp.pm)
        r = c.post(f"{page(comp)}draft/", {}, follow=True)
        assert "A draft of this policy exists already." in r.content.decode()
        assert Policy.objects.filter(project=comp.project).count() == 2

    def test_an_accountant_gets_403_and_another_project_404(self, comp, login):  # type: ignore[no-untyped-def]
        assert login(comp.accountant).post(f"{page(comp)}draft/").status_code == 403
        assert login(comp.world.other_pm).post(f"{page(comp)}draft/").status_code == 404
        assert Policy.objects.filter(project=comp.project).count() == 1

    def test_a_get_is_refused(self, comp, login):  # type: ignore[no-untyped-def]
        assert login(comp.pm).get(f"{page(comp)}draft/").status_code == 405


SETTINGS = {
    "title": "补偿方案",
    "entitlement_basis": "per_person",
    "area_per_person": "45",
    "entitled_price": "6000",
    "above_price": "9000",
    "below_price": "5500",
    "voucher_premium": "10",
    "voucher_validity_months": "12",
    "leader_threshold": "2000000",
    "effect_threshold": "80",
    "signing_period_end": "2026-08-31",
    "payment_first_percent": "70",
    "payment_due_days": "20",
    "vacate_within_days": "45",
}


class TestDetail:
    def test_a_published_version_is_read_only_with_its_rules_in_words(self, comp, login):  # type: ignore[no-untyped-def]
        r = login(comp.pm).get(detail(comp.policy))
        body = r.content.decode()
        assert r.status_code == 200
        assert 'data-testid="frozen"' in body and 'data-testid="settings-form"' not in body
        assert 'data-testid="item-add"' not in body and 'data-testid="publish-form"' not in body
        assert "measured area × valuation unit price" in body
        assert "20.00/m² × licensed area × 2" in body
        assert "2,000,000.00" in body  # the leader threshold

    def test_a_draft_shows_the_settings_form_to_the_manager_only(self, comp, draft, login):  # type: ignore[no-untyped-def]
        assert 'data-testid="settings-form"' in login(comp.pm).get(detail(draft)).content.decode()
        body = login(comp.accountant).get(detail(draft)).content.decode()
        assert 'data-testid="settings-form"' not in body and 'data-testid="settings"' in body

    def test_the_manager_changes_the_settings(self, comp, draft, login):  # type: ignore[no-untyped-def]
        r = login(comp.pm).post(detail(draft), SETTINGS)
        assert r.status_code == 302
        draft.refresh_from_db()
        assert draft.area_per_person == Decimal("45.00") and draft.voucher_premium == 10
        assert draft.effect_threshold == 80 and str(draft.signing_period_end) == "2026-08-31"
        assert draft.payment_first_percent == 70 and draft.payment_due_days == 20
        assert draft.vacate_within_days == 45

    def test_a_bad_setting_is_shown_at_its_field(self, comp, draft, login):  # type: ignore[no-untyped-def]
        r = login(comp.pm).post(detail(draft), {**SETTINGS, "voucher_premium": "150"})
        assert r.status_code == 400 and field_errors(r.content.decode(), "voucher_premium")
        draft.refresh_from_db()
        assert draft.voucher_premium == 0

    def test_a_published_version_cannot_be_changed(self, comp, login):  # type: ignore[no-untyped-def]
        r = login(comp.pm).post(detail(comp.policy), SETTINGS, follow=True)
        assert "cannot change" in r.content.decode()
        comp.policy.refresh_from_db()
        assert comp.policy.area_per_person == 0

    def test_an_accountant_posting_settings_gets_403(self, comp, draft, login):  # type: ignore[no-untyped-def]
        r = login(comp.accountant).post(detail(draft), {**SETTINGS, "title": "改"})
        assert r.status_code == 403
        draft.refresh_from_db()
        assert draft.title != "改"

    def test_another_project_gets_404(self, comp, draft, login):  # type: ignore[no-untyped-def]
        assert login(comp.world.other_pm).get(detail(draft)).status_code == 404
        assert login(comp.world.other_pm).post(detail(draft), SETTINGS).status_code == 404


class TestItems:
    def test_an_item_is_added_from_the_structured_form(self, comp, draft, login):  # type: ignore[no-untyped-def]
        c = login(comp.pm)
        assert c.get(f"{detail(draft)}items/new/").status_code == 200
        r = c.post(
            f"{detail(draft)}items/new/",
            item_data(
                code="bonus",
                category="incentive",
                rule="percent_of",
                percent="15",
                of=["house"],
                modes=["cash"],
            ),
        )
        assert r.status_code == 302
        item = draft.items.get(code="bonus")
        assert item.rule == {"type": "percent_of", "percent": "15", "of": ["house"]}
        assert item.modes == ["cash"] and item.position == 4
        assert "15% of house" in c.get(detail(draft)).content.decode()

    def test_area_rate_and_tiers_rules_are_built_from_their_fields(self, comp, draft, login):  # type: ignore[no-untyped-def]
        c = login(comp.pm)
        c.post(
            f"{detail(draft)}items/new/",
            item_data(
                code="extra",
                category="subsidy",
                rule="area_rate",
                area="legal",
                rate_source="fixed",
                rate="50",
                coefficient="1.5",
                uses="residential, auxiliary",
            ),
        )
        assert draft.items.get(code="extra").rule == {
            "type": "area_rate",
            "area": "legal",
            "rate": "50",
            "coefficient": "1.5",
            "uses": ["residential", "auxiliary"],
        }
        c.post(
            f"{detail(draft)}items/new/",
            item_data(
                code="early",
                category="incentive",
                rule="tiers",
                days_from="decision_announced",
                days_to="vacating",
                tier0_days="30",
                tier0_amount="30000",
                tier1_days="45",
                tier1_percent="1",
                tier1_of="house",
                tier2_amount="10000",
            ),
        )
        assert draft.items.get(code="early").rule == {
            "type": "tiers",
            "from": "decision_announced",
            "to": "vacating",
            "tiers": [
                {"up_to_days": 30, "amount": "30000"},
                {"up_to_days": 45, "percent": "1", "of": ["house"]},
                {"amount": "10000"},
            ],
        }
        body = c.get(detail(draft)).content.decode()
        assert "up to 30 days → 30,000.00" in body and "later → 10,000.00" in body
        assert "days from Expropriation decision announced to the vacating" in body

    def test_an_incomplete_rule_is_shown_at_the_rule_naming_the_item(self, comp, draft, login):  # type: ignore[no-untyped-def]
        r = login(comp.pm).post(
            f"{detail(draft)}items/new/",
            item_data(code="extra", rule="area_rate", area="legal", rate_source="fixed"),
        )
        errors = field_errors(r.content.decode(), "rule")
        assert r.status_code == 400 and errors and "extra" in errors[0] and "rate" in errors[0]
        assert not draft.items.filter(code="extra").exists()

    def test_a_code_used_twice_is_shown_at_the_code(self, comp, draft, login):  # type: ignore[no-untyped-def]
        r = login(comp.pm).post(f"{detail(draft)}items/new/", item_data(code="moving"))
        assert r.status_code == 400 and field_errors(r.content.decode(), "code")

    def test_an_item_is_edited_with_its_rule_taken_apart(self, comp, draft, login):  # type: ignore[no-untyped-def]
        c = login(comp.pm)
        moving = draft.items.get(code="moving")
        url = f"{detail(draft)}items/{moving.pk}/"
        body = c.get(url).content.decode()
        assert 'name="rate" value="20"' in body and 'name="coefficient" value="2"' in body
        assert body.count('name="uses"') == 1  # one field for both kinds that use it
        r = c.post(
            url,
            item_data(
                code="moving",
                name="搬迁费",
                category="moving",
                rule="area_rate",
                area="licensed",
                rate_source="fixed",
                rate="25",
                coefficient="2",
                maximum="6000",
            ),
        )
        assert r.status_code == 302
        moving.refresh_from_db()
        assert moving.rule["rate"] == "25" and moving.maximum == Decimal("6000.00")

    def test_an_item_is_deleted_unless_another_refers_to_it(self, comp, draft, login):  # type: ignore[no-untyped-def]
        services.policy_item_save(
            actor=comp.pm,
            policy=draft,
            code="bonus",
            name="奖励",
            category="incentive",
            rule={"type": "percent_of", "of": ["house"], "percent": "5"},
        )
        c = login(comp.pm)
        house = draft.items.get(code="house")
        r = c.post(f"{detail(draft)}items/{house.pk}/delete/", follow=True)
        assert "bonus" in r.content.decode() and draft.items.filter(code="house").exists()
        moving = draft.items.get(code="moving")
        assert c.post(f"{detail(draft)}items/{moving.pk}/delete/").status_code == 302
        assert not draft.items.filter(code="moving").exists()
        assert c.get(f"{detail(draft)}items/{moving.pk}/delete/").status_code == 405

    def test_an_accountant_posting_items_gets_403(self, comp, draft, login):  # type: ignore[no-untyped-def]
        c = login(comp.accountant)
        moving = draft.items.get(code="moving")
        assert c.post(f"{detail(draft)}items/new/", item_data()).status_code == 403
        assert c.post(f"{detail(draft)}items/{moving.pk}/", item_data()).status_code == 403
        assert c.post(f"{detail(draft)}items/{moving.pk}/delete/").status_code == 403
        assert draft.items.count() == 3

    def test_another_project_gets_404(self, comp, draft, login):  # type: ignore[no-untyped-def]
        c = login(comp.world.other_pm)
        moving = draft.items.get(code="moving")
        assert c.post(f"{detail(draft)}items/new/", item_data()).status_code == 404
        assert c.get(f"{detail(draft)}items/{moving.pk}/").status_code == 404

    def test_the_items_of_a_published_version_are_not_edited(self, comp, login):  # type: ignore[no-untyped-def]
        moving = comp.policy.items.get(code="moving")
        r = login(comp.pm).post(f"{detail(comp.policy)}items/{moving.pk}/", item_data())
        assert r.status_code == 302
        moving.refresh_from_db()
        assert moving.rule["rate"] == "20"


def valued_household(comp: Any, code: str, area: str, price: str) -> Household:
    """A household of one 90 m² home, confirmed and valued at `price` per m²."""
    household = Household.objects.create(
        project=comp.project,
        work_group=comp.world.group,
        code=code,
        head_name="王大明",
        division_code="330282",
        address="浙江省慈溪市新塘镇红旗村五组3号",
    )
    Building.objects.create(
        household=household,
        number="1",
        structure_type="brick_concrete",
        use="residential",
        measured_area=Decimal(area),
    )
    lock_confirmation(User.objects.get(username="comp-officer"), comp.pm, household)
    v = enter(comp.valuer, household, price=price)
    valuation_services.valuation_confirm(actor=comp.valuer, valuation=v)
    return household


class TestPreview:
    def test_it_shows_each_households_lines_and_total_without_saving(self, comp, draft, login):  # type: ignore[no-untyped-def]
        r = login(comp.pm).get(
            f"{detail(draft)}preview/", {"households": comp.household.code, "mode": "cash"}
        )
        body = r.content.decode()
        assert r.status_code == 200
        assert f'data-household="{comp.household.code}"' in body
        for figure in ("1632000.00", "8000.00", "4800.00", "1644800.00"):
            assert figure in body.replace(",", "")
        assert "valuation" in body and "survey" in body  # the inputs' sources
        assert not Calculation.objects.exists()

    def test_the_golden_cash_bonus_for_a_constructed_household(self, comp, draft, login):  # type: ignore[no-untyped-def]
        # DESIGN §6: 90 m² × 20,000, vacated on day 20, "15 % cash bonus within 30 days +
        # 30,000 tier" → bonus 300,000.
        household = valued_household(comp, "H-090", "90.00", "20000.00")
        c = login(comp.pm)
        new = f"{detail(draft)}items/new/"
        tiers = {"category": "incentive", "rule": "tiers", "days_from": "decision_announced"}
        c.post(
            new,
            item_data(
                code="bonus_pct",
                **tiers,
                days_to="vacating",
                tier0_days="30",
                tier0_percent="15",
                tier0_of="house",
                tier1_amount="0",
                modes=["cash"],
            ),
        )
        c.post(
            new,
            item_data(
                code="bonus_tier",
                **tiers,
                days_to="vacating",
                tier0_days="30",
                tier0_amount="30000",
                tier1_days="45",
                tier1_amount="20000",
                tier2_amount="10000",
            ),
        )
        vacated = (DECISION_DAY + dt.timedelta(days=20)).isoformat()
        r = c.get(
            f"{detail(draft)}preview/",
            {"households": household.code, "mode": "cash", "vacating_on": vacated},
        )
        body = r.content.decode().replace(",", "")
        assert r.status_code == 200
        assert re.search(r'data-item="house".*?1800000\.00', body, re.S)
        assert re.search(r'data-item="bonus_pct".*?270000\.00', body, re.S)
        assert re.search(r'data-item="bonus_tier".*?30000\.00', body, re.S)
        # 1,800,000 + decoration 8,000 + moving 80 m² × 20 × 2 = 3,200 + 300,000 bonus.
        assert re.search(r'data-testid="total">2111200\.00<', body)

    def test_a_household_without_its_inputs_says_what_is_missing(self, comp, draft, login):  # type: ignore[no-untyped-def]
        make_household(comp.project, code="H-002", work_group=comp.world.group)
        r = login(comp.pm).get(
            f"{detail(draft)}preview/",
            {"households": f"H-002, {comp.household.code}", "mode": "cash"},
        )
        body = r.content.decode()
        assert (
            'data-testid="problem"' in body
            and "house" in body
            and "1644800.00" in body.replace(",", "")
        )

    def test_codes_of_other_projects_are_not_found(self, comp, draft, login):  # type: ignore[no-untyped-def]
        make_household(comp.world.other_project, code="B-001")
        r = login(comp.pm).get(f"{detail(draft)}preview/", {"households": "B-001", "mode": "cash"})
        body = r.content.decode()
        assert 'data-testid="unknown"' in body and 'data-household="B-001"' not in body

    def test_more_than_five_households_are_refused_at_the_field(self, comp, draft, login):  # type: ignore[no-untyped-def]
        r = login(comp.pm).get(
            f"{detail(draft)}preview/", {"households": "a,b,c,d,e,f", "mode": "cash"}
        )
        assert r.status_code == 400 and field_errors(r.content.decode(), "households")

    def test_another_project_gets_404_and_a_post_405(self, comp, draft, login):  # type: ignore[no-untyped-def]
        assert login(comp.world.other_pm).get(f"{detail(draft)}preview/").status_code == 404
        assert login(comp.pm).post(f"{detail(draft)}preview/").status_code == 405


class TestPublish:
    def test_it_asks_for_the_password_again_first(self, comp, draft, login):  # type: ignore[no-untyped-def]
        r = login(comp.pm).post(f"{detail(draft)}publish/", HTTP_REFERER=detail(draft))
        assert r.status_code == 302 and r.url.startswith("/accounts/confirm-password/")
        draft.refresh_from_db()
        assert draft.status == PolicyStatus.DRAFT

    def test_after_the_confirmation_the_draft_is_published(self, comp, draft, login):  # type: ignore[no-untyped-def]
        c = with_sudo(login(comp.pm))
        r = c.post(f"{detail(draft)}publish/")
        assert r.status_code == 302 and r.url == detail(draft)
        draft.refresh_from_db()
        assert draft.status == PolicyStatus.PUBLISHED and draft.published_by == comp.pm
        assert services.current_policy(comp.project) == draft

    def test_a_policy_that_cannot_be_published_says_why(self, comp, draft, login):  # type: ignore[no-untyped-def]
        draft.items.all().delete()
        r = with_sudo(login(comp.pm)).post(f"{detail(draft)}publish/", follow=True)
        assert "A policy needs at least one item." in r.content.decode()
        draft.refresh_from_db()
        assert draft.status == PolicyStatus.DRAFT

    def test_an_accountant_gets_403_and_another_project_404(self, comp, draft, login):  # type: ignore[no-untyped-def]
        assert with_sudo(login(comp.accountant)).post(f"{detail(draft)}publish/").status_code == 403
        other = with_sudo(login(comp.world.other_pm))
        assert other.post(f"{detail(draft)}publish/").status_code == 404
        draft.refresh_from_db()
        assert draft.status == PolicyStatus.DRAFT

    def test_a_get_is_refused(self, comp, draft, login):  # type: ignore[no-untyped-def]
        assert login(comp.pm).get(f"{detail(draft)}publish/").status_code == 405


class TestRuleInWords:
    @pytest.mark.parametrize(
        ("rule", "words"),
        [
            ({"type": "per_household", "amount": "3000"}, "3,000.00 per household"),
            ({"type": "per_person", "amount": "20000"}, "20,000.00 per eligible person"),
            (
                {"type": "monthly", "basis": "area", "area": "legal", "rate": "10", "months": "6"},
                "10.00/m² × licensed and recognised unlicensed area a month × 6 months",
            ),
            (
                {
                    "type": "monthly",
                    "basis": "household",
                    "rate": "800",
                    "months": "12",
                    "monthly_minimum": "1000",
                },
                "800.00 per household, at least 1,000.00 a month × 12 months",
            ),
            ({"type": "valuation", "line": "decoration"}, "valuation: Decoration"),
            (
                {
                    "type": "area_rate",
                    "area": "measured",
                    "rate": "100",
                    "uses": ["auxiliary"],
                },
                "100.00/m² × measured area (buildings used as auxiliary)",
            ),
        ],
    )
    def test_each_kind_reads_in_plain_words(self, rule, words):  # type: ignore[no-untyped-def]
        with translation.override("en"):
            assert describe_rule(rule) == words
