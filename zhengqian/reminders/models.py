"""Reminders: what waits for whom (work items), notifications, escalations and digests.

Work items are not stored: each module's items are read from its own records by the providers in
zhengqian.reminders.workitems. What is stored is what was said to whom, so that saying it again is
refused by the database: a notification is unique per user and key (a new item, an escalation
of an item, a warning of a deadline), and a digest per user and day.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReminderRule(models.Model):
    """How many working days an item of a kind may wait before it is escalated.

    A row without project is the office-wide rule of the kind; a project's own row overrides it.
    Kinds without any row use the default of the kind (zhengqian.reminders.workitems).
    """

    kind = models.CharField(_("kind of item"), max_length=40)
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("project"),
    )
    working_days = models.PositiveSmallIntegerField(
        _("working days allowed"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    # How many days ahead a deadline of this kind is announced (legal deadlines only).
    warn_days = models.PositiveSmallIntegerField(
        _("warn days ahead"), default=3, validators=[MaxValueValidator(365)]
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["kind", "project"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "project"], name="uniq_reminder_rule_project"),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(project__isnull=True),
                name="uniq_reminder_rule_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.working_days}"


class NotificationLevel(models.TextChoices):
    NEW = "new", pgettext_lazy("notification", "New")
    ESCALATED = "escalated", _("Escalated")
    WARNING = "warning", _("Deadline ahead")


class Notification(models.Model):
    """One thing said to one user; `key` names what it is about, so it is said once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    level = models.CharField(_("level"), max_length=16, choices=NotificationLevel.choices)
    kind = models.CharField(_("kind of item"), max_length=40)
    # e.g. "new:compensation.review:calculation:17:policy_review",
    # "escalated:compensation.review:calculation:17:policy_review", "warning:...:2026-12-01".
    key = models.CharField(_("key"), max_length=200)
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("project"),
    )
    household_id = models.BigIntegerField(_("household id"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    # For an escalation: the user the item waited with.
    about_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("waiting with"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_on = models.DateField(_("sent in the digest of"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="uniq_notification_user_key")
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_unread"),
        ]

    def __str__(self) -> str:
        return self.title


class Digest(models.Model):
    """The daily e-mail of one user's unread notifications: at most one per user and day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    day = models.DateField(_("day"))
    notifications = models.PositiveIntegerField(_("notifications"), default=0)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="uniq_digest_day")]

    def __str__(self) -> str:
        return f"digest {self.user_id} {self.day}"


class ScanRun(models.Model):
    """One run of the reminder scan and what it found and said."""

    day = models.DateField(_("day"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    items = models.PositiveIntegerField(_("items waiting"), default=0)
    created = models.PositiveIntegerField(_("notifications created"), default=0)
    escalated = models.PositiveIntegerField(_("escalations"), default=0)
    warnings = models.PositiveIntegerField(_("deadline warnings"), default=0)
    problem = models.CharField(_("problem"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("reminder scan")
        verbose_name_plural = _("reminder scans")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"scan {self.day}"
