"""Forms of the demolition pages. The rules are the services'; these only read the values, and
their fields are named as the services name them in their errors, so that attach_errors puts a
refusal at the field that caused it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqian.core.forms import StyledForm
from zhengqian.demolition import services
from zhengqian.demolition.models import Checkpoint
from zhengqian.demolition.selectors import Stage
from zhengqian.survey.models import Household

if TYPE_CHECKING:
    from zhengqian.demolition.selectors import Section

PASSED = "passed"
FAILED = "failed"
IMAGES = "image/jpeg,image/png"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; the list may be empty (the services say when it must not)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": IMAGES}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "display_name", "") or obj.get_username())


def _date(label: Any, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput())


class _SectionForm(StyledForm):
    """A form of the household's section: several are on one page, so each has its own ids."""

    id_prefix = "demolition"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class StageForm(StyledForm):
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All households")), *Stage.CHOICES]
    )


class VacatingForm(_SectionForm):
    id_prefix = "vacating"

    accepted_on = _date(_("Accepted on"))
    keys_handed_over = forms.BooleanField(label=_("Keys handed over"), required=False)
    water_closed = forms.BooleanField(label=_("Water closed"), required=False)
    power_closed = forms.BooleanField(label=_("Electricity closed"), required=False)
    gas_closed = forms.BooleanField(label=_("Gas closed (or none)"), required=False)
    household_signatory = forms.CharField(
        label=_("Signed for the household by"), max_length=60, required=False
    )
    accepted_by = UserChoiceField(
        label=_("Accepted for the office by"), queryset=get_user_model().objects.none()
    )
    witness = UserChoiceField(
        label=_("Witness"), queryset=get_user_model().objects.none(), required=False
    )
    form_scan = forms.FileField(
        label=_("Scan of the signed acceptance form"),
        required=False,
        help_text=_("PDF, JPEG or PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": f"application/pdf,{IMAGES}"}),
    )
    photos = MultipleFileField(
        label=_("Photos of the vacated house"), help_text=_("JPEG or PNG, one or more.")
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, household: Household, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = services.project_users(household)
        self.fields["accepted_by"].queryset = people  # type: ignore[attr-defined]
        self.fields["witness"].queryset = people  # type: ignore[attr-defined]


class DemolitionForm(_SectionForm):
    id_prefix = "demolition"

    contractor = forms.CharField(label=_("Demolition contractor"), max_length=100, required=False)
    demolished_on = _date(_("Demolished on"))
    photos = MultipleFileField(label=_("Photos"), help_text=_("JPEG or PNG, one or more."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ClearanceForm(_SectionForm):
    id_prefix = "clearance"

    haulier = forms.CharField(label=_("Haulier"), max_length=100, required=False)
    cleared_on = _date(_("Cleared on"))
    volume = forms.DecimalField(
        label=_("Volume (m³)"), max_digits=10, decimal_places=2, required=False
    )
    disposal_site = forms.CharField(label=_("Disposal site"), max_length=200, required=False)
    photos = MultipleFileField(label=_("Photos"), help_text=_("JPEG or PNG, optional."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class InspectionForm(_SectionForm):
    id_prefix = "inspection"

    """The inspection with, per checkpoint, passed or failed, and for a failed one the problem
    and the deadline (fields check_<code>, problem_<code>, deadline_<code>)."""

    inspected_on = _date(_("Inspected on"))
    inspector = UserChoiceField(label=_("Inspector"), queryset=get_user_model().objects.none())
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    photos = MultipleFileField(label=_("Photos"), help_text=_("JPEG or PNG, optional."))

    def __init__(self, *args: Any, household: Household, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inspector"].queryset = services.project_users(household)  # type: ignore[attr-defined]
        for checkpoint in Checkpoint:
            code = checkpoint.value
            self.fields[f"check_{code}"] = forms.ChoiceField(
                label=checkpoint.label,
                choices=[(PASSED, _("Passed")), (FAILED, _("Failed"))],
                required=False,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )
            self.fields[f"problem_{code}"] = forms.CharField(
                label=_("Problem found"),
                max_length=300,
                required=False,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            )
            self.fields[f"deadline_{code}"] = forms.DateField(
                label=_("To be put right by"),
                required=False,
                widget=forms.DateInput(
                    attrs={"type": "date", "class": "form-control form-control-sm"},
                    format="%Y-%m-%d",
                ),
                help_text=_("Three days after the inspection if left empty."),
            )

    def rows(self) -> list[dict[str, Any]]:
        """The checkpoint rows of the form's table."""
        return [
            {
                "code": c.value,
                "label": c.label,
                "check": self[f"check_{c.value}"],
                "problem": self[f"problem_{c.value}"],
                "deadline": self[f"deadline_{c.value}"],
            }
            for c in Checkpoint
        ]

    def findings_value(self) -> dict[str, bool | None]:
        data = self.cleaned_data
        return {
            c.value: {PASSED: True, FAILED: False}.get(data.get(f"check_{c.value}") or "")
            for c in Checkpoint
        }

    def problems(self) -> dict[str, str]:
        return {c.value: self.cleaned_data.get(f"problem_{c.value}") or "" for c in Checkpoint}

    def deadlines(self) -> dict[str, dt.date | None]:
        return {c.value: self.cleaned_data.get(f"deadline_{c.value}") for c in Checkpoint}


class CloseForm(_SectionForm):
    id_prefix = "close"

    closed_on = _date(_("Put right on"))
    closing_note = forms.CharField(label=_("What was done"), max_length=300, required=False)
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG or PNG, optional."),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGES}),
    )


def close_prefix(rectification_pk: int) -> str:
    return f"r{rectification_pk}"


def for_section(s: Section, user: Any, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    """The forms of the household's section, each only when its action would be allowed;
    `bound` holds a submitted form to show again with its errors."""
    bound = bound or {}
    today = timezone.localdate()
    household = s.household
    found: dict[str, Any] = {
        "vacating_form": None,
        "demolition_form": None,
        "clearance_form": None,
        "inspection_form": None,
        "close_forms": {},
    }
    if s.may_vacate:
        found["vacating_form"] = bound.get("vacating_form") or VacatingForm(
            household=household, initial={"accepted_on": today, "accepted_by": user.pk}
        )
    if s.may_demolish:
        found["demolition_form"] = bound.get("demolition_form") or DemolitionForm(
            initial={"demolished_on": today}
        )
    if s.may_clear:
        found["clearance_form"] = bound.get("clearance_form") or ClearanceForm(
            initial={"cleared_on": today}
        )
    if s.may_inspect:
        found["inspection_form"] = bound.get("inspection_form") or InspectionForm(
            household=household, initial={"inspected_on": today, "inspector": user.pk}
        )
    if s.may_change:
        for r in s.open_rectifications:
            found["close_forms"][r.pk] = bound.get("close_forms", {}).get(r.pk) or CloseForm(
                prefix=close_prefix(r.pk), initial={"closed_on": today}
            )
    return found
