from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F

from zhengqian.accounts.checks import demo_accounts_present
from zhengqian.accounts.models import Membership, User
from zhengqian.accounts.roles import RoleCode
from zhengqian.agreements.models import Agreement, AgreementStatus, OfficeCapacity
from zhengqian.audit.chain import verify_chain
from zhengqian.audit.models import Event, EventKind
from zhengqian.compensation.demo import INCENTIVE_FROM
from zhengqian.compensation.models import Calculation, CalculationStatus, Policy
from zhengqian.core.calendar import office_calendar
from zhengqian.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DIVISIONS
from zhengqian.core.idcard import parse_id_number
from zhengqian.core.models import StaleMark
from zhengqian.ownership.models import Confirmation, ConfirmationStatus
from zhengqian.projects.models import Milestone, Project, WorkGroup
from zhengqian.projects.procedures import ProjectKind
from zhengqian.projects.rules import evaluate
from zhengqian.survey.models import Household, Person
from zhengqian.testing.factories import UserFactory
from zhengqian.valuation.models import FirmSelection, Valuation, ValuationStatus

# Pinned so that every milestone date falls in the years the holiday calendar knows.
AS_OF = "2026-06-30"
# The tests of the survey data leave out the first project's casework (confirmations,
# calculations, agreements through the services): it takes most of a seeding's time.
SURVEY_ONLY = "--no-casework"


def seed(*args: str) -> str:
    out = StringIO()
    call_command(
        "seed_demo", "--households", "50", "--projects", "4", "--as-of", AS_OF, *args, stdout=out
    )
    return out.getvalue()


def snapshot() -> list[tuple[Any, ...]]:
    households = Household.objects.order_by("code").values_list(
        "code", "kind", "head_name", "head_id_number", "phone", "address", "work_group__name"
    )
    persons = Person.objects.order_by("household__code", "id").values_list(
        "household__code", "name", "id_number", "relation", "sex", "birth_date"
    )
    return [*households, *persons]


def seed_and_roll_back(*args: str) -> list[tuple[Any, ...]]:
    """Seed into the empty database, capture the data, and leave the database empty again."""
    with transaction.atomic():
        seed(*args, SURVEY_ONLY)
        data = snapshot()
        transaction.set_rollback(True)
    return data


