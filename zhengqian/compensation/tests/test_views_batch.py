"""The batch calculation pages: the form to start a batch (run within the request when small),
refused for staff without the right (403) and another project's (404), unknown codes at the
field, the batch's page with the households left out, and its progress partial."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from zhengqian.compensation import batch
from zhengqian.compensation.models import BatchStatus, Calculation, CalculationBatch
from zhengqian.ownership.tests.conftest import make_household

pytestmark = pytest.mark.django_db


def batch_url(project: Any) -> str:
    return f"/compensation/projects/{project.pk}/batch/"


def detail_url(job: Any, action: str = "") -> str:
    return f"/compensation/batches/{job.pk}/{action}"


def test_an_accountant_starts_a_small_batch_within_the_request(comp, login):  # type: ignore[no-untyped-def]
    client = login(comp.accountant)
    page = client.get(batch_url(comp.project))
    assert page.status_code == 200 and 'data-testid="batch-form"' in page.content.decode()
    r = client.post(
        batch_url(comp.project),
        {"mode": "cash", "households": comp.household.code, "signing_on": comp.signing_day},
    )
    job = CalculationBatch.objects.get()
    assert r.status_code == 302 and r["Location"] == detail_url(job)
    assert job.status == BatchStatus.DONE and (job.done, job.total) == (1, 1)
    assert job.signing_on == comp.signing_day
    assert Calculation.objects.filter(household=comp.household).count() == 1
    listed = client.get(batch_url(comp.project)).content.decode()
    assert f'data-batch="{job.pk}"' in listed


def test_the_batch_page_lists_the_households_left_out_with_a_link_to_the_queue(comp, login):  # type: ignore[no-untyped-def]
    make_household(comp.project, code="H-BARE", work_group=comp.world.group)
    client = login(comp.accountant)
    r = client.post(batch_url(comp.project), {"mode": "cash", "households": ""})
    job = CalculationBatch.objects.get()
    assert job.total == 2 and set(job.skipped) == {"H-BARE"}
    body = client.get(r["Location"]).content.decode()
    assert 'data-code="H-BARE"' in body and job.skipped["H-BARE"] in body
    assert f"/compensation/projects/{comp.project.pk}/queue/" in body
    # A finished batch is not polled any more (the header's own notification bell still is).
    progress_url = reverse("compensation:batch_progress", args=[job.pk])
    assert 'data-testid="batch-progress"' in body and f'hx-get="{progress_url}' not in body


def test_unknown_codes_are_reported_at_the_field(comp, login):  # type: ignore[no-untyped-def]
    r = login(comp.accountant).post(
        batch_url(comp.project),
        {"mode": "cash", "households": f"{comp.household.code}, NOPE-1 NOPE-2"},
    )
    assert r.status_code == 400
    assert r.context["form"].errors["households"] == ["以下户编号不存在：NOPE-1, NOPE-2。"]
    assert not CalculationBatch.objects.exists()


def test_a_policy_reviewer_sees_the_list_only_and_may_not_start(comp, login):  # type: ignore[no-untyped-def]
    client = login(comp.policy_reviewer)
    page = client.get(batch_url(comp.project))
    assert page.status_code == 200 and 'data-testid="batch-form"' not in page.content.decode()
    assert client.post(batch_url(comp.project), {"mode": "cash"}).status_code == 403
    assert not CalculationBatch.objects.exists()


def test_another_projects_accountant_gets_404(comp, login):  # type: ignore[no-untyped-def]
    job = batch.batch_start(actor=comp.accountant, project=comp.project, mode="cash")
    client = login(comp.other_accountant)
    assert client.get(batch_url(comp.project)).status_code == 404
    assert client.post(batch_url(comp.project), {"mode": "cash"}).status_code == 404
    assert client.get(detail_url(job)).status_code == 404
    assert client.get(detail_url(job, "progress/")).status_code == 404


def test_the_progress_partial_polls_while_queued_and_refreshes_when_done(comp, login):  # type: ignore[no-untyped-def]
    job = batch.batch_start(actor=comp.accountant, project=comp.project, mode="cash")
    client = login(comp.accountant)
    page = client.get(detail_url(job)).content.decode()
    assert 'hx-trigger="every 2s"' in page and 'data-testid="skipped' not in page
    partial = client.get(detail_url(job, "progress/"), headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "HX-Refresh" not in partial
    assert 'data-status="queued"' in partial.content.decode()
    batch.run_batch(job)
    partial = client.get(detail_url(job, "progress/"), headers={"HX-Request": "true"})
    assert partial["HX-Refresh"] == "true"
    assert 'data-status="done"' in partial.content.decode()
    assert "已核算 1 户，共 1 户。" in partial.content.decode()


def test_a_larger_batch_goes_to_the_worker(comp, login, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(batch, "SYNC_MAX", 0)
    r = login(comp.accountant).post(batch_url(comp.project), {"mode": "cash"})
    job = CalculationBatch.objects.get()
    assert r["Location"] == detail_url(job)
    assert job.status == BatchStatus.DONE  # the tests' task backend runs it at once


def test_the_review_queue_links_to_the_batch_page(comp, login):  # type: ignore[no-untyped-def]
    body = login(comp.accountant).get(f"/compensation/projects/{comp.project.pk}/queue/")
    assert batch_url(comp.project) in body.content.decode()
