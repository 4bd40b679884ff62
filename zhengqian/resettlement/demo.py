"""Demo data of the resettlement module, written by seed_demo for the first demo project.

Through the real services, on the day of the seeding, as the office would do it:
- the project's property-exchange and voucher households are carried to an agreement in force
  (their calculations reviewed and approved, their agreements drafted and signed), and the
  demolition officer accepts the vacated houses of most exchange households;
- the resettlement officer records two estates with their buildings and flats: one whose
  promised handover has passed without a handover (late: the transition fees are doubled), one
  still under construction and on time;
- a first selection round by lottery, drawn in front of a notary, in which the households
  choose their flats in the order drawn (the first one called is absent once and moved to the
  end), closed with the settlement of each household's difference and published; a second
  round, for the next batch, whose lottery is announced (the seed's hash published);
- two participating developers; a voucher for each voucher household: one partly used at a
  developer (both settlement stages), one cashed, one lapsed, one lost and reissued;
- the transition fees generated up to this month, one month paid.

Where the services cannot act on a past day, the demo writes the date directly, and says so:
the policy's transition settings (the compensation demo publishes its policy without them, and a
published policy is frozen), and the validity of the lapsed voucher (its two years are set in
the past, since a voucher lapses only after its last valid day).
"""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from zhengqian.accounts.models import User
from zhengqian.agreements import services as agreements
from zhengqian.agreements.demo import _sign as sign_agreement
from zhengqian.agreements.models import Agreement, AgreementKind, AgreementStatus
from zhengqian.compensation import services as compensation
from zhengqian.compensation.engine import Mode
from zhengqian.compensation.models import Calculation, CalculationStatus, Policy
from zhengqian.core.demo import DEMO_PASSWORD
from zhengqian.demolition import services as demolition
from zhengqian.demolition.models import Vacating
from zhengqian.payments import services as payments
from zhengqian.projects.models import Project
from zhengqian.resettlement import entitlement as entitlements
from zhengqian.resettlement import services_selection as selection
from zhengqian.resettlement import services_stock as stock
from zhengqian.resettlement import services_transition as transition
from zhengqian.resettlement import services_voucher as vouchers
from zhengqian.resettlement.models import (
    Estate,
    Flat,
    FlatStatus,
    OrderBy,
    RoundEntry,
    SelectionRound,
    Settlement,
    TransitionMonth,
    Voucher,
)

__all__ = ["ResettlementCounts", "seed_resettlement"]

# The policy's transition settings when the demo policy has none (元/m² a month, least a month).
TRANSITION_RATE: Final = Decimal("18.00")
TRANSITION_MINIMUM: Final = Decimal("1200.00")

# Layouts of the flats and their usual floor areas (m²), as a sales brochure lists them.
_LAYOUTS: Final = (
    ("两室一厅一卫", (Decimal("59.86"), Decimal("64.12"))),
    ("两室两厅一卫", (Decimal("74.52"), Decimal("79.35"))),
    ("三室两厅一卫", (Decimal("89.37"), Decimal("92.60"))),
    ("三室两厅两卫", (Decimal("104.65"), Decimal("109.18"))),
    ("四室两厅两卫", (Decimal("119.88"), Decimal("128.40"))),
)
_ORIENTATIONS: Final = ("南北", "南", "东南", "西南")
_DEVELOPERS: Final = (
    ("杭州滨江房产集团股份有限公司", "91330106MA27Y8K3X", "中国建设银行杭州滨江支行"),
    ("浙江绿城置业发展有限公司", "91330110MA2CDL6W4", "中国工商银行杭州西湖支行"),
)


@dataclass
class ResettlementCounts:
    estates: int = 0
    flats: int = 0
    rounds: int = 0
    choices: int = 0
    settlements: int = 0
    developers: int = 0
    vouchers: int = 0
    transition_months: int = 0


def _png(label: str) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (240, 160), (70, 110, 150)).save(out, format="PNG")
    return SimpleUploadedFile(f"{label}.png", out.getvalue(), content_type="image/png")


