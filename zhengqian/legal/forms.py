"""Forms of the legal pages; every rule is checked by legal.services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengqian.core.forms import StyledForm


class OpenForm(StyledForm):
    path = forms.ChoiceField(label=_("Legal path"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, paths: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["path"]).choices = paths


class StepForm(StyledForm):
    code = forms.ChoiceField(label=_("Step"))
    done_on = forms.DateField(label=_("Date"))
    document_no = forms.CharField(label=_("Document number (文号)"), max_length=100, required=False)
    document = forms.FileField(
        label=_("Document (PDF, JPEG or PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    note = forms.CharField(
        label=_("Note (required when recorded after the last date)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, codes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["code"]).choices = codes
