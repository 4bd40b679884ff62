"""``python manage.py disable_demo_accounts``: what production asks for before it starts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from zhengqian.accounts.models import User
from zhengqian.audit.services import record

ACTOR_NAME = "disable_demo_accounts"


class Command(BaseCommand):
    help = (
        "Deactivate every active demo account, with one audit event each. Production refuses "
        "to start while an active demo account exists."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            users = list(
                User.objects.select_for_update()
                .filter(is_demo=True, is_active=True)
                .order_by("username")
            )
            for user in users:
                user.is_active = False
                user.save(update_fields=["is_active"])
                # The same event as an administrator's "disable" (accounts.services), so the
                # trail shows it wherever it shows that one.
                record(
                    actor=None,
                    actor_name=ACTOR_NAME,
                    event_type="user.disable",
                    target=user,
                    changes={"is_active": [True, False]},
                    details={"reason": "demo account"},
                )
        if not users:
            self.stdout.write("No active demo account; nothing to do.")
            return
        names = ", ".join(u.username for u in users)
        self.stdout.write(self.style.SUCCESS(f"Disabled {len(users)} demo accounts: {names}"))