def seed_resettlement(
    *, project: Project, users: dict[str, User], rng: random.Random
) -> ResettlementCounts:
    """Estates, rounds, vouchers and transition fees of the project; see the module's docstring."""
    counts = ResettlementCounts()
    policy = compensation.current_policy(project)
    if policy is None:
        return counts
    _transition_settings(policy)
    exchange, voucher = _agreements_in_force(project, users)
    _vacate(exchange[:-1] if len(exchange) > 1 else exchange, users)
    late, on_time = _estates(project, users["resettlement"], rng, counts)
    first, second = exchange[:3], exchange[3:]
    _first_round(project, users, late, first, counts)
    _second_round(project, users, on_time, second, counts)
    _vouchers(project, users, voucher, counts)
    officer = users["resettlement"]
    transition.generate_all(actor=officer, project=project, through=timezone.localdate())
    _pay_a_month(project, users)
    counts.transition_months = TransitionMonth.objects.filter(project=project).count()
    return counts


def _transition_settings(policy: Policy) -> None:
    if policy.transition_rate > 0 or policy.transition_minimum > 0:
        return
    # The compensation demo publishes the policy without transition settings, and a published
    # policy is frozen in the pages: the demo gives them to it directly.
    Policy.objects.filter(pk=policy.pk).update(
        transition_rate=TRANSITION_RATE, transition_minimum=TRANSITION_MINIMUM
    )


def _agreements_in_force(
    project: Project, users: dict[str, User]
) -> tuple[list[Agreement], list[Agreement]]:
    """The exchange and voucher households carried to an effective agreement."""
    accountant, reviewer = users["accountant"], users["reviewer"]
    checker, leader = users["checker"], users["leader"]
    for calculation in Calculation.objects.filter(
        household__project=project,
        mode__in=[Mode.EXCHANGE, Mode.VOUCHER],
        status=CalculationStatus.DRAFT,
    ).order_by("household__code"):
        try:
            with transaction.atomic():
                compensation.submit(actor=accountant, calculation=calculation)
                compensation.review(actor=reviewer, calculation=calculation, approve=True)
                calculation = compensation.review(
                    actor=checker, calculation=calculation, approve=True
                )
                if calculation.status == CalculationStatus.LEADER_REVIEW:
                    compensation.review(actor=leader, calculation=calculation, approve=True)
        except ValidationError:
            continue  # e.g. marked stale upstream: it waits for its recalculation
    drafted = Agreement.objects.exclude(status=AgreementStatus.VOID).values("calculation_id")
    for calculation in (
        Calculation.objects.filter(
            household__project=project,
            mode__in=[Mode.EXCHANGE, Mode.VOUCHER],
            status=CalculationStatus.APPROVED,
        )
        .exclude(pk__in=drafted)
        .order_by("household__code")
    ):
        agreements.draft(actor=users["signer"], calculation=calculation)
    for agreement in (
        Agreement.objects.filter(
            project=project,
            parent__isnull=True,
            kind__in=[AgreementKind.EXCHANGE, AgreementKind.VOUCHER],
            status=AgreementStatus.DRAFT,
        )
        .select_related("household__work_group")
        .order_by("sequence")
    ):
        if agreement.household.head_id_number:
            sign_agreement(agreement, users)
    live = Agreement.objects.filter(
        project=project, parent__isnull=True, status=AgreementStatus.EFFECTIVE
    ).select_related("household")
    exchange = list(live.filter(kind=AgreementKind.EXCHANGE).order_by("signing_order"))
    voucher = list(live.filter(kind=AgreementKind.VOUCHER).order_by("signing_order"))
    return exchange, voucher


def _vacate(agreements_: list[Agreement], users: dict[str, User]) -> None:
    officer = users["demolition"]
    today = timezone.localdate()
    done = set(Vacating.objects.values_list("household_id", flat=True))
    for agreement in agreements_:
        household = agreement.household
        if household.pk in done:
            continue
        demolition.vacate(
            actor=officer,
            household=household,
            accepted_on=today,
            keys_handed_over=True,
            water_closed=True,
            power_closed=True,
            gas_closed=True,
            household_signatory=household.head_name,
            accepted_by=officer,
            witness=users["cadre"],
            form_scan=_png(f"{household.code}-form"),
            photos=[_png(f"{household.code}-vacated")],
            note="房屋已腾空，过渡期间自行租房。",
        )


