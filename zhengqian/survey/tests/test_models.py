from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from zhengqian.core.idcard import make_id_number
from zhengqian.survey.models import Household, Person, Sex
from zhengqian.testing.factories import ProjectFactory, WorkGroupFactory

MAN_1980 = make_id_number("330282", dt.date(1980, 5, 17), 123)


def household(**fields: object) -> Household:
    project = fields.pop("project", None) or ProjectFactory()
    values: dict[str, object] = {
        "project": project,
        "code": "H-001",
        "head_name": "张建国",
        "division_code": "330282",
        "address": "浙江省慈溪市新塘镇红旗村三组27号",
    }
    values.update(fields)
    return Household(**values)


@pytest.mark.django_db
class TestHousehold:
    def test_a_valid_household_passes_validation(self) -> None:
        h = household(head_id_number=MAN_1980.lower())
        h.full_clean()
        assert h.head_id_number == MAN_1980

    def test_its_work_group_must_belong_to_its_project(self) -> None:
        h = household(work_group=WorkGroupFactory())
        with pytest.raises(ValidationError) as exc:
            h.full_clean()
        assert "work_group" in exc.value.message_dict

    def test_a_wrong_check_digit_is_refused(self) -> None:
        wrong = MAN_1980[:17] + ("0" if MAN_1980[17] != "0" else "1")
        with pytest.raises(ValidationError) as exc:
            household(head_id_number=wrong).full_clean()
        assert "head_id_number" in exc.value.message_dict

    def test_the_database_refuses_a_division_code_of_the_wrong_length(self) -> None:
        h = household(division_code="3302")
        with pytest.raises(IntegrityError), transaction.atomic():
            h.save()

    def test_the_code_is_unique_within_a_project_only(self) -> None:
        first = household()
        first.save()
        household(code="H-001").save()
        with pytest.raises(IntegrityError), transaction.atomic():
            household(project=first.project).save()


@pytest.mark.django_db
class TestPerson:
    def test_a_household_has_one_head(self) -> None:
        h = household()
        h.save()
        Person.objects.create(household=h, name="张建国", relation="head", sex=Sex.MALE)
        with pytest.raises(IntegrityError), transaction.atomic():
            Person.objects.create(household=h, name="李秀英", relation="head", sex=Sex.FEMALE)

    def test_the_id_number_must_agree_with_sex_and_date_of_birth(self) -> None:
        h = household()
        h.save()
        person = Person(
            household=h,
            name="张丽",
            relation="spouse",
            sex=Sex.FEMALE,
            birth_date=dt.date(1981, 1, 1),
            id_number=MAN_1980,
        )
        with pytest.raises(ValidationError) as exc:
            person.full_clean()
        assert set(exc.value.message_dict) == {"sex", "birth_date"}
