"""Batch calculation of a project's households (or a filtered set), in the background.

The households are taken in chunks: each chunk's data is read with a constant number of queries
(services.InputSource), every household's lines are evaluated in memory, and the chunk is written
with bulk inserts in one transaction, with one audit event listing the households and their
totals. A household that cannot be calculated (no valuation, a valuation waiting for the
valuer, a missing input) is left out and listed with the reason; the others go on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import require, work_group_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record
from zhengqian.compensation import engine, services
from zhengqian.compensation.models import (
    BatchStatus,
    Calculation,
    CalculationBatch,
    CalculationLine,
    CalculationStatus,
    CalculationTransition,
)
from zhengqian.dashboard import progress
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household

CHUNK = 500
LATEST = "latest"
# Up to this many households the batch runs within the request; beyond it, in the worker.
SYNC_MAX = 200


def _scoped(actor: Any, project: Project, household_ids: Iterable[int] | None) -> list[int]:
    qs = Household.objects.filter(project=project)
    groups = work_group_ids_with(actor, Module.COMPENSATION, Action.CREATE, project.pk)
    if groups is not None:
        qs = qs.filter(work_group_id__in=groups)
    if household_ids is not None:
        qs = qs.filter(pk__in=list(household_ids))
    return list(qs.order_by("code").values_list("pk", flat=True))


@transaction.atomic
def batch_start(
    *,
    actor: Any,
    project: Project,
    mode: str,
    household_ids: Iterable[int] | None = None,
    signing_on: dt.date | None = None,
    vacating_on: dt.date | None = None,
) -> CalculationBatch:
    """Queue a batch: the project's households the accountant may reach (or those given)."""
    require(actor, Module.COMPENSATION, Action.CREATE, project=project)
    if mode != LATEST and mode not in engine.Mode.ALL:
        raise ValidationError({"mode": _("Choose a resettlement mode.")})
    services.require_policy(project.pk)
    ids = _scoped(actor, project, household_ids)
    if not ids:
        raise ValidationError(_("No household to calculate."), code="empty")
    batch = CalculationBatch.objects.create(
        project=project,
        mode=mode,
        household_ids=ids,
        total=len(ids),
        signing_on=signing_on,
        vacating_on=vacating_on,
        created_by=actor,
    )
    record(
        actor=actor,
        event_type="calculation.batch_start",
        target=batch,
        project=project,
        details={"mode": mode, "households": len(ids)},
    )
    return batch


def run_batch(batch: CalculationBatch) -> CalculationBatch:
    """Calculate every household of the batch, chunk by chunk (each chunk one transaction)."""
    CalculationBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
    try:
        ids: list[int] = list(batch.household_ids)
        for start in range(0, len(ids), CHUNK):
            skipped = _run_chunk(batch, ids[start : start + CHUNK])
            batch.refresh_from_db()
            batch.skipped = {**batch.skipped, **skipped}
            batch.done = min(start + CHUNK, len(ids))
            batch.save(update_fields=["skipped", "done"])
    except Exception as exc:
        CalculationBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    CalculationBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.DONE, finished_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch


def _latest(ids: Sequence[int]) -> dict[int, Calculation]:
    latest: dict[int, Calculation] = {}
    for calc in Calculation.objects.filter(household_id__in=ids).order_by("household_id", "number"):
        latest[calc.household_id] = calc
    return latest


@transaction.atomic
def _run_chunk(batch: CalculationBatch, ids: Sequence[int]) -> dict[str, str]:
    actor = batch.created_by
    policy = services.require_policy(batch.project_id)
    households = list(Household.objects.select_for_update().filter(pk__in=ids).order_by("code"))
    source = services.InputSource(households)
    items = services.PolicyItems(policy)
    latest = _latest(ids)
    numbers = dict(
        Calculation.objects.filter(household_id__in=ids)
        .values("household_id")
        .annotate(n=Max("number"))
        .values_list("household_id", "n")
    )
    skipped: dict[str, str] = {}
    prepared: list[tuple[Calculation, list[CalculationLine]]] = []
    for household in households:
        previous = latest.get(household.pk)
        mode = batch.mode
        if mode == LATEST:
            if previous is None:
                skipped[household.code] = _("No earlier calculation to take the mode from.")
                continue
            mode = previous.mode
        exchange_area = previous.exchange_area if previous is not None else None
        try:
            services.require_valuation_fresh(source, household)
            calculation, lines = services.prepare(
                actor=actor,
                policy=policy,
                household=household,
                inputs=source.inputs_for(
                    household,
                    mode=mode,
                    signing_on=batch.signing_on,
                    vacating_on=batch.vacating_on,
                ),
                number=numbers.get(household.pk, 0) + 1,
                exchange_area=exchange_area,
                exceptions={},
                items=items,
            )
        except ValidationError as exc:
            skipped[household.code] = " ".join(exc.messages)
            continue
        prepared.append((calculation, lines))
    calculated = {c.household_id for c, _lines in prepared}
    superseded = list(
        Calculation.objects.filter(household_id__in=calculated).exclude(
            status__in=[CalculationStatus.APPROVED, CalculationStatus.SUPERSEDED]
        )
    )
    new_numbers = {c.household_id: c.number for c, _lines in prepared}
    CalculationTransition.objects.bulk_create(
        CalculationTransition(
            calculation=old,
            from_status=old.status,
            to_status=CalculationStatus.SUPERSEDED,
            actor=actor,
            reason=services.superseded_reason(new_numbers[old.household_id]),
        )
        for old in superseded
    )
    Calculation.objects.filter(pk__in=[c.pk for c in superseded]).update(
        status=CalculationStatus.SUPERSEDED, updated_at=timezone.now()
    )
    Calculation.objects.bulk_create([c for c, _lines in prepared])
    CalculationLine.objects.bulk_create([line for _c, lines in prepared for line in lines])
    # Bulk writes send no signals: the dashboard's progress is told of the households.
    progress.touch(calculated)
    if prepared:
        record(
            actor=actor,
            event_type="calculation.batch",
            target=batch,
            project=batch.project_id,
            details={
                "policy_version": policy.version,
                "calculations": {
                    str(c.household_id): [c.number, c.mode, str(c.total)] for c, _l in prepared
                },
                "superseded": [c.pk for c in superseded],
                "skipped": skipped,
            },
        )
    return skipped