def _estates(
    project: Project, officer: User, rng: random.Random, counts: ResettlementCounts
) -> tuple[Estate, Estate]:
    today = timezone.localdate()
    late = stock.estate_create(
        actor=officer,
        project=project,
        name="滨江花苑安置小区",
        address="滨江区江晖路与长河路交叉口东北侧",
        # Promised four months ago and not handed over: the transition fees are doubled.
        planned_handover=transition.add_months(today, -4),
        notes="主体已竣工，配套道路及综合验收未完成，交付延期。",
    )
    on_time = stock.estate_create(
        actor=officer,
        project=project,
        name="江南府安置小区",
        address="滨江区江南大道以南、春波路以西",
        planned_handover=transition.add_months(today, 10),
        notes="主体结构施工中，按计划推进。",
    )
    for estate, buildings, floors, status in (
        (late, ("1幢", "2幢"), (3, 8), FlatStatus.READY),
        (on_time, ("1幢",), (2, 9), FlatStatus.CONSTRUCTION),
    ):
        counts.estates += 1
        for name in buildings:
            building = stock.building_create(actor=officer, estate=estate, name=name, floors=18)
            for floor in range(floors[0], floors[1] + 1):
                for unit, (layout, areas) in enumerate(rng.sample(_LAYOUTS, 3), start=1):
                    stock.flat_create(
                        actor=officer,
                        building=building,
                        unit_no=f"{floor}{unit:02d}",
                        floor=floor,
                        area=rng.choice(areas),
                        layout=layout,
                        orientation=rng.choice(_ORIENTATIONS),
                        status=status,
                    )
                    counts.flats += 1
    return late, on_time


def _pick(entry: RoundEntry, offered: list[Flat]) -> list[Flat] | None:
    ent = entitlements.for_household(entry.household_id)
    if ent is None:
        return None
    free = [f for f in offered if f.household_id is None and f.status not in selection.TAKEN]
    fits = entitlements.fits(ent, free, limit=1)
    return list(fits[0].flats) if fits else None


def _first_round(
    project: Project,
    users: dict[str, User],
    estate: Estate,
    households: list[Agreement],
    counts: ResettlementCounts,
) -> None:
    if not households:
        return
    officer = users["resettlement"]
    rnd = selection.round_create(
        actor=officer,
        project=project,
        name="第一批安置房选房（抽签）",
        order_by=OrderBy.LOTTERY,
        scheduled_on=timezone.localdate(),
        venue="长河街道安置服务中心二楼选房大厅",
    )
    selection.round_add_households(
        actor=officer, round=rnd, households=[a.household_id for a in households]
    )
    selection.round_add_flats(actor=officer, round=rnd, flats=list(estate.flats.all()))
    rnd = selection.round_commit_lottery(actor=officer, round=rnd)
    rnd = selection.round_draw(
        actor=officer,
        round=rnd,
        witness_value="482913",
        notary="王晓梅",
        notary_office="浙江省杭州市钱塘公证处",
    )
    rnd = selection.round_open(actor=officer, round=rnd)
    counts.rounds += 1
    absent_once = False
    while True:
        waiting = selection.called(rnd)
        if not waiting:
            break
        entry = waiting[0]
        if not absent_once:
            # The first household called is not in the hall: moved to the end, called again.
            selection.mark_absent(actor=officer, entry=entry)
            absent_once = True
            continue
        offered = list(SelectionRound.objects.get(pk=rnd.pk).flats.order_by("pk"))
        flats = _pick(entry, offered)
        if flats is None:
            selection.mark_absent(actor=officer, entry=entry)
            continue
        counts.choices += len(selection.choose(actor=officer, entry=entry, flats=flats))
    rnd = selection.round_close(actor=officer, round=SelectionRound.objects.get(pk=rnd.pk))
    selection.round_publish(actor=officer, round=rnd)
    counts.settlements = Settlement.objects.filter(round=rnd).count()


