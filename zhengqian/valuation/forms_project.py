"""Forms of the firm register and of a project's valuation page. They shape input only: the
services check the rules (qualification, candidates, the vote's codes) and the actor's rights."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqian.accounts.models import Membership, User
from zhengqian.accounts.roles import RoleCode
from zhengqian.core.forms import StyledForm
from zhengqian.valuation.models import AppraisalFirm, FirmSelection, Publication, Valuer

# A draw rarely has more candidates than this; the form offers as many places as there are
# qualified firms, up to it.
MAX_DRAW_CANDIDATES = 10


def _model_field(model: type[Any], name: str, **kwargs: Any) -> Any:
    """The form field Django derives from the model field: label, length, validators."""
    return model._meta.get_field(name).formfield(**kwargs)


def qualified_firms(day: dt.date | None = None) -> QuerySet[AppraisalFirm]:
    """The firms whose qualification is valid on the day (today): the only ones offered."""
    return AppraisalFirm.objects.filter(valid_until__gte=day or timezone.localdate()).order_by(
        "name"
    )


class NotInFutureDateField(forms.DateField):
    """A date on which something happened: today at the latest."""

    widget = forms.DateInput

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."), code="future")


# --- The register of firms --------------------------------------------------------------------


class FirmForm(StyledForm):
    name = _model_field(AppraisalFirm, "name")
    grade = _model_field(AppraisalFirm, "grade")
    certificate_no = _model_field(AppraisalFirm, "certificate_no")
    valid_until = _model_field(AppraisalFirm, "valid_until")
    contact_person = _model_field(AppraisalFirm, "contact_person")
    contact_phone = _model_field(AppraisalFirm, "contact_phone")
    address = _model_field(AppraisalFirm, "address")
    notes = _model_field(AppraisalFirm, "notes", widget=forms.Textarea(attrs={"rows": 2}))

    @classmethod
    def for_firm(cls, firm: AppraisalFirm, data: Any = None) -> FirmForm:
        return cls(data, initial={name: getattr(firm, name) for name in cls.base_fields})


class ValuerUserField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


def valuer_candidates() -> QuerySet[User]:
    """Active accounts not linked to a firm and holding no office role (the service refuses
    office staff: they cannot work for a firm)."""
    office_roles = Membership.objects.filter(user=OuterRef("pk")).exclude(role=RoleCode.VALUER)
    return (
        User.objects.filter(is_active=True, valuer__isnull=True)
        .exclude(Exists(office_roles))
        .order_by("full_name", "username")
    )


class ValuerAddForm(StyledForm):
    user = ValuerUserField(
        label=_("User account"),
        queryset=User.objects.none(),
        help_text=_("Active accounts that are not linked to a firm and hold no office role."),
    )
    registration_no = _model_field(Valuer, "registration_no")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = valuer_candidates()  # type: ignore[attr-defined]


# --- Choosing the project's firm ---------------------------------------------------------------


class NegotiationForm(StyledForm):
    firm = forms.ModelChoiceField(label=_("Firm agreed on"), queryset=AppraisalFirm.objects.none())
    decided_on = NotInFutureDateField(label=_("Agreed on"))
    record_text = forms.CharField(
        label=_("Record of the agreement"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who took part, how they agreed, where the signed record is kept."),
    )
    document = forms.FileField(
        label=_("Signed record (PDF or image)"),
        required=False,
        help_text=_("PDF, JPEG or PNG."),
    )
    reports_due_on = _model_field(FirmSelection, "reports_due_on")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["firm"].queryset = qualified_firms()  # type: ignore[attr-defined]


class VoteOpenForm(StyledForm):
    firms = forms.ModelMultipleChoiceField(
        label=_("Candidate firms"),
        queryset=AppraisalFirm.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("At least two firms with a valid qualification."),
    )
    reports_due_on = _model_field(FirmSelection, "reports_due_on")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["firms"].queryset = qualified_firms()  # type: ignore[attr-defined]


class OrderedSelects(forms.SelectMultiple):
    """One drop-down per place, all with the same name: the browser sends the values in the
    order of the places, which is the order the candidates are published in."""

    template_name = "valuation/project/_ordered_selects.html"

    def __init__(self, places: int = 2, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.places = places

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        # Not the select's option groups: the places below are all that is rendered.
        context = forms.Widget.get_context(self, name, value, attrs)
        chosen = [str(v) for v in (value or [])]
        chosen += [""] * max(0, self.places - len(chosen))
        base_id = context["widget"]["attrs"].get("id", "")
        context["widget"]["places"] = [
            # The first place keeps the field's id, which its label points at.
            {"number": i + 1, "value": v, "id": base_id if i == 0 else f"{base_id}_{i}"}
            for i, v in enumerate(chosen)
        ]
        context["widget"]["options"] = [(str(k), label) for k, label in self.choices if str(k)]
        return context


class OrderedFirmsField(forms.ModelMultipleChoiceField):
    """Firms in the order given, empty places skipped. A firm given twice is kept twice, so
    that the service says so at this field."""

    widget = OrderedSelects

    def clean(self, value: Any) -> list[AppraisalFirm]:  # type: ignore[override]
        keys = [v for v in (value or []) if v not in self.empty_values]
        if not keys:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        pks = []
        for key in keys:
            try:
                pks.append(int(key))
            except (TypeError, ValueError):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": key},
                ) from None
        found = self.queryset.in_bulk(set(pks))  # type: ignore[union-attr]
        for key, pk in zip(keys, pks, strict=True):
            if pk not in found:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": key},
                )
        return [found[pk] for pk in pks]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(data)


class DrawPrepareForm(StyledForm):
    firms = OrderedFirmsField(
        label=_("Candidate firms, in their published order"),
        queryset=AppraisalFirm.objects.none(),
        help_text=_(
            "The list and its order are published with the hash of the secret seed before the "
            "draw; they cannot be changed afterwards."
        ),
    )
    reports_due_on = _model_field(FirmSelection, "reports_due_on")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["firms"]
        firms = qualified_firms()
        field.queryset = firms  # type: ignore[attr-defined]
        field.widget.places = max(2, min(firms.count(), MAX_DRAW_CANDIDATES))  # type: ignore[attr-defined]


class BallotForm(StyledForm):
    """One text area per candidate for the codes of the households that voted for it; the
    fields are named firm_<id>, as the service names its errors. (Added after the styling of
    the base form has run, so they carry their classes themselves.)"""

    def __init__(self, *args: Any, candidates: Sequence[AppraisalFirm], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for firm in candidates:
            self.fields[f"firm_{firm.pk}"] = forms.CharField(
                label=firm.name,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control zq-mono"}),
            )
        self.candidates = list(candidates)

    def ballots(self) -> dict[int, str]:
        return {firm.pk: self.cleaned_data.get(f"firm_{firm.pk}", "") for firm in self.candidates}


class VoteCloseForm(StyledForm):
    decided_on = NotInFutureDateField(label=_("Votes counted on"))


class DrawRunForm(StyledForm):
    witness_value = forms.CharField(
        label=_("Witnesses' value"),
        max_length=100,
        required=False,
        help_text=_(
            "A value the witnesses give at the draw, e.g. the numbers shown by dice thrown in "
            "the hall; it is mixed with the seed, so nobody could know the result before."
        ),
    )
    witnesses = forms.CharField(
        label=_("Witnesses present"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Notary, household representatives, supervisors: names and capacities."),
    )
    decided_on = NotInFutureDateField(label=_("Drawn on"))


class CancelForm(StyledForm):
    reason = forms.CharField(
        label=_("Reason for cancelling"), max_length=500, widget=forms.TextInput
    )


# --- Publication -------------------------------------------------------------------------------


class PublishForm(StyledForm):
    published_on = _model_field(Publication, "published_on")
    note = _model_field(Publication, "note", widget=forms.Textarea(attrs={"rows": 2}))
