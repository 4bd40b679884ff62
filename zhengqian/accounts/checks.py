"""Production refuses to run while demo accounts exist."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError


def demo_accounts_present() -> bool:
    from zhengqian.accounts.models import User

    try:
        return User.objects.filter(is_demo=True, is_active=True).exists()
    except DatabaseError:
        # Before the first migration there are no accounts at all.
        return False


def refuse_demo_accounts_in_production() -> None:
    """Called by the WSGI entry point: a production server does not start with demo accounts."""
    if getattr(settings, "PRODUCTION", False) and demo_accounts_present():
        raise ImproperlyConfigured(
            "Production refuses to start: demo accounts exist. Disable or remove them "
            "(python manage.py disable_demo_accounts)."
        )


@checks.register(checks.Tags.security, deploy=True)
def check_demo_accounts(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "PRODUCTION", False) and demo_accounts_present():
        return [
            checks.Error(
                "Demo accounts exist in a production database.",
                hint="Run: python manage.py disable_demo_accounts",
                id="zhengqian.E001",
            )
        ]
    return []
