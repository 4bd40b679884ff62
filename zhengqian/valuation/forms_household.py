"""Forms of the household valuation page.

They check only the shape of what is typed (numbers with two decimals, dates, files). The rules
are the services' — value = area × unit price to the fen, the valuation date, the objection
periods — and their errors, keyed like "buildings-2-value", are put back at the row and field
they name (`ValuationEntry.attach`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhengqian.core.forms import StyledForm
from zhengqian.valuation import services
from zhengqian.valuation.models import DecorationItem, ObjectionKind, ObjectionOutcome, Valuation
from zhengqian.valuation.selectors import AncillaryRow, BuildingRow

MAX_DECORATIONS = 200
# Blank decoration rows offered below the entered ones; the page's script adds more.
DECORATION_EXTRA = 1


def _number(label: Any, *, max_digits: int, role: str = "") -> forms.DecimalField:
    """A non-negative number with at most two decimals, typed as text (no spinner, no locale
    reformatting by the browser); empty is allowed, the service says when it is required."""
    attrs = {"inputmode": "decimal", "autocomplete": "off", "class": "text-end"}
    if role:
        attrs["data-role"] = role
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_digits=max_digits,
        decimal_places=2,
        widget=forms.TextInput(attrs=attrs),
    )


def _mark_invalid(form: forms.Form, name: str | None) -> None:
    if name is not None and name in form.fields:
        widget = form.fields[name].widget
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class HeaderForm(StyledForm):
    report_no = forms.CharField(label=_("Report number"), max_length=60, required=False)
    valuation_date = forms.DateField(
        label=_("Valuation date"),
        required=False,
        widget=forms.DateInput(),
        help_text=_("The day the expropriation decision was announced."),
    )
    business_loss = _number(_("Business stoppage loss (yuan)"), max_digits=14, role="loss")
    business_loss_basis = forms.CharField(
        label=_("Basis of the business stoppage loss"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, non_residential: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not non_residential:
            # Only a non-residential household has a business stoppage loss.
            del self.fields["business_loss"]
            del self.fields["business_loss_basis"]


class _RowForm(StyledForm):
    """A row of a table: small inputs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            size = "form-select-sm" if isinstance(widget, forms.Select) else "form-control-sm"
            if not widget.is_hidden and not isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {size}".strip()


class BuildingLineForm(_RowForm):
    building = forms.IntegerField(widget=forms.HiddenInput)
    area = _number(_("Assessed area (m²)"), max_digits=10, role="quantity")
    unit_price = _number(_("Unit price (yuan/m²)"), max_digits=12, role="price")
    value = _number(_("Value (yuan)"), max_digits=14, role="value")
    notes = forms.CharField(label=_("Notes"), max_length=200, required=False)

    @property
    def blank(self) -> bool:
        """Not valued: no unit price and no value typed (the area comes prefilled)."""
        data = self.cleaned_data
        return data.get("unit_price") is None and data.get("value") is None


class AncillaryLineForm(_RowForm):
    ancillary = forms.IntegerField(widget=forms.HiddenInput)
    quantity = _number(_("Quantity"), max_digits=10, role="quantity")
    unit_price = _number(_("Unit price (yuan)"), max_digits=12, role="price")
    value = _number(_("Value (yuan)"), max_digits=14, role="value")

    @property
    def blank(self) -> bool:
        data = self.cleaned_data
        return data.get("unit_price") is None and data.get("value") is None


