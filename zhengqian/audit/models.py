"""The audit trail: one append-only, hash-chained table of events (操作有痕、查询有迹)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    WRITE = "write", _("Change")
    READ = "read", _("Read of personal data")
    SEARCH = "search", _("Search")
    AUTH = "auth", _("Login / logout")
    DENIED = "denied", _("Denied attempt")
    SYSTEM = "system", _("System")


class ChainHead(models.Model):
    """The single row that holds the end of the chain.

    Every event locks it (SELECT … FOR UPDATE) in its own transaction, so events are chained in
    commit order even when several processes write at once.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.last_seq}"


class Event(models.Model):
    """One thing that happened: who, when, what, on which record, old → new values.

    Actor and project are kept as plain ids plus a name, not foreign keys: an event must stay
    exactly as written whatever later happens to the user or the project.
    """

    seq = models.BigIntegerField(_("sequence"), unique=True)
    created_at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(_("user id"), null=True, blank=True)
    actor_name = models.CharField(_("user"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    event_type = models.CharField(_("event type"), max_length=64)
    project_id = models.BigIntegerField(_("project id"), null=True, blank=True)
    target_type = models.CharField(_("record type"), max_length=64, blank=True)
    target_id = models.CharField(_("record id"), max_length=64, blank=True)
    target_repr = models.CharField(_("record"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.CharField(_("address"), max_length=45, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    request_id = models.CharField(_("request"), max_length=32, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        indexes = [
            # The trail search filters by one of these and orders by seq.
            models.Index(fields=["actor_id", "seq"], name="event_actor_seq"),
            models.Index(fields=["project_id", "seq"], name="event_project_seq"),
            models.Index(fields=["target_type", "target_id"], name="event_target"),
            models.Index(fields=["event_type", "seq"], name="event_type_seq"),
            models.Index(fields=["kind", "seq"], name="event_kind_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_type} {self.actor_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("Audit events are append-only.")

    def canonical(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "kind": self.kind,
            "event_type": self.event_type,
            "project_id": self.project_id,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "target_repr": self.target_repr,
            "changes": self.changes,
            "details": self.details,
            "ip_address": self.ip_address,
            "user_agent": self.user_agent,
            "request_id": self.request_id,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        payload = json.dumps(
            self.canonical(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ChainVerification(models.Model):
    """The outcome of one check of the whole chain (run by the worker or the command)."""

    requested_by_id = models.BigIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    ok = models.BooleanField(_("intact"), null=True)
    checked = models.BigIntegerField(_("events checked"), default=0)
    first_bad_seq = models.BigIntegerField(_("first bad event"), null=True, blank=True)
    problem = models.CharField(_("problem"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("chain verification")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M} {self.ok}"
