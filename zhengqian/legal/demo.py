"""Demo data of the legal module: for the first demo project, once its signing period has
ended, the project manager opens a proceeding for a household that signed no agreement and has
an approved calculation, and records the decision made and served.

Through the real services, on the day of the seeding. While the demo's signing period runs
(its usual state), no household qualifies and nothing is written.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from zhengqian.accounts.models import User
from zhengqian.legal import services
from zhengqian.legal.paths import paths_for
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household

__all__ = ["LegalCounts", "seed_legal"]


@dataclass
class LegalCounts:
    proceedings: int = 0
    steps: int = 0


def seed_legal(*, project: Project, users: dict[str, User], rng: random.Random) -> LegalCounts:
    """At most one proceeding, on the first path the project offers; see the docstring."""
    counts = LegalCounts()
    paths = paths_for(project.kind)
    if not paths:
        return counts
    pm = users["pm"]
    today = services.today()
    households = list(Household.objects.filter(project=project).order_by("code"))
    rng.shuffle(households)
    for household in households:
        try:
            services.check_openable(household, paths[0], today=today)
            services.calculation_for(household)
        except ValidationError:
            continue
        proceeding = services.open_proceeding(
            actor=pm, household=household, path=paths[0], note="逾期未签约，依法作出决定。"
        )
        counts.proceedings += 1
        for n, code in enumerate(("decision", "served"), start=1):
            services.record_step(
                actor=pm,
                proceeding=proceeding,
                code=code,
                done_on=today,
                document_no=f"征补决字〔{today.year}〕{n}号",
            )
            counts.steps += 1
        break
    return counts
