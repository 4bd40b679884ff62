"""A valuation rests on survey and confirmation data: when those change, it is marked stale and
must be re-confirmed by the valuer (core.staleness)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from zhengqian.core.models import StaleMark
from zhengqian.core.staleness import upstream_changed

STALE_TARGET = "valuation.valuation"
# What a valuation rests on: the buildings and ancillaries measured, their confirmed areas, and
# the household's kind (a non-residential household has a business stoppage loss).
_SOURCES = {
    "survey.building",
    "survey.ancillary",
    "ownership.buildingconfirmation",
}
_HOUSEHOLD_FIELDS = {"kind"}


def _relevant(source: str, changes: dict[str, Any]) -> bool:
    if source in _SOURCES:
        return True
    return source == "survey.household" and bool(_HOUSEHOLD_FIELDS & set(changes))


@receiver(upstream_changed, dispatch_uid="valuation.mark_stale")
def mark_stale(
    sender: Any,
    *,
    household: Any,
    source: str,
    source_id: Any,
    changes: dict[str, Any],
    actor: Any,
    **kwargs: Any,
) -> StaleMark | None:
    from zhengqian.valuation.models import Valuation

    if not _relevant(source, changes):
        return None
    valuation_id = (
        Valuation.objects.filter(household_id=household.pk).values_list("pk", flat=True).first()
    )
    if valuation_id is None:
        return None
    mark = StaleMark.objects.create(
        household_id=household.pk,
        target_type=STALE_TARGET,
        target_id=valuation_id,
        source=source,
        source_id=str(source_id),
        changes=changes,
    )
    # What the valuation changes in turn reaches the calculation through its own announcement,
    # when the valuer re-confirms it with new figures.
    return mark
