"""Demo data of the valuation module, written by seed_demo after the survey data.

The register holds three firms (one with an expired qualification). The first demo project chose
its firm by negotiation, the second by a majority vote, the others by a random draw (with a seed
from the demo's generator, so that the demo stays reproducible). In the first project most
households are valued; part of them confirmed, published and issued with a generated report, and
one household has a pending re-assessment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from zhengqian.accounts.models import Membership, User
from zhengqian.accounts.roles import RoleCode
from zhengqian.core import draws
from zhengqian.core.masking import mask_name
from zhengqian.core.models import Draw
from zhengqian.projects.models import Milestone, Project
from zhengqian.survey.models import Ancillary, Building, Household, HouseholdKind
from zhengqian.valuation.models import (
    AncillaryValuation,
    AppraisalFirm,
    BuildingValuation,
    DecorationItem,
    FirmSelection,
    FirmVote,
    Objection,
    ObjectionKind,
    Publication,
    SelectionCandidate,
    SelectionMethod,
    SelectionStatus,
    Valuation,
    ValuationStatus,
    Valuer,
)
from zhengqian.valuation.rules import answer_deadline, apply_deadline, product

# Unit prices (元/m²) by structure: a replacement-cost-and-location blend for the demo.
_PRICES = {
    "steel_concrete": (14000, 19000),
    "brick_concrete": (11000, 16000),
    "brick_wood": (7000, 10000),
    "simple": (1500, 3000),
}
_ANCILLARY_PRICES = {"m": (80, 260), "m²": (60, 180)}
# Issued reports are generated PDFs: a handful is enough to show them.
MAX_REPORTS = 12


@dataclass
class ValuationCounts:
    firms: int = 0
    valuations: int = 0
    reports: int = 0


def _firms(main_name: str) -> list[AppraisalFirm]:
    specs = [
        (main_name, "1", "建房估证字[2015]018号", dt.date(2029, 6, 30), "陈静"),
        ("浙江恒信房地产估价有限公司", "1", "建房估证字[2012]045号", dt.date(2028, 12, 31), "钱伟"),
        ("宁波天衡房地产评估事务所", "2", "浙房估证字[2011]103号", dt.date(2025, 9, 30), "冯涛"),
    ]
    firms: list[AppraisalFirm] = []
    for name, grade, cert, until, contact in specs:
        firm, _created = AppraisalFirm.objects.get_or_create(
            name=name,
            defaults={
                "grade": grade,
                "certificate_no": cert,
                "valid_until": until,
                "contact_person": contact,
                "contact_phone": "0574-8765" + f"{len(firms):04d}",
            },
        )
        firms.append(firm)
    return firms


def _choose(
    project: Project,
    index: int,
    firms: list[AppraisalFirm],
    manager: User,
    rng: random.Random,
    day: dt.date,
) -> AppraisalFirm:
    qualified = firms[:2]
    if index == 0:
        selection = FirmSelection.objects.create(
            project=project,
            method=SelectionMethod.NEGOTIATION,
            status=SelectionStatus.DECIDED,
            firm=qualified[0],
            record="被征收人代表协商会议一致同意选定该评估机构，会议纪要存档。",
            reports_due_on=day + dt.timedelta(days=45),
            decided_on=day,
            created_by=manager,
            decided_by=manager,
        )
        return qualified[0]
    if index == 1:
        codes = list(Household.objects.filter(project=project).values_list("pk", flat=True))
        voters = codes[: len(codes) * 3 // 4]
        votes = [
            FirmVote(firm=qualified[0] if rng.random() < 0.7 else qualified[1], household_id=h)
            for h in voters
        ]
        counts = {f.pk: sum(1 for v in votes if v.firm_id == f.pk) for f in qualified}
        winner = max(qualified, key=lambda f: counts[f.pk])
        selection = FirmSelection.objects.create(
            project=project,
            method=SelectionMethod.VOTE,
            status=SelectionStatus.DECIDED,
            firm=winner,
            households_total=len(codes),
            votes_cast=len(votes),
            outcome=f"{len(votes)}/{len(codes)}；"
            + "；".join(f"{f.name} {counts[f.pk]}" for f in qualified),
            reports_due_on=day + dt.timedelta(days=60),
            decided_on=day,
            created_by=manager,
            decided_by=manager,
        )
        for vote in votes:
            vote.selection = selection
        FirmVote.objects.bulk_create(votes)
    else:
        seed = f"{rng.getrandbits(256):064x}"
        order = draws.draw_order(seed, len(qualified), witness="公证摇号")
        draw = Draw.objects.create(
            purpose="valuation.firm",
            project=project,
            title=f"{project.name}评估机构随机选定",
            candidates=[[f.pk, f.name] for f in qualified],
            seed_hash=draws.seed_hash(seed),
            seed=seed,
            witness_value="公证摇号",
            witnesses="公证员及被征收人代表",
            order=order,
            committed_by=manager,
            committed_at=timezone.now() - dt.timedelta(days=1),
            drawn_by=manager,
            drawn_at=timezone.now(),
        )
        winner = qualified[order[0] - 1]
        selection = FirmSelection.objects.create(
            project=project,
            method=SelectionMethod.DRAW,
            status=SelectionStatus.DECIDED,
            firm=winner,
            draw=draw,
            outcome="、".join(draw.labels_in_order()),
            reports_due_on=day + dt.timedelta(days=60),
            decided_on=day,
            created_by=manager,
            decided_by=manager,
        )
    SelectionCandidate.objects.bulk_create(
        SelectionCandidate(selection=selection, firm=f, position=i) for i, f in enumerate(qualified)
    )
    return selection.firm  # type: ignore[return-value]


def seed_valuations(
    *,
    projects: list[Project],
    users: dict[str, User],
    rng: random.Random,
    as_of: dt.date,
    firm_name: str,
    calendar: Any = None,
) -> ValuationCounts:
    """Firms, the choice of each project's firm, and the first project's valuations."""
    counts = ValuationCounts()
    firms = _firms(firm_name)
    counts.firms = len(firms)
    valuer = users["valuer"]
    Valuer.objects.get_or_create(user=valuer, defaults={"firm": firms[0]})
    manager = users["pm"]
    chosen = {}
    for index, project in enumerate(projects):
        day = as_of - dt.timedelta(days=60 - index)
        chosen[project.pk] = _choose(project, index, firms, manager, rng, day)
    # The demo valuer works in the projects where the firm was chosen (their only way in).
    Membership.objects.filter(user=valuer, role=RoleCode.VALUER).exclude(
        project_id__in=[p for p, f in chosen.items() if f.pk == firms[0].pk]
    ).delete()
    if projects and chosen[projects[0].pk].pk == firms[0].pk:
        counts.valuations, counts.reports = _value_project(
            projects[0], firms[0], valuer, manager, rng, as_of, calendar
        )
    return counts


def _value_project(
    project: Project,
    firm: AppraisalFirm,
    valuer: User,
    manager: User,
    rng: random.Random,
    as_of: dt.date,
    calendar: Any,
) -> tuple[int, int]:
    from zhengqian.valuation.reports import render_report

    decided = (
        Milestone.objects.filter(project=project, code="decision_announced")
        .values_list("actual_date", flat=True)
        .first()
    ) or as_of - dt.timedelta(days=90)
    households = list(Household.objects.filter(project=project).order_by("code"))
    valued = households[: len(households) * 7 // 10]
    buildings: dict[int, list[Building]] = {}
    for b in Building.objects.filter(household__in=valued).order_by("number"):
        buildings.setdefault(b.household_id, []).append(b)
    ancillaries: dict[int, list[Ancillary]] = {}
    for a in Ancillary.objects.filter(household__in=valued).order_by("id"):
        ancillaries.setdefault(a.household_id, []).append(a)

    valuations = []
    lines_b: list[BuildingValuation] = []
    lines_d: list[DecorationItem] = []
    lines_a: list[AncillaryValuation] = []
    now = timezone.now()
    for i, household in enumerate(valued):
        status = ValuationStatus.CONFIRMED if i < len(valued) * 2 // 3 else ValuationStatus.DRAFT
        v = Valuation(
            household=household,
            firm=firm,
            status=status,
            report_no=f"{firm.certificate_no[-4:-1]}-{project.code}-{i + 1:04d}",
            valuation_date=decided,
            prepared_by=valuer,
            confirmed_by=valuer if status == ValuationStatus.CONFIRMED else None,
            confirmed_at=now if status == ValuationStatus.CONFIRMED else None,
        )
        b_total = Decimal("0.00")
        for b in buildings.get(household.pk, []):
            low, high = _PRICES.get(b.structure_type, (3000, 8000))
            price = Decimal(rng.randint(low, high))
            value = product(b.measured_area, price)
            b_total += value
            lines_b.append(
                BuildingValuation(
                    valuation=v, building=b, area=b.measured_area, unit_price=price, value=value
                )
            )
        deco = Decimal(rng.randint(50, 400) * 100)
        lines_d.append(DecorationItem(valuation=v, description="室内装修（综合成新）", amount=deco))
        a_total = Decimal("0.00")
        for a in ancillaries.get(household.pk, []):
            low, high = _ANCILLARY_PRICES.get(a.unit, (50, 300))
            price = Decimal(rng.randint(low, high))
            value = product(a.quantity, price)
            a_total += value
            lines_a.append(
                AncillaryValuation(
                    valuation=v, ancillary=a, quantity=a.quantity, unit_price=price, value=value
                )
            )
        loss = (
            (b_total * Decimal("0.05")).quantize(Decimal("0.01"))
            if household.kind == HouseholdKind.NON_RESIDENTIAL
            else Decimal("0.00")
        )
        v.business_loss = loss
        v.business_loss_basis = "按房屋价值的5%计" if loss else ""
        v.buildings_total, v.decoration_total, v.ancillaries_total = b_total, deco, a_total
        v.total = b_total + deco + a_total + loss
        valuations.append(v)
    Valuation.objects.bulk_create(valuations)
    # The lines point at the valuations, which got their keys just now: bulk_create takes them.
    BuildingValuation.objects.bulk_create(lines_b)
    DecorationItem.objects.bulk_create(lines_d)
    AncillaryValuation.objects.bulk_create(lines_a)

    confirmed = [v for v in valuations if v.status == ValuationStatus.CONFIRMED]
    published_on = as_of - dt.timedelta(days=30)
    publication = Publication.objects.create(
        project=project,
        number=1,
        published_on=published_on,
        until=published_on + dt.timedelta(days=10),
        published_by=manager,
        rows=[
            {
                "code": v.household.code,
                "head": mask_name(v.household.head_name),
                "buildings": str(v.buildings_total),
                "decoration": str(v.decoration_total),
                "ancillaries": str(v.ancillaries_total),
                "business_loss": str(v.business_loss),
                "total": str(v.total),
                "report_no": v.report_no,
                "firm": firm.name,
            }
            for v in confirmed
        ],
    )
    Valuation.objects.filter(pk__in=[v.pk for v in confirmed]).update(publication=publication)
    issued_on = as_of - dt.timedelta(days=20)
    reports = 0
    for v in confirmed[:MAX_REPORTS]:
        v.publication = publication
        v.status = ValuationStatus.ISSUED
        v.issued_on = v.first_issued_on = issued_on
        v.issued_by = valuer
        v.report_version = 1
        v.delivered_on = issued_on + dt.timedelta(days=2)
        pdf = render_report(v)
        v.report_file.save("report.pdf", ContentFile(pdf), save=False)
        v.report_sha256 = hashlib.sha256(pdf).hexdigest()
        v.report_generated = True
        v.save()
        reports += 1
    delivered = confirmed[0].delivered_on if confirmed else None
    if reports and calendar is not None and delivered is not None:
        v = confirmed[0]
        applied = delivered + dt.timedelta(days=3)
        Objection.objects.create(
            valuation=v,
            kind=ObjectionKind.REVIEW,
            applied_on=applied,
            apply_deadline=apply_deadline(delivered, calendar),
            answer_deadline=answer_deadline(applied, calendar),
            grounds="被征收人认为主房评估单价低于周边同类房屋成交价，申请复核。",
            recorded_by=manager,
            total_before=v.total,
        )
    return len(valuations), reports
