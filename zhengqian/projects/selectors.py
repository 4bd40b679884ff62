"""Reads of projects, already scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhengqian.accounts.permissions import OutOfScope, project_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.projects.models import District, Milestone, Project, WorkGroup


def projects_for_user(
    user: Any, *, module: Module | str = Module.PROJECTS, action: Action | str = Action.VIEW
) -> QuerySet[Project]:
    ids = project_ids_with(user, module, action)
    qs = Project.objects.select_related("district")
    return qs if ids is None else qs.filter(pk__in=ids)


def get_project_for_user(
    user: Any,
    pk: Any,
    *,
    module: Module | str = Module.PROJECTS,
    action: Action | str = Action.VIEW,
) -> Project:
    """The project if the user may see it; otherwise 404 (existence is not leaked)."""
    try:
        return projects_for_user(user, module=module, action=action).get(pk=int(pk))
    except (Project.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("projects.project", pk) from None


def get_project_for_write(user: Any, pk: Any) -> Project:
    """Seen with view rights (404 otherwise); the service then checks the write right."""
    return get_project_for_user(user, pk)


def milestones_of(project: Project) -> QuerySet[Milestone]:
    return project.milestones.select_related("recorded_by").order_by("order")


def work_groups_of(project: Project) -> QuerySet[WorkGroup]:
    return project.work_groups.select_related("leader").order_by("name")


def get_work_group_for_user(user: Any, project: Project, pk: Any) -> WorkGroup:
    try:
        return project.work_groups.get(pk=int(pk))
    except (WorkGroup.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("projects.workgroup", pk) from None


def districts() -> QuerySet[District]:
    return District.objects.order_by("code")
