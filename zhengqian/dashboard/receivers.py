"""Every saved or deleted record that changes a household's progress refreshes it (at once, or
on leaving `progress.deferred()`)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models.signals import post_delete, post_save, pre_delete

from zhengqian.dashboard import progress

# The records a household's progress is derived from (each has a `household_id`), with the
# fields it reads: a save limited to other fields (update_fields) changes nothing of it.
SOURCES = {
    "survey.Building": {"household", "measured_area"},
    "ownership.Confirmation": {"household", "status"},
    "valuation.Valuation": {"household", "status"},
    "compensation.Calculation": {"household", "number", "status", "mode"},
    "agreements.Agreement": {"household", "kind", "status", "signed_on", "parent"},
    "payments.HouseholdAccount": {"household", "committed", "paid", "last_paid_on", "void"},
    "demolition.Vacating": {"household", "accepted_on"},
    "demolition.Demolition": {"household", "demolished_on"},
    "holdouts.Case": {"household", "status"},
}
HOUSEHOLD_FIELDS = {"project", "work_group", "kind"}


def _reads(sender: Any, update_fields: Any, fields: set[str]) -> bool:
    if update_fields is None:
        return True
    names = {sender._meta.get_field(name).name for name in update_fields}
    return bool(names & fields)


def _source_saved(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or not _reads(sender, update_fields, SOURCES[sender._meta.label]):
        return
    progress.touch([instance.household_id])


def _source_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    progress.touch([instance.household_id])


def _household_saved(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or not _reads(sender, update_fields, HOUSEHOLD_FIELDS):
        return
    progress.touch([instance.pk])


def _household_deleting(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Before the row goes (with its progress row, by cascade): its counters are taken back now.
    progress.deleting(instance.pk)


def _household_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    progress.deleted(instance.pk)


def _project_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    # A project moved to another district: its households' rows and cells follow.
    from zhengqian.dashboard.models import HouseholdProgress

    if raw or kwargs.get("created"):
        return
    ids = list(
        HouseholdProgress.objects.filter(project_id=instance.pk)
        .exclude(district_id=instance.district_id)
        .values_list("pk", flat=True)
    )
    progress.touch(ids)


def _work_group_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Its households were set to no group by a plain UPDATE (no signal of their own).
    from zhengqian.dashboard.models import HouseholdProgress

    ids = list(
        HouseholdProgress.objects.filter(
            project_id=instance.project_id, group_id=instance.pk
        ).values_list("pk", flat=True)
    )
    progress.touch(ids)


def connect() -> None:
    for label in SOURCES:
        model = apps.get_model(label)
        uid = f"dashboard.progress.{label}"
        post_save.connect(_source_saved, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_source_deleted, sender=model, dispatch_uid=f"{uid}.delete")
    household = apps.get_model("survey.Household")
    post_save.connect(_household_saved, sender=household, dispatch_uid="dashboard.progress.hh")
    pre_delete.connect(
        _household_deleting, sender=household, dispatch_uid="dashboard.progress.hh.delete"
    )
    post_delete.connect(
        _household_deleted, sender=household, dispatch_uid="dashboard.progress.hh.deleted"
    )
    post_save.connect(
        _project_saved, sender=apps.get_model("projects.Project"), dispatch_uid="dashboard.proj"
    )
    post_delete.connect(
        _work_group_deleted,
        sender=apps.get_model("projects.WorkGroup"),
        dispatch_uid="dashboard.progress.group",
    )
