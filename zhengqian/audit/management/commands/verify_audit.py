from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengqian.audit.chain import verify_chain


class Command(BaseCommand):
    help = "Check the whole audit chain; exit non-zero and name the first bad event if broken."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain BROKEN at event #{report.first_bad_seq}: {report.problem} "
                f"({report.checked} events verified before it)"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {report.checked} events verified.")
        )
