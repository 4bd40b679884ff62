"""Recompute a published draw from its seed, so that anyone can check its result."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengqian.core.draws import draw_order, seed_hash


class Command(BaseCommand):
    help = (
        "Recompute a draw (appraisal firm, flat lottery) from its published seed and the number "
        "of candidates; prints the seed's hash and the order. Needs no database."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", required=True, help="the seed revealed at the draw")
        parser.add_argument("--witness", default="", help="the witnesses' value, if any")
        parser.add_argument(
            "--candidates", type=int, required=True, help="how many candidates were listed"
        )
        parser.add_argument(
            "--expect-hash", default="", help="the hash published before the draw, to check"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seed: str = options["seed"].strip()
        count: int = options["candidates"]
        if count < 1:
            raise CommandError("--candidates must be at least 1")
        digest = seed_hash(seed)
        expected = options["expect_hash"].strip().lower()
        if expected and expected != digest:
            raise CommandError(
                f"The seed does not match the published hash: its hash is {digest}, "
                f"the published one {expected}."
            )
        self.stdout.write(f"seed sha256: {digest}")
        order = draw_order(seed, count, witness=options["witness"])
        self.stdout.write("order: " + " ".join(str(n) for n in order))
        self.stdout.write(f"first: {order[0]}")
