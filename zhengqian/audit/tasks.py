"""Background jobs of the audit module (run by the task worker)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from zhengqian.audit.chain import verify_chain
from zhengqian.audit.models import ChainVerification


@task()
def verify_audit_chain(verification_id: int) -> dict[str, object]:
    """Check the whole chain and store the outcome on the verification record."""
    report = verify_chain()
    ChainVerification.objects.filter(pk=verification_id).update(
        finished_at=timezone.now(),
        ok=report.ok,
        checked=report.checked,
        first_bad_seq=report.first_bad_seq,
        problem=report.problem[:300],
    )
    return report.as_dict()
