"""The one permission check every service and selector uses.

A user's roles come from memberships: per project (optionally limited to work groups) or for all
projects (project empty). What a role may do is the RolePermission data. Results are memoised on
the user object, so one request costs two queries however many checks it makes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from zhengqian.accounts.roles import Action, Module, RoleCode

if TYPE_CHECKING:
    from zhengqian.projects.models import Project, WorkGroup


class AccessDenied(PermissionDenied):
    """A refused action; the middleware records it in the audit trail as a denied attempt."""

    def __init__(
        self,
        message: Any,
        *,
        module: str = "",
        action: str = "",
        project_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.module = module
        self.action = action
        self.project_id = project_id


class OutOfScope(Http404):
    """A record outside the user's projects: answered as 404 so its existence is not leaked,
    and recorded as a denied attempt."""

    def __init__(self, what: str, pk: object) -> None:
        super().__init__(_("Not found."))
        self.what = what
        self.pk = pk


@dataclass(frozen=True)
class _Grant:
    role: str
    project_id: int | None  # None: every project
    work_group_ids: frozenset[int]  # empty: every work group


def _matrix() -> dict[str, set[tuple[str, str]]]:
    from zhengqian.accounts.models import RolePermission

    matrix: dict[str, set[tuple[str, str]]] = {}
    for role, module, action in RolePermission.objects.values_list("role", "module", "action"):
        matrix.setdefault(role, set()).add((module, action))
    return matrix


def _state(user: Any) -> tuple[list[_Grant], dict[str, set[tuple[str, str]]]]:
    cached = getattr(user, "_zq_perm_state", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    grants: list[_Grant] = []
    if user is not None and user.is_authenticated and user.is_active:
        from zhengqian.accounts.models import Membership

        # Plain values, not model instances: this runs on every request.
        scopes: dict[int, set[int]] = {}
        through = Membership.work_groups.through
        for membership_id, group_id in through.objects.filter(membership__user=user).values_list(
            "membership_id", "workgroup_id"
        ):
            scopes.setdefault(membership_id, set()).add(group_id)
        for pk, role, project_id in Membership.objects.filter(user=user).values_list(
            "pk", "role", "project_id"
        ):
            grants.append(_Grant(role, project_id, frozenset(scopes.get(pk, ()))))
    state = (grants, _matrix() if grants else {})
    if user is not None:
        user._zq_perm_state = state
    return state


def is_external(user: Any) -> bool:
    """Whether all the user's roles are those of an outside firm (the valuer): such users see
    only what their assigned projects need, nothing of other projects."""
    grants, _matrix = _state(user)
    return bool(grants) and all(RoleCode(g.role).is_external for g in grants)


def forget(user: Any) -> None:
    """Drop the memoised roles (after a membership change in the same request)."""
    if user is not None and hasattr(user, "_zq_perm_state"):
        del user._zq_perm_state


def _granting(
    user: Any, module: str, action: str, project_id: int | None, work_group_id: int | None
) -> bool:
    grants, matrix = _state(user)
    for g in grants:
        if (module, action) not in matrix.get(g.role, ()):
            continue
        if g.project_id is not None and g.project_id != project_id:
            continue
        if work_group_id is not None and g.work_group_ids and work_group_id not in g.work_group_ids:
            continue
        return True
    return False


def has_perm(
    user: Any,
    module: Module | str,
    action: Action | str,
    *,
    project: Project | int | None = None,
    work_group: WorkGroup | int | None = None,
) -> bool:
    project_id = project if isinstance(project, int) or project is None else project.pk
    wg_id = work_group if isinstance(work_group, int) or work_group is None else work_group.pk
    return _granting(user, str(module), str(action), project_id, wg_id)


def require(
    user: Any,
    module: Module | str,
    action: Action | str,
    *,
    project: Project | int | None = None,
    work_group: WorkGroup | int | None = None,
) -> None:
    """Raise AccessDenied unless the user may perform the action (the one check of the system)."""
    if has_perm(user, module, action, project=project, work_group=work_group):
        return
    project_id = project if isinstance(project, int) or project is None else project.pk
    module_label = Module(str(module)).label if str(module) in Module.values else str(module)
    action_label = Action(str(action)).label if str(action) in Action.values else str(action)
    raise AccessDenied(
        _("You are not allowed to %(action)s in %(module)s.")
        % {"action": action_label, "module": module_label},
        module=str(module),
        action=str(action),
        project_id=project_id,
    )


def has_perm_anywhere(user: Any, module: Module | str, action: Action | str) -> bool:
    """Whether any of the user's roles, in any project, allows this (e.g. creating a project)."""
    grants, matrix = _state(user)
    return any((str(module), str(action)) in matrix.get(g.role, ()) for g in grants)


def require_anywhere(user: Any, module: Module | str, action: Action | str) -> None:
    if not has_perm_anywhere(user, module, action):
        require(user, module, action)


def project_ids_with(user: Any, module: Module | str, action: Action | str) -> set[int] | None:
    """The projects in which the user may do this: None means every project."""
    grants, matrix = _state(user)
    ids: set[int] = set()
    for g in grants:
        if (str(module), str(action)) not in matrix.get(g.role, ()):
            continue
        if g.project_id is None:
            return None
        ids.add(g.project_id)
    return ids


def work_group_ids_with(
    user: Any, module: Module | str, action: Action | str, project_id: int
) -> set[int] | None:
    """The work groups of a project the user may reach: None means all of them."""
    grants, matrix = _state(user)
    ids: set[int] = set()
    allowed = False
    for g in grants:
        if (str(module), str(action)) not in matrix.get(g.role, ()):
            continue
        if g.project_id is not None and g.project_id != project_id:
            continue
        allowed = True
        if not g.work_group_ids:
            return None
        ids |= g.work_group_ids
    return ids if allowed else set()


def roles_of(user: Any, project: Project | int | None = None) -> set[str]:
    project_id = project if isinstance(project, int) or project is None else project.pk
    grants, _matrix_unused = _state(user)
    return {g.role for g in grants if g.project_id is None or g.project_id == project_id}


def modules_visible(user: Any) -> set[str]:
    """Modules in which the user may view something anywhere (drives the navigation)."""
    grants, matrix = _state(user)
    visible: set[str] = set()
    for g in grants:
        visible |= {module for module, action in matrix.get(g.role, ()) if action == Action.VIEW}
    return visible


def is_system_admin(user: Any) -> bool:
    return RoleCode.ADMIN.value in roles_of(user)


def grants_iter(user: Any) -> Iterable[_Grant]:
    return iter(_state(user)[0])


def holds_role(
    user: Any, role: RoleCode | str, project_id: int, work_group_id: int | None = None
) -> bool:
    """Whether the user holds this very role (not merely its rights) in the project, or in all
    projects; a membership limited to work groups counts only in those (pass the record's
    work group). For steps that name a role: a review step, a signature in a capacity."""
    return any(
        g.role == str(role)
        and (g.project_id is None or g.project_id == project_id)
        and (not g.work_group_ids or work_group_id in g.work_group_ids)
        for g in grants_iter(user)
    )
