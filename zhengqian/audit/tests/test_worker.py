"""The chain check through the real task queue: enqueued in the database, run by db_worker."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from zhengqian.audit.models import ChainVerification
from zhengqian.audit.services import record
from zhengqian.audit.tasks import verify_audit_chain


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_the_chain_check(settings, world):  # type: ignore[no-untyped-def]
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    with transaction.atomic():
        record(actor=world.pm, event_type="test.write")
    verification = ChainVerification.objects.create(requested_at=timezone.now())
    result = verify_audit_chain.enqueue(verification.pk)
    verification.refresh_from_db()
    assert verification.ok is None  # queued, not yet run
    call_command("db_worker", batch=True, no_startup_delay=True, interval=0.1)
    verification.refresh_from_db()
    assert verification.ok is True and verification.checked == 1
    result.refresh()
    assert result.status == "SUCCESSFUL"
    assert result.return_value["ok"] is True
