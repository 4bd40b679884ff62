"""The forms of the housing stock pages; the rules are in services_stock."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengqian.core.forms import StyledForm
from zhengqian.resettlement.models import Building, Estate, Flat, FlatStatus
from zhengqian.resettlement.selectors_stock import Filters
from zhengqian.resettlement.services_stock import MANUAL


def _field(model: type[Any], name: str, **kwargs: Any) -> Any:
    return model._meta.get_field(name).formfield(**kwargs)


class EstateForm(StyledForm):
    name = _field(Estate, "name")
    address = _field(Estate, "address")
    planned_handover = _field(Estate, "planned_handover", widget=forms.DateInput())
    notes = _field(Estate, "notes", widget=forms.Textarea(attrs={"rows": 2}))

    @classmethod
    def for_estate(cls, estate: Estate, data: Any = None) -> EstateForm:
        return cls(data, initial={name: getattr(estate, name) for name in cls.base_fields})


class BuildingForm(StyledForm):
    name = _field(Building, "name")
    floors = _field(Building, "floors")


MANUAL_CHOICES = [(s.value, s.label) for s in MANUAL]


class FlatForm(StyledForm):
    building = forms.ModelChoiceField(label=_("Building"), queryset=Building.objects.none())
    unit_no = _field(Flat, "unit_no")
    floor = _field(Flat, "floor")
    layout = _field(Flat, "layout")
    area = _field(Flat, "area")
    orientation = _field(Flat, "orientation")
    price_basis = _field(Flat, "price_basis")
    status = forms.ChoiceField(label=_("Status"), choices=MANUAL_CHOICES)

    def __init__(self, *args: Any, estate: Estate, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        building = self.fields["building"]
        assert isinstance(building, forms.ModelChoiceField)
        building.queryset = Building.objects.filter(estate=estate)
        if editing:
            # The building and status of a flat are not edited here.
            del self.fields["building"]
            del self.fields["status"]

    @classmethod
    def for_flat(cls, flat: Flat, data: Any = None) -> FlatForm:
        form = cls(data, estate=flat.estate, editing=True)
        form.initial = {name: getattr(flat, name) for name in form.fields}
        return form


class FlatStatusForm(StyledForm):
    status = forms.ChoiceField(label=_("Status"), choices=MANUAL_CHOICES)
    reason = forms.CharField(label=_("Reason (when moving back)"), max_length=300, required=False)


class HandoverForm(StyledForm):
    on = forms.DateField(label=_("Actual handover date"), widget=forms.DateInput())


class StockUploadForm(StyledForm):
    file = forms.FileField(label=_("Workbook (.xlsx)"))


class FilterForm(StyledForm):
    estate = forms.ModelChoiceField(
        label=_("Estate"), queryset=Estate.objects.none(), required=False
    )
    building = forms.ModelChoiceField(
        label=_("Building"), queryset=Building.objects.none(), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *FlatStatus.choices], required=False
    )
    layout = forms.ChoiceField(label=_("Layout"), choices=[("", "—")], required=False)
    area_min = forms.DecimalField(label=_("Area from (m²)"), decimal_places=2, required=False)
    area_max = forms.DecimalField(label=_("Area to (m²)"), decimal_places=2, required=False)

    def __init__(self, *args: Any, project: Any, layouts: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        estate, building, layout = (self.fields[n] for n in ("estate", "building", "layout"))
        assert isinstance(estate, forms.ModelChoiceField)
        assert isinstance(building, forms.ModelChoiceField)
        assert isinstance(layout, forms.ChoiceField)
        estate.queryset = Estate.objects.filter(project=project)
        building.queryset = Building.objects.filter(estate__project=project).select_related(
            "estate"
        )
        layout.choices = [("", "—"), *((name, name) for name in layouts)]

    def filters(self) -> Filters:
        if not self.is_valid():
            return Filters()
        d = self.cleaned_data
        return Filters(
            estate=d["estate"].pk if d.get("estate") else None,
            building=d["building"].pk if d.get("building") else None,
            status=d.get("status") or "",
            layout=d.get("layout") or "",
            area_min=d.get("area_min"),
            area_max=d.get("area_max"),
        )
