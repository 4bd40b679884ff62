"""Background jobs of the reminders (run by the task worker): the reminder scan and the daily
digest, for deployments that enqueue them rather than run the management commands from cron."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from zhengqian.reminders.digest import send_digests
from zhengqian.reminders.scan import run_scan


def _day(day: str | None) -> dt.date:
    return dt.date.fromisoformat(day) if day else timezone.localdate()


@task()
def scan_reminders(day: str | None = None) -> dict[str, object]:
    """Run the reminder scan as of `day` (YYYY-MM-DD; today by default)."""
    run = run_scan(today=_day(day))
    return {
        "scan": run.pk,
        "items": run.items,
        "created": run.created,
        "escalated": run.escalated,
        "warnings": run.warnings,
        "problem": run.problem,
    }


@task()
def send_daily_digests(day: str | None = None) -> dict[str, object]:
    """Send the digests of `day` (YYYY-MM-DD; today by default)."""
    failed: list[int] = []
    sent = send_digests(today=_day(day), failed=failed)
    return {"sent": sent, "failed": failed}
