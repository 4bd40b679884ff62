"""Synthetic demo data: an account for every role, projects with their work groups and
milestones, and households with their members; the first project is carried on through
ownership confirmation, valuation, compensation and review to drafted and signed agreements.

Everything random comes from one ``random.Random(seed)`` and one ``Faker("zh_CN")`` seeded with
the same number, drawn in a fixed order (the first project's casework from a third generator of
its own), so a seed, a household count, a project count and an ``as_of`` date always give the
same data. ``as_of`` (default: today in China) anchors ages and
milestone dates, which must lie in the past. Only the signing is not in the past: the services
take the real time of signing, so the agreements are signed today, and the calculations assume
today's date for the early-signing incentive.

The survey rows are written with ``bulk_create`` in batches and one audit event describes them:
the data is synthetic, and one event per row would bury the trail under demo noise. The first
project's confirmations, policy, calculations and agreements go through the modules' services,
which check the demo users' rights and record their own events, as a newcomer will see them in
the trail of those records.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from faker import Faker
from faker.providers.person.zh_CN import Provider as ChinesePersonProvider

from zhengqian.accounts.models import Membership, User
from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import EventKind
from zhengqian.audit.services import record
from zhengqian.core.idcard import make_id_number
from zhengqian.dashboard import progress as dashboard_progress
from zhengqian.dashboard.models import PlanMeasure, PlanPoint
from zhengqian.projects.models import District, Milestone, Project, ProjectStatus, WorkGroup
from zhengqian.projects.procedures import PeriodUnit, ProjectKind, Step, template_for
from zhengqian.survey.models import Ancillary, Building, Household, HouseholdKind, Person, Sex

__all__ = [
    "DEFAULT_SEED",
    "DEMO_ACCOUNTS",
    "DEMO_PASSWORD",
    "DIVISIONS",
    "DemoAccount",
    "Division",
    "SeedRefused",
    "SeedResult",
    "demo_accounts_exist",
    "seed_demo",
]

DEFAULT_SEED: Final = 2026
DEMO_PASSWORD: Final = "Zhengqian2026"  # noqa: S105 (printed by seed_demo on purpose)
AUDIT_ACTOR_NAME: Final = "seed_demo"
_CHINA: Final = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Division:
    """A county-level administrative division (GB/T 2260)."""

    code: str
    province: str
    name: str

    @property
    def full_name(self) -> str:
        """As written at the start of an address: province, then city and county."""
        return self.name if self.name.startswith(self.province) else self.province + self.name

    @property
    def short_name(self) -> str:
        """The county alone, as a project name starts: 碑林区 for 西安市碑林区, 慈溪市 as is."""
        return self.name.split("市", 1)[1] if "市" in self.name[:-1] else self.name


# Real county-level codes of GB/T 2260 (stable ones, unchanged by the recent mergers), with
# their names as written in addresses. Municipalities are written once: 北京市东城区.
DIVISIONS: Final[tuple[Division, ...]] = (
    Division("110101", "北京市", "东城区"),
    Division("110102", "北京市", "西城区"),
    Division("110105", "北京市", "朝阳区"),
    Division("110108", "北京市", "海淀区"),
    Division("120101", "天津市", "和平区"),
    Division("120104", "天津市", "南开区"),
    Division("130102", "河北省", "石家庄市长安区"),
    Division("130104", "河北省", "石家庄市桥西区"),
    Division("310101", "上海市", "黄浦区"),
    Division("310104", "上海市", "徐汇区"),
    Division("310115", "上海市", "浦东新区"),
    Division("320102", "江苏省", "南京市玄武区"),
    Division("320106", "江苏省", "南京市鼓楼区"),
    Division("320508", "江苏省", "苏州市姑苏区"),
    Division("320583", "江苏省", "昆山市"),
    Division("330102", "浙江省", "杭州市上城区"),
    Division("330105", "浙江省", "杭州市拱墅区"),
    Division("330106", "浙江省", "杭州市西湖区"),
    Division("330203", "浙江省", "宁波市海曙区"),
    Division("330282", "浙江省", "慈溪市"),
    Division("330302", "浙江省", "温州市鹿城区"),
    Division("330681", "浙江省", "诸暨市"),
    Division("330782", "浙江省", "义乌市"),
    Division("340102", "安徽省", "合肥市瑶海区"),
    Division("340104", "安徽省", "合肥市蜀山区"),
    Division("340802", "安徽省", "安庆市迎江区"),
    Division("340803", "安徽省", "安庆市大观区"),
    Division("350102", "福建省", "福州市鼓楼区"),
    Division("350203", "福建省", "厦门市思明区"),
    Division("360102", "江西省", "南昌市东湖区"),
    Division("370102", "山东省", "济南市历下区"),
    Division("370202", "山东省", "青岛市市南区"),
    Division("410105", "河南省", "郑州市金水区"),
    Division("420102", "湖北省", "武汉市江岸区"),
    Division("420106", "湖北省", "武汉市武昌区"),
    Division("430102", "湖南省", "长沙市芙蓉区"),
    Division("430104", "湖南省", "长沙市岳麓区"),
    Division("440103", "广东省", "广州市荔湾区"),
    Division("440106", "广东省", "广州市天河区"),
    Division("440304", "广东省", "深圳市福田区"),
    Division("450102", "广西壮族自治区", "南宁市兴宁区"),
    Division("450802", "广西壮族自治区", "贵港市港北区"),
    Division("450803", "广西壮族自治区", "贵港市港南区"),
    Division("450881", "广西壮族自治区", "桂平市"),
    Division("500103", "重庆市", "渝中区"),
    Division("510107", "四川省", "成都市武侯区"),
    Division("610103", "陕西省", "西安市碑林区"),
)

OFFICE: Final = "示范区房屋征收管理办公室"
COMMAND_POST: Final = "示范区征收工作指挥部"
DISCIPLINE_OFFICE: Final = "示范区纪委监委派驻纪检监察组"
APPRAISAL_FIRM: Final = "中衡信房地产土地资产评估有限公司"
COMMUNITY_COMMITTEE: Final = "新华社区居民委员会"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: RoleCode
    full_name: str
    organisation: str = OFFICE

    @property
    def system_wide(self) -> bool:
        """Held for every project (a membership without project) rather than per project."""
        return self.role in (RoleCode.ADMIN, RoleCode.LEADER, RoleCode.SUPERVISOR)


DEMO_ACCOUNTS: Final[tuple[DemoAccount, ...]] = (
    DemoAccount("admin", RoleCode.ADMIN, "周建平"),
    DemoAccount("pm", RoleCode.PROJECT_MANAGER, "李国华"),
    DemoAccount("surveyor", RoleCode.SURVEYOR, "王晓东"),
    # Leads every work group of the demo projects: signs agreements as group leader (组长).
    DemoAccount("groupleader", RoleCode.SURVEYOR, "陈志强"),
    DemoAccount("valuer", RoleCode.VALUER, "陈静", APPRAISAL_FIRM),
    DemoAccount("ownership", RoleCode.OWNERSHIP_OFFICER, "赵志刚"),
    DemoAccount("accountant", RoleCode.ACCOUNTANT, "孙丽娟"),
    # The second accountant of the review chain: checks the figures `accountant` prepared.
    DemoAccount("checker", RoleCode.ACCOUNTANT, "钱文华"),
    DemoAccount("reviewer", RoleCode.POLICY_REVIEWER, "吴海燕"),
    DemoAccount("leader", RoleCode.LEADER, "郑建军", COMMAND_POST),
    DemoAccount("signer", RoleCode.SIGNING_OFFICER, "刘洋"),
    DemoAccount("cadre", RoleCode.COMMUNITY_CADRE, "张桂兰", COMMUNITY_COMMITTEE),
    DemoAccount("finance", RoleCode.FINANCE_OFFICER, "黄敏"),
    DemoAccount("demolition", RoleCode.DEMOLITION_OFFICER, "徐勇"),
    DemoAccount("resettlement", RoleCode.RESETTLEMENT_OFFICER, "何春梅"),
    DemoAccount("archivist", RoleCode.ARCHIVIST, "林雪"),
    DemoAccount("supervisor", RoleCode.SUPERVISOR, "马文斌", DISCIPLINE_OFFICE),
    DemoAccount("viewer", RoleCode.VIEWER, "高婷"),
)

# (code, name) of the demo districts (片区 / 街道 / 指挥分部).
DISTRICTS: Final = (
    ("PQ-CD", "城东片区"),
    ("PQ-CX", "城西片区"),
    ("JD-JB", "江北街道"),
    ("JD-NH", "南湖街道"),
    ("ZH-GX", "高新区征收指挥分部"),
)

_ROADS: Final = (
    "人民路", "解放路", "中山路", "建设路", "新华路", "和平路", "胜利路", "文化路", "友谊路",
    "东风路", "环城北路", "青年路", "朝阳路", "健康路", "长江路", "延安路", "学府路", "站前路",
    "工农路", "红星路",
)  # fmt: skip
_TOWNS: Final = (
    "城关镇", "新塘镇", "石桥镇", "白沙镇", "龙泉镇", "清水镇", "三河镇", "双桥镇", "马山镇",
    "永宁镇",
)  # fmt: skip
_VILLAGES: Final = (
    "新华村", "红旗村", "东风村", "前进村", "团结村", "光明村", "胜利村", "幸福村", "和平村",
    "永安村", "长青村", "新民村", "联合村", "五星村", "先锋村", "民主村", "丰收村", "向阳村",
    "太平村", "金星村",
)  # fmt: skip
_NUMERALS: Final = "一二三四五六七八九十"
# First characters of two-character given names; the second comes from Faker's lists.
_GIVEN_FIRST: Final = {
    Sex.MALE: "建国志永文明海春德宏家晓子俊立振世学云金",
    Sex.FEMALE: "秀晓丽雅美春海佳玉淑慧丹静思欣梦雪桂月",
}
# Title certificates of the province of the demo divisions (浙 is the most common here).
_TITLE_PREFIX: Final = "浙"
# (dictionary code, unit, low, high) of the ancillaries a household may have.
_ANCILLARY_KINDS: Final = (
    ("wall", "m", 5, 60),
    ("well", "座", 1, 2),
    ("tree", "株", 1, 30),
    ("crop", "m²", 20, 600),
    ("yard_floor", "m²", 10, 150),
)
_SURNAMES: Final = tuple(ChinesePersonProvider.last_names)
# Faker draws a weighted surname by summing the weights on every call; summing once here makes
# a 100,000-household run about twenty seconds shorter.
_SURNAME_CUM_WEIGHTS: Final = tuple(
    itertools.accumulate(float(w) for w in ChinesePersonProvider.last_names.values())
)

# Share of non-residential households (shops, enterprises) by kind of project.
_NON_RESIDENTIAL_SHARE: Final = {
    ProjectKind.STATE_OWNED: 0.12,
    ProjectKind.SHANTYTOWN: 0.05,
    ProjectKind.COLLECTIVE: 0.04,
    ProjectKind.AGREEMENT: 0.3,
}
_PROJECT_CODE_PREFIX: Final = "ZS"
# The first demo project is carried through to signed agreements: its recorded milestones reach
# the step that opens the signing.
_SIGNING_UNDER_WAY: Final = {
    ProjectKind.STATE_OWNED: "signing_started",
    ProjectKind.SHANTYTOWN: "signing_started",
    ProjectKind.COLLECTIVE: "registration",
    ProjectKind.AGREEMENT: "signing_started",
}


class SeedRefused(Exception):
    """The database holds what seeding would clash with: this seed's projects, or a real
    account under a demo login name."""


@dataclass
class SeedResult:
    seed: int
    as_of: dt.date
    accounts_created: int = 0
    districts: int = 0
    projects: int = 0
    work_groups: int = 0
    milestones_recorded: int = 0
    households: int = 0
    persons: int = 0
    buildings: int = 0
    ancillaries: int = 0
    valuations: int = 0
    valuation_reports: int = 0
    confirmations_locked: int = 0
    confirmations_started: int = 0
    policies_published: int = 0
    calculations: int = 0
    calculations_approved: int = 0
    agreements_drafted: int = 0
    agreements_signed: int = 0
    funds_received: int = 0
    payments_paid: int = 0
    payments_requested: int = 0
    houses_vacated: int = 0
    houses_demolished: int = 0
    holdout_cases: int = 0
    legal_proceedings: int = 0
    petitions: int = 0
    project_codes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "accounts_created": self.accounts_created,
            "districts": self.districts,
            "projects": self.projects,
            "work_groups": self.work_groups,
            "milestones_recorded": self.milestones_recorded,
            "households": self.households,
            "persons": self.persons,
            "buildings": self.buildings,
            "ancillaries": self.ancillaries,
            "valuations": self.valuations,
            "valuation_reports": self.valuation_reports,
            "confirmations_locked": self.confirmations_locked,
            "confirmations_started": self.confirmations_started,
            "policies_published": self.policies_published,
            "calculations": self.calculations,
            "calculations_approved": self.calculations_approved,
            "agreements_drafted": self.agreements_drafted,
            "agreements_signed": self.agreements_signed,
            "funds_received": self.funds_received,
            "payments_paid": self.payments_paid,
            "payments_requested": self.payments_requested,
            "houses_vacated": self.houses_vacated,
            "houses_demolished": self.houses_demolished,
            "holdout_cases": self.holdout_cases,
            "legal_proceedings": self.legal_proceedings,
            "petitions": self.petitions,
        }


def demo_accounts_exist() -> bool:
    return User.objects.filter(is_demo=True).exists()


def project_code(seed: int, number: int) -> str:
    return f"{_PROJECT_CODE_PREFIX}{seed}-{number:03d}"


def seed_demo(
    *,
    households: int,
    projects: int,
    seed: int = DEFAULT_SEED,
    as_of: dt.date | None = None,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    casework: bool = False,
) -> SeedResult:
    """Write the demo data in one transaction and record one audit event for the bulk of it.

    One transaction, so that an interrupted run leaves nothing behind and can simply be run
    again; the batches keep the memory flat however many households are asked for.
    ``progress`` is called with the number of households written after each batch.
    ``casework`` carries the first project on from its valuations through the services:
    ownership confirmations, the compensation policy, calculations and their review,
    agreements drafted and signed (what ``make demo`` shows; off for bulk data such as the
    benchmarks, which make their own). It draws from a generator of its own, so the rest of
    the data is the same with or without it.

    Raises:
        SeedRefused: when the projects of this seed are already in the database, or a login
            name of a demo account belongs to a real account.
        ValueError: on a negative count, no project, or a seed that makes codes too long.
    """
    if households < 0 or projects < 1 or projects > 999:
        raise ValueError("Expected households >= 0 and 1 <= projects <= 999.")
    if not 0 <= seed < 10**9:
        raise ValueError("The seed must be between 0 and 999,999,999.")
    as_of = as_of or dt.datetime.now(_CHINA).date()
    with transaction.atomic():
        if Project.objects.filter(code=project_code(seed, 1)).exists():
            raise SeedRefused(
                f"The demo projects of seed {seed} already exist ({project_code(seed, 1)}): "
                "use --if-empty, another --seed or a fresh database."
            )
        writer = _DemoWriter(
            seed=seed, as_of=as_of, batch_size=batch_size, progress=progress, casework=casework
        )
        # Every household is refreshed once at the end, not at each of its records' saves.
        with dashboard_progress.deferred():
            result = writer.run(households=households, projects=projects)
        record(
            actor=None,
            actor_name=AUDIT_ACTOR_NAME,
            event_type="demo.seed",
            kind=EventKind.SYSTEM,
            details={"seed": seed, "as_of": as_of, **result.counts()},
        )
        if casework:
            # The demo opens with notifications in the header, as the scheduled scan would say.
            from zhengqian.reminders.scan import run_scan

            run_scan(today=as_of)
    return result


@dataclass
class _ProjectPlan:
    project: Project
    division: Division
    households: int
    groups: list[WorkGroup] = field(default_factory=list)
    places: tuple[str, ...] = ()


class _DemoWriter:
    def __init__(
        self,
        *,
        seed: int,
        as_of: dt.date,
        batch_size: int,
        progress: Callable[[int], None] | None,
        casework: bool = False,
    ) -> None:
        self.seed = seed
        self.casework = casework
        self.casework_rng = random.Random(f"casework-{seed}")
        self.as_of = as_of
        self.batch_size = max(1, batch_size)
        self.progress = progress
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.result = SeedResult(seed=seed, as_of=as_of)
        # Numbers already in the database stay unique too when a second seed is added.
        self.used_ids: set[str] = set(
            Person.objects.exclude(id_number="").values_list("id_number", flat=True)
        )
        self.used_ids.update(
            Household.objects.exclude(head_id_number="").values_list("head_id_number", flat=True)
        )
        # Title certificate numbers are unique too (a repeat is flagged as double compensation).
        self.title_serial = Building.objects.exclude(title_certificate_no="").count()

    # --- Accounts, districts, projects ------------------------------------------------------

    def run(self, *, households: int, projects: int) -> SeedResult:
        users = self._accounts()
        districts = self._districts(projects)
        plans = self._projects(projects, households, districts, users["pm"], users["groupleader"])
        self._memberships(users, [plan.project for plan in plans])
        self._households(plans)
        # The first project goes on through the later modules, in the order of the procedure:
        # ownership confirmed, valued, calculated and reviewed, agreements drafted and signed.
        first = plans[0].project if plans and self.casework else None
        if first is not None:
            self._ownership(users, first)
        self._valuations(users, [plan.project for plan in plans])
        if first is not None:
            self._compensation(users, first)
            self._agreements(users, first)
            self._payments(users, first)
            self._demolition(users, first)
            # Resettlement: its own generator, so the later modules' demo data stays the same.
            from zhengqian.resettlement.demo import seed_resettlement

            seed_resettlement(project=first, users=users, rng=random.Random(first.code))
            self._holdouts(users, first)
        return self.result

    def _ownership(self, users: dict[str, User], project: Project) -> None:
        from zhengqian.ownership.demo import seed_confirmations

        counts = seed_confirmations(
            project=project, users=users, rng=self.casework_rng, as_of=self.as_of
        )
        self.result.confirmations_locked = counts.locked
        self.result.confirmations_started = counts.started

    def _compensation(self, users: dict[str, User], project: Project) -> None:
        from zhengqian.compensation.demo import seed_compensation

        # The calculations assume the signing today: the day the demo signs its agreements
        # (the services take the real time of signing, whatever ``as_of`` says).
        counts = seed_compensation(
            project=project, users=users, rng=self.casework_rng, signing_on=timezone.localdate()
        )
        self.result.policies_published = counts.policies
        self.result.calculations = counts.calculations
        self.result.calculations_approved = counts.approved

    def _agreements(self, users: dict[str, User], project: Project) -> None:
        from zhengqian.agreements.demo import seed_agreements

        counts = seed_agreements(project=project, users=users, rng=self.casework_rng)
        self.result.agreements_drafted = counts.drafted
        self.result.agreements_signed = counts.signed

    def _payments(self, users: dict[str, User], project: Project) -> None:
        from zhengqian.payments.demo import seed_payments

        counts = seed_payments(project=project, users=users, rng=self.casework_rng)
        self.result.funds_received = counts.receipts
        self.result.payments_paid = counts.paid
        self.result.payments_requested = counts.requested

    def _demolition(self, users: dict[str, User], project: Project) -> None:
        from zhengqian.demolition.demo import seed_demolition

        counts = seed_demolition(project=project, users=users, rng=self.casework_rng)
        self.result.houses_vacated = counts.vacated
        self.result.houses_demolished = counts.demolished

    def _holdouts(self, users: dict[str, User], project: Project) -> None:
        from zhengqian.holdouts.demo import seed_holdouts
        from zhengqian.legal.demo import seed_legal
        from zhengqian.petitions.demo import seed_petitions

        case = seed_holdouts(project, users, self.casework_rng)
        self.result.holdout_cases = 1 if case is not None else 0
        legal = seed_legal(project=project, users=users, rng=self.casework_rng)
        self.result.legal_proceedings = legal.proceedings
        petitions = seed_petitions(project, [users["signer"], users["signer"]], self.casework_rng)
        self.result.petitions = len(petitions)

    def _valuations(self, users: dict[str, User], projects: list[Project]) -> None:
        from zhengqian.core.calendar import office_calendar
        from zhengqian.valuation.demo import seed_valuations

        counts = seed_valuations(
            projects=projects,
            users=users,
            rng=self.rng,
            as_of=self.as_of,
            firm_name=APPRAISAL_FIRM,
            calendar=office_calendar(),
        )
        self.result.valuations = counts.valuations
        self.result.valuation_reports = counts.reports

    def _accounts(self) -> dict[str, User]:
        existing = {u.username: u for u in User.objects.filter(username__in=_usernames())}
        # Hashed once for all: Argon2 takes a quarter of a second per call on a small server,
        # and the accounts share their published password anyway.
        password = make_password(DEMO_PASSWORD)
        users: dict[str, User] = {}
        for account in DEMO_ACCOUNTS:
            user = existing.get(account.username)
            if user is not None and not user.is_demo:
                raise SeedRefused(
                    f"The account {account.username!r} exists and is not a demo account; "
                    "seed_demo does not touch it."
                )
            if user is None:
                user = User.objects.create(
                    username=account.username,
                    full_name=account.full_name,
                    organisation=account.organisation,
                    password=password,
                    is_demo=True,
                )
                self.result.accounts_created += 1
            users[account.username] = user
        Membership.objects.bulk_create(
            [
                Membership(user=users[a.username], project=None, role=a.role)
                for a in DEMO_ACCOUNTS
                if a.system_wide
            ],
            ignore_conflicts=True,
        )
        return users

    def _memberships(self, users: dict[str, User], projects: list[Project]) -> None:
        demo_projects = list(
            Project.objects.filter(code__startswith=_PROJECT_CODE_PREFIX, created_by__is_demo=True)
        )
        all_projects = {p.pk: p for p in [*demo_projects, *projects]}
        Membership.objects.bulk_create(
            [
                Membership(user=users[a.username], project=project, role=a.role)
                for a in DEMO_ACCOUNTS
                if not a.system_wide
                for project in all_projects.values()
            ],
            ignore_conflicts=True,
        )
        # Work groups of demo projects seeded before the demo had a group leader get one too.
        WorkGroup.objects.filter(project__in=list(all_projects), leader__isnull=True).update(
            leader=users["groupleader"]
        )

    def _districts(self, projects: int) -> list[District]:
        wanted = DISTRICTS[: min(len(DISTRICTS), projects)]
        districts = []
        for code, name in wanted:
            district, _created = District.objects.get_or_create(code=code, defaults={"name": name})
            districts.append(district)
        self.result.districts = len(districts)
        return districts

    def _projects(
        self,
        count: int,
        households: int,
        districts: list[District],
        manager: User,
        group_leader: User,
    ) -> list[_ProjectPlan]:
        kinds = list(ProjectKind)
        self.rng.shuffle(kinds)
        shares = _split(households, [self.rng.uniform(0.6, 1.4) for _ in range(count)])
        divisions = self.rng.sample(DIVISIONS, k=min(count, len(DIVISIONS)))
        names: set[str] = set()
        plans = []
        for i in range(count):
            kind = kinds[i % len(kinds)]
            division = divisions[i % len(divisions)]
            places = self._places(kind)
            name = self._project_name(kind, division.short_name + places[0], names)
            n = shares[i]
            floor_area = Decimal(n) * Decimal(self.rng.randint(90, 160))
            # Village houses stand low on large plots; town blocks are denser.
            plot_ratio = (
                self.rng.uniform(0.3, 0.6)
                if kind == ProjectKind.COLLECTIVE
                else self.rng.uniform(1.2, 2.5)
            )
            land_mu = floor_area / Decimal("666.67") / Decimal(f"{plot_ratio:.2f}")
            dates = self._milestone_dates(
                kind, through=_SIGNING_UNDER_WAY[kind] if i == 0 else None
            )
            start = min(dates.values())
            signing_end = start + dt.timedelta(days=self.rng.randint(180, 360))
            project = Project.objects.create(
                code=project_code(self.seed, i + 1),
                name=name,
                kind=kind,
                status=ProjectStatus.ACTIVE if len(dates) >= 3 else ProjectStatus.PREPARING,
                district=districts[i % len(districts)],
                location=f"{division.full_name}{places[0]}",
                description=f"涉及被征收户约{n}户，房屋建筑面积约{floor_area:.0f}平方米。",
                target_households=n,
                target_building_area=floor_area.quantize(Decimal("0.01")),
                target_land_area=land_mu.quantize(Decimal("0.01")),
                planned_start=start,
                planned_signing_end=signing_end,
                planned_demolition_end=signing_end + dt.timedelta(days=self.rng.randint(90, 180)),
                created_by=manager,
            )
            plan = _ProjectPlan(project=project, division=division, households=n, places=places)
            self._milestones(project, dates, manager)
            self._plan_points(project, manager)
            plan.groups = WorkGroup.objects.bulk_create(
                WorkGroup(project=project, name=f"第{_NUMERALS[g]}工作组", leader=group_leader)
                for g in range(self.rng.randint(3, 6))
            )
            self.result.work_groups += len(plan.groups)
            self.result.projects += 1
            self.result.project_codes.append(project.code)
            plans.append(plan)
        return plans

    def _plan_points(self, project: Project, manager: User) -> None:
        """The plan the dashboards read progress against: 70 % signed at three fifths of the
        signing period, all by its end; half demolished midway to the planned end of
        demolition, all by that end."""
        start, signing_end = project.planned_start, project.planned_signing_end
        demolition_end = project.planned_demolition_end
        assert start and signing_end and demolition_end
        PlanPoint.objects.bulk_create(
            PlanPoint(
                project=project,
                measure=measure,
                due_on=due_on,
                percent=Decimal(percent),
                created_by=manager,
            )
            for measure, due_on, percent in (
                (PlanMeasure.SIGNED, start + (signing_end - start) * 3 / 5, "70"),
                (PlanMeasure.SIGNED, signing_end, "100"),
                (PlanMeasure.DEMOLISHED, signing_end + (demolition_end - signing_end) / 2, "50"),
                (PlanMeasure.DEMOLISHED, demolition_end, "100"),
            )
        )

    def _places(self, kind: str) -> tuple[str, ...]:
        """Where the project lies: a town and its villages, or a few roads."""
        if kind == ProjectKind.COLLECTIVE:
            town = self.rng.choice(_TOWNS)
            villages = self.rng.sample(_VILLAGES, k=self.rng.randint(1, 3))
            return tuple(town + village for village in villages)
        return tuple(self.rng.sample(_ROADS, k=self.rng.randint(1, 3)))

    def _project_name(self, kind: str, place: str, used: set[str]) -> str:
        if kind == ProjectKind.STATE_OWNED:
            base = f"{place}{self.rng.choice('东西南北')}段地块国有土地上房屋征收项目"
        elif kind == ProjectKind.SHANTYTOWN:
            base = f"{place}片区棚户区改造项目"
        elif kind == ProjectKind.COLLECTIVE:
            base = f"{place}集体土地征收项目"
        else:
            base = f"{place}老厂区协议搬迁项目"
        name, phase = base, 1
        while name in used:
            phase += 1
            name = f"{base}（{_NUMERALS[min(phase, 10) - 1]}期）"
        used.add(name)
        return name

    def _milestone_dates(self, kind: str, *, through: str | None = None) -> dict[str, dt.date]:
        """Actual dates of the first few required steps (at least up to ``through``), all in
        the past and all keeping the template's rules with room to spare (so that no holiday
        can make one too early)."""
        steps = [s for s in template_for(kind) if s.required]
        # Short of the last two steps: every demo project is still under way.
        wanted = self.rng.randint(2, min(7, len(steps) - 2))
        if through is not None:
            wanted = max(wanted, [s.code for s in steps].index(through) + 1)
        offsets: dict[str, int] = {}
        for step in steps[:wanted]:
            offsets[step.code] = self._offset(step, offsets)
        last = dt.date.fromordinal(self.as_of.toordinal() - self.rng.randint(1, 40))
        span = max(offsets.values())
        return {code: last - dt.timedelta(days=span - offset) for code, offset in offsets.items()}

    def _offset(self, step: Step, offsets: dict[str, int]) -> int:
        day = 0
        for rule in step.rules:
            before = offsets.get(rule.after)
            if before is None:
                # An optional step (a hearing) that the demo leaves unrecorded.
                continue
            if rule.max_period is not None:
                # n calendar days never hold more than n working days: within the deadline.
                gap = self.rng.randint(max(1, rule.min_period), rule.max_period)
            elif rule.unit == PeriodUnit.WORKING_DAYS:
                gap = rule.min_period * 2 + self.rng.randint(15, 25)
            else:
                gap = rule.min_period + self.rng.randint(3, 20)
            day = max(day, before + gap)
        return day

    def _milestones(self, project: Project, dates: dict[str, dt.date], manager: User) -> None:
        now = timezone.now()
        upcoming = 0
        planned = self.as_of
        milestones = []
        for i, step in enumerate(template_for(project.kind), start=1):
            milestone = Milestone(project=project, code=step.code, order=i, required=step.required)
            if step.code in dates:
                milestone.actual_date = dates[step.code]
                milestone.recorded_by = manager
                milestone.recorded_at = now
            elif step.required and upcoming < 2:
                upcoming += 1
                planned += dt.timedelta(days=self.rng.randint(10, 40))
                milestone.planned_date = planned
            milestones.append(milestone)
        Milestone.objects.bulk_create(milestones)
        self.result.milestones_recorded += len(dates)

    # --- Households and persons -------------------------------------------------------------

    def _households(self, plans: list[_ProjectPlan]) -> None:
        households: list[Household] = []
        persons: list[Person] = []
        buildings: list[Building] = []
        ancillaries: list[Ancillary] = []
        for household, members in self._generate(plans):
            households.append(household)
            persons.extend(members)
            buildings.extend(self._buildings(household))
            ancillaries.extend(self._ancillaries(household))
            if len(households) >= self.batch_size:
                self._flush(households, persons, buildings, ancillaries)
                households, persons, buildings, ancillaries = [], [], [], []
        if households:
            self._flush(households, persons, buildings, ancillaries)

    def _flush(
        self,
        households: list[Household],
        persons: list[Person],
        buildings: list[Building],
        ancillaries: list[Ancillary],
    ) -> None:
        # The households get their primary keys back (RETURNING), which the members then use.
        Household.objects.bulk_create(households, batch_size=1000)
        Person.objects.bulk_create(persons, batch_size=1000)
        Building.objects.bulk_create(buildings, batch_size=1000)
        Ancillary.objects.bulk_create(ancillaries, batch_size=1000)
        dashboard_progress.touch(household.pk for household in households)
        self.result.households += len(households)
        self.result.persons += len(persons)
        self.result.buildings += len(buildings)
        self.result.ancillaries += len(ancillaries)
        if self.progress is not None:
            self.progress(self.result.households)

    # --- Buildings and ancillaries ----------------------------------------------------------

    def _buildings(self, household: Household) -> list[Building]:
        """1–3 structures: the main house and, often, an annex; enterprises have workshops."""
        rng = self.rng
        kind = household.project.kind
        non_residential = household.kind == HouseholdKind.NON_RESIDENTIAL
        count = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
        buildings = []
        for number in range(1, count + 1):
            main = number == 1
            if non_residential:
                use = (
                    rng.choice(("shop", "office", "industrial", "warehouse"))
                    if main
                    else "auxiliary"
                )
                area = Decimal(rng.randint(6000, 180000)) / 100
            else:
                use = "residential" if main else "auxiliary"
                area = Decimal(rng.randint(4500, 26000) if main else rng.randint(800, 4500)) / 100
            if kind == ProjectKind.COLLECTIVE:
                structure = rng.choices(
                    ("brick_concrete", "brick_wood", "simple", "steel_concrete"),
                    weights=(55, 25, 12, 8),
                )[0]
                floors = rng.choice((1, 2, 2, 3)) if main else 1
            else:
                structure = rng.choices(
                    ("steel_concrete", "brick_concrete", "brick_wood"), weights=(35, 55, 10)
                )[0]
                floors = rng.choice((1, 2, 3, 5, 6, 7)) if main else 1
            year_built = rng.randint(1968, 2016)
            # Most main houses have a title; many annexes were put up without one.
            licensed = rng.random() < (0.85 if main else 0.35)
            self.title_serial += 1
            issued = max(year_built, 2016 + self.title_serial % 8)
            title = (
                f"{_TITLE_PREFIX}({issued})不动产权第{self.title_serial:07d}号" if licensed else ""
            )
            buildings.append(
                Building(
                    household=household,
                    number=str(number),
                    structure_type=structure,
                    use=use,
                    floors=floors,
                    year_built=year_built,
                    measured_area=area,
                    title_certificate_no=title,
                )
            )
        return buildings

    def _ancillaries(self, household: Household) -> list[Ancillary]:
        """Walls, wells, trees and crops: mostly on collective land."""
        rng = self.rng
        if household.project.kind != ProjectKind.COLLECTIVE and rng.random() < 0.7:
            return []
        items = []
        for kind, unit, low, high in rng.sample(_ANCILLARY_KINDS, rng.randint(1, 4)):
            items.append(
                Ancillary(
                    household=household,
                    kind=kind,
                    quantity=Decimal(rng.randint(low * 100, high * 100)) / 100
                    if unit in ("m", "m²")
                    else Decimal(rng.randint(low, high)),
                    unit=unit,
                )
            )
        return items

    def _generate(self, plans: list[_ProjectPlan]) -> Iterator[tuple[Household, list[Person]]]:
        for plan in plans:
            kind = plan.project.kind
            land_type = "state_owned"
            groups = len(plan.groups)
            for number in range(1, plan.households + 1):
                # Households of one work group are neighbours: consecutive codes, one block.
                group = plan.groups[(number - 1) * groups // plan.households]
                non_residential = self.rng.random() < _NON_RESIDENTIAL_SHARE[ProjectKind(kind)]
                if kind == ProjectKind.COLLECTIVE:
                    land_type = (
                        "collective_construction" if non_residential else "collective_homestead"
                    )
                household = Household(
                    project=plan.project,
                    work_group=group,
                    code=f"{plan.project.code}-{number:05d}",
                    kind=HouseholdKind.NON_RESIDENTIAL
                    if non_residential
                    else HouseholdKind.RESIDENTIAL,
                    division_code=plan.division.code,
                    address=self._address(plan, non_residential),
                    land_type=land_type,
                    phone=self.fake.phone_number(),
                )
                if non_residential:
                    members = self._business(household, plan)
                else:
                    members = self._family(household, plan)
                if members:
                    household.head_name = members[0].name
                    household.head_id_number = members[0].id_number
                yield household, members

    def _address(self, plan: _ProjectPlan, non_residential: bool) -> str:
        place = self.rng.choice(plan.places)
        rng = self.rng
        if plan.project.kind == ProjectKind.COLLECTIVE:
            tail = f"{_NUMERALS[rng.randrange(10)]}组{rng.randint(1, 150)}号"
        elif non_residential or plan.project.kind == ProjectKind.AGREEMENT:
            tail = f"{rng.randint(1, 399)}号"
        elif plan.project.kind == ProjectKind.SHANTYTOWN:
            tail = f"{rng.randint(1, 60)}弄{rng.randint(1, 40)}号"
        else:
            tail = (
                f"{rng.randint(1, 199)}号{rng.randint(1, 12)}幢{rng.randint(1, 4)}单元"
                f"{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
            )
        return f"{plan.division.full_name}{place}{tail}"

    def _business(self, household: Household, plan: _ProjectPlan) -> list[Person]:
        """A shop run by a person (个体工商户, filed under the operator), or an enterprise."""
        if self.rng.random() < 0.5:
            household.head_name = self.fake.company()[:60]
            return []
        sex = Sex.MALE if self.rng.random() < 0.7 else Sex.FEMALE
        operator = self._person(household, plan, "head", sex, self.rng.randint(28, 65))
        return [operator]

    def _family(self, household: Household, plan: _ProjectPlan) -> list[Person]:
        rng = self.rng
        head_sex = Sex.MALE if rng.random() < 0.8 else Sex.FEMALE
        head_age = rng.randint(28, 82)
        head = self._person(household, plan, "head", head_sex, head_age)
        members = [head]
        father_surname = head.name[0] if head_sex == Sex.MALE else None
        # Fewer of the oldest heads still have a living spouse.
        if rng.random() < (0.85 if head_age < 75 else 0.45):
            spouse_sex = Sex.FEMALE if head_sex == Sex.MALE else Sex.MALE
            spouse_age = max(22, head_age + rng.randint(-4, 4))
            spouse = self._person(household, plan, "spouse", spouse_sex, spouse_age)
            members.append(spouse)
            father_surname = father_surname or spouse.name[0]
        surname = father_surname or head.name[0]
        children = rng.choices((0, 1, 2, 3), weights=(20, 50, 25, 5))[0]
        for _ in range(children):
            age = head_age - rng.randint(22, 36)
            if age < 0:
                break
            sex = rng.choice((Sex.MALE, Sex.FEMALE))
            child = self._person(household, plan, "child", sex, age, surname=surname)
            members.append(child)
            # An adult son often lives with his wife and child in the parents' household.
            if sex == Sex.MALE and age >= 26 and rng.random() < 0.3:
                wife_age = max(22, age + rng.randint(-3, 3))
                members.append(self._person(household, plan, "child_in_law", Sex.FEMALE, wife_age))
                grandchild_age = age - rng.randint(22, 30)
                if grandchild_age >= 0:
                    grandchild_sex = rng.choice((Sex.MALE, Sex.FEMALE))
                    members.append(
                        self._person(
                            household,
                            plan,
                            "grandchild",
                            grandchild_sex,
                            grandchild_age,
                            surname=child.name[0],
                        )
                    )
        if head_age < 50 and rng.random() < 0.15:
            parent_sex = rng.choice((Sex.MALE, Sex.FEMALE))
            parent_age = head_age + rng.randint(22, 32)
            # A father passes his surname on; a mother keeps her own.
            members.append(
                self._person(
                    household,
                    plan,
                    "parent",
                    parent_sex,
                    parent_age,
                    surname=head.name[0] if parent_sex == Sex.MALE else None,
                )
            )
        return members

    def _person(
        self,
        household: Household,
        plan: _ProjectPlan,
        relation: str,
        sex: str,
        age: int,
        *,
        surname: str | None = None,
    ) -> Person:
        rng = self.rng
        birth_date = self._birth_date(age)
        # Most were born where the project lies; spouses and children-in-law often married in.
        local_share = 0.6 if relation in ("spouse", "child_in_law") else 0.85
        region = plan.division.code if rng.random() < local_share else rng.choice(DIVISIONS).code
        collective = plan.project.kind == ProjectKind.COLLECTIVE
        if collective:
            hukou = "agricultural" if rng.random() < 0.85 else "resident"
        else:
            hukou = "resident" if rng.random() < 0.7 else "non_agricultural"
        moved_out = {"head": 0.03, "spouse": 0.12, "child": 0.1, "parent": 0.25}.get(relation, 0.2)
        return Person(
            household=household,
            name=(surname or self._surname()) + self._given_name(sex),
            id_number=self._id_number(region, birth_date, sex),
            relation=relation,
            sex=sex,
            birth_date=birth_date,
            hukou_type=hukou,
            registered_here=rng.random() >= moved_out,
        )

    def _surname(self) -> str:
        return self.fake.random.choices(_SURNAMES, cum_weights=_SURNAME_CUM_WEIGHTS)[0]

    def _given_name(self, sex: str) -> str:
        last = self.fake.first_name_male() if sex == Sex.MALE else self.fake.first_name_female()
        if len(last) == 1 and self.rng.random() < 0.65:
            return self.rng.choice(_GIVEN_FIRST[Sex(sex)]) + last
        return last

    def _birth_date(self, age: int) -> dt.date:
        birthday = dt.date(self.as_of.year - age, 1, 1) + dt.timedelta(days=self.rng.randrange(365))
        return min(birthday, self.as_of)

    def _id_number(self, region: str, birth_date: dt.date, sex: str) -> str:
        """A valid number never used before in this data set (odd sequence: a man)."""
        attempts = 0
        while True:
            sequence = self.rng.randrange(500) * 2 + (1 if sex == Sex.MALE else 0)
            number = make_id_number(region, birth_date, sequence)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
            attempts += 1
            if attempts >= 20:
                # The sequences of that day and county are nearly used up: try another county.
                region = self.rng.choice(DIVISIONS).code


def _usernames() -> list[str]:
    return [a.username for a in DEMO_ACCOUNTS]


def _split(total: int, weights: list[float]) -> list[int]:
    """Share ``total`` out in proportion to ``weights``, largest remainders first."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares
