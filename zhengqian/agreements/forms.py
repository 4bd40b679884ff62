"""Forms of the agreements pages. The rules are the services'; these only read the values, and
their fields are named as the services name them in their errors, so that attach_errors puts a
refusal at the field that caused it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqian.agreements.models import AgreementKind, AgreementStatus, PartyCapacity
from zhengqian.core.forms import StyledForm

APPROVE = "approve"
REFUSE = "refuse"
# With seconds: an agreement is often signed within the minute it was drafted.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
# The office capacities in the order of the form, with the field labels.
OFFICE_FIELDS = [
    ("group_leader", _("Work group leader")),
    ("cadre", _("Village or community cadre")),
    ("handler", _("Handler")),
    ("reviewer", _("Reviewer")),
]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"step": "1", **(attrs or {})}, format=DATETIME_FORMAT)


def _datetime_field(label: Any, required: bool = True, help_text: Any = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"],
    )


class FilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *AgreementStatus.choices],
    )
    q = forms.CharField(
        label=_("Household code or agreement number"), required=False, max_length=80
    )


class TemplateUploadForm(StyledForm):
    kind = forms.ChoiceField(label=_("Agreement type"), choices=AgreementKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(
        label=_("Word file (.docx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".docx,application/vnd.openxmlformats-officedocument"
                ".wordprocessingml.document"
            }
        ),
        help_text=_(
            "Placeholders such as {{ household.head_name }} are filled in when an agreement is "
            "drafted; an unknown placeholder is refused with its name."
        ),
    )


class PatternForm(StyledForm):
    pattern = forms.CharField(
        label=_("Number pattern"),
        max_length=60,
        help_text=_(
            "{project} is the project code, {year} the year of drafting, {seq:6} the sequence "
            "number with six digits, e.g. {project}-{year}-{seq:6}."
        ),
    )


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "display_name", "") or obj.username)


class SignForm(StyledForm):
    """The signing record: the time, who signs for the household, the four office signatures
    each with its time, and the scan of the signed agreement."""

    signed_at = _datetime_field(_("Signed at"))
    party_capacity = forms.ChoiceField(
        label=_("Signs for the household"),
        choices=PartyCapacity.choices,
        widget=forms.RadioSelect,
    )
    party_name = forms.CharField(label=_("Name"), max_length=60, required=False)
    party_id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    power_of_attorney = forms.FileField(
        label=_("Power of attorney"),
        required=False,
        help_text=_("For a representative: PDF, JPEG or PNG."),
    )
    scan = forms.FileField(
        label=_("Scan of the signed agreement"),
        required=False,
        help_text=_("PDF, JPEG or PNG."),
    )

    def __init__(
        self,
        *args: Any,
        signers: dict[str, Any],
        default_handler: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for capacity, label in OFFICE_FIELDS:
            self.fields[f"office_{capacity}"] = UserChoiceField(
                label=label, queryset=signers[capacity], required=False, empty_label="—"
            )
            self.fields[f"office_{capacity}_at"] = _datetime_field(
                _("Time"), required=False, help_text=_("Empty: the time of signing.")
            )
        # Restyle the fields added after the mixin ran.
        for name, added in self.fields.items():
            if name.startswith("office_"):
                css = "form-select" if isinstance(added.widget, forms.Select) else "form-control"
                added.widget.attrs["class"] = css
        if not self.is_bound:
            # The household's work group has one leader: nothing to choose.
            leaders = list(signers["group_leader"][:2])
            if len(leaders) == 1:
                self.initial.setdefault("office_group_leader", leaders[0].pk)
            if default_handler is not None:
                self.initial.setdefault("office_handler", default_handler.pk)
        self.fields["party_capacity"].widget.attrs["class"] = "form-check-input"

    def office(self) -> dict[str, tuple[Any, dt.datetime | None]]:
        """{capacity: (user, time)} as services.sign takes it; a missing time is the signing's."""
        data = self.cleaned_data
        signed_at = data.get("signed_at")
        return {
            capacity: (
                data.get(f"office_{capacity}"),
                data.get(f"office_{capacity}_at") or signed_at,
            )
            for capacity, _label in OFFICE_FIELDS
        }


def now_local() -> str:
    return timezone.localtime().strftime(DATETIME_FORMAT)


class VoidRequestForm(StyledForm):
    reason = forms.CharField(
        label=_("Reason for voiding"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VoidDecideForm(StyledForm):
    decision = forms.ChoiceField(
        choices=[(APPROVE, _("Void the agreement")), (REFUSE, _("Refuse"))],
        widget=forms.HiddenInput,
    )
    password = forms.CharField(
        label=_("Your password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Voiding is asked with your password again."),
    )