@pytest.mark.django_db
class TestSeedDemo:
    def test_the_same_seed_gives_the_same_households_on_a_fresh_database(self) -> None:
        first = seed_and_roll_back("--seed", "7")
        assert Household.objects.count() == 0
        second = seed_and_roll_back("--seed", "7")
        assert len(first) > 50
        assert first == second

    def test_the_casework_leaves_the_rest_of_the_data_as_it_is(self) -> None:
        def valuations() -> list[tuple[Any, ...]]:
            return list(Valuation.objects.order_by("household__code").values_list("total"))

        with transaction.atomic():
            seed("--seed", "7", SURVEY_ONLY)
            without = [*snapshot(), *valuations()]
            transaction.set_rollback(True)
        with transaction.atomic():
            seed("--seed", "7")
            assert Agreement.objects.exists()
            assert [*snapshot(), *valuations()] == without
            transaction.set_rollback(True)

    def test_another_seed_gives_other_households(self) -> None:
        assert seed_and_roll_back("--seed", "7") != seed_and_roll_back("--seed", "8")

    def test_it_creates_the_households_spread_over_projects_and_their_work_groups(self) -> None:
        seed(SURVEY_ONLY)
        assert Household.objects.count() == 50
        assert Project.objects.count() == 4
        assert {p.kind for p in Project.objects.all()} == set(ProjectKind.values)
        for project in Project.objects.all():
            groups = project.work_groups.count()
            assert 3 <= groups <= 6
            assert project.target_households == project.households.count()
        assert not Household.objects.exclude(work_group__project=F("project")).exists()
        assert not Household.objects.filter(work_group=None).exists()

    def test_every_household_of_a_family_has_its_head_first(self) -> None:
        seed(SURVEY_ONLY)
        families = Household.objects.exclude(head_id_number="")
        for household in families.prefetch_related("persons"):
            persons = list(household.persons.all())
            assert persons[0].relation == "head"
            assert persons[0].name == household.head_name
            assert persons[0].id_number == household.head_id_number
            assert [p.relation for p in persons].count("head") == 1
        assert 2.5 <= Person.objects.count() / families.count() <= 4

    def test_every_id_number_is_valid_unique_and_agrees_with_sex_and_birth_date(self) -> None:
        seed(SURVEY_ONLY)
        people = list(Person.objects.values_list("id_number", "sex", "birth_date"))
        numbers = [number for number, _sex, _birth in people]
        assert len(set(numbers)) == len(numbers)
        regions = {d.code for d in DIVISIONS}
        for number, sex, birth_date in people:
            parsed = parse_id_number(number)
            assert parsed.number == number
            assert parsed.sex == sex
            assert parsed.birth_date == birth_date
            assert parsed.region_code in regions

    def test_every_household_lies_in_a_real_division_named_in_its_address(self) -> None:
        seed(SURVEY_ONLY)
        divisions = {d.code: d for d in DIVISIONS}
        for code, address in Household.objects.values_list("division_code", "address"):
            assert address.startswith(divisions[code].full_name)

    def test_every_role_has_a_demo_account_with_the_demo_password(self) -> None:
        seed()
        projects = set(Project.objects.values_list("pk", flat=True))
        for account in DEMO_ACCOUNTS:
            user = User.objects.get(username=account.username)
            assert user.is_demo and user.is_active
            assert user.full_name == account.full_name
            assert user.check_password(DEMO_PASSWORD)
            held = set(
                Membership.objects.filter(user=user, role=account.role).values_list(
                    "project_id", flat=True
                )
            )
            if account.role in (RoleCode.ADMIN, RoleCode.LEADER, RoleCode.SUPERVISOR):
                assert held == {None}
            elif account.role == RoleCode.VALUER:
                # An appraisal firm's valuer works only where the firm was chosen.
                assert held == set(
                    FirmSelection.objects.filter(
                        status="decided", firm__valuers__user=user
                    ).values_list("project_id", flat=True)
                )
                assert held and held <= projects
            else:
                assert held == projects
        assert {a.role for a in DEMO_ACCOUNTS} == set(RoleCode)
        assert User.objects.get(username="valuer").organisation.endswith("评估有限公司")
        assert (
            User.objects.get(username="cadre").memberships.get(project=Project.objects.first()).role
            == RoleCode.COMMUNITY_CADRE
        )
        # Two accountants: the one who prepares a calculation never checks it.
        assert [a.username for a in DEMO_ACCOUNTS if a.role == RoleCode.ACCOUNTANT] == [
            "accountant",
            "checker",
        ]

    def test_every_work_group_has_the_demo_group_leader(self) -> None:
        seed()
        leader = User.objects.get(username="groupleader")
        assert WorkGroup.objects.exists()
        assert not WorkGroup.objects.exclude(leader=leader).exists()

    def test_the_valuation_module_has_a_chosen_firm_per_project_and_valuations(self) -> None:
        seed(SURVEY_ONLY)
        assert FirmSelection.objects.filter(status="decided").count() == Project.objects.count()
        methods = set(FirmSelection.objects.values_list("method", flat=True))
        assert methods == {"negotiation", "vote", "draw"}
        issued = Valuation.objects.filter(status=ValuationStatus.ISSUED)
        assert issued.exists()
        for v in Valuation.objects.prefetch_related("buildings"):
            assert v.buildings_total == sum(b.value for b in v.buildings.all())
            assert v.total == (
                v.buildings_total + v.decoration_total + v.ancillaries_total + v.business_loss
            )

    def test_recorded_milestones_keep_the_rules_of_the_procedure(self) -> None:
        seed(SURVEY_ONLY)
        calendar = office_calendar()
        as_of = dt.date.fromisoformat(AS_OF)
        for project in Project.objects.all():
            siblings = {m.code: m for m in project.milestones.select_related("project")}
            recorded = [m for m in siblings.values() if m.actual_date is not None]
            assert len(recorded) >= 2
            for milestone in recorded:
                assert milestone.actual_date < as_of
                verdict = evaluate(
                    milestone, milestone.actual_date, siblings=siblings, calendar=calendar
                )
                assert verdict.allowed, verdict.message
                assert not milestone.late
        assert not Milestone.objects.filter(planned_date__lte=as_of).exists()

    def test_it_records_one_audit_event_per_run(self) -> None:
        output = seed()
        # The first project's chain goes through the services, with their own events.
        event = Event.objects.get(event_type="demo.seed")
        assert event.event_type == "demo.seed"
        assert event.kind == EventKind.SYSTEM
        assert event.actor_id is None
        assert event.actor_name == "seed_demo"
        assert event.details["seed"] == 2026
        assert event.details["households"] == 50
        assert event.details["persons"] == Person.objects.count()
        assert (
            event.details["agreements_signed"] == Agreement.objects.exclude(signed_at=None).count()
        )
        assert verify_chain().ok
        assert "admin" in output and DEMO_PASSWORD in output

    def test_with_if_empty_a_second_run_does_nothing(self) -> None:
        seed("--if-empty")
        events = Event.objects.count()
        output = seed("--if-empty")
        assert "already exist" in output
        assert Household.objects.count() == 50
        assert Event.objects.count() == events
        assert Event.objects.filter(event_type="demo.seed").count() == 1

    def test_a_second_run_of_the_same_seed_is_refused(self) -> None:
        seed(SURVEY_ONLY)
        with pytest.raises(CommandError, match="already exist"):
            seed(SURVEY_ONLY)
        assert Household.objects.count() == 50

    def test_a_second_seed_adds_projects_and_keeps_id_numbers_unique(self) -> None:
        seed()
        seed("--seed", "1")
        assert Project.objects.count() == 8
        assert User.objects.filter(is_demo=True).count() == len(DEMO_ACCOUNTS)
        numbers = list(Person.objects.values_list("id_number", flat=True))
        assert len(set(numbers)) == len(numbers)
        surveyor = User.objects.get(username="surveyor")
        assert surveyor.memberships.count() == 8
        assert Event.objects.filter(event_type="demo.seed").count() == 2
        # The first project of each seed is carried through to agreements.
        firsts = Project.objects.filter(code__in=["ZS2026-001", "ZS1-001"])
        assert Policy.objects.filter(project__in=firsts, status="published").count() == 2
        assert (
            Agreement.objects.filter(project__in=firsts).values("project").distinct().count() == 2
        )

    def test_it_leaves_an_existing_real_account_alone(self) -> None:
        UserFactory(username="admin", full_name="真管理员")
        with pytest.raises(CommandError, match="not a demo account"):
            seed()
        assert not User.objects.filter(is_demo=True).exists()
        assert not Project.objects.exists()

    def test_it_refuses_to_run_in_production(self, settings: Any) -> None:
        settings.PRODUCTION = True
        with pytest.raises(CommandError, match="production"):
            seed()
        assert not User.objects.exists()


