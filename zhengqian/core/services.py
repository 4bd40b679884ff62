"""Writes of the administrator's reference data: dictionaries and the holiday calendar."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record, snapshot
from zhengqian.core.models import CalendarDay, CalendarDayKind, CalendarYear, DictionaryEntry
from zhengqian.core.updates import apply_changes, lock

ENTRY_FIELDS = ("label_zh", "label_en", "sort_order", "active")


@transaction.atomic
def dictionary_entry_create(
    *,
    actor: Any,
    kind: str,
    code: str,
    label_zh: str,
    label_en: str = "",
    sort_order: int = 0,
) -> DictionaryEntry:
    require(actor, Module.DICTIONARIES, Action.CREATE)
    entry = DictionaryEntry(
        kind=kind, code=code, label_zh=label_zh, label_en=label_en, sort_order=sort_order
    )
    entry.full_clean()
    entry.save()
    record(
        actor=actor,
        event_type="dictionary.create",
        target=entry,
        changes={f: [None, v] for f, v in snapshot(entry, ("kind", "code", *ENTRY_FIELDS)).items()},
    )
    return entry


@transaction.atomic
def dictionary_entry_update(
    *, actor: Any, entry: DictionaryEntry, **fields: Any
) -> DictionaryEntry:
    """Labels, order and activity change; the code never does (records keep it)."""
    require(actor, Module.DICTIONARIES, Action.CHANGE)
    entry = lock(entry)
    changes = apply_changes(entry, fields, allowed=ENTRY_FIELDS)
    if changes:
        record(actor=actor, event_type="dictionary.update", target=entry, changes=changes)
    return entry


@transaction.atomic
def calendar_import(*, actor: Any, csv_text: str, source: str = "") -> int:
    """Load a year's holidays (date,kind,name rows). All rows or none; returns the rows loaded.

    Each year in the file becomes a known year, and its earlier entries are replaced, since a
    State Council notice always gives the whole year.
    """
    require(actor, Module.DICTIONARIES, Action.CHANGE)
    reader = csv.DictReader(io.StringIO(csv_text))
    if reader.fieldnames is None or not {"date", "kind", "name"} <= set(reader.fieldnames):
        raise ValidationError(_("The file needs the columns date, kind and name."))
    errors: list[str] = []
    rows: list[CalendarDay] = []
    for line, row in enumerate(reader, start=2):
        try:
            day = dt.date.fromisoformat((row.get("date") or "").strip())
        except ValueError:
            errors.append(
                _("Row %(line)d: “%(value)s” is not a date (YYYY-MM-DD).")
                % {"line": line, "value": row.get("date")}
            )
            continue
        kind = (row.get("kind") or "").strip()
        if kind not in CalendarDayKind.values:
            errors.append(
                _("Row %(line)d: kind must be holiday or workday, not “%(value)s”.")
                % {"line": line, "value": kind}
            )
            continue
        if kind == CalendarDayKind.WORKDAY and day.weekday() < 5:
            errors.append(
                _(
                    "Row %(line)d: %(date)s is a weekday; only a weekend day can be worked in exchange."  # noqa: E501 (one translatable sentence)
                )
                % {"line": line, "date": day}
            )
            continue
        rows.append(CalendarDay(date=day, kind=kind, name=(row.get("name") or "").strip()[:40]))
    dates = [r.date for r in rows]
    if len(set(dates)) != len(dates):
        errors.append(_("A date appears twice in the file."))
    if not rows and not errors:
        errors.append(_("The file has no rows."))
    if errors:
        raise ValidationError(errors)
    years = sorted({d.year for d in dates})
    removed = CalendarDay.objects.filter(date__year__in=years).count()
    CalendarDay.objects.filter(date__year__in=years).delete()
    CalendarDay.objects.bulk_create(rows)
    for year in years:
        CalendarYear.objects.update_or_create(year=year, defaults={"source": source[:200]})
    record(
        actor=actor,
        event_type="calendar.import",
        target_type="core.calendaryear",
        target_id=",".join(map(str, years)),
        target_repr=_("Holiday calendar %(years)s") % {"years": ", ".join(map(str, years))},
        details={"rows": len(rows), "replaced": removed, "source": source},
    )
    return len(rows)


@transaction.atomic
def calendar_day_remove(*, actor: Any, day: CalendarDay) -> None:
    require(actor, Module.DICTIONARIES, Action.CHANGE)
    record(
        actor=actor,
        event_type="calendar.remove",
        target=day,
        changes={"date": [day.date.isoformat(), None], "kind": [day.kind, None]},
    )
    day.delete()
