"""Mark background jobs interrupted by a stopped worker as failed (imports being checked or
written, batch calculations and draftings running) once they have run longer than any job
takes. Run it when the workers start, or hourly from cron; it is idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhengqian.core.interrupted import DEFAULT_MINUTES, fail_interrupted


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--minutes",
            type=int,
            default=DEFAULT_MINUTES,
            help=f"Minutes after which a job in progress is interrupted ({DEFAULT_MINUTES}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = fail_interrupted(minutes=options["minutes"])
        self.stdout.write(f"{count} interrupted job(s) marked failed.")
