"""Lapse the housing vouchers past their last valid day that still have a balance (daily,
from cron). The policy decides what becomes of the balance: bought back at the cashing rules
when cashing is allowed, else forfeited. Idempotent: a second run the same day changes nothing.
A voucher that cannot lapse is named and the others are kept; the command then ends with an
error status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhengqian.projects.models import Project
from zhengqian.resettlement.services_voucher import lapse_due


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--project", help="Only this project (its code).")
        parser.add_argument("--on", help="As of this day (YYYY-MM-DD); today by default.")

    def handle(self, *args: Any, **options: Any) -> None:
        project = None
        if options["project"]:
            project = Project.objects.filter(code=options["project"]).first()
            if project is None:
                raise CommandError(f"No project {options['project']!r}.")
        on = timezone.localdate()
        if options["on"]:
            try:
                on = dt.date.fromisoformat(options["on"])
            except ValueError as exc:
                raise CommandError(f"Not a date: {options['on']!r}.") from exc
            if on > timezone.localdate():
                raise CommandError("The day cannot be in the future.")
        outcome = lapse_due(on=on, project=project)
        for voucher in outcome.lapsed:
            self.stdout.write(f"{voucher.number}: lapsed on {voucher.lapsed_on}")
        self.stdout.write(f"{len(outcome.lapsed)} voucher(s) lapsed.")
        for number, why in outcome.failed:
            self.stderr.write(f"{number}: {why}")
        if outcome.failed:
            raise CommandError(f"{len(outcome.failed)} voucher(s) could not lapse.")
