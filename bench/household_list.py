"""The household list of one large project, filtered. Imported after django.setup().

One project of 100,000 households from seed_demo's machinery (persons with valid ID numbers,
buildings, ancillaries, work groups), plus ownership confirmations for a third of them, so that
every filter of the list has real rows to find or skip. A surveyor of the project then asks for the
list with each filter in turn; the server time is measured in process (Django's test Client).
"""

from __future__ import annotations

import random
from typing import Any

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.harness import Result, interleaved, progress, summarise
from zhengqian.accounts.models import User
from zhengqian.core.demo import seed_demo
from zhengqian.ownership.models import Confirmation, ConfirmationStatus
from zhengqian.projects.models import Project
from zhengqian.survey.models import Building, Household, Person

SEED = 4242
_BATCH = 5000


def _confirmations(project: Project) -> int:
    """An ownership confirmation, in any state, for a third of the households."""
    rng = random.Random(SEED)
    statuses = list(ConfirmationStatus)
    ids = Household.objects.filter(project=project).order_by("pk").values_list("pk", flat=True)
    confirmations = [
        Confirmation(household_id=pk, status=rng.choice(statuses))
        for pk in ids
        if rng.random() < 0.33
    ]
    Confirmation.objects.bulk_create(confirmations, batch_size=_BATCH)
    return len(confirmations)


def _settle() -> None:
    """On PostgreSQL, what autovacuum does soon after a bulk load: planner statistics and the
    visibility map. Without them a freshly loaded table gets plans no live database gets.
    SQLite keeps no statistics unless someone runs ANALYZE, so it is measured as it is."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Household, Person, Building, Confirmation):
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')


def _queries(client: Client, url: str, query: dict[str, str]) -> int:
    # Django empties the query log when a request starts; emptied before the context is
    # entered, the log then holds exactly this request's queries.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200, response.status_code
    return len(captured)


def household_list(*, households: int, n: int, warmup: int) -> list[Result]:
    progress(f"household list: seeding one project of {households} households (seed_demo)")
    result = seed_demo(households=households, projects=1, seed=SEED)
    project = Project.objects.get(code=result.project_codes[0])
    confirmed = _confirmations(project)
    _settle()
    progress(
        f"household list: {result.buildings} buildings, {result.persons} persons, "
        f"{confirmed} confirmations"
    )

    # The group whose households come last in code order: the worst case for reading the
    # project's households in code order.
    group = project.work_groups.order_by("-pk").first()
    assert group is not None
    in_group = Household.objects.filter(project=project, work_group=group).count()
    sample = (
        Household.objects.filter(project=project, work_group=group)
        .order_by("pk")
        .values("head_name", "code")[in_group // 2]
    )
    member_id = (
        Person.objects.filter(household__project=project, relation="spouse")
        .order_by("pk")
        .values_list("id_number", flat=True)
        .first()
    )
    surname = sample["head_name"][0]
    last_page = str(max(1, (in_group + 49) // 50))
    user = User.objects.get(username="surveyor")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    url = f"/survey/projects/{project.pk}/households/"

    variants: dict[str, dict[str, str]] = {
        "work group": {"work_group": str(group.pk)},
        "work group, last page": {"work_group": str(group.pk), "page": last_page},
        "group + kind + status": {
            "work_group": str(group.pk),
            "kind": "residential",
            "status": "surveyed",
        },
        "status: confirmation locked": {"status": "confirmation_locked"},
        "name (surname) in group": {"q": surname, "work_group": str(group.pk)},
        "ID number of a member": {"id_number": str(member_id)},
    }
    counts = {name: _queries(client, url, query) for name, query in variants.items()}
    progress(f"household list: {len(variants)} filters, {n} requests each")

    def get(query: dict[str, str]) -> Any:
        def run(_i: int) -> None:
            response = client.get(url, query)
            assert response.status_code == 200, response.status_code

        return run

    samples = interleaved(
        {name: get(query) for name, query in variants.items()}, n=n, warmup=warmup
    )
    return [
        summarise(
            f"household list ({households} households): {name}",
            samples[name],
            f"{counts[name]} queries; {in_group} households in the group",
            queries_per_request=counts[name],
            households=households,
        )
        for name in variants
    ]
