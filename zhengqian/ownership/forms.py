"""Forms of the ownership pages; the rules themselves are checked by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from zhengqian.core.forms import StyledForm
from zhengqian.core.selectors import dictionary_choices
from zhengqian.ownership import services
from zhengqian.ownership.models import BuildingConfirmation, PersonConfirmation
from zhengqian.ownership.selectors import REASON_KIND, TREATMENT_KIND, BuildingRow, PersonRow


def _set_choices(field: forms.Field, choices: list[Any]) -> None:
    """Choices from the dictionaries, read per request (entries change while the server runs)."""
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


YES_NO = [("1", _("Yes")), ("0", _("No"))]


def _area_field(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, min_value=0, max_digits=10, decimal_places=2, required=required
    )


class BuildingConfirmForm(StyledForm):
    licensed_area = _area_field(_("Licensed area (m²)"))
    unlicensed_area = _area_field(_("Unlicensed area (m²)"))
    unlicensed_treatment = forms.ChoiceField(label=_("Treatment"), required=False)
    basis = forms.CharField(
        label=_("Basis"),
        max_length=services.BASIS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Title certificate, planning approval, rule applied …"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(
            self.fields["unlicensed_treatment"],
            [
                ("", _("— none —")),
                *dictionary_choices(TREATMENT_KIND),
            ],
        )

    @classmethod
    def for_row(cls, row: BuildingRow, data: Any = None) -> BuildingConfirmForm:
        c: BuildingConfirmation | None = row.confirmation
        initial = (
            {f: getattr(c, f) for f in services.BUILDING_CONFIRMATION_FIELDS}
            if c is not None
            else {"licensed_area": row.building.measured_area, "unlicensed_area": "0.00"}
        )
        return cls(data, initial=initial, prefix=f"b{row.building.pk}")


class PersonConfirmForm(StyledForm):
    eligible = forms.TypedChoiceField(
        label=_("Resettlement population"),
        choices=YES_NO,
        coerce=lambda v: v == "1",
        empty_value=None,
    )
    reason = forms.ChoiceField(label=_("Reason"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["reason"], [("", "—"), *dictionary_choices(REASON_KIND)])

    @classmethod
    def for_row(cls, row: PersonRow, data: Any = None) -> PersonConfirmForm:
        c: PersonConfirmation | None = row.confirmation
        initial = (
            {"eligible": "1" if c.eligible else "0", "reason": c.reason, "note": c.note}
            if c is not None
            else {"eligible": "1", "reason": ""}
        )
        form = cls(data, initial=initial, prefix=f"p{row.person.pk}")
        # The inputs sit in table cells, outside the row's <form>, and name it.
        for field in form.fields.values():
            field.widget.attrs["form"] = f"person-form-{row.person.pk}"
        return form


class DecisionForm(StyledForm):
    """Approve or return / reject, with a reason (required when not approving)."""

    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("return", _("Return"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    @property
    def approve(self) -> bool:
        return bool(self.cleaned_data.get("decision") == "approve")


def change_target_choices(
    buildings: list[BuildingRow], persons: list[PersonRow]
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices "<target_type>:<id>:<field>" of what a change request may correct."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []

    def options(target_type: str, pk: int) -> list[tuple[str, str]]:
        spec = services.TARGETS[target_type]
        return [(f"{target_type}:{pk}:{f}", str(fs.label)) for f, fs in spec.fields.items()]

    for row in buildings:
        b = row.building
        items = options("survey.building", b.pk)
        if row.confirmation is not None:
            items += options("ownership.buildingconfirmation", row.confirmation.pk)
        groups.append((str(_("Building %(number)s") % {"number": b.number}), items))
    for prow in persons:
        items = options("survey.person", prow.person.pk)
        if prow.confirmation is not None:
            items += options("ownership.personconfirmation", prow.confirmation.pk)
        groups.append((str(_("Person %(name)s") % {"name": prow.person.name}), items))
    return groups


class ChangeRequestForm(StyledForm):
    target = forms.ChoiceField(label=_("What to correct"))
    new_value = forms.CharField(
        label=_("New value"),
        max_length=services.BASIS_MAX_LENGTH,
        required=False,
        help_text=_("For a list, enter the entry as shown; for yes/no enter 是 or 否."),
    )
    paired_licensed_area = _area_field(_("New licensed area (m²)"), required=False)
    paired_unlicensed_area = _area_field(_("New unlicensed area (m²)"), required=False)
    paired_unlicensed_treatment = forms.ChoiceField(
        label=_("New treatment of the unlicensed area"), required=False
    )
    paired_eligible = forms.ChoiceField(
        label=_("New resettlement population"),
        choices=[("", _("— unchanged —")), *YES_NO],
        required=False,
    )
    paired_reason = forms.ChoiceField(label=_("New resettlement reason"), required=False)
    reason = forms.CharField(
        label=_("Reason for the correction"), widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.FileField(
        label=_("Evidence"),
        required=False,
        help_text=_("PDF, JPEG or PNG (re-measurement report, certificate …)."),
    )

    PAIRED = ("licensed_area", "unlicensed_area", "unlicensed_treatment", "eligible", "reason")

    def __init__(
        self, *args: Any, buildings: list[BuildingRow], persons: list[PersonRow], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(
            self.fields["target"],
            [
                ("", "—"),
                *change_target_choices(buildings, persons),
            ],
        )
        _set_choices(
            self.fields["paired_unlicensed_treatment"],
            [
                ("", _("— unchanged —")),
                *dictionary_choices(TREATMENT_KIND),
            ],
        )
        _set_choices(
            self.fields["paired_reason"],
            [
                ("", _("— unchanged —")),
                *dictionary_choices(REASON_KIND),
            ],
        )

    def clean_target(self) -> tuple[str, int, str]:
        raw = self.cleaned_data["target"]
        try:
            target_type, pk, field = raw.split(":")
            return target_type, int(pk), field
        except ValueError:
            raise ValidationError(_("Choose what to correct.")) from None

    def clean_evidence(self) -> UploadedFile | None:
        evidence: UploadedFile | None = self.cleaned_data.get("evidence")
        try:
            services.check_evidence(evidence)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["evidence"]) from None
        return evidence

    def paired(self) -> dict[str, Any]:
        data = self.cleaned_data
        out = {name: data.get(f"paired_{name}") for name in self.PAIRED}
        if out["eligible"] in ("0", "1"):
            out["eligible"] = out["eligible"] == "1"
        return {k: v for k, v in out.items() if v not in (None, "")}

    def paired_field_names(self) -> list[str]:
        return [f"paired_{name}" for name in self.PAIRED]
