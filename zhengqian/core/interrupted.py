"""Background jobs whose worker stopped in the middle (a restart, a crash): without this they
would show "checking…" or "calculating…" for ever and their page would poll in vain.

A job in progress (an import being checked or written, a batch running) that started longer ago
than any job takes is marked failed with a message that says what to do. Jobs still queued are
left alone: a worker will take them when one runs again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.audit.services import record
from zhengqian.core.imports import ImportJob, ImportStatus
from zhengqian.core.models import BackgroundBatch

DEFAULT_MINUTES = 120
IMPORT_IN_PROGRESS = (ImportStatus.VALIDATING, ImportStatus.IMPORTING)
BATCH_IN_PROGRESS = ("running",)


def _job_models() -> list[tuple[type[Any], tuple[str, ...]]]:
    found: list[tuple[type[Any], tuple[str, ...]]] = []
    for model in apps.get_models():
        if issubclass(model, ImportJob):
            found.append((model, tuple(str(s) for s in IMPORT_IN_PROGRESS)))
        elif issubclass(model, BackgroundBatch):
            found.append((model, BATCH_IN_PROGRESS))
    return found


def fail_interrupted(*, minutes: int = DEFAULT_MINUTES, now: dt.datetime | None = None) -> int:
    """Mark the jobs in progress for longer than `minutes` as failed; how many were. Each is
    recorded in the audit trail (by the system). Idempotent."""
    cutoff = (now or timezone.now()) - dt.timedelta(minutes=minutes)
    message = _(
        "Interrupted: the background worker stopped while this job ran. Nothing of it was kept "
        "half-written; start it again."
    )
    count = 0
    for model, in_progress in _job_models():
        with transaction.atomic():
            stuck = list(
                model.objects.select_for_update().filter(
                    status__in=in_progress, created_at__lt=cutoff
                )
            )
            for job in stuck:
                old = job.status
                job.status = "failed"
                job.finished_at = timezone.now()
                fields = ["status", "finished_at"]
                if isinstance(job, ImportJob):
                    job.message = message[:500]
                    fields.append("message")
                else:
                    job.error = message
                    fields.append("error")
                job.save(update_fields=fields)
                record(
                    actor=None,
                    actor_name="system",
                    event_type="job.interrupted",
                    target=job,
                    project=getattr(job, "project_id", None),
                    changes={"status": [old, "failed"]},
                    details={"started": job.created_at.isoformat(), "minutes": minutes},
                )
            count += len(stuck)
    return count
