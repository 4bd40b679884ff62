"""Logins, failed logins, logouts and lockouts are audit events, with the address."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from zhengqian.audit.models import EventKind
from zhengqian.audit.services import record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(actor=user, event_type="auth.login", kind=EventKind.AUTH, target=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(actor=user, event_type="auth.logout", kind=EventKind.AUTH, target=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first()
    record(
        actor=None,
        actor_name=username,
        event_type="auth.login_failed",
        kind=EventKind.AUTH,
        target=user,
        details={"username": username},
    )


@receiver(user_locked_out)
def _locked_out(sender: Any, request: Any, username: str | None = None, **kw: Any) -> None:
    record(
        actor=None,
        actor_name=str(username or "")[:150],
        event_type="auth.locked_out",
        kind=EventKind.AUTH,
        details={"username": username or ""},
    )
