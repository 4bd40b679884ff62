"""Demonstration petitions and a lawsuit for a project (not wired into the core demo)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from zhengqian.petitions import services
from zhengqian.petitions.models import CaseKind, CaseSubject, Channel, Petition, Satisfaction
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household

_REQUESTS = [
    "要求重新测量附属房面积。",
    "对评估价格有异议，要求复核。",
    "询问过渡费发放时间。",
    "反映邻户违章搭建也获得补偿。",
]


def seed_petitions(project: Project, users: Sequence[Any], rng: random.Random) -> list[Petition]:
    """A few petitions in different states — answered and closed, acknowledged, one repeated,
    one received long enough ago to be escalated — and a lawsuit with a hearing. `users[0]`
    records (holdouts/create), `users[1]` (or the same) handles them (holdouts/change)."""
    clerk = users[0]
    handler = users[1] if len(users) > 1 else clerk
    today = timezone.localdate()
    households = list(Household.objects.filter(project=project).order_by("code")[:3])

    def household(n: int) -> Household | None:
        return households[n] if len(households) > n else None

    made = []
    closed = services.petition_record(
        actor=clerk,
        project=project,
        channel=Channel.VISIT,
        petitioner_name="王建国",
        phone="13800001111",
        household=household(0),
        received_on=today - dt.timedelta(days=40),
        request=rng.choice(_REQUESTS),
    )
    closed = services.assign(
        actor=handler, petition=closed, assignee=handler, assigned_on=closed.received_on
    )
    closed = services.acknowledge(
        actor=handler, petition=closed, acknowledged_on=closed.received_on + dt.timedelta(days=3)
    )
    closed = services.answer(
        actor=handler,
        petition=closed,
        answered_on=closed.received_on + dt.timedelta(days=20),
        reply="经复核，测量结果无误，已向信访人当面解释。",
    )
    closed = services.rate(
        actor=handler,
        petition=closed,
        satisfaction=Satisfaction.BASICALLY,
        satisfaction_on=closed.received_on + dt.timedelta(days=22),
    )
    closed = services.close(
        actor=handler, petition=closed, closed_on=closed.received_on + dt.timedelta(days=25)
    )
    made.append(closed)
    repeated = services.petition_record(
        actor=clerk,
        project=project,
        channel=Channel.HOTLINE,
        petitioner_name="王建国",
        phone="13800001111",
        household=household(0),
        received_on=today - dt.timedelta(days=5),
        request=rng.choice(_REQUESTS),
    )
    repeated = services.assign(
        actor=handler, petition=repeated, assignee=handler, assigned_on=repeated.received_on
    )
    repeated = services.acknowledge(actor=handler, petition=repeated, acknowledged_on=today)
    made.append(repeated)
    # Received 20 days ago and never acknowledged: past the 15 days, escalated by the command.
    made.append(
        services.petition_record(
            actor=clerk,
            project=project,
            channel=Channel.ONLINE,
            petitioner_name="李秀英",
            household=household(1),
            received_on=today - dt.timedelta(days=20),
            request=rng.choice(_REQUESTS),
        )
    )
    case = services.case_record(
        actor=clerk,
        project=project,
        kind=CaseKind.LITIGATION,
        body="区人民法院",
        case_number=f"({today.year})行初{rng.randint(100, 999)}号",
        applicant="赵大海",
        respondent="区房屋征收部门",
        subject=CaseSubject.DECISION,
        subject_reference="征补决字〔2025〕1号",
        household=household(2),
        filed_on=today - dt.timedelta(days=30),
    )
    services.hearing_record(
        actor=handler,
        case=case,
        held_on=today - dt.timedelta(days=10),
        place="区人民法院第三法庭",
        note="双方质证",
    )
    return made
