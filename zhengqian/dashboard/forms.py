"""Forms of the dashboards: the leader's filters and a project's plan points."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengqian.dashboard.models import PlanMeasure


class LeaderFilterForm(forms.Form):
    district = forms.TypedChoiceField(label=_("District"), required=False, coerce=int)
    project_kind = forms.ChoiceField(label=_("Project type"), required=False)

    def __init__(
        self,
        *args: Any,
        districts: list[tuple[int, str]],
        kinds: list[tuple[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["district"]).choices = [
            ("", _("All districts")),
            *districts,
        ]
        cast(forms.ChoiceField, self.fields["project_kind"]).choices = [
            ("", _("All project types")),
            *kinds,
        ]
        for f in self.fields.values():
            f.widget.attrs["class"] = "form-select form-select-sm"


def _date() -> forms.DateField:
    return forms.DateField(
        label=_("Due by"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )


def _percent() -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Percent of households"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )


class PlanPointForm(forms.Form):
    measure = forms.ChoiceField(
        label=_("Measure"),
        choices=PlanMeasure.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    due_on = _date()
    percent = _percent()


class PlanPointChangeForm(forms.Form):
    due_on = _date()
    percent = _percent()

    def __init__(self, *args: Any, point_pk: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.point_pk = point_pk