@pytest.mark.django_db
class TestDisableDemoAccounts:
    def test_it_disables_every_demo_account_with_one_audit_event_each(self) -> None:
        seed(SURVEY_ONLY)
        staff = UserFactory(username="real_staff")
        out = StringIO()
        call_command("disable_demo_accounts", stdout=out)
        assert not User.objects.filter(is_demo=True, is_active=True).exists()
        assert not demo_accounts_present()
        staff.refresh_from_db()
        assert staff.is_active
        events = Event.objects.filter(event_type="user.disable")
        assert events.count() == len(DEMO_ACCOUNTS)
        assert {e.target_id for e in events} == {
            str(pk) for pk in User.objects.filter(is_demo=True).values_list("pk", flat=True)
        }
        event = events.first()
        assert event is not None
        assert event.actor_id is None
        assert event.actor_name == "disable_demo_accounts"
        assert event.changes == {"is_active": [True, False]}
        assert f"Disabled {len(DEMO_ACCOUNTS)} demo accounts" in out.getvalue()

    def test_a_second_run_has_nothing_to_do(self) -> None:
        seed(SURVEY_ONLY)
        call_command("disable_demo_accounts", stdout=StringIO())
        before = Event.objects.count()
        out = StringIO()
        call_command("disable_demo_accounts", stdout=out)
        assert "nothing to do" in out.getvalue()
        assert Event.objects.count() == before

    def test_a_disabled_demo_account_can_no_longer_log_in(self, client: Any) -> None:
        seed(SURVEY_ONLY)
        call_command("disable_demo_accounts", stdout=StringIO())
        response = client.post("/accounts/login/", {"username": "pm", "password": DEMO_PASSWORD})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_households_get_buildings_and_collective_land_gets_ancillaries() -> None:
    from zhengqian.core.selectors import dictionary_choices
    from zhengqian.survey.models import Ancillary, Building

    seed("--households", "60", "--projects", "4", SURVEY_ONLY)
    households = Household.objects.count()
    assert 1.0 <= Building.objects.count() / households <= 3.0
    assert not Building.objects.filter(measured_area__lte=0).exists()
    titles = list(
        Building.objects.exclude(title_certificate_no="").values_list(
            "title_certificate_no", flat=True
        )
    )
    assert titles and len(set(titles)) == len(titles)
    structures = {code for code, _label in dictionary_choices("structure_type")}
    assert set(Building.objects.values_list("structure_type", flat=True)) <= structures
    ancillary_kinds = {code for code, _label in dictionary_choices("ancillary_type")}
    assert Ancillary.objects.filter(household__project__kind="collective").exists()
    assert set(Ancillary.objects.values_list("kind", flat=True)) <= ancillary_kinds


