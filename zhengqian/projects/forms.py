from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengqian.accounts.models import User
from zhengqian.core.forms import StyledForm
from zhengqian.projects.models import District, ProjectStatus
from zhengqian.projects.procedures import ProjectKind


class ProjectForm(StyledForm):
    code = forms.RegexField(
        label=_("Project code"),
        max_length=30,
        regex=r"^[\w-]+$",
        help_text=_("Letters, digits, - and _."),
    )
    name = forms.CharField(label=_("Project name"), max_length=100)
    kind = forms.ChoiceField(label=_("Project type"), choices=ProjectKind.choices)
    district = forms.ModelChoiceField(
        label=_("District"), queryset=District.objects.order_by("code")
    )
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    target_households = forms.IntegerField(label=_("Target households"), min_value=0, initial=0)
    target_building_area = forms.DecimalField(
        label=_("Target building area (m²)"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        initial=0,
    )
    target_land_area = forms.DecimalField(
        label=_("Target land area (mu)"), min_value=0, max_digits=12, decimal_places=2, initial=0
    )
    planned_start = forms.DateField(
        label=_("Planned start"), required=False, widget=forms.DateInput
    )
    planned_signing_end = forms.DateField(
        label=_("Planned end of signing"), required=False, widget=forms.DateInput
    )
    planned_demolition_end = forms.DateField(
        label=_("Planned end of demolition"), required=False, widget=forms.DateInput
    )
    demolish_within_days = forms.IntegerField(
        label=_("Days to demolish after payment"),
        min_value=1,
        max_value=365,
        initial=30,
        help_text=_("A house paid for and still standing after this is listed (拿钱没拆)."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, signing = data.get("planned_start"), data.get("planned_signing_end")
        demolition = data.get("planned_demolition_end")
        if start and signing and signing < start:
            self.add_error(
                "planned_signing_end", _("The end of signing cannot be before the start.")
            )
        if signing and demolition and demolition < signing:
            self.add_error(
                "planned_demolition_end",
                _("The end of demolition cannot be before the end of signing."),
            )
        return data


class ProjectEditForm(ProjectForm):
    status = forms.ChoiceField(label=_("Status"), choices=ProjectStatus.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].disabled = True
        self.fields["kind"].help_text = _("The type fixes the legal procedure and cannot change.")


class DistrictForm(StyledForm):
    code = forms.RegexField(label=_("Code"), max_length=20, regex=r"^[\w-]+$")
    name = forms.CharField(label=_("Name"), max_length=60)


class WorkGroupForm(StyledForm):
    name = forms.CharField(label=_("Work group name"), max_length=60)
    leader = forms.ModelChoiceField(
        label=_("Group leader"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, leaders: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if leaders is not None:
            leader_field = self.fields["leader"]
            assert isinstance(leader_field, forms.ModelChoiceField)
            leader_field.queryset = leaders


class MilestoneRecordForm(StyledForm):
    actual_date = forms.DateField(label=_("Date it happened"), widget=forms.DateInput)
    note = forms.CharField(label=_("Note (document number)"), max_length=300, required=False)


class MilestonePlanForm(StyledForm):
    planned_date = forms.DateField(label=_("Planned date"), required=False, widget=forms.DateInput)
