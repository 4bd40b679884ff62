"""Background jobs of the agreements module (run by the task worker)."""

from __future__ import annotations

from django_tasks import task

from zhengqian.agreements.batch import run_drafts
from zhengqian.agreements.models import DraftBatch


@task()
def draft_agreements(batch_id: int) -> dict[str, int]:
    """Draft the agreements of a batch; its progress is kept on the batch."""
    batch = run_drafts(DraftBatch.objects.get(pk=batch_id))
    return {"done": batch.done, "skipped": len(batch.skipped)}
