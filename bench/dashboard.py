"""Dashboards: the progress summaries, the leader dashboard, the household export and the reminder
scan over 200 projects at 100,000 and 1,000,000 households. Imported after django.setup().

The modules' rows are bulk-loaded (no signals): households in 200 projects of 10 districts with
4 work groups each, one building each for 95 % of them, a main agreement (cash, exchange,
voucher; non-residential for the enterprises) for about 60 %, its payment account with 0, 70 or
100 % paid, vacating for about 40 % and demolition for about 30 %; one approved calculation and
one template per project stand for all (what the progress reads is the agreement). Then
`progress.rebuild()` builds the rows and the counters from them, as `rebuild_progress` does.
Measured at each size:
- the nightly `rebuild_progress` (nothing to fix: every household recomputed and compared, the
  counters rebuilt from the rows and compared); the note gives the first build's time;
- the leader dashboard (`dashboard:leader`) as a leader of every project, Django's test Client,
  in process: should not grow with households;
and at the largest size only:
- the export of every household to .xlsx (`zhengqian.dashboard.exports.write_households`) in a
  child process, with its own peak memory (bench/peak.py);
- the reminder scan (`zhengqian.reminders.scan.run_scan`).
A measurement whose code does not exist yet is skipped with a message.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.harness import Result, progress, summarise, time_ms

ROOT = Path(__file__).resolve().parent.parent
SEED = 11
BATCH = 5000
PROJECTS = 200
DISTRICTS = 10
GROUPS = 4
LEADER = "bench_dash_leader"
REVIEWER = "bench_dash_reviewer"
# Of the households without an agreement, the share whose calculation waits for the policy
# review (the reminder scan's items); half of them have waited 5 days (past the 2 working days).
WAITING = 0.08
CODE = "BD"


def _has(module: str, name: str) -> bool:
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


def _projects() -> tuple[list[Any], dict[int, list[int]], Any]:
    """The 200 projects (made once), their work groups and the loader account."""
    from django.contrib.auth.hashers import make_password

    from zhengqian.accounts.models import Membership, User
    from zhengqian.accounts.roles import RoleCode
    from zhengqian.agreements.models import AgreementKind, AgreementTemplate
    from zhengqian.compensation.models import Policy, PolicyStatus
    from zhengqian.projects.models import District, Project, WorkGroup
    from zhengqian.projects.procedures import ProjectKind

    existing = list(Project.objects.filter(code__startswith=f"{CODE}-").order_by("pk"))
    loader = User.objects.filter(username="bench_dash_loader").first()
    if existing and loader is not None:
        groups: dict[int, list[int]] = {}
        for project_id, pk in WorkGroup.objects.filter(project__in=existing).values_list(
            "project_id", "pk"
        ):
            groups.setdefault(project_id, []).append(pk)
        return existing, groups, loader
    password = make_password("Zhengqian2026")
    loader = User.objects.create(username="bench_dash_loader", password=password)
    leader = User.objects.create(username=LEADER, password=password)
    Membership.objects.create(user=leader, role=RoleCode.LEADER, project=None)
    # The reviewer of every project: the calculations waiting for the policy review are theirs.
    reviewer = User.objects.create(username=REVIEWER, password=password)
    districts = District.objects.bulk_create(
        District(code=f"{CODE}{d:02d}", name=f"基准片区{d}") for d in range(DISTRICTS)
    )
    kinds = [ProjectKind.STATE_OWNED, ProjectKind.COLLECTIVE]
    projects = Project.objects.bulk_create(
        Project(
            code=f"{CODE}-{p:03d}",
            name=f"看板基准项目{p}",
            kind=kinds[p % 2],
            district=districts[p % DISTRICTS],
        )
        for p in range(PROJECTS)
    )
    made = WorkGroup.objects.bulk_create(
        WorkGroup(project=project, name=f"第{g + 1}工作组")
        for project in projects
        for g in range(GROUPS)
    )
    groups = {}
    for group in made:
        groups.setdefault(group.project_id, []).append(group.pk)
    Membership.objects.bulk_create(
        Membership(user=reviewer, role=RoleCode.POLICY_REVIEWER, project=project)
        for project in projects
    )
    Policy.objects.bulk_create(
        Policy(
            project=project,
            version=1,
            title="基准方案",
            status=PolicyStatus.PUBLISHED,
            created_by=loader,
        )
        for project in projects
    )
    AgreementTemplate.objects.bulk_create(
        AgreementTemplate(
            project=project,
            kind=AgreementKind.CASH,
            version=1,
            title="基准模板",
            file="bench.docx",
            sha256="0" * 64,
            uploaded_by=loader,
        )
        for project in projects
    )
    return projects, groups, loader


def seed(households: int) -> None:
    """Add households (with their records) until the benchmark projects hold `households`."""
    from django.db.models import Max

    from zhengqian.agreements.models import (
        Agreement,
        AgreementKind,
        AgreementStatus,
        AgreementTemplate,
    )
    from zhengqian.compensation.models import Calculation, CalculationStatus, Policy
    from zhengqian.demolition.models import Demolition, Vacating
    from zhengqian.payments.models import HouseholdAccount
    from zhengqian.survey.models import Building, Household, HouseholdKind

    projects, groups, loader = _projects()
    have = Household.objects.filter(project__in=projects).count()
    if have >= households:
        return
    rng = random.Random(f"{SEED}-{have}")
    today = dt.date.today()
    policies = dict(Policy.objects.filter(project__in=projects).values_list("project_id", "pk"))
    templates = dict(
        AgreementTemplate.objects.filter(project__in=projects).values_list("project_id", "pk")
    )
    sequences = dict(
        Agreement.objects.filter(project__in=projects)
        .order_by()
        .values("project_id")
        .annotate(n=Max("sequence"))
        .values_list("project_id", "n")
    )
    calculations = dict(
        Calculation.objects.filter(household__project__in=projects).values_list(
            "household__project_id", "pk"
        )
    )
    modes = [AgreementKind.CASH] * 6 + [AgreementKind.EXCHANGE] * 3 + [AgreementKind.VOUCHER]
    n = have
    while n < households:
        count = min(BATCH, households - n)
        rows = []
        for i in range(n, n + count):
            project = projects[i % PROJECTS]
            rows.append(
                Household(
                    project=project,
                    work_group_id=rng.choice(groups[project.pk]) if rng.random() < 0.95 else None,
                    code=f"B{i:07d}",
                    head_name=f"户主{i}",
                    division_code="330102",
                    address=f"基准路{i}号",
                    kind=(
                        HouseholdKind.NON_RESIDENTIAL
                        if rng.random() < 0.1
                        else HouseholdKind.RESIDENTIAL
                    ),
                )
            )
        Household.objects.bulk_create(rows, batch_size=BATCH)
        n += count
        # One approved calculation per project: its first household's stands for all.
        firsts: dict[int, Any] = {}
        for h in rows:
            if h.project_id not in calculations:
                firsts.setdefault(h.project_id, h)
        new_calculations = [
            Calculation(
                household=h,
                number=1,
                policy_id=policies[h.project_id],
                mode="cash",
                status=CalculationStatus.APPROVED,
                inputs={},
                total=Decimal("0"),
                prepared_by=loader,
            )
            for h in firsts.values()
        ]
        Calculation.objects.bulk_create(new_calculations)
        calculations.update({c.household.project_id: c.pk for c in new_calculations})
        Building.objects.bulk_create(
            [
                Building(
                    household=h,
                    number="1",
                    structure_type="brick_concrete",
                    use="residential",
                    measured_area=Decimal(rng.randrange(4_000, 30_000)) / 100,
                )
                for h in rows
                if rng.random() < 0.95
            ],
            batch_size=BATCH,
        )
        agreements = []
        for h in rows:
            if rng.random() >= 0.6:
                continue
            sequences[h.project_id] = sequences.get(h.project_id, 0) + 1
            seq = sequences[h.project_id]
            kind = (
                AgreementKind.NON_RESIDENTIAL
                if h.kind == HouseholdKind.NON_RESIDENTIAL
                else rng.choice(modes)
            )
            agreements.append(
                Agreement(
                    project_id=h.project_id,
                    household=h,
                    calculation_id=calculations[h.project_id],
                    template_id=templates[h.project_id],
                    kind=kind,
                    sequence=seq,
                    number=f"BD-{seq:07d}",
                    status=AgreementStatus.EFFECTIVE,
                    total=Decimal(rng.randrange(300_000_00, 2_000_000_00)) / 100,
                    docx="bench.docx",
                    pdf="bench.pdf",
                    drafted_by=loader,
                    signed_on=today - dt.timedelta(days=rng.randrange(0, 200)),
                    signing_order=seq,
                    effective_on=today - dt.timedelta(days=rng.randrange(0, 200)),
                )
            )
        Agreement.objects.bulk_create(agreements, batch_size=BATCH)
        accounts, vacatings, demolitions = [], [], []
        for a in agreements:
            share = rng.choice([Decimal("0"), Decimal("0.7"), Decimal("1")])
            paid = (a.total * share).quantize(Decimal("0.01"))
            paid_on = a.signed_on + dt.timedelta(days=10) if paid else None
            accounts.append(
                HouseholdAccount(
                    project_id=a.project_id,
                    household_id=a.household_id,
                    agreement=a,
                    committed=a.total,
                    paid=paid,
                    first_paid_on=paid_on,
                    last_paid_on=paid_on,
                )
            )
            if rng.random() < 0.67:
                vacated = a.signed_on + dt.timedelta(days=rng.randrange(5, 40))
                vacatings.append(
                    Vacating(
                        project_id=a.project_id,
                        household_id=a.household_id,
                        agreement=a,
                        accepted_on=vacated,
                        keys_handed_over=True,
                        water_closed=True,
                        power_closed=True,
                        gas_closed=True,
                        household_signatory="户主",
                        accepted_by=loader,
                        form_scan="bench.pdf",
                        form_sha256="0" * 64,
                        recorded_by=loader,
                    )
                )
                if rng.random() < 0.75:
                    demolitions.append(
                        Demolition(
                            project_id=a.project_id,
                            household_id=a.household_id,
                            contractor="基准拆除公司",
                            demolished_on=vacated + dt.timedelta(days=rng.randrange(3, 30)),
                            recorded_by=loader,
                        )
                    )
        _waiting_calculations(rows, agreements, firsts, policies, loader, rng)
        HouseholdAccount.objects.bulk_create(accounts, batch_size=BATCH)
        Vacating.objects.bulk_create(vacatings, batch_size=BATCH)
        Demolition.objects.bulk_create(demolitions, batch_size=BATCH)
        progress(f"dashboard: {n} households loaded")


def _waiting_calculations(
    rows: list[Any],
    agreements: list[Any],
    firsts: dict[int, Any],
    policies: dict[int, int],
    loader: Any,
    rng: random.Random,
) -> None:
    """Calculations waiting for the policy review, some of them overdue: the scan's items."""
    from django.utils import timezone

    from zhengqian.compensation.models import (
        Calculation,
        CalculationStatus,
        CalculationTransition,
    )

    signed = {a.household_id for a in agreements}
    skip = {h.pk for h in firsts.values()}
    waiting = [
        Calculation(
            household=h,
            number=1,
            policy_id=policies[h.project_id],
            mode="cash",
            status=CalculationStatus.POLICY_REVIEW,
            inputs={},
            total=Decimal("0"),
            prepared_by=loader,
        )
        for h in rows
        if h.pk not in signed and h.pk not in skip and rng.random() < WAITING
    ]
    Calculation.objects.bulk_create(waiting, batch_size=BATCH)
    steps = CalculationTransition.objects.bulk_create(
        [
            CalculationTransition(
                calculation=c,
                from_status=CalculationStatus.DRAFT,
                to_status=CalculationStatus.POLICY_REVIEW,
                actor=loader,
            )
            for c in waiting
        ],
        batch_size=BATCH,
    )
    CalculationTransition.objects.filter(pk__in=[t.pk for t in steps[::2]]).update(
        created_at=timezone.now() - dt.timedelta(days=5)
    )


