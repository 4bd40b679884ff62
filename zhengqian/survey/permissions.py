from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import AccessDenied, require, work_group_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.survey.models import Household


def require_household(
    actor: Any, household: Household, module: Module | str, action: Action | str
) -> None:
    """The actor may do this to this household: role in its project, and its work group."""
    require(actor, module, action, project=household.project_id)
    groups = work_group_ids_with(actor, module, action, household.project_id)
    if groups is not None and household.work_group_id not in groups:
        raise AccessDenied(
            _("This household is not in your work groups."),
            module=str(module),
            action=str(action),
            project_id=household.project_id,
        )


def require_unlocked(household: Household) -> None:
    """Survey data under review may not change; once locked it changes only by change request."""
    from zhengqian.ownership.models import Confirmation, ConfirmationStatus

    status = (
        Confirmation.objects.filter(household_id=household.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status == ConfirmationStatus.SUBMITTED:
        raise ValidationError(
            _(
                "The ownership confirmation of household %(code)s is under review: the survey "
                "data it rests on cannot change until the review returns it."
            )
            % {"code": household.code},
            code="under_review",
        )
    if status == ConfirmationStatus.LOCKED:
        raise ValidationError(
            _(
                "The ownership confirmation of household %(code)s is locked: a correction needs "
                "a change request approved by the project manager."
            )
            % {"code": household.code},
            code="locked",
        )