class DecorationLineForm(_RowForm):
    building = forms.TypedChoiceField(
        label=_("Building"), required=False, coerce=int, empty_value=None
    )
    description = forms.CharField(label=_("Item"), max_length=200, required=False)
    amount = _number(_("Amount (yuan)"), max_digits=14, role="amount")

    def __init__(self, *args: Any, buildings: Sequence[tuple[int, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["building"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Whole household")), *buildings]

    @property
    def blank(self) -> bool:
        data = self.cleaned_data
        return bool(
            data.get("DELETE") or (not data.get("description") and data.get("amount") is None)
        )


BuildingFormSet = forms.formset_factory(BuildingLineForm, extra=0)
AncillaryFormSet = forms.formset_factory(AncillaryLineForm, extra=0)
DecorationFormSet = forms.formset_factory(
    DecorationLineForm,
    extra=DECORATION_EXTRA,
    can_delete=True,
    max_num=MAX_DECORATIONS,
    validate_max=True,
)


class ValuationEntry:
    """The whole entry of a household's valuation: the header, one row per building, the
    decoration items, one row per ancillary. Saved as a whole by services.valuation_save.

    Rows left without unit price and value are not sent (the valuation is entered in several
    sittings; confirming asks for every row). The service numbers the rows it was sent, so the
    form remembers which form each line came from to put an error back on its row.
    """

    SECTIONS = ("buildings", "decorations", "ancillaries")

    def __init__(
        self,
        data: Any = None,
        *,
        non_residential: bool,
        buildings: Sequence[BuildingRow],
        ancillaries: Sequence[AncillaryRow],
        decorations: Sequence[DecorationItem],
        valuation: Valuation | None,
        decision_date: dt.date | None,
    ) -> None:
        v = valuation
        self.header = HeaderForm(
            data,
            non_residential=non_residential,
            initial={
                "report_no": v.report_no if v else "",
                "valuation_date": (v.valuation_date if v else None) or decision_date,
                "business_loss": v.business_loss if v and v.business_loss else None,
                "business_loss_basis": v.business_loss_basis if v else "",
            },
        )
        self.buildings = BuildingFormSet(
            data,
            prefix="buildings",
            form_kwargs={"empty_permitted": False},
            initial=[
                {
                    "building": r.building.pk,
                    "area": r.line.area if r.line else r.building.measured_area,
                    "unit_price": r.line.unit_price if r.line else None,
                    "value": r.line.value if r.line else None,
                    "notes": r.line.notes if r.line else "",
                }
                for r in buildings
            ],
        )
        self.ancillaries = AncillaryFormSet(
            data,
            prefix="ancillaries",
            form_kwargs={"empty_permitted": False},
            initial=[
                {
                    "ancillary": r.ancillary.pk,
                    "quantity": r.line.quantity if r.line else r.ancillary.quantity,
                    "unit_price": r.line.unit_price if r.line else None,
                    "value": r.line.value if r.line else None,
                }
                for r in ancillaries
            ],
        )
        self.decorations = DecorationFormSet(
            data,
            prefix="decorations",
            initial=[
                {"building": d.building_id, "description": d.description, "amount": d.amount}
                for d in decorations
            ],
            form_kwargs={
                # A row is judged by what it holds, not by whether it differs from the row the
                # page showed: blank rows are left out by `blank` below, whatever was posted.
                "empty_permitted": False,
                "buildings": [
                    (r.building.pk, str(_("Building %(number)s") % {"number": r.building.number}))
                    for r in buildings
                ],
            },
        )
        self._building_rows = list(buildings)
        self._ancillary_rows = list(ancillaries)
        self.errors: list[str] = []
        # For each section: the index of the form each line sent to the service came from.
        self._sent: dict[str, list[int]] = {s: [] for s in self.SECTIONS}

    def formset(self, section: str) -> forms.BaseFormSet:  # type: ignore[type-arg]
        formset: forms.BaseFormSet = getattr(self, section)  # type: ignore[type-arg]
        return formset

    def is_valid(self) -> bool:
        # Every part is validated, so that every error shows at once.
        results = [self.header.is_valid()] + [self.formset(s).is_valid() for s in self.SECTIONS]
        return all(results)

    @property
    def has_errors(self) -> bool:
        return bool(
            self.errors
            or self.header.errors
            or any(self.formset(s).total_error_count() for s in self.SECTIONS)
        )

    def header_data(self) -> dict[str, Any]:
        data = dict(self.header.cleaned_data)
        data.setdefault("business_loss", None)
        data.setdefault("business_loss_basis", "")
        return data

    def building_lines(self) -> list[services.BuildingLine]:
        lines = []
        self._sent["buildings"] = []
        for i, form in enumerate(self.buildings.forms):
            if form.blank:
                continue
            d = form.cleaned_data
            lines.append(
                services.BuildingLine(
                    building_id=d["building"],
                    area=d.get("area"),
                    unit_price=d.get("unit_price"),
                    value=d.get("value"),
                    notes=d.get("notes") or "",
                )
            )
            self._sent["buildings"].append(i)
        return lines

    def decoration_lines(self) -> list[services.DecorationLine]:
        lines = []
        self._sent["decorations"] = []
        for i, form in enumerate(self.decorations.forms):
            if form.blank:
                continue
            d = form.cleaned_data
            lines.append(
                services.DecorationLine(
                    description=d.get("description") or "",
                    amount=d.get("amount"),
                    building_id=d.get("building"),
                )
            )
            self._sent["decorations"].append(i)
        return lines

    def ancillary_lines(self) -> list[services.AncillaryLine]:
        lines = []
        self._sent["ancillaries"] = []
        for i, form in enumerate(self.ancillaries.forms):
            if form.blank:
                continue
            d = form.cleaned_data
            lines.append(
                services.AncillaryLine(
                    ancillary_id=d["ancillary"],
                    quantity=d.get("quantity"),
                    unit_price=d.get("unit_price"),
                    value=d.get("value"),
                )
            )
            self._sent["ancillaries"].append(i)
        return lines

    def _row_form(self, key: str) -> tuple[forms.Form, str] | None:
        """The form and field a service key like "buildings-2-value" names, if any."""
        section, _sep, rest = key.partition("-")
        index, _sep, name = rest.partition("-")
        if section not in self._sent or not index.isdigit():
            return None
        sent = self._sent[section]
        if int(index) >= len(sent):
            return None
        return self.formset(section).forms[sent[int(index)]], name

    def attach(self, exc: ValidationError) -> None:
        """Put the service's errors at the row and field they name; the rest at the top."""
        if not hasattr(exc, "error_dict"):
            self.errors.extend(exc.messages)
            return
        for key, errors in exc.error_dict.items():
            found = self._row_form(key)
            if found is not None:
                form, name = found
                # A row's hidden id (a building since removed, say) is the row's own error.
                field = form.fields.get(name)
                target = name if field and not field.widget.is_hidden else None
            elif key in self.header.fields:
                form, target = self.header, key
            else:
                self.errors.extend(str(m) for e in errors for m in e.messages)
                continue
            for error in errors:
                form.add_error(target, error)
            _mark_invalid(form, target)

    # --- rendering -------------------------------------------------------------------------

    def building_items(self) -> list[tuple[BuildingRow | None, forms.Form]]:
        """Each building form with the building it is for (by the building it names)."""
        rows: dict[int | None, BuildingRow] = {r.building.pk: r for r in self._building_rows}
        return [(rows.get(_int(f["building"].value())), f) for f in self.buildings.forms]

    def ancillary_items(self) -> list[tuple[AncillaryRow | None, forms.Form]]:
        rows: dict[int | None, AncillaryRow] = {r.ancillary.pk: r for r in self._ancillary_rows}
        return [(rows.get(_int(f["ancillary"].value())), f) for f in self.ancillaries.forms]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- report and objections -----------------------------------------------------------------


class ReportIssueForm(StyledForm):
    issued_on = forms.DateField(label=_("Issued on"), widget=forms.DateInput())
    report_file = forms.FileField(
        label=_("Signed report (PDF)"),
        required=False,
        help_text=_("The firm's signed and sealed report; without it the system generates one."),
    )


class DeliveredForm(StyledForm):
    delivered_on = forms.DateField(
        label=_("Received by the household on"), widget=forms.DateInput()
    )


class ObjectionApplyForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"))
    applied_on = forms.DateField(label=_("Applied on"), widget=forms.DateInput())
    grounds = forms.CharField(label=_("Grounds"), widget=forms.Textarea(attrs={"rows": 3}))
    application = forms.FileField(
        label=_("Written application"),
        required=False,
        help_text=_("PDF, JPEG or PNG."),
    )

    def __init__(self, *args: Any, kinds: Sequence[ObjectionKind], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(k.value, k.label) for k in kinds]


class AnswerForm(StyledForm):
    """The firm's answer to a re-assessment (the outcome follows from the figures)."""

    answered_on = forms.DateField(label=_("Answered on"), widget=forms.DateInput())
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))
    answer_document = forms.FileField(
        label=_("Answer document"), required=False, help_text=_("PDF, JPEG or PNG.")
    )


class AppraisalAnswerForm(AnswerForm):
    """The expert committee's answer to an appraisal, recorded by the office."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=ObjectionOutcome.choices)

    field_order = ["answered_on", "outcome", "answer", "answer_document"]