@pytest.mark.django_db
def test_the_first_project_is_carried_through_to_signed_agreements() -> None:
    output = seed("--households", "60", "--projects", "1")
    project = Project.objects.get()
    assert "agreements drafted" in output

    # Ownership: every state of a confirmation, and a locked one under every confirmed
    # valuation (the confirmations come first and announce nothing downstream).
    states = set(Confirmation.objects.values_list("status", flat=True))
    assert states == set(ConfirmationStatus.values)
    valued = Valuation.objects.filter(
        status__in=[ValuationStatus.CONFIRMED, ValuationStatus.ISSUED]
    ).values_list("household_id", flat=True)
    locked = Confirmation.objects.filter(status=ConfirmationStatus.LOCKED)
    assert set(valued) <= set(locked.values_list("household_id", flat=True))
    assert not StaleMark.objects.exists()

    # Compensation: one published policy, agreements effective when signed.
    policy = Policy.objects.get(project=project)
    assert policy.status == "published"
    assert policy.effect_threshold == 0
    codes = set(policy.items.values_list("code", flat=True))
    assert {"house", "decoration", "ancillaries", "moving", "transition", "early_signing"} <= codes
    # The project is in its signing period: the step the incentive counts from is recorded.
    start = INCENTIVE_FROM[ProjectKind(project.kind)]
    assert project.milestones.get(code=start).actual_date is not None
    calculations = Calculation.objects.filter(household__project=project)
    statuses = set(calculations.values_list("status", flat=True))
    assert {
        CalculationStatus.DRAFT,
        CalculationStatus.POLICY_REVIEW,
        CalculationStatus.ACCOUNTING_REVIEW,
        CalculationStatus.APPROVED,
        CalculationStatus.RETURNED,
        CalculationStatus.SUPERSEDED,
    } <= statuses
    approved = calculations.filter(status=CalculationStatus.APPROVED)
    assert approved.count() >= calculations.exclude(status="superseded").count() // 2
    accountant, checker = (
        User.objects.get(username="accountant"),
        User.objects.get(username="checker"),
    )
    for calculation in approved:
        assert calculation.prepared_by == accountant
        deciders = set(calculation.transitions.values_list("actor__username", flat=True))
        assert {"accountant", "reviewer", "checker"} <= deciders
        assert ("leader" in deciders) == calculation.needs_leader
    assert checker.pk not in set(calculations.values_list("prepared_by", flat=True))
    returned = calculations.get(status=CalculationStatus.RETURNED)
    assert returned.transitions.get(to_status="returned").reason

    # Agreements: drafted from approved calculations, numbered without gaps; about half signed,
    # in signing order 1..n, each with four different office signatories.
    agreements = Agreement.objects.filter(project=project).order_by("sequence")
    assert list(agreements.values_list("sequence", flat=True)) == list(
        range(1, agreements.count() + 1)
    )
    assert agreements.count() == len({a.number for a in agreements})
    assert not agreements.exclude(calculation__status=CalculationStatus.APPROVED).exists()
    signed = agreements.exclude(signed_at=None).order_by("signing_order")
    drafted = agreements.filter(status=AgreementStatus.DRAFT)
    assert signed.exists() and drafted.exists()
    assert list(signed.values_list("signing_order", flat=True)) == list(
        range(1, signed.count() + 1)
    )
    times = list(signed.values_list("signed_at", flat=True))
    assert times == sorted(times)
    for agreement in signed:
        assert agreement.status == AgreementStatus.EFFECTIVE
        assert agreement.scan_sha256
        signatures = {s.capacity: s.user for s in agreement.office_signatures.all()}
        assert set(signatures) == set(OfficeCapacity.values)
        assert len({u.pk for u in signatures.values()}) == 4
        assert signatures[OfficeCapacity.GROUP_LEADER] == agreement.household.work_group.leader
        assert signatures[OfficeCapacity.CADRE].username == "cadre"
    assert not drafted.exclude(signing_order=None).exists()
    assert verify_chain().ok
