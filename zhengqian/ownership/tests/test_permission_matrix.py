"""Role × ownership service → allowed? Enforced by the services themselves, not the pages."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import RoleCode
from zhengqian.ownership import services
from zhengqian.ownership.tests.conftest import confirm_all, lock_confirmation
from zhengqian.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def _confirm_building(own: Any, user: Any) -> None:
    services.building_confirm(
        actor=user,
        building=own.big,
        licensed_area=Decimal("96.00"),
        unlicensed_area=Decimal("0"),
        unlicensed_treatment="",
        basis="不动产权证",
    )


def _confirm_person(own: Any, user: Any) -> None:
    services.person_confirm(actor=user, person=own.head, eligible=True, reason="registered")


def _submit(own: Any, user: Any) -> None:
    confirm_all(own.officer, own.household)
    services.confirmation_submit(actor=user, household=own.household)


def _review(own: Any, user: Any) -> None:
    confirm_all(own.officer, own.household)
    services.confirmation_submit(actor=own.officer, household=own.household)
    services.confirmation_review(actor=user, household=own.household, approve=True)


def _request_ownership_change(own: Any, user: Any) -> None:
    lock_confirmation(own.officer, own.pm, own.household)
    services.change_request_create(
        actor=user,
        household=own.household,
        target_type="ownership.buildingconfirmation",
        target_id=own.big.confirmation.pk,
        field="basis",
        new_value="补充依据",
        reason="补正",
    )


def _request_survey_change(own: Any, user: Any) -> None:
    lock_confirmation(own.officer, own.pm, own.household)
    services.change_request_create(
        actor=user,
        household=own.household,
        target_type="survey.building",
        target_id=own.big.pk,
        field="floors",
        new_value="3",
        reason="复核",
    )


def _decide(own: Any, user: Any) -> None:
    lock_confirmation(own.officer, own.pm, own.household)
    cr = services.change_request_create(
        actor=own.officer,
        household=own.household,
        target_type="ownership.buildingconfirmation",
        target_id=own.big.confirmation.pk,
        field="basis",
        new_value="补充依据",
        reason="补正",
    )
    services.change_request_decide(actor=user, change_request=cr, approve=True)


ACTIONS: dict[str, tuple[Callable[[Any, Any], None], set[RoleCode]]] = {
    "confirm building": (_confirm_building, {RoleCode.OWNERSHIP_OFFICER}),
    "confirm person": (_confirm_person, {RoleCode.OWNERSHIP_OFFICER}),
    "submit": (_submit, {RoleCode.OWNERSHIP_OFFICER}),
    "review": (_review, {RoleCode.PROJECT_MANAGER}),
    "request ownership change": (_request_ownership_change, {RoleCode.OWNERSHIP_OFFICER}),
    "request survey change": (_request_survey_change, {RoleCode.SURVEYOR}),
    "decide change": (_decide, {RoleCode.PROJECT_MANAGER}),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role", list(RoleCode), ids=[r.value for r in RoleCode])
def test_only_the_roles_of_the_matrix_may(own, role: RoleCode, action: str) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory(username=f"m_{role.value}")
    grant(user, role, None if role.is_system_wide else own.world.project)
    run, allowed = ACTIONS[action]
    if role in allowed:
        run(own, user)
    else:
        with pytest.raises(AccessDenied):
            run(own, user)
