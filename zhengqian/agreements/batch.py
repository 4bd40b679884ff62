"""Drafting the agreements of many households in the background (before a signing day).

Each agreement is drafted exactly as one drafted by hand — its own transaction, the next number,
the Word file and its PDF — so a household that cannot have one (a stale calculation, no
template for its type) is left out with the reason and takes no number; the others go on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import require, work_group_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements import services
from zhengqian.agreements.models import Agreement, AgreementStatus, BatchStatus, DraftBatch
from zhengqian.audit.services import record
from zhengqian.compensation.models import Calculation
from zhengqian.projects.models import Project

# Up to this many agreements the drafting runs within the request; beyond it, in the worker.
SYNC_MAX = 10
PROGRESS_EVERY = 10


def waiting(actor: Any, project: Project | int) -> QuerySet[Calculation]:
    """The approved calculations of households the actor may reach that have no agreement in
    force and no newer approved calculation: what a signing day would draft."""
    project_id = project if isinstance(project, int) else project.pk
    live = Agreement.objects.filter(household_id=OuterRef("household_id"), parent__isnull=True)
    qs = (
        services.current_approved()
        .filter(household__project_id=project_id)
        .exclude(Exists(live.exclude(status=AgreementStatus.VOID)))
    )
    groups = work_group_ids_with(actor, Module.AGREEMENTS, Action.CREATE, project_id)
    if groups is not None:
        qs = qs.filter(household__work_group_id__in=groups)
    return qs.order_by("household__code")


@transaction.atomic
def drafts_start(
    *, actor: Any, project: Project, household_ids: Iterable[int] | None = None
) -> DraftBatch:
    """Queue the drafting of the agreements waiting in the project (or of the households
    given)."""
    require(actor, Module.AGREEMENTS, Action.CREATE, project=project)
    qs = waiting(actor, project)
    if household_ids is not None:
        qs = qs.filter(household_id__in=list(household_ids))
    ids = list(qs.values_list("pk", flat=True))
    if not ids:
        raise ValidationError(_("No approved calculation is waiting for an agreement."), "empty")
    batch = DraftBatch.objects.create(
        project=project, calculation_ids=ids, total=len(ids), created_by=actor
    )
    record(
        actor=actor,
        event_type="agreement.batch_start",
        target=batch,
        project=project.pk,
        details={"calculations": len(ids)},
    )
    return batch


def run_drafts(batch: DraftBatch) -> DraftBatch:
    """Draft every agreement of the batch, one transaction each."""
    DraftBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
    actor = batch.created_by
    skipped: dict[str, str] = {}
    done = 0
    try:
        calculations = Calculation.objects.select_related("household").in_bulk(
            batch.calculation_ids
        )
        for position, pk in enumerate(batch.calculation_ids, start=1):
            calculation = calculations.get(pk)
            if calculation is not None:
                try:
                    services.draft(actor=actor, calculation=calculation)
                    done += 1
                except ValidationError as exc:
                    skipped[calculation.household.code] = " ".join(exc.messages)
                except PermissionDenied as exc:  # the starter's role changed meanwhile
                    skipped[calculation.household.code] = str(exc)
            if position % PROGRESS_EVERY == 0:
                DraftBatch.objects.filter(pk=batch.pk).update(done=position, skipped=skipped)
    except Exception as exc:
        DraftBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        DraftBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.DONE,
            done=len(batch.calculation_ids),
            skipped=skipped,
            finished_at=timezone.now(),
        )
        record(
            actor=actor,
            event_type="agreement.batch",
            target=batch,
            project=batch.project_id,
            details={"drafted": done, "skipped": skipped},
        )
    batch.refresh_from_db()
    return batch
