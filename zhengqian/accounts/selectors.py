from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from zhengqian.accounts.models import Membership, RolePermission, User
from zhengqian.accounts.permissions import OutOfScope, require
from zhengqian.accounts.roles import Action, Module


def users_for_admin(actor: Any, *, q: str = "", active: str = "") -> QuerySet[User]:
    require(actor, Module.ACCOUNTS, Action.VIEW)
    qs = User.objects.order_by("username")
    if q:
        qs = qs.filter(
            Q(username__icontains=q) | Q(full_name__icontains=q) | Q(organisation__icontains=q)
        )
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs


def get_user_for_admin(actor: Any, pk: Any) -> User:
    require(actor, Module.ACCOUNTS, Action.VIEW)
    try:
        return User.objects.get(pk=int(pk))
    except (User.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("accounts.user", pk) from None


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("project")
        .prefetch_related("work_groups")
        .order_by("project__code", "role")
    )


def get_membership_for_admin(actor: Any, user: User, pk: Any) -> Membership:
    require(actor, Module.ACCOUNTS, Action.VIEW)
    try:
        return Membership.objects.select_related("user").get(pk=int(pk), user=user)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("accounts.membership", pk) from None


def permission_matrix(actor: Any) -> set[tuple[str, str, str]]:
    require(actor, Module.ACCOUNTS, Action.VIEW)
    return set(RolePermission.objects.values_list("role", "module", "action"))
