"""Generate the months of transition fee (过渡费) not yet generated, up to a day's month (never
beyond the current month), and schedule them for payment. Idempotent: run it monthly or daily
(cron); a month already generated is left as it is. A household that fails is named and the
others are kept; the command then ends with an error status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhengqian.projects.models import Project
from zhengqian.resettlement.services_transition import generate_all


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--project", help="Only this project (its code).")
        parser.add_argument(
            "--through", help="Up to the month of this day (YYYY-MM-DD); today by default."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        projects = Project.objects.filter(estates__isnull=False).distinct().order_by("code")
        if options["project"]:
            projects = Project.objects.filter(code=options["project"])
            if not projects.exists():
                raise CommandError(f"No project {options['project']!r}.")
        through = timezone.localdate()
        if options["through"]:
            try:
                through = dt.date.fromisoformat(options["through"])
            except ValueError as exc:
                raise CommandError(f"Not a date: {options['through']!r}.") from exc
        created = 0
        failed: list[str] = []
        for project in projects:
            outcome = generate_all(project=project, through=through)
            created += outcome.created
            if outcome.created:
                self.stdout.write(
                    f"{project.code}: {outcome.created} month(s) for {outcome.households} "
                    "household(s)"
                )
            for code, reason in outcome.failed:
                failed.append(code)
                self.stderr.write(f"{project.code}: household {code} failed: {reason}")
        self.stdout.write(f"{created} month(s) of transition fee generated.")
        if failed:
            raise CommandError(f"{len(failed)} household(s) failed: {', '.join(failed)}")
