"""Reads shared by the resettlement pages: the user's projects and the scoping of records to
them (a project outside the user's scope is 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhengqian.accounts.permissions import has_perm
from zhengqian.accounts.roles import Action, Module
from zhengqian.projects import selectors as project_selectors
from zhengqian.projects.models import Project


def projects_for_user(user: Any) -> QuerySet[Project]:
    return project_selectors.projects_for_user(
        user, module=Module.RESETTLEMENT, action=Action.VIEW
    ).order_by("code")


def get_project_for_user(user: Any, pk: Any) -> Project:
    """A project where the user may view the resettlement module, else 404."""
    return project_selectors.get_project_for_user(
        user, pk, module=Module.RESETTLEMENT, action=Action.VIEW
    )


def may(user: Any, project: Project | int, action: Action) -> bool:
    return has_perm(user, Module.RESETTLEMENT, action, project=project)


def sees_personal(user: Any, project: Project | int) -> bool:
    return has_perm(user, Module.RESETTLEMENT, Action.VIEW_PERSONAL, project=project)
