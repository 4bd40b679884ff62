"""Reconcile the payments with the agreements and the ledger (对账), and report every
difference: the amount agreed of each household against its agreements in force, the
instalments against the plans, the amounts paid against the payments and the ledger, the funds
received against the ledger. Exits with status 1 when something does not reconcile, so that a
scheduler or a monitoring check can alert.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengqian.payments import reconcile
from zhengqian.projects.models import Project


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--project", help="Only this project (its code).")

    def handle(self, *args: Any, **options: Any) -> None:
        project_id = None
        if options["project"]:
            project = Project.objects.filter(code=options["project"]).first()
            if project is None:
                raise CommandError(f"No project {options['project']!r}.")
            project_id = project.pk
        differences = reconcile.check(project_id)
        for difference in differences:
            self.stdout.write(str(difference))
        if differences:
            raise CommandError(f"{len(differences)} difference(s) found.")
        self.stdout.write("Payments, plans, ledger and agreements reconcile.")