def _leader(n: int, warmup: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from zhengqian.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=LEADER))
    url = reverse("dashboard:leader")
    samples = []
    for i in range(warmup + n):
        started = time.perf_counter_ns()
        response = client.get(url)
        elapsed = (time.perf_counter_ns() - started) / 1e6
        assert response.status_code == 200, response.status_code
        if i >= warmup:
            samples.append(elapsed)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return samples, len(queries)


def _export(env: dict[str, str], var_dir: Path, households: int) -> Result | None:
    if not _has("zhengqian.dashboard.exports", "write_households"):
        progress("dashboard: zhengqian.dashboard.exports.write_households missing: export skipped")
        return None
    peak_file = var_dir / "dashboard_peak.txt"
    command = [
        sys.executable,
        str(ROOT / "bench" / "peak.py"),
        str(peak_file),
        sys.executable,
        "-m",
        "bench.dashboard",
        "export",
    ]
    started = time.perf_counter_ns()
    process = subprocess.run(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=False
    )
    wall_ms = (time.perf_counter_ns() - started) / 1e6
    if process.returncode != 0:
        raise RuntimeError(f"dashboard export child failed:\n{process.stdout}")
    child = json.loads(process.stdout.strip().splitlines()[-1])
    peak = int(peak_file.read_text(encoding="ascii")) / 1024
    return summarise(
        f"dashboard: export of {child['rows']} households to .xlsx",
        [child["ms"]],
        f"child process; {child['bytes'] / 2**20:.1f} MiB written; peak RSS {peak:.0f} MiB "
        f"(target ≤ 300); wall with start-up {wall_ms / 1000:.1f} s",
        peak_rss_mib=round(peak, 1),
        households=households,
    )


