"""Amounts receivable from households (应收款): the project's list (open first, with their due
dates, the overdue marked), one receivable with the finance department's forms (record it as
received with the voucher number; cancel it with the reason).

Thin views: every rule is in payments.services. A receivable outside the user's scope is 404;
a refused write raises AccessDenied (403). The list masks the heads' names.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read
from zhengqian.core.forms import submit
from zhengqian.core.masking import mask_name
from zhengqian.payments import selectors, services
from zhengqian.payments.forms import ReceivableCancelForm, ReceivableRecordForm
from zhengqian.payments.models import Receivable, ReceivableStatus
from zhengqian.survey.permissions import require_household

PAGE_SIZE = 50


@login_required
@require_GET
def receivables(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_project_for_user(request.user, pk)
    groups = selectors.groups_of(request.user, found)
    status = request.GET.get("status", "")
    if status not in ReceivableStatus.values:
        status = ""
    rows = selectors.receivables(found.pk, groups, status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    for r in shown:
        r.head = mask_name(r.household.head_name)  # type: ignore[attr-defined]
    context = {
        "project": found,
        "rows": shown,
        "page_obj": page,
        "status": status,
        "statuses": ReceivableStatus.choices,
        "totals": selectors.receivable_totals(found.pk, groups),
        "today": timezone.localdate(),
        "query_string": f"status={status}" if status else "",
    }
    return render(request, "payments/receivables.html", context)


def _url(receivable: Receivable) -> str:
    return reverse("payments:receivable", args=[receivable.pk])


def _page(
    request: HttpRequest,
    receivable: Receivable,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    user = request.user
    household = receivable.household
    is_open = receivable.status == ReceivableStatus.OPEN
    personal = selectors.sees_personal(user, household.project_id)
    if personal:
        # The page shows the head's name unmasked.
        record_read(
            actor=user,
            event_type="payment.view_personal",
            target=receivable,
            project=household.project_id,
            details={"household": household.pk},
        )
    context: dict[str, Any] = {
        "receivable": receivable,
        "household": household,
        "project": household.project,
        "head": household.head_name if personal else mask_name(household.head_name),
        "today": timezone.localdate(),
    }
    if is_open and selectors.may(user, household, Action.CHANGE):
        context["record_form"] = forms.get("record_form") or ReceivableRecordForm(
            auto_id="id_record_%s", initial={"received_on": timezone.localdate()}
        )
    if is_open and selectors.may(user, household, Action.APPROVE):
        context["cancel_form"] = forms.get("cancel_form") or ReceivableCancelForm(
            auto_id="id_cancel_%s"
        )
    # A step refused because the receivable moved on meanwhile: its form is gone, so its
    # refusal is said at the top of the page.
    context["refused"] = [
        error
        for name, form in forms.items()
        if name not in context and form is not None
        for error in form.non_field_errors()
    ]
    return render(request, "payments/receivable.html", context, status=status)


@login_required
@require_GET
def receivable(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, selectors.get_receivable_for_user(request.user, pk))


def _act(request: HttpRequest, pk: int, action: Action) -> Receivable:
    found = selectors.get_receivable_for_user(request.user, pk)
    require_household(request.user, found.household, Module.PAYMENTS, action)
    return found


def _again(found: Receivable) -> Receivable:
    household = found.household
    found.refresh_from_db()
    found.household = household
    return found


@login_required
@require_POST
def receivable_record(request: HttpRequest, pk: int) -> HttpResponse:
    found = _act(request, pk, Action.CHANGE)
    form = ReceivableRecordForm(request.POST, auto_id="id_record_%s")
    if submit(
        form,
        lambda data: services.receivable_record(actor=request.user, receivable=found, **data),
    ):
        messages.success(
            request,
            _("%(amount)s yuan received from the household was recorded in the ledger.")
            % {"amount": f"{found.amount:,.2f}"},
        )
        return redirect(_url(found))
    return _page(request, _again(found), status=400, record_form=form)


@login_required
@require_POST
def receivable_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    found = _act(request, pk, Action.APPROVE)
    form = ReceivableCancelForm(request.POST, auto_id="id_cancel_%s")
    if submit(
        form,
        lambda data: services.receivable_cancel(actor=request.user, receivable=found, **data),
    ):
        messages.success(request, _("The amount receivable was cancelled."))
        return redirect(_url(found))
    return _page(request, _again(found), status=400, cancel_form=form)
