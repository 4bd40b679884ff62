"""Escalate the petitions past a deadline (not acknowledged, or not answered, in time) to each
project's manager, one audit event per escalation. Idempotent: run it daily (cron); a
petition already escalated for the deadline it missed is left as it is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhengqian.petitions.services import escalate_overdue
from zhengqian.projects.models import Project


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--project", help="Only this project (its code).")
        parser.add_argument("--today", help="The day to count from (YYYY-MM-DD); today by default.")

    def handle(self, *args: Any, **options: Any) -> None:
        projects = Project.objects.order_by("code")
        if options["project"]:
            projects = projects.filter(code=options["project"])
            if not projects.exists():
                raise CommandError(f"No project {options['project']!r}.")
        today = timezone.localdate()
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"Not a date: {options['today']!r}.") from exc
        total = 0
        for project in projects:
            escalated = escalate_overdue(project.pk, today)
            for petition in escalated:
                self.stdout.write(
                    f"{project.code}: petition #{petition.pk} escalated ({petition.escalated_for})"
                )
            total += len(escalated)
        self.stdout.write(f"{total} petition(s) escalated.")
