"""Background jobs of the compensation module (run by the task worker)."""

from __future__ import annotations

from django_tasks import task

from zhengqian.compensation.batch import run_batch
from zhengqian.compensation.models import CalculationBatch


@task()
def calculate_batch(batch_id: int) -> dict[str, int]:
    """Calculate the households of a batch; its progress is kept on the batch."""
    batch = run_batch(CalculationBatch.objects.get(pk=batch_id))
    return {"done": batch.done, "skipped": len(batch.skipped)}
