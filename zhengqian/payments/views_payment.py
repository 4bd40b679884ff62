"""One payment: its agreement, instalment and history, and the forms of whoever may act on it
(approve with the password or refuse; record the transfer, a failure or return, the
household's signed receipt); asking for an instalment's payment from the household page; the
signed receipt's file.

Thin views: every rule is in payments.services. A payment outside the user's scope is 404; a
refused write raises AccessDenied (403). The account number and the payee are personal data:
masked unless the user holds payments/view_personal, and a page shown unmasked is an audited
read, as is every opening of the signed receipt.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read
from zhengqian.core.files import serve_stored
from zhengqian.core.forms import attach_errors, submit
from zhengqian.core.http import next_url
from zhengqian.core.masking import mask_bank_account, mask_name
from zhengqian.payments import selectors, services
from zhengqian.payments.forms import (
    ApproveForm,
    FailureForm,
    PaidForm,
    ReceiptUploadForm,
    RefuseForm,
)
from zhengqian.payments.models import Payment, PaymentStatus
from zhengqian.survey.permissions import require_household


def _url(payment: Payment) -> str:
    return reverse("payments:payment", args=[payment.pk])


def _forms_id(name: str) -> str:
    # Several forms on one page share field names (reason): distinct ids for their labels.
    return f"id_{name}_%s"


def _page(request: HttpRequest, payment: Payment, status: int = 200, **forms: Any) -> HttpResponse:
    user = request.user
    household = payment.household
    project_id = payment.project_id
    personal = selectors.sees_personal(user, project_id)
    may_approve = selectors.may_in_project(user, project_id, Action.APPROVE)
    may_change = selectors.may_in_project(user, project_id, Action.CHANGE)
    state = payment.status
    own_request = payment.requested_by_id == user.pk
    shown: dict[str, Any] = {}
    if state == PaymentStatus.REQUESTED and may_approve:
        if not own_request:
            shown["approve_form"] = forms.get("approve_form") or ApproveForm(
                auto_id=_forms_id("approve")
            )
        shown["refuse_form"] = forms.get("refuse_form") or RefuseForm(auto_id=_forms_id("refuse"))
    if state == PaymentStatus.APPROVED and may_change:
        shown["paid_form"] = forms.get("paid_form") or PaidForm(
            auto_id=_forms_id("paid"),
            initial={
                "paid_on": timezone.localdate(),
                "payee": household.head_name if personal else "",
            },
        )
    if state in (PaymentStatus.APPROVED, PaymentStatus.PAID) and may_change:
        shown["failure_form"] = forms.get("failure_form") or FailureForm(
            auto_id=_forms_id("failure"), initial={"failed_on": timezone.localdate()}
        )
    if state == PaymentStatus.PAID and may_change and payment.receipt_confirmed_at is None:
        shown["receipt_form"] = forms.get("receipt_form") or ReceiptUploadForm(
            auto_id=_forms_id("receipt")
        )
    # A step refused because the payment moved on meanwhile (approved twice, paid twice): its
    # form is no longer shown, so its refusal is said at the top of the page.
    refused = [
        error
        for name, form in forms.items()
        if name not in shown and form is not None
        for error in form.non_field_errors()
    ]
    if personal:
        # The page shows the head's name, the payee and the account number unmasked.
        record_read(
            actor=user,
            event_type="payment.view_personal",
            target=payment,
            project=project_id,
            details={"household": household.pk},
        )
    instalment = payment.instalment
    context = {
        "payment": payment,
        "instalment": instalment,
        # An item of resettlement is paid under the household's main agreement.
        "agreement": instalment.plan.agreement or payment.account.agreement,
        "item": instalment.plan if instalment.plan.agreement_id is None else None,
        "account": payment.account,
        "household": household,
        "project": household.project,
        "personal": personal,
        "head": household.head_name if personal else mask_name(household.head_name),
        "payee": payment.payee if personal else mask_name(payment.payee),
        "account_no": payment.account_no if personal else mask_bank_account(payment.account_no),
        "others": list(
            instalment.payments.exclude(pk=payment.pk)
            .select_related("requested_by")
            .order_by("requested_at")
        ),
        "refused": refused,
        "own_request": own_request and state == PaymentStatus.REQUESTED and may_approve,
        **shown,
    }
    return render(request, "payments/payment.html", context, status=status)


@login_required
@require_GET
def payment(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, selectors.get_payment_for_user(request.user, pk))


def _act(request: HttpRequest, pk: int, action: Action) -> Payment:
    found = selectors.get_payment_for_user(request.user, pk)
    require(request.user, Module.PAYMENTS, action, project=found.project_id)
    return found


def _refresh(found: Payment) -> Payment:
    household = found.household
    found.refresh_from_db()
    found.household = household
    return found


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    found = _act(request, pk, Action.APPROVE)
    form = ApproveForm(request.POST, auto_id=_forms_id("approve"))
    if form.is_valid():
        try:
            services.approve(
                actor=request.user, payment=found, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("The payment is approved: finance records the transfer."))
            return redirect(_url(found))
    return _page(request, _refresh(found), status=400, approve_form=form)


@login_required
@require_POST
def refuse(request: HttpRequest, pk: int) -> HttpResponse:
    found = _act(request, pk, Action.APPROVE)
    form = RefuseForm(request.POST, auto_id=_forms_id("refuse"))
    if submit(form, lambda data: services.refuse(actor=request.user, payment=found, **data)):
        messages.success(
            request, _("The request was refused: the instalment may be asked for again.")
        )
        return redirect(_url(found))
    return _page(request, _refresh(found), status=400, refuse_form=form)


@login_required
@require_POST
def record_paid(request: HttpRequest, pk: int) -> HttpResponse:
    found = _act(request, pk, Action.CHANGE)
    form = PaidForm(request.POST, auto_id=_forms_id("paid"))
    if submit(form, lambda data: services.record_paid(actor=request.user, payment=found, **data)):
        messages.success(request, _("The transfer was recorded in the ledger."))
        return redirect(_url(found))
    return _page(request, _refresh(found), status=400, paid_form=form)


@login_required
@require_POST
def record_failure(request: HttpRequest, pk: int) -> HttpResponse:
    found = _act(request, pk, Action.CHANGE)
    form = FailureForm(request.POST, auto_id=_forms_id("failure"))
    if submit(
        form, lambda data: services.record_failure(actor=request.user, payment=found, **data)
    ):
        messages.success(
            request, _("The failure was recorded: the instalment may be asked for again.")
        )
        return redirect(_url(found))
    return _page(request, _refresh(found), status=400, failure_form=form)


@login_required
@require_POST
def receipt_upload(request: HttpRequest, pk: int) -> HttpResponse:
    found = _act(request, pk, Action.CHANGE)
    form = ReceiptUploadForm(request.POST, request.FILES, auto_id=_forms_id("receipt"))
    if form.is_valid():
        try:
            services.confirm_receipt(
                actor=request.user, payment=found, receipt=form.cleaned_data["receipt"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("The household's signed receipt was recorded."))
            return redirect(_url(found))
    return _page(request, _refresh(found), status=400, receipt_form=form)


@login_required
@require_GET
def receipt_file(request: HttpRequest, pk: int) -> FileResponse:
    """The household's signed receipt: unmasked personal data, opened only with
    payments/view_personal, and each opening recorded."""
    found = selectors.get_payment_for_user(request.user, pk)
    require_household(request.user, found.household, Module.PAYMENTS, Action.VIEW_PERSONAL)
    response = serve_stored(
        found.receipt, f"{found.household.code}-{found.pk}-receipt", as_attachment=True
    )
    record_read(
        actor=request.user,
        event_type="payment.receipt_file",
        target=found,
        project=found.project_id,
        details={"household": found.household_id, "sha256": found.receipt_sha256},
    )
    return response


# --- asking for an instalment's payment (the household page) -------------------------------


def _back(request: HttpRequest, default: str) -> str:
    return next_url(request, default)


@login_required
@require_POST
def request_payment(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for an instalment's payment; a refusal is a message on the household page."""
    instalment = selectors.get_instalment_for_user(request.user, pk)
    household_url = reverse("survey:household_detail", args=[instalment.account.household_id])
    back = _back(request, household_url + "#payments-section")
    try:
        made = services.request(actor=request.user, instalment=instalment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    messages.success(
        request,
        _("The payment of %(amount)s yuan was asked for: a finance officer approves it.")
        % {"amount": f"{made.amount:,.2f}"},
    )
    return redirect(back)
