"""``python manage.py seed_demo --households N --projects P [--seed S] [--if-empty]``."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengqian.core.demo import (
    DEFAULT_SEED,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    SeedRefused,
    SeedResult,
    demo_accounts_exist,
    seed_demo,
)


def _count(minimum: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return parse


class Command(BaseCommand):
    help = (
        "Fill the database with synthetic demo data: an account for every role (password "
        f"{DEMO_PASSWORD}), projects with work groups and milestones, households and their "
        "members, valuations, and the first project's casework through to signed agreements. "
        "The same seed gives the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--households", type=_count(0), default=300)
        parser.add_argument("--projects", type=_count(1), default=3)
        parser.add_argument("--seed", type=_count(0), default=DEFAULT_SEED)
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="The day the data is seen from (YYYY-MM-DD, default today): ages and "
            "milestone dates are counted back from it.",
        )
        parser.add_argument("--batch-size", type=_count(1), default=5000)
        parser.add_argument(
            "--no-casework",
            action="store_true",
            help="Stop after the survey data and the valuations: no ownership confirmations, "
            "compensation policy, calculations or agreements in the first project (quicker; "
            "for tests and benchmarks of the survey data).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when demo accounts already exist (so that `make demo` restarts "
            "in seconds).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("seed_demo refuses to run in production (ZQ_ENV=production).")
        if options["if_empty"] and demo_accounts_exist():
            self.stdout.write("Demo accounts already exist; nothing seeded (--if-empty).")
            return
        verbosity = int(options["verbosity"])
        started = time.perf_counter()

        def progress(done: int) -> None:
            if verbosity >= 2:
                self.stdout.write(f"  {done} households written")

        try:
            result = seed_demo(
                households=options["households"],
                projects=options["projects"],
                seed=options["seed"],
                as_of=options["as_of"],
                batch_size=options["batch_size"],
                progress=progress,
                casework=not options["no_casework"],
            )
        except (SeedRefused, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data seeded in {elapsed:.1f} s (seed {result.seed}, as of {result.as_of})."
            )
        )
        self.stdout.write(
            f"  districts {result.districts}, projects {result.projects} "
            f"({', '.join(result.project_codes)}), work groups {result.work_groups}, "
            f"milestones recorded {result.milestones_recorded}"
        )
        self.stdout.write(
            f"  households {result.households}, persons {result.persons}, "
            f"buildings {result.buildings}, ancillaries {result.ancillaries}"
        )
        self.stdout.write(
            f"  valuations {result.valuations}, valuation reports {result.valuation_reports}"
        )
        if not options["no_casework"]:
            self._casework(result)
        self.stdout.write(
            f"  demo accounts: {result.accounts_created} created; password {DEMO_PASSWORD}"
        )
        width = max(len(a.username) for a in DEMO_ACCOUNTS)
        for account in DEMO_ACCOUNTS:
            self.stdout.write(
                f"    {account.username:<{width}}  {account.full_name}  {account.role.label}"
            )

    def _casework(self, result: SeedResult) -> None:
        self.stdout.write(
            f"  ownership confirmations {result.confirmations_started} "
            f"({result.confirmations_locked} locked), compensation policies published "
            f"{result.policies_published}, calculations {result.calculations} "
            f"({result.calculations_approved} approved)"
        )
        self.stdout.write(
            f"  agreements drafted {result.agreements_drafted}, signed {result.agreements_signed}"
        )
        self.stdout.write(
            f"  funds received {result.funds_received} times, instalments paid "
            f"{result.payments_paid}, waiting for approval {result.payments_requested}"
        )
        self.stdout.write(
            f"  houses vacated {result.houses_vacated}, demolished {result.houses_demolished}"
        )
        self.stdout.write(
            f"  holdout cases {result.holdout_cases}, legal proceedings "
            f"{result.legal_proceedings}, petitions {result.petitions}"
        )
