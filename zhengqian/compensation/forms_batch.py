"""The form of the batch calculation page: the mode for all, the expected dates, and the
households (by code) to calculate. The rules are the batch service's; this only reads values."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengqian.compensation.batch import LATEST
from zhengqian.compensation.forms_calculation import ExpectedDatesForm
from zhengqian.compensation.models import MODE_CHOICES

BATCH_MODE_CHOICES = [*MODE_CHOICES, (LATEST, _("Each household's latest mode"))]


class BatchForm(ExpectedDatesForm):
    mode = forms.ChoiceField(label=_("Resettlement mode"), choices=BATCH_MODE_CHOICES)
    households = forms.CharField(
        label=_("Household codes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Separated by commas or spaces; leave empty to calculate every household you may reach."
        ),
    )

    def clean_households(self) -> list[str]:
        """The codes given, without repeats, in their order (empty: all households)."""
        text = self.cleaned_data.get("households") or ""
        codes = [c for c in re.split(r"[\s,，、;；]+", text) if c]
        return list(dict.fromkeys(codes))
