"""Forms of the survey pages. They only shape and pre-check input: the services validate the
records (full_clean), check the actor's rights and write.

Dictionary-coded fields (structure type, relation, document kind …) take their choices from
the administrator's data dictionaries, loaded with one query per form.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from zhengqian.core.dictionaries import DictionaryKind
from zhengqian.core.forms import StyledForm
from zhengqian.core.idcard import parse_id_number
from zhengqian.core.models import DictionaryEntry
from zhengqian.ownership.models import Confirmation, ConfirmationStatus
from zhengqian.projects.models import WorkGroup
from zhengqian.survey.models import (
    Ancillary,
    Building,
    Household,
    HouseholdKind,
    Person,
    Sex,
)

# --- Data dictionaries ------------------------------------------------------------------------


def dictionary_labels(*kinds: str) -> dict[str, dict[str, str]]:
    """{kind: {code: label}} for display, one query for all the kinds. Deactivated entries are
    included: a record keeps the code it was filed with."""
    labels: dict[str, dict[str, str]] = {kind: {} for kind in kinds}
    for entry in DictionaryEntry.objects.filter(kind__in=kinds):
        labels[entry.kind][entry.code] = entry.label
    return labels


def label_of(labels: dict[str, dict[str, str]], kind: str, code: str) -> str:
    """The label of a code; the code itself if the dictionary does not know it."""
    return labels.get(kind, {}).get(code, code) if code else ""


class DictionaryChoiceField(forms.ChoiceField):
    """A choice among the active entries of one data dictionary (filled in by the form)."""

    def __init__(self, *, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(choices=(), **kwargs)


class _DictionaryForm(StyledForm):
    """Fills its DictionaryChoiceFields with one query, keeping a current code that has been
    deactivated since, so that editing a record does not force a change of it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = {
            name: f for name, f in self.fields.items() if isinstance(f, DictionaryChoiceField)
        }
        if not fields:
            return
        kinds = {f.kind for f in fields.values()}
        entries = DictionaryEntry.objects.filter(kind__in=kinds)
        active: dict[str, list[tuple[str, str]]] = {kind: [] for kind in kinds}
        every: dict[str, dict[str, str]] = {kind: {} for kind in kinds}
        for entry in entries:
            every[entry.kind][entry.code] = entry.label
            if entry.active:
                active[entry.kind].append((entry.code, entry.label))
        for name, field in fields.items():
            choices = list(active[field.kind])
            current = self.initial.get(name) or ""
            if current and current not in dict(choices):
                choices.append((current, every[field.kind].get(current, current)))
            blank: list[tuple[str, Any]] = [("", "—" if not field.required else _("Choose …"))]
            field.choices = blank + choices


def _model_field(model: type[models.Model], name: str, **kwargs: Any) -> Any:
    """The form field Django derives from the model field: label, length, validators."""
    return model._meta.get_field(name).formfield(**kwargs)  # type: ignore[union-attr]


def _compact(value: str) -> str:
    """Full-width characters folded (Chinese input methods) and spaces dropped."""
    return "".join(unicodedata.normalize("NFKC", value).split())


# --- Household -------------------------------------------------------------------------------


