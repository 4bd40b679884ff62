from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengqian.accounts.roles import Action, Module, RoleCode


class User(AbstractUser):
    """A member of staff (or of an appraisal firm) who logs in."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    organisation = models.CharField(_("organisation"), max_length=100, blank=True)
    # Demo accounts carry this flag so that production can refuse to start while any exists.
    is_demo = models.BooleanField(_("demo account"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return f"{self.full_name}（{self.username}）" if self.full_name else self.username


class RolePermission(models.Model):
    """One cell of the permission matrix: a role may perform an action in a module."""

    role = models.CharField(_("role"), max_length=32, choices=RoleCode.choices)
    module = models.CharField(_("module"), max_length=32, choices=Module.choices)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)

    class Meta:
        verbose_name = _("role permission")
        verbose_name_plural = _("role permissions")
        constraints = [
            models.UniqueConstraint(fields=["role", "module", "action"], name="uniq_role_perm")
        ]

    def __str__(self) -> str:
        return f"{self.role}:{self.module}:{self.action}"


class Membership(models.Model):
    """A role held by a user in one project, or in every project when project is empty.

    With work groups chosen, the role reaches only the households of those groups.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("project"),
    )
    role = models.CharField(_("role"), max_length=32, choices=RoleCode.choices)
    work_groups = models.ManyToManyField(
        "projects.WorkGroup", blank=True, related_name="memberships", verbose_name=_("work groups")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project", "role"],
                name="uniq_membership",
                condition=Q(project__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                name="uniq_global_membership",
                condition=Q(project__isnull=True),
            ),
        ]
        indexes = [models.Index(fields=["user", "project"], name="membership_user_project")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.project or _('all projects')}"
