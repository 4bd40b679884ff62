"""Forms of the payments pages. The rules are the services'; these only read the values, and
their fields are named as the services name them in their errors, so that attach_errors puts a
refusal at the field that caused it. Amounts are read as text: the service says what is wrong
with one (not to the fen, not positive) in the office's words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengqian.core.forms import StyledForm
from zhengqian.payments.models import FundingSource, FundKind


class SourceForm(StyledForm):
    kind = forms.ChoiceField(
        label=_("Type"), choices=[("", "—"), *FundKind.choices], required=False
    )
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    planned = forms.CharField(
        label=_("Amount planned (yuan)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    reference = forms.CharField(label=_("Approval document number"), max_length=100, required=False)


class SourceChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.get_kind_display()}"


class ReceiptForm(StyledForm):
    """Funds received from one of the project's sources (资金到位)."""

    source = SourceChoiceField(label=_("Funding source"), queryset=FundingSource.objects.none())
    amount = forms.CharField(
        label=_("Amount received (yuan)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    received_on = forms.DateField(label=_("Received on"), required=False)
    document_no = forms.CharField(label=_("Voucher number"), max_length=60, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, project_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = FundingSource.objects.filter(  # type: ignore[attr-defined]
            project_id=project_id
        ).order_by("pk")


class ApproveForm(StyledForm):
    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        required=False,
        help_text=_("Approving a payment asks for your password again."),
    )


class RefuseForm(StyledForm):
    reason = forms.CharField(label=_("Reason for refusing"), max_length=300, required=False)


class PaidForm(StyledForm):
    """The transfer of an approved payment as the bank made it."""

    payee = forms.CharField(label=_("Payee"), max_length=100, required=False)
    bank = forms.CharField(label=_("Bank"), max_length=100, required=False)
    account_no = forms.CharField(
        label=_("Account number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    voucher_no = forms.CharField(label=_("Voucher number"), max_length=60, required=False)
    paid_on = forms.DateField(label=_("Paid on"), required=False)


class FailureForm(StyledForm):
    reason = forms.CharField(
        label=_("Why the transfer failed or came back"), max_length=300, required=False
    )
    failed_on = forms.DateField(label=_("Failed or returned on"), required=False)


class ReceiptUploadForm(StyledForm):
    receipt = forms.FileField(
        label=_("Household's signed receipt"),
        required=False,
        help_text=_("PDF, JPEG or PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class LedgerFilterForm(StyledForm):
    since = forms.DateField(label=_("From"), required=False)
    until = forms.DateField(label=_("To"), required=False)
    household = forms.CharField(label=_("Household code"), max_length=30, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the period is before its start."))
        return data


class ReceivableRecordForm(StyledForm):
    """The household's money as finance received it (收款)."""

    received_on = forms.DateField(label=_("Received from the household on"), required=False)
    voucher_no = forms.CharField(label=_("Voucher number"), max_length=60, required=False)


class ReceivableCancelForm(StyledForm):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=300, required=False)
