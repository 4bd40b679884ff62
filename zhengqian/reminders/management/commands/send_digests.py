"""Send the daily digest e-mail to each user with unread notifications not yet e-mailed.
At most one per user and day: a second run the same day sends nothing. Run it from cron daily
(07:30, after the morning scan)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengqian.reminders.digest import send_digests
from zhengqian.reminders.management.commands.scan_reminders import parse_day


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--date", help="The digest of this day (YYYY-MM-DD); today by default.")

    def handle(self, *args: Any, **options: Any) -> None:
        day = parse_day(options["date"])
        failed: list[int] = []
        sent = send_digests(today=day, failed=failed)
        self.stdout.write(f"{day}: {sent} digest(s) sent.")
        if failed:
            raise CommandError(
                f"{len(failed)} digest(s) could not be sent (users {', '.join(map(str, failed))})."
            )
