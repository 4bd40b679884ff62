"""Writes of the accounts module: users, memberships and the permission matrix.

Each service: keyword-only, @transaction.atomic, permission check first, audit event in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zhengqian.accounts import permissions
from zhengqian.accounts.models import Membership, RolePermission, User
from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.audit.services import record, snapshot
from zhengqian.core.updates import apply_changes, lock
from zhengqian.projects.models import Project, WorkGroup

USER_FIELDS = ("username", "full_name", "email", "phone", "organisation")


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str,
    full_name: str = "",
    email: str = "",
    phone: str = "",
    organisation: str = "",
    is_demo: bool = False,
) -> User:
    require(actor, Module.ACCOUNTS, Action.CREATE)
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        phone=phone,
        organisation=organisation,
        is_demo=is_demo,
    )
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    record(
        actor=actor,
        event_type="user.create",
        target=user,
        changes={f: [None, v] for f, v in snapshot(user, USER_FIELDS).items() if v},
    )
    return user


@transaction.atomic
def user_update(*, actor: Any, user: User, **fields: Any) -> User:
    require(actor, Module.ACCOUNTS, Action.CHANGE)
    user = lock(user)
    changes = apply_changes(user, fields, allowed=USER_FIELDS)
    if changes:
        record(actor=actor, event_type="user.update", target=user, changes=changes)
    return user


@transaction.atomic
def user_set_active(*, actor: Any, user: User, active: bool) -> User:
    require(actor, Module.ACCOUNTS, Action.CHANGE)
    if actor is not None and actor.pk == user.pk and not active:
        raise ValidationError(_("You cannot disable your own account."), code="self")
    user = lock(user)
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    record(
        actor=actor,
        event_type="user.enable" if active else "user.disable",
        target=user,
        changes={"is_active": [not active, active]},
    )
    return user


@transaction.atomic
def user_set_password(*, actor: Any, user: User, password: str) -> User:
    """An administrator sets a new password (the user's own change goes through Django's form)."""
    require(actor, Module.ACCOUNTS, Action.CHANGE)
    user = lock(user)
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    # The password itself is never written to the trail.
    record(actor=actor, event_type="user.password_reset", target=user)
    return user


@transaction.atomic
def membership_grant(
    *,
    actor: Any,
    user: User,
    role: str,
    project: Project | None,
    work_groups: Iterable[WorkGroup] = (),
) -> Membership:
    require(actor, Module.ACCOUNTS, Action.CHANGE)
    role_code = RoleCode(role)
    work_groups = list(work_groups)
    if project is None and not role_code.may_be_system_wide:
        raise ValidationError(
            {
                "project": _("The role %(role)s is held in a project; choose one.")
                % {"role": role_code.label}
            }
        )
    if project is not None and role_code.is_system_wide:
        raise ValidationError(
            {
                "project": _("The role %(role)s is held for the whole system, not in a project.")
                % {"role": role_code.label}
            }
        )
    if any(project is None or wg.project_id != project.pk for wg in work_groups):
        raise ValidationError({"work_groups": _("Work groups must belong to the chosen project.")})
    if Membership.objects.filter(user=user, project=project, role=role_code).exists():
        raise ValidationError(_("%(user)s already has this role there.") % {"user": user})
    membership = Membership.objects.create(user=user, project=project, role=role_code)
    if work_groups:
        membership.work_groups.set(work_groups)
    record(
        actor=actor,
        event_type="membership.grant",
        target=user,
        project=project,
        changes={
            "role": [None, role_code.value],
            "project": [None, project.pk if project else None],
            "work_groups": [None, sorted(wg.pk for wg in work_groups)],
        },
    )
    permissions.forget(user)
    return membership


@transaction.atomic
def membership_revoke(*, actor: Any, membership: Membership) -> None:
    require(actor, Module.ACCOUNTS, Action.CHANGE)
    membership = lock(membership)
    if (
        membership.role == RoleCode.ADMIN
        and not Membership.objects.filter(role=RoleCode.ADMIN, user__is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationError(
            _("The last administrator's role cannot be removed."), code="last_admin"
        )
    record(
        actor=actor,
        event_type="membership.revoke",
        target=membership.user,
        project=membership.project_id,
        changes={
            "role": [membership.role, None],
            "project": [membership.project_id, None],
            "work_groups": [sorted(membership.work_groups.values_list("pk", flat=True)), None],
        },
    )
    membership.delete()
    permissions.forget(membership.user)


@transaction.atomic
def role_permission_set(*, actor: Any, role: str, module: str, action: str, allowed: bool) -> bool:
    """Turn one cell of the permission matrix on or off. Returns whether anything changed."""
    require(actor, Module.ACCOUNTS, Action.CHANGE)
    role_code, module_code, action_code = RoleCode(role), Module(module), Action(action)
    if role_code == RoleCode.ADMIN and module_code == Module.ACCOUNTS and not allowed:
        raise ValidationError(_("The administrator must keep the right to manage accounts."))
    if (
        role_code == RoleCode.ADMIN
        and module_code not in (Module.ACCOUNTS, Module.DICTIONARIES)
        and allowed
    ):
        raise ValidationError(_("The administrator keeps no business data."))
    if (
        role_code == RoleCode.SUPERVISOR
        and action_code
        not in (
            Action.VIEW,
            Action.EXPORT,
            Action.VIEW_PERSONAL,
        )
        and allowed
    ):
        raise ValidationError(_("The supervisor reads everything and writes nothing."))
    existing = RolePermission.objects.filter(role=role_code, module=module_code, action=action_code)
    if existing.exists() == allowed:
        return False
    if allowed:
        RolePermission.objects.create(role=role_code, module=module_code, action=action_code)
    else:
        existing.delete()
    record(
        actor=actor,
        event_type="permission.grant" if allowed else "permission.revoke",
        target_type="accounts.rolepermission",
        target_id=f"{role_code}:{module_code}:{action_code}",
        target_repr=f"{role_code.label} · {module_code.label} · {action_code.label}",
        changes={"allowed": [not allowed, allowed]},
    )
    permissions.forget(actor)
    return True
