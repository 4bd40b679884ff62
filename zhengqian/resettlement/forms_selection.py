"""Forms of the selection pages. The rules are the services'; these only read the values, with
fields named as the services name them in their errors (attach_errors puts a refusal at the
field that caused it)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengqian.core.forms import StyledForm
from zhengqian.projects.models import Project
from zhengqian.resettlement.models import Building, Estate, Flat, OrderBy
from zhengqian.resettlement.selectors_selection import eligible_households
from zhengqian.resettlement.services_selection import MAX_DESKS, TAKEN
from zhengqian.survey.models import Household


class RoundForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    order_by = forms.ChoiceField(label=_("Order"), choices=OrderBy.choices)
    scheduled_on = forms.DateField(label=_("Selection day"), widget=forms.DateInput())
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    desks = forms.IntegerField(
        label=_("Desks"),
        min_value=1,
        max_value=MAX_DESKS,
        initial=1,
        help_text=_("How many households choose at the same time."),
    )


class HouseholdsForm(StyledForm):
    """Households by code (separated by spaces, commas or new lines), or all eligible ones."""

    codes = forms.CharField(
        label=_("Household codes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Separated by spaces, commas or new lines."),
    )
    all_eligible = forms.BooleanField(label=_("All eligible households"), required=False)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("all_eligible"):
            data["households"] = list(eligible_households(self.project))
            if not data["households"]:
                self.add_error("all_eligible", _("No household is eligible now."))
            return data
        codes = [c for c in re.split(r"[\s,，、;；]+", data.get("codes", "")) if c]
        if not codes:
            self.add_error("codes", _("Enter the codes of the households, or tick all."))
            return data
        found = {h.code: h for h in Household.objects.filter(project=self.project, code__in=codes)}
        unknown = [c for c in dict.fromkeys(codes) if c not in found]
        if unknown:
            self.add_error(
                "codes",
                _("No household of this project has the code(s) %(codes)s.")
                % {"codes": ", ".join(unknown)},
            )
        data["households"] = [found[c] for c in dict.fromkeys(codes) if c in found]
        return data


class FlatsForm(StyledForm):
    """The free flats of an estate, or of one of its buildings."""

    estate = forms.ModelChoiceField(label=_("Estate"), queryset=Estate.objects.none())
    building = forms.ModelChoiceField(
        label=pgettext_lazy("resettlement", "Building"),
        queryset=Building.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = Estate.objects.filter(project=project).order_by("name")  # type: ignore[attr-defined]
        self.fields["building"].queryset = (  # type: ignore[attr-defined]
            Building.objects.filter(estate__project=project)
            .select_related("estate")
            .order_by("estate__name", "name")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        estate, building = data.get("estate"), data.get("building")
        if estate is None:
            return data
        if building is not None and building.estate_id != estate.pk:
            self.add_error("building", _("This building is not in the estate chosen."))
            return data
        flats = Flat.objects.filter(estate=estate, household__isnull=True).exclude(status__in=TAKEN)
        if building is not None:
            flats = flats.filter(building=building)
        data["flats"] = list(flats)
        if not data["flats"]:
            self.add_error("estate", _("No free flat is left there."))
        return data


class DrawForm(StyledForm):
    witness_value = forms.CharField(
        label=_("Witnesses' value"),
        max_length=60,
        required=False,
        help_text=_("E.g. the numbers shown by dice thrown in the hall."),
    )
    notary = forms.CharField(label=_("Notary"), max_length=100, required=False)
    notary_office = forms.CharField(label=_("Notary office"), max_length=100, required=False)
