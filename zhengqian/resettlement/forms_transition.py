"""Forms of the transition fee pages: only the question "if the estates are late by N more
months"; the rules are in services_transition."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengqian.core.forms import StyledForm

# Ten years: far beyond any delay an office plans for.
MOST_MONTHS = 120


class ProjectionForm(StyledForm):
    more = forms.IntegerField(
        label=_("If the estates not handed over are late by this many more months"),
        min_value=1,
        max_value=MOST_MONTHS,
        error_messages={
            "required": _("Give a number of months."),
            "min_value": _("Give at least one month."),
            "max_value": _("Give at most %(limit_value)s months."),
        },
    )
