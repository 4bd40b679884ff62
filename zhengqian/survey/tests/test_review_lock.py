"""Survey data stops changing while its ownership confirmation is reviewed or locked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from zhengqian.ownership.models import Confirmation, ConfirmationStatus
from zhengqian.survey import services
from zhengqian.survey.models import Household


@pytest.fixture
def household(world):  # type: ignore[no-untyped-def]
    return services.household_create(
        actor=world.surveyor,
        project=world.project,
        work_group=world.group,
        code="H-R1",
        head_name="李四",
        division_code="330282",
        address="慈溪市新塘镇红旗村5号",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status,code",
    [(ConfirmationStatus.SUBMITTED, "under_review"), (ConfirmationStatus.LOCKED, "locked")],
)
def test_survey_edits_are_refused_under_review_and_when_locked(world, household, status, code):  # type: ignore[no-untyped-def]
    Confirmation.objects.create(household=household, status=status)
    with pytest.raises(ValidationError) as exc:
        services.household_update(actor=world.surveyor, household=household, head_name="李四四")
    assert exc.value.code == code
    assert Household.objects.get(pk=household.pk).head_name == "李四"


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ConfirmationStatus.DRAFT, ConfirmationStatus.RETURNED])
def test_survey_edits_go_through_while_the_confirmation_is_open(world, household, status):  # type: ignore[no-untyped-def]
    Confirmation.objects.create(household=household, status=status)
    services.household_update(actor=world.surveyor, household=household, head_name="李四四")
    assert Household.objects.get(pk=household.pk).head_name == "李四四"
