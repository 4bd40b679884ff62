"""survey.services: every write is audited with old → new values, refused outside the actor's
module, project and work group, and refused once the ownership confirmation is locked.

The small record builders at the top are shared by the survey's view, flag and attachment tests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event, EventKind
from zhengqian.core.idcard import make_id_number
from zhengqian.core.staleness import upstream_changed
from zhengqian.ownership.models import Confirmation, ConfirmationStatus
from zhengqian.projects.models import Project, WorkGroup
from zhengqian.survey import services
from zhengqian.survey.models import Ancillary, Building, Household, Person
from zhengqian.testing.factories import UserFactory, grant

HEAD_ID = make_id_number("330282", dt.date(1968, 3, 9), 135)
WIFE_ID = make_id_number("330282", dt.date(1970, 7, 1), 246)
SON_ID = make_id_number("330282", dt.date(1995, 12, 30), 317)
WRONG_CHECK_DIGIT = HEAD_ID[:17] + ("0" if HEAD_ID[17] != "0" else "1")


def make_household(
    project: Project,
    *,
    code: str = "H-001",
    work_group: WorkGroup | None = None,
    head_name: str = "张建国",
    head_id_number: str = "",
    **fields: Any,
) -> Household:
    values: dict[str, Any] = {
        "division_code": "330282",
        "address": "浙江省慈溪市新塘镇红旗村三组27号",
    }
    values.update(fields)
    return Household.objects.create(
        project=project,
        work_group=work_group,
        code=code,
        head_name=head_name,
        head_id_number=head_id_number,
        **values,
    )


def make_person(
    household: Household,
    *,
    name: str = "张建国",
    relation: str = "head",
    sex: str = "M",
    id_number: str = "",
    **fields: Any,
) -> Person:
    return Person.objects.create(
        household=household, name=name, relation=relation, sex=sex, id_number=id_number, **fields
    )


def make_building(
    household: Household, *, number: str = "1", area: str = "120.50", **fields: Any
) -> Building:
    values: dict[str, Any] = {"structure_type": "brick_concrete", "use": "residential"}
    values.update(fields)
    return Building.objects.create(
        household=household, number=number, measured_area=Decimal(area), **values
    )


def make_ancillary(household: Household, **fields: Any) -> Ancillary:
    values: dict[str, Any] = {"kind": "wall", "quantity": Decimal("12.50"), "unit": "米"}
    values.update(fields)
    return Ancillary.objects.create(household=household, **values)


def lock_confirmation(household: Household) -> Confirmation:
    return Confirmation.objects.create(household=household, status=ConfirmationStatus.LOCKED)


def events(event_type: str) -> list[Event]:
    return list(Event.objects.filter(event_type=event_type).order_by("seq"))


@pytest.fixture
def ownership_officer(world):  # type: ignore[no-untyped-def]
    user = UserFactory(username="ownership")
    grant(user, RoleCode.OWNERSHIP_OFFICER, world.project)
    return user


@pytest.fixture
def household(world):  # type: ignore[no-untyped-def]
    return make_household(world.project, work_group=world.group, head_id_number=HEAD_ID)


@pytest.fixture
def announcements():  # type: ignore[no-untyped-def]
    """What core.staleness sends downstream, as (source, changes)."""
    received: list[tuple[str, dict[str, Any]]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append((kwargs["source"], kwargs["changes"]))

    upstream_changed.connect(receiver, weak=False, dispatch_uid="survey-service-tests")
    yield received
    upstream_changed.disconnect(dispatch_uid="survey-service-tests")


FIELDS = {
    "code": "H-100",
    "head_name": "李秀英",
    "division_code": "330282",
    "address": "浙江省慈溪市新塘镇红旗村五组3号",
}


@pytest.mark.django_db
class TestHouseholdCreate:
    def test_a_surveyor_creates_a_household_and_the_event_holds_the_new_values(self, world):  # type: ignore[no-untyped-def]
        h = services.household_create(
            actor=world.surveyor,
            project=world.project,
            work_group=world.group,
            head_id_number=HEAD_ID.lower(),
            **FIELDS,
        )
        assert h.head_id_number == HEAD_ID  # normalised by the model
        [event] = events("household.create")
        assert event.kind == EventKind.WRITE and event.actor_id == world.surveyor.pk
        assert event.project_id == world.project.pk and event.target_id == str(h.pk)
        assert event.changes["head_name"] == [None, "李秀英"]
        assert event.changes["work_group"] == [None, world.group.pk]
        assert event.changes["head_id_number"] == [None, HEAD_ID]

    def test_an_ownership_officer_may_not_create_survey_data(self, world, ownership_officer):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.household_create(actor=ownership_officer, project=world.project, **FIELDS)
        assert not Household.objects.exists() and not events("household.create")

    def test_a_surveyor_of_another_project_is_refused(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.household_create(actor=world.other_surveyor, project=world.project, **FIELDS)

    def test_a_group_surveyor_creates_only_in_their_own_group(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.household_create(
                actor=world.group_surveyor,
                project=world.project,
                work_group=world.other_group,
                **FIELDS,
            )
        with pytest.raises(AccessDenied):
            services.household_create(actor=world.group_surveyor, project=world.project, **FIELDS)
        h = services.household_create(
            actor=world.group_surveyor, project=world.project, work_group=world.group, **FIELDS
        )
        assert h.work_group == world.group

    def test_invalid_data_is_refused_at_the_field_without_an_event(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            services.household_create(
                actor=world.surveyor,
                project=world.project,
                **{**FIELDS, "head_id_number": WRONG_CHECK_DIGIT},
            )
        assert "head_id_number" in exc.value.message_dict
        assert not events("household.create")


@pytest.mark.django_db
class TestHouseholdUpdate:
    def test_the_event_holds_old_and_new_values_and_downstream_hears_of_it(  # type: ignore[no-untyped-def]
        self, world, household, announcements
    ):
        services.household_update(
            actor=world.surveyor, household=household, address="新地址1号", phone="13800001111"
        )
        household.refresh_from_db()
        assert household.address == "新地址1号"
        [event] = events("household.update")
        assert event.changes == {
            "address": ["浙江省慈溪市新塘镇红旗村三组27号", "新地址1号"],
            "phone": ["", "13800001111"],
        }
        assert announcements == [("survey.household", event.changes)]

    def test_nothing_changed_writes_no_event(self, world, household, announcements):  # type: ignore[no-untyped-def]
        services.household_update(actor=world.surveyor, household=household, code="H-001")
        assert not events("household.update") and announcements == []

    @pytest.mark.parametrize("who", ["accountant", "viewer", "other_surveyor", "supervisor"])
    def test_other_roles_and_projects_are_refused(self, world, household, who):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.household_update(actor=getattr(world, who), household=household, notes="x")
        household.refresh_from_db()
        assert household.notes == "" and not events("household.update")

    def test_an_ownership_officer_is_refused(self, world, household, ownership_officer):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.household_update(actor=ownership_officer, household=household, notes="x")

    def test_a_group_surveyor_may_not_edit_another_groups_household(self, world):  # type: ignore[no-untyped-def]
        theirs = make_household(world.project, work_group=world.other_group)
        with pytest.raises(AccessDenied):
            services.household_update(actor=world.group_surveyor, household=theirs, notes="x")

    def test_a_group_surveyor_may_not_move_a_household_out_of_reach(self, world, household):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.household_update(
                actor=world.group_surveyor, household=household, work_group=world.other_group
            )
        household.refresh_from_db()
        assert household.work_group == world.group

    def test_a_locked_confirmation_refuses_the_edit(self, world, household, announcements):  # type: ignore[no-untyped-def]
        lock_confirmation(household)
        with pytest.raises(ValidationError) as exc:
            services.household_update(actor=world.surveyor, household=household, notes="x")
        assert exc.value.code == "locked"
        household.refresh_from_db()
        assert household.notes == "" and not events("household.update") and announcements == []

    def test_a_confirmation_still_in_draft_does_not(self, world, household):  # type: ignore[no-untyped-def]
        Confirmation.objects.create(household=household, status=ConfirmationStatus.DRAFT)
        services.household_update(actor=world.surveyor, household=household, notes="x")
        assert len(events("household.update")) == 1


@pytest.mark.django_db
class TestHouseholdDelete:
    def test_the_event_keeps_what_was_deleted(self, world, household):  # type: ignore[no-untyped-def]
        pk = household.pk
        services.household_delete(actor=world.surveyor, household=household)
        assert not Household.objects.filter(pk=pk).exists()
        [event] = events("household.delete")
        assert event.target_id == str(pk)
        assert event.changes["head_id_number"] == [HEAD_ID, None]
        assert event.changes["code"] == ["H-001", None]

    def test_an_accountant_is_refused(self, world, household):  # type: ignore[no-untyped-def]
        with pytest.raises(AccessDenied):
            services.household_delete(actor=world.accountant, household=household)
        assert Household.objects.filter(pk=household.pk).exists()

    def test_a_locked_household_is_not_deleted(self, world, household):  # type: ignore[no-untyped-def]
        lock_confirmation(household)
        with pytest.raises(ValidationError):
            services.household_delete(actor=world.surveyor, household=household)
        assert Household.objects.filter(pk=household.pk).exists()


MEMBERS: list[tuple[type[Any], dict[str, Any], dict[str, Any]]] = [
    (
        Person,
        {"name": "李秀英", "relation": "spouse", "sex": "F", "id_number": WIFE_ID},
        {"hukou_place": "慈溪市新塘镇"},
    ),
    (
        Building,
        {
            "number": "2",
            "structure_type": "brick_wood",
            "use": "residential",
            "measured_area": Decimal("85.25"),
        },
        {"measured_area": Decimal("86.75")},
    ),
    (
        Ancillary,
        {"kind": "well", "quantity": Decimal("1.00"), "unit": "口"},
        {"quantity": Decimal("2.00")},
    ),
]


@pytest.mark.django_db
class TestMembers:
    @pytest.mark.parametrize(("model", "fields", "change"), MEMBERS)
    def test_create_update_delete_are_audited_with_old_and_new_values(  # type: ignore[no-untyped-def]
        self, world, household, announcements, model, fields, change
    ):
        name = model._meta.model_name
        instance = services.member_create(
            actor=world.surveyor, household=household, model=model, **fields
        )
        [created] = events(f"{name}.create")
        assert created.details == {"household": household.pk}
        for field, value in fields.items():
            assert created.changes[field][0] is None
            assert str(created.changes[field][1]) == str(value)

        services.member_update(actor=world.surveyor, instance=instance, **change)
        [updated] = events(f"{name}.update")
        ((field, (old, new)),) = updated.changes.items()
        assert str(old) == str(fields.get(field, "")) and str(new) == str(change[field])
        assert announcements[-1] == (f"survey.{name}", updated.changes)

        services.member_delete(actor=world.surveyor, instance=instance)
        [deleted] = events(f"{name}.delete")
        assert all(new is None for _old, new in deleted.changes.values())
        assert not model.objects.filter(pk=instance.pk).exists()

    @pytest.mark.parametrize(("model", "fields", "change"), MEMBERS)
    def test_an_ownership_officer_and_an_accountant_are_refused(  # type: ignore[no-untyped-def]
        self, world, household, ownership_officer, model, fields, change
    ):
        for actor in (ownership_officer, world.accountant, world.other_surveyor):
            with pytest.raises(AccessDenied):
                services.member_create(actor=actor, household=household, model=model, **fields)
        instance = services.member_create(
            actor=world.surveyor, household=household, model=model, **fields
        )
        for actor in (ownership_officer, world.accountant, world.other_surveyor):
            with pytest.raises(AccessDenied):
                services.member_update(actor=actor, instance=instance, **change)
            with pytest.raises(AccessDenied):
                services.member_delete(actor=actor, instance=instance)
        assert model.objects.filter(pk=instance.pk).exists()
        name = model._meta.model_name
        assert not events(f"{name}.update") and not events(f"{name}.delete")

    def test_a_group_surveyor_may_not_add_to_another_groups_household(self, world):  # type: ignore[no-untyped-def]
        theirs = make_household(world.project, work_group=world.other_group)
        with pytest.raises(AccessDenied):
            services.member_create(
                actor=world.group_surveyor,
                household=theirs,
                model=Ancillary,
                kind="tree",
                quantity=Decimal("3"),
                unit="株",
            )

    @pytest.mark.parametrize(("model", "fields", "change"), MEMBERS)
    def test_a_locked_confirmation_refuses_every_member_write(  # type: ignore[no-untyped-def]
        self, world, household, model, fields, change
    ):
        instance = services.member_create(
            actor=world.surveyor, household=household, model=model, **fields
        )
        lock_confirmation(household)
        for write in (
            lambda: services.member_create(
                actor=world.surveyor, household=household, model=model, **fields
            ),
            lambda: services.member_update(actor=world.surveyor, instance=instance, **change),
            lambda: services.member_delete(actor=world.surveyor, instance=instance),
        ):
            with pytest.raises(ValidationError) as exc:
                write()
            assert exc.value.code == "locked"
        assert model.objects.filter(household=household).count() == 1
        name = model._meta.model_name
        assert not events(f"{name}.update") and not events(f"{name}.delete")

    def test_a_person_whose_id_number_disagrees_with_the_sex_is_refused(self, world, household):  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as exc:
            services.member_create(
                actor=world.surveyor,
                household=household,
                model=Person,
                name="张伟",
                relation="child",
                sex="F",
                id_number=SON_ID,
            )
        assert "sex" in exc.value.message_dict
        assert not events("person.create")
