"""Jobs whose worker stopped midway are marked failed, once, and recorded; others are not."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from zhengqian.audit.models import Event
from zhengqian.compensation.models import CalculationBatch
from zhengqian.core.imports import ImportStatus
from zhengqian.core.interrupted import fail_interrupted
from zhengqian.survey.models import SurveyImport

pytestmark = pytest.mark.django_db


def _import(world, status: str, minutes_ago: int) -> SurveyImport:  # type: ignore[no-untyped-def]
    job = SurveyImport.objects.create(
        project=world.project,
        created_by=world.surveyor,
        file="survey/imports/x.xlsx",
        original_name="调查表.xlsx",
        size=10,
        sha256="0" * 64,
        status=status,
    )
    SurveyImport.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return job


def _batch(world, status: str, minutes_ago: int) -> CalculationBatch:  # type: ignore[no-untyped-def]
    batch = CalculationBatch.objects.create(
        project=world.project,
        mode="cash",
        household_ids=[],
        status=status,
        created_by=world.pm,
    )
    CalculationBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return batch


def test_jobs_in_progress_too_long_are_failed_once(world):  # type: ignore[no-untyped-def]
    stuck_check = _import(world, ImportStatus.VALIDATING, 180)
    stuck_write = _import(world, ImportStatus.IMPORTING, 180)
    recent = _import(world, ImportStatus.VALIDATING, 10)
    queued = _import(world, ImportStatus.QUEUED, 600)  # a worker will take it when one runs
    stuck_batch = _batch(world, "running", 500)
    done_batch = _batch(world, "done", 500)

    assert fail_interrupted(minutes=120) == 3
    for job in (stuck_check, stuck_write):
        job.refresh_from_db()
        assert job.status == ImportStatus.FAILED and job.finished_at is not None
        assert "中断" in job.message  # in the office's language, saying what to do
    stuck_batch.refresh_from_db()
    assert stuck_batch.status == "failed" and stuck_batch.error
    for job in (recent, queued):
        job.refresh_from_db()
    assert recent.status == ImportStatus.VALIDATING and queued.status == ImportStatus.QUEUED
    done_batch.refresh_from_db()
    assert done_batch.status == "done"
    events = Event.objects.filter(event_type="job.interrupted")
    assert events.count() == 3 and {e.actor_name for e in events} == {"system"}
    # Idempotent: a second sweep finds nothing more.
    out = io.StringIO()
    call_command("fail_interrupted_jobs", stdout=out)
    assert out.getvalue().strip() == "0 interrupted job(s) marked failed."
