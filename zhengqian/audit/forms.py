from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqian.audit.models import EventKind
from zhengqian.audit.selectors import TrailFilter
from zhengqian.core.forms import StyledForm


class TrailSearchForm(StyledForm):
    actor = forms.CharField(label=_("User (login name or id)"), required=False, max_length=150)
    project = forms.IntegerField(label=_("Project id"), required=False, min_value=1)
    target_type = forms.CharField(label=_("Record type"), required=False, max_length=64)
    target_id = forms.CharField(label=_("Record id"), required=False, max_length=64)
    event_type = forms.CharField(label=_("Event type"), required=False, max_length=64)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *EventKind.choices]
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput)
    until = forms.DateField(label=_("To (inclusive)"), required=False, widget=forms.DateInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("The end is before the start."))
        return data

    def to_filter(self) -> TrailFilter:
        d = self.cleaned_data
        tz = timezone.get_current_timezone()

        def start(day: dt.date | None) -> dt.datetime | None:
            return dt.datetime.combine(day, dt.time.min, tzinfo=tz) if day else None

        return TrailFilter(
            actor=d.get("actor") or "",
            project_id=d.get("project"),
            target_type=d.get("target_type") or "",
            target_id=d.get("target_id") or "",
            event_type=d.get("event_type") or "",
            kind=d.get("kind") or "",
            since=start(d.get("since")),
            until=start(d["until"] + dt.timedelta(days=1)) if d.get("until") else None,
        )
