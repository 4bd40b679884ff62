"""Bring signed agreements to their state: effective once the project's signing rate has reached
the policy's threshold, lapsed once the signing period has ended below it.

Run daily (after midnight) by the scheduler of the installation; each signing settles its own
project at once. Idempotent: running it twice changes and records nothing more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengqian.agreements import services
from zhengqian.agreements.models import Agreement, AgreementStatus


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--project", help="Only this project (its code).")
        parser.add_argument("--date", help="Settle as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"Not a date: {options['date']!r}") from None
        pending = Agreement.objects.filter(status=AgreementStatus.PENDING)
        if options["project"]:
            pending = pending.filter(project__code=options["project"])
        for project_id, code in (
            pending.values_list("project_id", "project__code").distinct().order_by("project__code")
        ):
            outcome = services.settle(project_id=project_id, today=today)
            if outcome:
                self.stdout.write(f"{code}: {outcome}")
            else:
                self.stdout.write(f"{code}: unchanged")
