"""The benchmarks. Imported after django.setup(); each returns its rows for the report."""

from __future__ import annotations

import statistics
import sys
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import check_password
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.database import Databases
from bench.harness import Result, interleaved, progress, summarise, time_ms
from zhengqian.accounts.models import Membership, User
from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.core.updates import apply_changes, lock
from zhengqian.projects import services
from zhengqian.projects.models import District, Project, WorkGroup
from zhengqian.projects.procedures import ProjectKind

PASSWORD = "Bench-Zhengqian-2026"


def _district() -> District:
    district, _created = District.objects.get_or_create(code="BENCH", defaults={"name": "基准片区"})
    return district


def _user(username: str) -> User:
    user = User.objects.create(username=username, full_name=f"基准{username}")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


# --- 1. What the audit event adds to a service call ---------------------------------------


@transaction.atomic
def _update_without_audit(*, actor: Any, group: WorkGroup, name: str) -> WorkGroup:
    """services.work_group_update with the record() call taken out, nothing else."""
    require(actor, Module.PROJECTS, Action.CHANGE, project=group.project_id)
    group = lock(group)
    apply_changes(group, {"name": name}, allowed=("name", "leader"))
    return group


@transaction.atomic
def _plain_locked_save(*, group: WorkGroup, name: str) -> WorkGroup:
    group = lock(group)
    group.name = name
    group.save(update_fields=["name"])
    return group


def audit_overhead(*, n: int, warmup: int) -> list[Result]:
    progress(f"audit overhead: {n} calls of each variant")
    project = Project.objects.create(
        code="BENCH-AUDIT",
        name="审计开销基准项目",
        kind=ProjectKind.STATE_OWNED,
        district=_district(),
    )
    actor = _user("bench_pm")
    Membership.objects.create(user=actor, project=project, role=RoleCode.PROJECT_MANAGER)
    groups = {
        key: WorkGroup.objects.create(project=project, name=f"基准组-{key}")
        for key in ("service", "no_audit", "plain")
    }
    # Every call renames, so none of them takes the "nothing changed" early return.
    samples = interleaved(
        {
            "service": lambda i: services.work_group_update(
                actor=actor, group=groups["service"], name=f"service-{i}"
            ),
            "no_audit": lambda i: _update_without_audit(
                actor=actor, group=groups["no_audit"], name=f"no_audit-{i}"
            ),
            "plain": lambda i: _plain_locked_save(group=groups["plain"], name=f"plain-{i}"),
        },
        n=n,
        warmup=warmup,
    )
    audit_cost = statistics.median(
        a - b for a, b in zip(samples["service"], samples["no_audit"], strict=True)
    )
    total_cost = statistics.median(
        a - b for a, b in zip(samples["service"], samples["plain"], strict=True)
    )
    return [
        summarise(
            "audit: work_group_update (service)",
            samples["service"],
            f"audit event adds {audit_cost:.3f} ms/call (median paired difference)",
            audit_overhead_ms=round(audit_cost, 3),
        ),
        summarise(
            "audit: same update without record()",
            samples["no_audit"],
            "permission check, lock, full_clean, save",
        ),
        summarise(
            "audit: plain locked save",
            samples["plain"],
            f"lock + save only; the service costs {total_cost:.3f} ms/call more",
            service_overhead_ms=round(total_cost, 3),
        ),
    ]


# --- 2. The project list of a user with many projects -------------------------------------


def project_list(*, n: int, warmup: int, member_of: int = 200, others: int = 50) -> list[Result]:
    progress(f"project list: {member_of} projects, {n} requests")
    district = _district()
    projects = Project.objects.bulk_create(
        Project(
            code=f"BENCH-L{i:04d}",
            name=f"基准列表项目{i:04d}",
            kind=list(ProjectKind)[i % len(ProjectKind)],
            district=district,
            target_households=100 + i,
            target_building_area=Decimal("12345.67"),
            target_land_area=Decimal("23.45"),
        )
        for i in range(member_of + others)
    )
    user = _user("bench_surveyor")
    Membership.objects.bulk_create(
        Membership(user=user, project=p, role=RoleCode.SURVEYOR) for p in projects[:member_of]
    )
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    def get() -> None:
        response = client.get("/projects/")
        assert response.status_code == 200, response.status_code

    # Django empties the query log when a request starts; emptied before the context is
    # entered, the log then holds exactly this request's queries.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/projects/")
    # Counted now: the context reads the log lazily, and the next request empties it.
    query_count = len(queries)
    shown = response.content.decode().count('href="/projects/') - response.content.decode().count(
        'href="/projects/new/'
    )
    assert shown >= member_of, f"the page shows {shown} project links, expected {member_of}"
    for _ in range(warmup):
        get()
    samples = [time_ms(get) for _ in range(n)]
    return [
        summarise(
            f"project list: GET /projects/ ({member_of} projects)",
            samples,
            f"{query_count} queries per request; {others} other projects hidden",
            queries_per_request=query_count,
        )
    ]


# --- 3. Login ------------------------------------------------------------------------------


def login(*, n: int, warmup: int) -> list[Result]:
    progress(f"login: {n} logins")
    user = _user("bench_login")
    algorithm = user.password.split("$", 1)[0]
    assert algorithm == "argon2", f"the bench must hash with Argon2, not {algorithm}"
    encoded = user.password

    def post() -> None:
        # A new client each time: a logged-in client is redirected away from the login page.
        response = Client().post(
            "/accounts/login/", {"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302, response.status_code

    for _ in range(warmup):
        post()
    samples = [time_ms(post) for _ in range(n)]
    hashing = [time_ms(lambda: check_password(PASSWORD, encoded)) for _ in range(n)]
    return [
        summarise(
            "login: POST /accounts/login/",
            samples,
            "Argon2 check, axes, session, audit event",
            hasher=algorithm,
        ),
        summarise("login: Argon2 check_password alone", hashing, "Django's default Argon2 cost"),
    ]


# --- 4. seed_demo ----------------------------------------------------------------------------


def seed(*, databases: Databases, env: dict[str, str], households: int, runs: int) -> list[Result]:
    progress(f"seed_demo: migrating an empty database to copy for {runs} runs")
    databases.prepare_seed_template(env)
    wall: list[float] = []
    peaks: list[float] = []
    persons = ""
    for run in range(runs):
        progress(f"seed_demo --households {households}: run {run + 1} of {runs}")
        databases.fresh_seed_database()
        command = [
            sys.executable,
            "manage.py",
            "seed_demo",
            "--households",
            str(households),
            "--projects",
            "10",
        ]
        output, wall_ms, peak = databases.run_on_seed(command, env, what="seed_demo")
        wall.append(wall_ms)
        peaks.append(peak)
        persons = next(
            (line.strip() for line in output.splitlines() if line.strip().startswith("households")),
            persons,
        )
    peak = max(peaks)
    return [
        summarise(
            f"seed_demo: {households} households, 10 projects",
            wall,
            f"whole command incl. start-up; peak RSS {peak:.0f} MiB; {persons}",
            peak_rss_mib=round(peak, 1),
        )
    ]
