"""Forms of the housing voucher pages. The rules are the services'; the fields are named as the
services name them in their errors, so that a refusal lands at the field that caused it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqian.core.forms import StyledForm
from zhengqian.resettlement.models import Developer, VoucherStatus


def _date(label: Any) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.DateInput())


def _money(label: Any, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, min_value=0, max_digits=14, decimal_places=2
    )


class _Prefixed(StyledForm):
    """Several forms share a page: each has its own ids."""

    id_prefix = "voucher"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class FilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All vouchers")), *VoucherStatus.choices],
    )
    expiring = forms.BooleanField(label=_("Expiring within 30 days"), required=False)


class AgreementChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} · {obj.household.code}"


class IssueForm(_Prefixed):
    id_prefix = "issue"

    agreement = AgreementChoiceField(label=_("Voucher agreement"), queryset=None)
    holder_name = forms.CharField(label=_("Holder"), max_length=60, required=False)
    holder_id_number = forms.CharField(label=_("Holder's ID number"), max_length=30, required=False)
    issued_on = _date(_("Issued on"))

    def __init__(self, *args: Any, agreements: QuerySet[Any], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"issued_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = agreements  # type: ignore[attr-defined]


class DeveloperChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class UseForm(_Prefixed):
    id_prefix = "use"

    developer = DeveloperChoiceField(
        label=_("Developer"), queryset=Developer.objects.none(), required=False
    )
    contract_no = forms.CharField(
        label=_("Purchase contract number"), max_length=60, required=False
    )
    flat = forms.CharField(label=_("Flat bought"), max_length=200, required=False)
    flat_area = forms.DecimalField(
        label=_("Floor area (m²)"), required=False, max_digits=8, decimal_places=2, min_value=0
    )
    contract_price = _money(_("Contract price (yuan)"))
    amount = _money(_("Voucher amount used (yuan)"))
    used_on = _date(_("Used on"))

    def __init__(self, *args: Any, developers: QuerySet[Developer], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"used_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["developer"].queryset = developers  # type: ignore[attr-defined]


class RegisteredForm(StyledForm):
    registered_on = _date(_("Title registered on"))

    def __init__(self, *args: Any, use_pk: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"registered{use_pk}_%s")
        kwargs.setdefault("initial", {"registered_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class CashForm(_Prefixed):
    id_prefix = "cash"

    on = _date(_("Cashed on"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class LapseForm(_Prefixed):
    id_prefix = "lapse"

    on = _date(_("Recorded on"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ReissueForm(_Prefixed):
    id_prefix = "reissue"

    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    holder_name = forms.CharField(label=_("Holder"), max_length=60, required=False)
    holder_id_number = forms.CharField(label=_("Holder's ID number"), max_length=30, required=False)
    issued_on = _date(_("Reissued on"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"issued_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class DeveloperForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=30, required=False
    )
    bank = forms.CharField(label=_("Bank"), max_length=100, required=False)
    account_no = forms.CharField(label=_("Account number"), max_length=40, required=False)
    active = forms.BooleanField(label=_("Taking vouchers"), required=False, initial=True)

    def __init__(self, *args: Any, prefix_id: str = "developer", **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{prefix_id}_%s")
        super().__init__(*args, **kwargs)
