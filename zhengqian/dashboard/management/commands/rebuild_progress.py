"""``python manage.py rebuild_progress [--check] [--project CODE]``: the nightly safety net of
the dashboards' progress summaries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengqian.audit.models import EventKind
from zhengqian.audit.services import record
from zhengqian.dashboard import progress
from zhengqian.projects.models import Project

ACTOR_NAME = "rebuild_progress"


class Command(BaseCommand):
    help = (
        "Recompute every household's progress from the modules' records, and the counters from "
        "the progress rows; report how many rows, cells and days differed. With --check, change "
        "nothing and exit with status 1 when anything differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Only compare; change nothing.")
        parser.add_argument("--project", metavar="CODE", help="Only the project with this code.")

    def handle(self, *args: Any, **options: Any) -> None:
        project_ids = None
        if options["project"]:
            project = Project.objects.filter(code=options["project"]).first()
            if project is None:
                raise CommandError(f"No project with the code {options['project']!r}.")
            project_ids = [project.pk]
        check = bool(options["check"])
        drift = progress.rebuild(project_ids=project_ids, fix=not check)
        summary = f"rows: {drift.rows}, cells: {drift.cells}, days: {drift.days} differed"
        if check:
            if drift.found:
                raise CommandError(f"Progress summaries drifted ({summary}).")
            self.stdout.write(f"No drift ({summary}).")
            return
        if drift.found:
            record(
                actor=None,
                actor_name=ACTOR_NAME,
                event_type="progress.rebuild",
                kind=EventKind.SYSTEM,
                details={
                    "rows": drift.rows,
                    "cells": drift.cells,
                    "days": drift.days,
                    "project": options["project"] or "",
                },
            )
            self.stdout.write(self.style.WARNING(f"Rebuilt: {summary}."))
        else:
            self.stdout.write(f"Nothing to rebuild ({summary}).")
