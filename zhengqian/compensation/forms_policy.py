"""Forms of the policy pages. They shape input only: the services check the rules (every rule
complete, references to existing items, no cycle) and the actor's rights.

The item form is structured: a rule kind and the fields that kind needs, from which it builds
the rule's JSON for the engine; nobody types JSON.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from zhengqian.compensation.models import (
    CATEGORY_CHOICES,
    MODE_CHOICES,
    Policy,
    PolicyItem,
)
from zhengqian.compensation.services import RESETTLEMENT_POLICY_FIELDS
from zhengqian.core.forms import StyledForm
from zhengqian.survey.models import HouseholdKind

# Rows offered for the tiers of a tiers rule (an early-signing bonus rarely has more).
TIER_ROWS = 4
# Households checked at once in a preview.
PREVIEW_HOUSEHOLDS = 5

RULE_CHOICES = [
    ("area_rate", _("Area × rate")),
    ("per_household", _("Fixed per household")),
    ("per_person", _("Per eligible person")),
    ("monthly", _("Monthly × months")),
    ("percent_of", _("Percentage of other items")),
    ("tiers", _("Tiers by days")),
    ("valuation", _("A line of the valuation")),
]
AREA_CHOICES = [
    ("licensed", _("Licensed area")),
    ("unlicensed", _("Recognised unlicensed area")),
    ("legal", _("Licensed and recognised unlicensed area")),
    ("measured", _("Measured area")),
]
RATE_CHOICES = [
    ("fixed", _("A fixed rate per m²")),
    ("valuation", _("The valuation's unit price of each building")),
]
BASIS_CHOICES = [("area", _("Per m² of area")), ("household", _("Per household"))]
EVENT_CHOICES = [("signing", _("the signing")), ("vacating", _("the vacating"))]
VALUATION_LINE_CHOICES = [
    ("buildings", _("Buildings")),
    ("decoration", _("Decoration")),
    ("ancillaries", _("Ancillaries")),
    ("business_loss", _("Business stoppage loss")),
]


def _model_field(model: type[Any], name: str, **kwargs: Any) -> Any:
    """The form field Django derives from the model field: label, length, validators."""
    return model._meta.get_field(name).formfield(**kwargs)


def _codes(text: str) -> list[str]:
    """Codes typed into one box, separated by commas, spaces or Chinese commas."""
    return [c for c in re.split(r"[\s,，、;；]+", text or "") if c]


def _text(value: Decimal | None) -> str:
    return str(value) if value is not None else ""


class DraftForm(StyledForm):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Left empty: the title of the current version."),
    )


class PolicySettingsForm(StyledForm):
    title = _model_field(Policy, "title")
    notes = _model_field(Policy, "notes", widget=forms.Textarea(attrs={"rows": 2}))
    entitlement_basis = _model_field(Policy, "entitlement_basis")
    area_per_person = _model_field(Policy, "area_per_person")
    entitled_price = _model_field(Policy, "entitled_price")
    above_price = _model_field(Policy, "above_price")
    below_price = _model_field(Policy, "below_price")
    voucher_premium = _model_field(Policy, "voucher_premium")
    voucher_validity_months = _model_field(Policy, "voucher_validity_months")
    leader_threshold = _model_field(Policy, "leader_threshold")
    effect_threshold = _model_field(Policy, "effect_threshold")
    signing_period_end = _model_field(
        Policy, "signing_period_end", widget=forms.DateInput(attrs={"type": "date"})
    )
    payment_first_percent = _model_field(Policy, "payment_first_percent")
    payment_due_days = _model_field(Policy, "payment_due_days")
    vacate_within_days = _model_field(Policy, "vacate_within_days")
    fit_above = _model_field(Policy, "fit_above")
    fit_below = _model_field(Policy, "fit_below")
    flat_step_area = _model_field(Policy, "flat_step_area")
    max_flats = _model_field(Policy, "max_flats")
    transition_rate = _model_field(Policy, "transition_rate")
    transition_minimum = _model_field(Policy, "transition_minimum")
    transition_after_handover_months = _model_field(Policy, "transition_after_handover_months")
    transition_late_factor = _model_field(Policy, "transition_late_factor")
    voucher_cash_allowed = forms.NullBooleanField(
        label=Policy._meta.get_field("voucher_cash_allowed").verbose_name, required=False
    )
    voucher_cash_full_percent = _model_field(Policy, "voucher_cash_full_percent")
    voucher_cash_rate = _model_field(Policy, "voucher_cash_rate")
    voucher_cash_forfeits_premium = forms.NullBooleanField(
        label=Policy._meta.get_field("voucher_cash_forfeits_premium").verbose_name,
        required=False,
    )
    voucher_developer_first_percent = _model_field(Policy, "voucher_developer_first_percent")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The resettlement settings came later: a form posted without them leaves them as they
        # are (an empty box keeps the version's value).
        for name in RESETTLEMENT_POLICY_FIELDS:
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in RESETTLEMENT_POLICY_FIELDS:
            if cleaned.get(name) is None:
                cleaned.pop(name, None)
        return cleaned

    @classmethod
    def for_policy(cls, policy: Policy, data: Any = None) -> PolicySettingsForm:
        return cls(data, initial={name: getattr(policy, name) for name in cls.base_fields})


class PolicyItemForm(StyledForm):
    """One item: its name and category, the rule's kind and parameters, its conditions and
    limits. The service's errors about the rule land at ``rule``, the kind's field."""

    code = _model_field(PolicyItem, "code")
    name = _model_field(PolicyItem, "name")
    category = forms.ChoiceField(label=_("Category"), choices=CATEGORY_CHOICES)
    rule = forms.ChoiceField(label=pgettext_lazy("policy", "Rule"), choices=RULE_CHOICES)
    # area × rate
    area = forms.ChoiceField(label=_("Area"), choices=AREA_CHOICES, required=False)
    rate_source = forms.ChoiceField(
        label=_("Rate"), choices=RATE_CHOICES, required=False, initial="fixed"
    )
    rate = forms.DecimalField(label=_("Rate (元/m²)"), decimal_places=2, required=False)
    coefficient = forms.DecimalField(
        label=_("Coefficient"), decimal_places=4, required=False, initial=Decimal("1")
    )
    uses = forms.CharField(
        label=_("Only buildings of these uses"),
        required=False,
        help_text=_("Building use codes, separated by commas; empty: every building."),
    )
    # fixed per household / per person
    amount = forms.DecimalField(label=_("Amount (元)"), decimal_places=2, required=False)
    # monthly
    basis = forms.ChoiceField(
        label=_("Monthly amount"), choices=BASIS_CHOICES, required=False, initial="area"
    )
    monthly_area = forms.ChoiceField(
        label=_("Area"), choices=AREA_CHOICES, required=False, initial="legal"
    )
    monthly_rate = forms.DecimalField(
        label=_("Monthly rate (元)"), decimal_places=2, required=False
    )
    months = forms.DecimalField(label=_("Months"), decimal_places=1, required=False)
    monthly_minimum = forms.DecimalField(
        label=_("Monthly minimum (元)"), decimal_places=2, required=False
    )
    # percentage of other items
    percent = forms.DecimalField(label=_("Percentage (%)"), decimal_places=2, required=False)
    of = forms.MultipleChoiceField(
        label=_("Of the items"), required=False, widget=forms.CheckboxSelectMultiple
    )
    # tiers by days (rows added in __init__)
    days_from = forms.ChoiceField(label=_("Days counted from the milestone"), required=False)
    days_to = forms.ChoiceField(label=_("to"), choices=EVENT_CHOICES, required=False)
    # a line of the valuation
    line = forms.ChoiceField(
        label=_("Valuation line"), choices=VALUATION_LINE_CHOICES, required=False
    )
    # conditions and limits
    modes = forms.MultipleChoiceField(
        label=_("Only for the resettlement modes"),
        choices=MODE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every mode."),
    )
    kinds = forms.MultipleChoiceField(
        label=_("Only for the household kinds"),
        choices=HouseholdKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every kind."),
    )
    minimum = _model_field(PolicyItem, "minimum")
    maximum = _model_field(PolicyItem, "maximum")

    RULE_FIELDS = {
        "area_rate": ("area", "rate_source", "rate", "coefficient"),
        "per_household": ("amount",),
        "per_person": ("amount",),
        "monthly": ("basis", "monthly_area", "monthly_rate", "months", "monthly_minimum"),
        "percent_of": ("percent", "of"),
        "tiers": ("days_from", "days_to"),
        "valuation": ("line",),
    }

    def __init__(
        self,
        *args: Any,
        item_codes: Sequence[str] = (),
        milestones: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["of"].choices = [(c, c) for c in item_codes]  # type: ignore[attr-defined]
        self.fields["days_from"].choices = [("", "—"), *milestones]  # type: ignore[attr-defined]
        # Added after the styling of the base form has run: they carry their classes themselves.
        for i in range(TIER_ROWS):
            control = {"class": "form-control form-control-sm"}
            self.fields[f"tier{i}_days"] = forms.IntegerField(
                label=_("Up to days"),
                min_value=0,
                required=False,
                widget=forms.NumberInput(attrs=control),
            )
            self.fields[f"tier{i}_amount"] = forms.DecimalField(
                label=_("Amount (元)"),
                decimal_places=2,
                required=False,
                widget=forms.NumberInput(attrs=control),
            )
            self.fields[f"tier{i}_percent"] = forms.DecimalField(
                label=_("or percentage (%)"),
                decimal_places=2,
                required=False,
                widget=forms.NumberInput(attrs=control),
            )
            self.fields[f"tier{i}_of"] = forms.CharField(
                label=_("of the items"),
                required=False,
                widget=forms.TextInput(attrs=control),
            )

    @property
    def tier_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"tier{i}_{part}"] for part in ("days", "amount", "percent", "of")]
            for i in range(TIER_ROWS)
        ]

    @property
    def rule_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The fields of each rule kind, shown only while that kind is chosen (the building
        uses, once, for both kinds that sum over buildings)."""
        groups = [(kind, [self[f] for f in fields]) for kind, fields in self.RULE_FIELDS.items()]
        return [*groups, ("area_rate monthly", [self["uses"]])]

    @staticmethod
    def initial_for(item: PolicyItem) -> dict[str, Any]:
        """The form's values for an existing item: its rule taken apart again."""
        rule = dict(item.rule or {})
        kind = rule.get("type", "")
        initial: dict[str, Any] = {
            "code": item.code,
            "name": item.name,
            "category": item.category,
            "rule": kind,
            "modes": list(item.modes or []),
            "kinds": list(item.kinds or []),
            "minimum": item.minimum,
            "maximum": item.maximum,
            "uses": ", ".join(rule.get("uses") or []),
        }
        if kind == "area_rate":
            initial.update(
                area=rule.get("area", ""),
                rate_source="valuation" if rule.get("valuation_price") else "fixed",
                rate=rule.get("rate"),
                coefficient=rule.get("coefficient", "1"),
            )
        elif kind in ("per_household", "per_person"):
            initial["amount"] = rule.get("amount")
        elif kind == "monthly":
            initial.update(
                basis=rule.get("basis", "area"),
                monthly_area=rule.get("area", "legal"),
                monthly_rate=rule.get("rate"),
                months=rule.get("months"),
                monthly_minimum=rule.get("monthly_minimum"),
            )
        elif kind == "percent_of":
            initial.update(percent=rule.get("percent"), of=list(rule.get("of") or []))
        elif kind == "tiers":
            initial.update(days_from=rule.get("from", ""), days_to=rule.get("to", ""))
            for i, tier in enumerate((rule.get("tiers") or [])[:TIER_ROWS]):
                initial[f"tier{i}_days"] = tier.get("up_to_days")
                initial[f"tier{i}_amount"] = tier.get("amount")
                initial[f"tier{i}_percent"] = tier.get("percent")
                initial[f"tier{i}_of"] = ", ".join(tier.get("of") or [])
        elif kind == "valuation":
            initial["line"] = rule.get("line", "")
        return initial

    def rule_dict(self) -> dict[str, Any]:
        """The rule as the engine reads it, from the cleaned fields of its kind. A parameter
        left empty is left out: the service then says which one the rule needs."""
        data = self.cleaned_data
        kind = data["rule"]
        rule: dict[str, Any] = {"type": kind}

        def put(key: str, value: Any) -> None:
            if value not in (None, "", []):
                rule[key] = str(value) if isinstance(value, Decimal) else value

        uses = _codes(data.get("uses", ""))
        if kind == "area_rate":
            put("area", data.get("area"))
            if data.get("rate_source") == "valuation":
                rule["valuation_price"] = True
            else:
                put("rate", data.get("rate"))
            coefficient = data.get("coefficient")
            if coefficient is not None and coefficient != 1:
                put("coefficient", coefficient.normalize())
            put("uses", uses)
        elif kind in ("per_household", "per_person"):
            put("amount", data.get("amount"))
        elif kind == "monthly":
            basis = data.get("basis") or "area"
            rule["basis"] = basis
            if basis == "area":
                put("area", data.get("monthly_area") or "legal")
                put("uses", uses)
            put("rate", data.get("monthly_rate"))
            put("months", data.get("months"))
            put("monthly_minimum", data.get("monthly_minimum"))
        elif kind == "percent_of":
            put("percent", data.get("percent"))
            put("of", list(data.get("of") or []))
        elif kind == "tiers":
            put("from", data.get("days_from"))
            put("to", data.get("days_to"))
            tiers = []
            for i in range(TIER_ROWS):
                days = data.get(f"tier{i}_days")
                amount = data.get(f"tier{i}_amount")
                percent = data.get(f"tier{i}_percent")
                if amount is None and percent is None:
                    continue
                tier: dict[str, Any] = {} if days is None else {"up_to_days": days}
                if percent is not None:
                    tier["percent"] = str(percent)
                    tier["of"] = _codes(data.get(f"tier{i}_of", ""))
                else:
                    tier["amount"] = str(amount)
                tiers.append(tier)
            rule["tiers"] = tiers
        else:
            put("line", data.get("line"))
        return rule

    def item_fields(self) -> dict[str, Any]:
        """What policy_item_save takes."""
        data = self.cleaned_data
        return {
            "code": data["code"],
            "name": data["name"],
            "category": data["category"],
            "rule": self.rule_dict(),
            "modes": list(data.get("modes") or []),
            "kinds": list(data.get("kinds") or []),
            "minimum": data.get("minimum"),
            "maximum": data.get("maximum"),
        }


class PreviewForm(StyledForm):
    households = forms.CharField(label=_("Household codes"))
    mode = forms.ChoiceField(label=_("Resettlement mode"), choices=MODE_CHOICES)
    signing_on = forms.DateField(label=_("Signed on"), required=False, widget=forms.DateInput)
    vacating_on = forms.DateField(label=_("Vacated on"), required=False, widget=forms.DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["households"].help_text = gettext("Up to %(n)d codes, separated by commas.") % {
            "n": PREVIEW_HOUSEHOLDS
        }

    def clean_households(self) -> list[str]:
        codes = list(dict.fromkeys(_codes(self.cleaned_data["households"])))
        if not codes:
            raise forms.ValidationError(_("Enter at least one household code."), code="required")
        if len(codes) > PREVIEW_HOUSEHOLDS:
            raise forms.ValidationError(
                gettext("At most %(n)d households at once.") % {"n": PREVIEW_HOUSEHOLDS},
                code="too_many",
            )
        return codes
