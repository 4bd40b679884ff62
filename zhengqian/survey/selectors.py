"""Reads of survey data, scoped to the user's projects and work groups.

Every view, export and import of the survey (and of the modules that read households) goes
through these, so that nobody reaches a household outside their projects or work groups.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhengqian.accounts.permissions import OutOfScope, work_group_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household


def households_for_user(
    user: Any,
    project: Project,
    *,
    module: Module | str = Module.SURVEY,
    action: Action | str = Action.VIEW,
) -> QuerySet[Household]:
    """The project's households the user may reach in this module (none if not allowed)."""
    qs = Household.objects.filter(project=project)
    groups = work_group_ids_with(user, module, action, project.pk)
    if groups is None:
        return qs
    # A user limited to work groups does not reach households that belong to no group.
    return qs.filter(work_group_id__in=groups) if groups else qs.none()


def get_household_for_user(
    user: Any,
    pk: Any,
    *,
    module: Module | str = Module.SURVEY,
    action: Action | str = Action.VIEW,
) -> Household:
    """The household if the user may reach it in this module; 404 otherwise (not leaked)."""
    try:
        household = Household.objects.select_related("project", "work_group").get(pk=int(pk))
    except (Household.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("survey.household", pk) from None
    groups = work_group_ids_with(user, module, action, household.project_id)
    if groups is not None and household.work_group_id not in groups:
        raise OutOfScope("survey.household", pk)
    return household
