"""Forms of the calculation pages: what the accountant chooses before calculating, and the
reviewer's decision. The rules are the services'; these only read the values."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengqian.compensation.models import MODE_CHOICES
from zhengqian.core.forms import StyledForm

APPROVE = "approve"
RETURN = "return"


class ExpectedDatesForm(StyledForm):
    """The mode and the expected days of signing and vacating, for the day-tiered items."""

    mode = forms.ChoiceField(label=_("Resettlement mode"), choices=MODE_CHOICES)
    signing_on = forms.DateField(
        label=_("Expected signing date"),
        required=False,
        widget=forms.DateInput(),
        help_text=_("Used by items that depend on the day of signing."),
    )
    vacating_on = forms.DateField(
        label=_("Expected vacating date"),
        required=False,
        widget=forms.DateInput(),
        help_text=_("Used by items that depend on the day of vacating."),
    )


class CalculateForm(ExpectedDatesForm):
    exchange_area = forms.DecimalField(
        label=_("Area of the new flats (m²)"),
        required=False,
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("For property exchange only."),
    )


class ReviewForm(StyledForm):
    decision = forms.ChoiceField(
        choices=[(APPROVE, _("Approve")), (RETURN, _("Return"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Reason or remark"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when returning the calculation."),
    )