class HouseholdForm(_DictionaryForm):
    work_group = forms.ModelChoiceField(
        label=_("work group"), queryset=WorkGroup.objects.none(), required=False
    )
    code = _model_field(Household, "code")
    kind = _model_field(Household, "kind")
    head_name = _model_field(Household, "head_name")
    head_id_number = _model_field(Household, "head_id_number")
    phone = _model_field(Household, "phone")
    division_code = _model_field(Household, "division_code")
    address = _model_field(Household, "address")
    land_type = DictionaryChoiceField(
        kind=DictionaryKind.LAND_TYPE, label=_("land type"), required=False
    )
    business_licence = _model_field(Household, "business_licence")
    tenants = _model_field(Household, "tenants", widget=forms.Textarea(attrs={"rows": 3}))
    notes = _model_field(Household, "notes", widget=forms.Textarea(attrs={"rows": 2}))

    # Shown only for non-residential households (enterprises, shops, offices).
    NON_RESIDENTIAL_FIELDS = ("business_licence", "tenants")

    def __init__(
        self,
        *args: Any,
        work_groups: QuerySet[WorkGroup],
        group_required: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        group = self.fields["work_group"]
        group.queryset = work_groups  # type: ignore[attr-defined]
        group.required = group_required
        self.fields["head_id_number"].help_text = _(
            "18 characters; an old 15-digit number is converted."
        )
        for name in self.NON_RESIDENTIAL_FIELDS:
            self.fields[name].widget.attrs["data-non-residential"] = "1"

    def clean_business_licence(self) -> str:
        return _compact(self.cleaned_data.get("business_licence") or "").upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == HouseholdKind.RESIDENTIAL:
            # A family has neither licence nor tenants; values typed before the type was
            # switched to residential are hidden in the form, so they are not kept either.
            for name in self.NON_RESIDENTIAL_FIELDS:
                data[name] = ""
        return data


# --- Members ----------------------------------------------------------------------------------


class PersonForm(_DictionaryForm):
    name = _model_field(Person, "name")
    id_number = _model_field(Person, "id_number")
    relation = DictionaryChoiceField(kind=DictionaryKind.RELATION, label=_("relation to the head"))
    sex = forms.ChoiceField(label=_("sex"), choices=[("", "—"), *Sex.choices], required=False)
    birth_date = _model_field(Person, "birth_date")
    hukou_type = DictionaryChoiceField(
        kind=DictionaryKind.HUKOU_TYPE, label=_("household registration type"), required=False
    )
    hukou_place = _model_field(Person, "hukou_place")
    registered_here = _model_field(Person, "registered_here")
    special_status = DictionaryChoiceField(
        kind=DictionaryKind.SPECIAL_STATUS, label=_("special status"), required=False
    )
    notes = _model_field(Person, "notes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sex"].help_text = _("Taken from the ID number when left empty.")
        self.fields["birth_date"].help_text = _("Taken from the ID number when left empty.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = data.get("id_number") or ""
        if raw:
            try:
                parsed = parse_id_number(raw)
            except forms.ValidationError as exc:
                self.add_error("id_number", exc)
                return data
            data["id_number"] = parsed.number
            data["sex"] = data.get("sex") or parsed.sex
            data["birth_date"] = data.get("birth_date") or parsed.birth_date
        if not data.get("sex") and "sex" not in self.errors:
            self.add_error("sex", _("Choose the sex, or enter the ID number."))
        return data


class BuildingForm(_DictionaryForm):
    number = _model_field(Building, "number")
    structure_type = DictionaryChoiceField(
        kind=DictionaryKind.STRUCTURE_TYPE, label=_("structure type")
    )
    use = DictionaryChoiceField(kind=DictionaryKind.BUILDING_USE, label=_("use"))
    floors = _model_field(Building, "floors")
    year_built = _model_field(Building, "year_built")
    measured_area = _model_field(Building, "measured_area")
    title_certificate_no = _model_field(Building, "title_certificate_no")
    built_on = _model_field(Building, "built_on")
    notes = _model_field(Building, "notes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measured_area"].widget.attrs.update({"step": "0.01", "min": "0"})
        self.fields["title_certificate_no"].help_text = _(
            "不动产权证号; leave empty when the building has no certificate."
        )
        self.fields["built_on"].help_text = _(
            "Where known; building after the project's announcement gets no compensation."
        )

    def clean_title_certificate_no(self) -> str:
        # One spelling for one certificate, so that the duplicate check finds it: full-width
        # brackets and digits folded, spaces dropped.
        return _compact(self.cleaned_data.get("title_certificate_no") or "")


ANCILLARY_UNITS = ("株", "棵", "米", "平方米", "立方米", "口", "座", "处", "亩", "个")


class AncillaryForm(_DictionaryForm):
    kind = DictionaryChoiceField(kind=DictionaryKind.ANCILLARY_TYPE, label=_("type"))
    description = _model_field(Ancillary, "description")
    quantity = _model_field(Ancillary, "quantity")
    unit = _model_field(Ancillary, "unit")
    built_on = _model_field(Ancillary, "built_on")
    notes = _model_field(Ancillary, "notes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].widget.attrs.update({"step": "0.01", "min": "0"})
        self.fields["unit"].widget.attrs["list"] = "ancillary-units"


MEMBER_FORMS: dict[type[models.Model], type[_DictionaryForm]] = {
    Person: PersonForm,
    Building: BuildingForm,
    Ancillary: AncillaryForm,
}


# --- Attachments ------------------------------------------------------------------------------


class BuildingChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        # Not str(building), which would read the household once per option.
        return f"{obj.number} · {obj.measured_area} m²"


class AttachmentForm(_DictionaryForm):
    kind = DictionaryChoiceField(kind=DictionaryKind.DOCUMENT_KIND, label=_("Document kind"))
    building = BuildingChoiceField(
        label=_("Building"), queryset=Building.objects.none(), required=False
    )
    file = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, buildings: QuerySet[Building], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["building"]
        field.queryset = buildings  # type: ignore[attr-defined]
        field.empty_label = _("The whole household")  # type: ignore[attr-defined]
        self.fields["file"].widget.attrs["accept"] = ".jpg,.jpeg,.png,.pdf,.docx,.xlsx"


# --- Search and filters -------------------------------------------------------------------


class HouseholdStatus(models.TextChoices):
    """Where a household stands in survey and confirmation, derived, never typed in."""

    NO_BUILDINGS = "no_buildings", _("No buildings yet")
    SURVEYED = "surveyed", _("Surveyed")
    DRAFT = f"confirmation_{ConfirmationStatus.DRAFT}", _("Being confirmed")
    SUBMITTED = f"confirmation_{ConfirmationStatus.SUBMITTED}", _("Submitted for review")
    RETURNED = f"confirmation_{ConfirmationStatus.RETURNED}", _("Returned")
    LOCKED = f"confirmation_{ConfirmationStatus.LOCKED}", _("Confirmed and locked")

    @classmethod
    def derive(cls, *, confirmation_status: str | None, buildings: int) -> HouseholdStatus:
        if confirmation_status:
            return cls(f"confirmation_{confirmation_status}")
        return cls.SURVEYED if buildings else cls.NO_BUILDINGS

    @property
    def confirmation_status(self) -> str | None:
        prefix = "confirmation_"
        return self.value[len(prefix) :] if self.value.startswith(prefix) else None


def _with_status(households: QuerySet[Household], status: HouseholdStatus) -> QuerySet[Household]:
    confirmation = status.confirmation_status
    if confirmation is not None:
        return households.filter(confirmation__status=confirmation)
    # NOT EXISTS rather than LEFT JOIN … IS NULL: PostgreSQL estimates an anti-join well, and
    # the estimate decides whether the page is read in code order or sorted.
    has_confirmation = Exists(Confirmation.objects.filter(household_id=OuterRef("pk")))
    has_buildings = Exists(Building.objects.filter(household_id=OuterRef("pk")))
    households = households.filter(~has_confirmation)
    if status == HouseholdStatus.SURVEYED:
        return households.filter(has_buildings)
    return households.filter(~has_buildings)


class HouseholdFilterForm(StyledForm):
    q = forms.CharField(
        label=_("Name, code or address"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Name, code or address")}),
    )
    id_number = forms.CharField(
        label=_("ID number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": _("ID number (exact)")}),
    )
    work_group = forms.ModelChoiceField(
        label=_("work group"), queryset=WorkGroup.objects.none(), required=False
    )
    kind = forms.ChoiceField(
        label=_("type"), choices=[("", _("All types")), *HouseholdKind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("status"),
        choices=[("", _("All statuses")), *HouseholdStatus.choices],
        required=False,
    )

    FILTERS = ("q", "id_number", "work_group", "kind", "status")

    def __init__(self, *args: Any, work_groups: QuerySet[WorkGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        group = self.fields["work_group"]
        group.queryset = work_groups  # type: ignore[attr-defined]
        group.empty_label = _("All work groups")  # type: ignore[attr-defined]
        for field in self.fields.values():
            small = (
                "form-select-sm" if isinstance(field.widget, forms.Select) else "form-control-sm"
            )
            field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {small}"
            field.widget.attrs["aria-label"] = str(field.label)

    def clean_q(self) -> str:
        return (self.cleaned_data.get("q") or "").strip()

    def clean_id_number(self) -> str:
        """The 18-character form: the search is exact, on the indexed column."""
        raw = self.cleaned_data.get("id_number") or ""
        if not raw.strip():
            return ""
        return parse_id_number(raw).number

    def has_filters(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.FILTERS)

    def filter(self, households: QuerySet[Household]) -> QuerySet[Household]:
        """The households that match; each filter is served by an index (see the notes)."""
        data = self.cleaned_data
        if q := data.get("q"):
            # A substring match cannot use a B-tree index: it scans the project's rows only,
            # after the (project, work_group) index has narrowed them.
            households = households.filter(
                Q(head_name__icontains=q) | Q(code__icontains=q) | Q(address__icontains=q)
            )
        if number := data.get("id_number"):
            # The head's number (household_head_id index) or a member's (person_id_number), in
            # any project: a handful of households, looked up first so that the list query
            # reads them by primary key instead of testing every household of the project.
            heads = Household.objects.filter(head_id_number=number).values_list("pk")
            members = Person.objects.filter(id_number=number).values_list("household_id")
            holders = [pk for (pk,) in heads.order_by().union(members.order_by())]
            households = households.filter(pk__in=holders)
        if group := data.get("work_group"):
            households = households.filter(work_group=group)
        if kind := data.get("kind"):
            households = households.filter(kind=kind)
        if status := data.get("status"):
            households = _with_status(households, HouseholdStatus(status))
        return households

    def audit_query(self) -> dict[str, Any]:
        """What was searched, for the audit trail (the ID number as typed, normalised)."""
        data = self.cleaned_data
        group = data.get("work_group")
        return {
            "q": data.get("q", ""),
            "id_number": data.get("id_number", ""),
            "work_group": group.pk if group is not None else None,
            "kind": data.get("kind", ""),
            "status": data.get("status", ""),
        }


class PublicationFilterForm(StyledForm):
    work_group = forms.ModelChoiceField(
        label=_("work group"), queryset=WorkGroup.objects.none(), required=False
    )

    def __init__(self, *args: Any, work_groups: QuerySet[WorkGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        group = self.fields["work_group"]
        group.queryset = work_groups  # type: ignore[attr-defined]
        group.empty_label = _("All work groups")  # type: ignore[attr-defined]
        group.widget.attrs["class"] += " form-select-sm"
