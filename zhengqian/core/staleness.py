"""One-click synchronisation (一键同步多模块数据): upstream changes reach downstream modules.

When survey or confirmation data that later work rests on changes (an area re-measured, a
person's eligibility corrected), the module that changed it sends `upstream_changed` inside the
same transaction. Each downstream module (valuation, calculation, agreements) connects a
receiver that marks its own records of that household stale, with what changed; stale work must
be redone and reviewed again before it goes on. The marks themselves are StaleMark rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.dispatch import Signal

# Sent with: household (survey.Household), source (e.g. "survey.building"), source_id, changes
# ({field: [old, new]}), actor. Receivers run inside the sender's transaction.
upstream_changed = Signal()


def announce_change(
    *, household: Any, source: str, source_id: Any, changes: Mapping[str, Any], actor: Any
) -> list[tuple[Any, Any]]:
    """Tell every downstream module; returns what the receivers returned (for the record)."""
    if not changes:
        return []
    return upstream_changed.send(
        sender=source,
        household=household,
        source=source,
        source_id=source_id,
        changes=dict(changes),
        actor=actor,
    )