def _second_round(
    project: Project,
    users: dict[str, User],
    estate: Estate,
    households: list[Agreement],
    counts: ResettlementCounts,
) -> None:
    if not households:
        return
    officer = users["resettlement"]
    rnd = selection.round_create(
        actor=officer,
        project=project,
        name="第二批安置房选房（抽签）",
        order_by=OrderBy.LOTTERY,
        scheduled_on=timezone.localdate() + dt.timedelta(days=30),
        venue="长河街道安置服务中心二楼选房大厅",
    )
    selection.round_add_households(
        actor=officer, round=rnd, households=[a.household_id for a in households]
    )
    selection.round_add_flats(actor=officer, round=rnd, flats=list(estate.flats.all()))
    selection.round_commit_lottery(actor=officer, round=rnd)
    counts.rounds += 1


def _vouchers(
    project: Project,
    users: dict[str, User],
    voucher_agreements: list[Agreement],
    counts: ResettlementCounts,
) -> None:
    officer = users["resettlement"]
    today = timezone.localdate()
    developers = [
        vouchers.developer_create(
            actor=officer,
            project=project,
            name=name,
            credit_code=code + vouchers.credit_code_check_character(code),
            bank=bank,
            account_no=f"3300{n}16271005300{n}8{n}6",
        )
        for n, (name, code, bank) in enumerate(_DEVELOPERS, start=1)
    ]
    counts.developers = len(developers)
    issued: list[Voucher] = []
    for agreement in voucher_agreements:
        household = agreement.household
        issued.append(
            vouchers.voucher_issue(
                actor=officer,
                agreement=agreement,
                holder_name=household.head_name,
                holder_id_number=household.head_id_number,
                issued_on=today,
            )
        )
    counts.vouchers = len(issued)
    if issued:  # used in part at a developer, both stages of its settlement
        v = issued[0]
        amount = (v.face_value * Decimal("0.6")).quantize(Decimal("0.01"))
        use = vouchers.voucher_use(
            actor=officer,
            voucher=v,
            developer=developers[0],
            contract_no=f"滨房网签〔{today:%Y}〕0{v.pk:04d}号",
            flat="滨江·春语雅苑3幢1单元1201室",
            flat_area=Decimal("98.56"),
            contract_price=amount + Decimal("386000.00"),
            amount=amount,
            used_on=today,
        )
        vouchers.use_registered(actor=officer, use=use, registered_on=today)
    if len(issued) > 1:  # the balance cashed
        vouchers.voucher_cash(actor=officer, voucher=issued[1], on=today)
    if len(issued) > 2:  # lapsed: its validity set in the past (see the module's docstring)
        v = issued[2]
        Voucher.objects.filter(pk=v.pk).update(
            issued_on=transition.add_months(today, -24) - dt.timedelta(days=1),
            valid_until=today - dt.timedelta(days=1),
        )
        v.refresh_from_db()
        vouchers.voucher_lapse(actor=officer, voucher=v, on=today)
    if len(issued) > 3:  # lost: cancelled and reissued under a new number
        v = issued[3]
        counts.vouchers += 1
        vouchers.voucher_reissue(
            actor=officer,
            voucher=v,
            reason="持票人遗失房票，已登报声明作废。",
            holder_name=v.holder_name,
            holder_id_number=v.holder_id_number,
            issued_on=today,
        )


def _pay_a_month(project: Project, users: dict[str, User]) -> None:
    month = (
        TransitionMonth.objects.filter(project=project)
        .select_related("instalment", "household")
        .order_by("household__code", "month")
        .first()
    )
    if month is None:
        return
    finance = users["finance"]
    payment = payments.request(actor=users["resettlement"], instalment=month.instalment)
    payment = payments.approve(actor=finance, payment=payment, password=DEMO_PASSWORD)
    payments.record_paid(
        actor=finance,
        payment=payment,
        payee=month.household.head_name,
        bank="浙江农商银行",
        account_no="6228480329816625171",
        voucher_no=f"付{timezone.localdate():%Y%m%d}-T01",
        paid_on=timezone.localdate(),
    )
