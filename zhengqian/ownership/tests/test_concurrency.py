"""Two decisions of one change request at the same moment: it applies once (PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections

from zhengqian.accounts.roles import RoleCode
from zhengqian.core.staleness import upstream_changed
from zhengqian.ownership import services
from zhengqian.ownership.models import ChangeRequest, ChangeStatus
from zhengqian.ownership.tests.conftest import lock_confirmation
from zhengqian.testing.concurrency import POSTGRES_ONLY
from zhengqian.testing.factories import UserFactory, grant

pytestmark = POSTGRES_ONLY


def test_two_managers_approving_at_once_apply_the_change_once(own) -> None:  # type: ignore[no-untyped-def]
    second_pm = UserFactory(username="pm2")
    grant(second_pm, RoleCode.PROJECT_MANAGER, own.world.project)
    lock_confirmation(own.officer, own.pm, own.household)
    cr = services.change_request_create(
        actor=own.world.surveyor,
        household=own.household,
        target_type="survey.building",
        target_id=own.big.pk,
        field="floors",
        new_value="3",
        reason="复核",
    )
    announced: list[Any] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        announced.append(kwargs["changes"])

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(actor: Any) -> None:
        try:
            barrier.wait()
            services.change_request_decide(
                actor=actor, change_request=ChangeRequest.objects.get(pk=cr.pk), approve=True
            )
            outcomes.append("applied")
        except ValidationError as exc:
            outcomes.append(exc.code or "")
        finally:
            connections.close_all()

    upstream_changed.connect(receiver, weak=False, dispatch_uid="concurrency")
    try:
        threads = [threading.Thread(target=decide, args=(u,)) for u in (own.pm, second_pm)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        upstream_changed.disconnect(dispatch_uid="concurrency")
    assert sorted(outcomes) == ["applied", "decided"]
    assert announced == [{"floors": [2, 3]}]
    assert ChangeRequest.objects.get().status == ChangeStatus.APPROVED
