"""A calculation rests on survey, confirmation and valuation data: when any of it changes, every
calculation of the household still in use is marked stale with what changed (old → new), and
cannot go on to an agreement until it is recalculated and reviewed again."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from zhengqian.core.models import StaleMark
from zhengqian.core.staleness import upstream_changed

STALE_TARGET = "compensation.calculation"
# What a calculation rests on: buildings and ancillaries, their confirmed areas, the eligible
# persons, the valuation, and the household's kind.
_SOURCES = {
    "survey.building",
    "survey.ancillary",
    "ownership.buildingconfirmation",
    "ownership.personconfirmation",
    "valuation.valuation",
}


@receiver(upstream_changed, dispatch_uid="compensation.mark_stale")
def mark_stale(
    sender: Any,
    *,
    household: Any,
    source: str,
    source_id: Any,
    changes: dict[str, Any],
    actor: Any,
    **kwargs: Any,
) -> list[StaleMark]:
    from zhengqian.compensation.models import Calculation, CalculationStatus

    if source not in _SOURCES and not (source == "survey.household" and "kind" in changes):
        return []
    ids = (
        Calculation.objects.filter(household_id=household.pk)
        .exclude(status=CalculationStatus.SUPERSEDED)
        .values_list("pk", flat=True)
    )
    return StaleMark.objects.bulk_create(
        StaleMark(
            household_id=household.pk,
            target_type=STALE_TARGET,
            target_id=pk,
            source=source,
            source_id=str(source_id),
            changes=changes,
        )
        for pk in ids
    )
