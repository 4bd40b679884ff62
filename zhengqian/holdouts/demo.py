"""Demo data of the holdout module, for the first demo project.

Through the real services, on the day of the seeding: the project manager opens the case of one
household — a household on the holdout list if there is one; otherwise, the demo's signing
period not having ended, an unsigned household opened early as at risk (重点难点户) — with its
team, and the signing officer records two negotiations, the second offering what the approved
calculation gives (nothing beyond the policy).
"""

from __future__ import annotations

import random
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from zhengqian.accounts.models import User
from zhengqian.agreements.models import Agreement
from zhengqian.demolition.models import Vacating
from zhengqian.holdouts import selectors, services
from zhengqian.holdouts.models import Case
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household

__all__ = ["seed_holdouts"]

_PLACES = ("社区征收指挥部二楼会议室", "被征收户家中")


def _household(project: Project, rng: random.Random) -> Household | None:
    listed = list(
        selectors.holdouts(Household.objects.filter(project=project), selectors.deadlines(project))
        .filter(holdout_cases__isnull=True)
        .order_by("code")[:5]
    )
    if listed:
        return rng.choice(listed)
    signed = Agreement.objects.filter(
        household_id=OuterRef("pk"), parent__isnull=True, status__in=selectors.SIGNED
    )
    unsigned = list(
        Household.objects.filter(project=project)
        .exclude(Exists(signed))
        .exclude(Exists(Vacating.objects.filter(household_id=OuterRef("pk"))))
        .filter(holdout_cases__isnull=True)
        .order_by("code")[:5]
    )
    return rng.choice(unsigned) if unsigned else None


def seed_holdouts(project: Project, users: dict[str, User], rng: random.Random) -> Case | None:
    """Open one case with its team and two negotiations; None if no household fits."""
    household = _household(project, rng)
    if household is None:
        return None
    pm, signer, cadre = users["pm"], users["signer"], users["cadre"]
    case = services.case_open(
        actor=pm,
        household=household,
        team_name="第一攻坚清零小组",
        leader=signer,
        members=[cadre],
        family_analysis="户主年迈，子女在外地工作，对安置房楼层有顾虑。",
        property_analysis="两层砖混住宅一幢，另有未登记附属用房，对评估面积有异议。",
    )
    today = timezone.localdate()
    services.negotiate(
        actor=signer,
        case=case,
        held_on=today,
        place=_PLACES[0],
        household_participants="户主及其长子",
        office_participants=[signer, cadre],
        offered="解释补偿方案和评估结果，说明附属用房按方案认定。",
        response="希望再核实附属用房面积。",
    )
    total: Any = services.policy_total(household)
    services.negotiate(
        actor=signer,
        case=case,
        held_on=today,
        place=_PLACES[1],
        household_participants="户主",
        office_participants=[signer],
        offered="按核定的补偿结算单给付，可优先选择安置房楼层。",
        response="同意考虑，三日内答复。",
        amount=total,
    )
    return case
