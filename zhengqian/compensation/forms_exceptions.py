"""Forms of the exceptions pages: recording a collective decision, and calculating with one
line departing from the policy. The rules are the services'; these only read the values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengqian.compensation.forms_calculation import CalculateForm
from zhengqian.compensation.models import CollectiveDecision
from zhengqian.core.forms import StyledForm


class DecisionForm(StyledForm):
    meeting_date = forms.DateField(label=_("Meeting date"), widget=forms.DateInput())
    participants = forms.CharField(
        label=_("Participants"), widget=forms.Textarea(attrs={"rows": 2})
    )
    decision = forms.CharField(
        label=pgettext_lazy("collective decision", "Decision"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    document = forms.FileField(
        label=_("Minutes"),
        required=False,
        help_text=_("The signed minutes of the meeting: PDF, JPEG or PNG."),
    )


class ExceptionCalculateForm(CalculateForm):
    item = forms.ChoiceField(label=_("Policy item"))
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), max_digits=14, decimal_places=2, min_value=Decimal("0.00")
    )
    exception_decision = forms.ModelChoiceField(
        label=_("Collective decision"), queryset=CollectiveDecision.objects.none()
    )

    def __init__(
        self,
        *args: Any,
        items: list[tuple[str, str]],
        project_id: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["item"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = items
        decisions = self.fields["exception_decision"]
        assert isinstance(decisions, forms.ModelChoiceField)
        decisions.queryset = CollectiveDecision.objects.filter(project_id=project_id)
