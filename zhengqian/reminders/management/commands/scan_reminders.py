"""Run the reminder scan: notify the new work items, escalate those waiting past their deadline
to the leaders, warn ahead of legal deadlines. Idempotent: run it from cron (every 15 minutes in
office hours); what was already said is not said again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhengqian.reminders.scan import run_scan


def parse_day(raw: str | None) -> dt.date:
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise CommandError(f"Not a date: {raw!r}.") from exc


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--date", help="As of this day (YYYY-MM-DD); today by default.")

    def handle(self, *args: Any, **options: Any) -> None:
        day = parse_day(options["date"])
        run = run_scan(today=day)
        seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0
        self.stdout.write(
            f"{day}: {run.items} item(s) waiting; {run.created} notification(s) created, "
            f"{run.escalated} escalation(s), {run.warnings} deadline warning(s) "
            f"in {seconds:.1f} s."
        )
        if run.problem:
            raise CommandError(run.problem)