def _export_child() -> None:
    """In the child: export every household as the leader, to a counting sink."""
    import django

    django.setup()
    from zhengqian.accounts.models import User
    from zhengqian.dashboard.exports import write_households
    from zhengqian.dashboard.lists import Filters

    class Counter:
        written = 0

        def write(self, data: bytes) -> int:
            self.written += len(data)
            return len(data)

    out = Counter()
    started = time.perf_counter_ns()
    rows = write_households(User.objects.get(username=LEADER), Filters(), out)  # type: ignore[arg-type]
    ms = (time.perf_counter_ns() - started) / 1e6
    print(json.dumps({"rows": rows, "ms": ms, "bytes": out.written}))


def _scan(households: int) -> Result | None:
    if not _has("zhengqian.reminders.scan", "run_scan"):
        progress("dashboard: zhengqian.reminders.scan.run_scan missing: scan skipped")
        return None
    from zhengqian.reminders.scan import run_scan

    # A working day (escalations go up on working days): today, or the next Monday.
    today = dt.date.today()
    while today.weekday() >= 5:
        today += dt.timedelta(days=1)
    from zhengqian.reminders.models import Notification

    first_run: list[Any] = []
    first = time_ms(lambda: first_run.append(run_scan(today=today)))
    again = time_ms(lambda: run_scan(today=today))
    run = first_run[0]
    said = Notification.objects.count()
    return summarise(
        f"reminder scan, {households} households",
        [first],
        f"first run (target ≤ 60 s): {run.items} items waiting, {run.created} notifications, "
        f"{run.escalated} escalations; a second run the same day (idempotent, "
        f"{Notification.objects.count() - said} new) {again / 1000:.1f} s",
        households=households,
        items=run.items,
        created=run.created,
        escalated=run.escalated,
        second_ms=round(again, 1),
    )


