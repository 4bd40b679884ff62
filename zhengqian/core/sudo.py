"""Asking for the password again before a grave step (approving a void, a payment)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from zhengqian.audit.services import record


def confirm_password(
    actor: Any, password: str, *, target: models.Model, project: Any, action: str
) -> None:
    """Refuse at "password" unless it is the actor's. A wrong password is recorded
    (auth.sudo_failed) in its own transaction, so that the record stays when the step is
    refused."""
    if actor.check_password(password or ""):
        return
    with transaction.atomic():
        record(
            actor=actor,
            event_type="auth.sudo_failed",
            target=target,
            project=project,
            details={"action": action},
        )
    raise ValidationError(
        {"password": ValidationError(_("The password is not correct."), code="password")}
    )