def dashboard(
    *,
    env: dict[str, str],
    var_dir: Path,
    sizes: tuple[int, ...],
    n: int,
    warmup: int,
) -> list[Result]:
    from django.core.management import call_command

    from zhengqian.dashboard import progress as summaries

    results: list[Result] = []
    leader_medians: dict[int, float] = {}
    for households in sizes:
        progress(f"dashboard: loading {households} households")
        started = time.perf_counter()
        seed(households)
        loaded = time.perf_counter() - started
        progress("dashboard: first build of the progress rows and counters")
        started = time.perf_counter()
        summaries.rebuild()
        built = time.perf_counter() - started
        progress("dashboard: nightly rebuild_progress")
        nightly = time_ms(lambda: call_command("rebuild_progress", stdout=io.StringIO()))
        results.append(
            summarise(
                f"dashboard: rebuild_progress, {households} households",
                [nightly],
                f"nothing to fix; the first build took {built:.1f} s (load {loaded:.0f} s)",
                households=households,
                first_build_s=round(built, 1),
            )
        )
        if _has("zhengqian.dashboard.views", "leader"):
            progress(f"dashboard: leader dashboard, {n} requests")
            samples, queries = _leader(n, warmup)
            leader_medians[households] = statistics.median(samples)
            growth = ""
            if len(leader_medians) > 1:
                smallest = leader_medians[min(leader_medians)]
                growth = f"; ×{leader_medians[households] / smallest:.2f} of the smallest size"
            results.append(
                summarise(
                    f"dashboard: leader dashboard, {households} households",
                    samples,
                    f"200 projects, as a leader of all; {queries} queries (target ≤ 300 ms)"
                    f"{growth}",
                    households=households,
                    queries=queries,
                )
            )
        else:
            progress("dashboard: the leader dashboard view is missing: skipped")
    largest = max(sizes)
    from django.db import connections

    connections.close_all()
    export = _export(env, var_dir, largest)
    if export is not None:
        results.append(export)
    scan = _scan(largest)
    if scan is not None:
        results.append(scan)
    return results


def reminders(*, households: int) -> list[Result]:
    """The reminder scan alone over `households` (the same data as above, without the progress
    summaries, which the scan does not read)."""
    progress(f"reminders: loading {households} households")
    started = time.perf_counter()
    seed(households)
    progress(f"reminders: loaded in {time.perf_counter() - started:.0f} s")
    scan = _scan(households)
    return [] if scan is None else [scan]


if __name__ == "__main__":
    if sys.argv[1:] != ["export"]:
        raise SystemExit("usage: dashboard.py export")
    _export_child()
