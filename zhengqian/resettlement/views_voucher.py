"""The housing voucher pages: the project's vouchers (filters, expiring soon, lapsed, the issue
form), a voucher (holder, uses, the developer's settlements and their payments, cashing, lapse,
reissue), its printable certificate, and the developers.

Thin views: every rule is in services_voucher. A project or voucher outside the user's scope is
404; a write the user may not do is 403 (AccessDenied). The holder's name and ID number are
masked unless the user holds resettlement/view_personal; a page that shows them unmasked is
recorded as a read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read
from zhengqian.core.forms import attach_errors
from zhengqian.core.http import is_htmx
from zhengqian.core.masking import mask_bank_account, mask_id_number, mask_name
from zhengqian.resettlement import forms_voucher as forms
from zhengqian.resettlement import selectors
from zhengqian.resettlement import selectors_voucher as vs
from zhengqian.resettlement import services_voucher as services
from zhengqian.resettlement.models import Voucher, VoucherStatus
from zhengqian.survey.permissions import require_household

# --- the project's vouchers ------------------------------------------------------------------


def _list_page(
    request: HttpRequest, pk: int, *, issue_form: Any = None, status: int = 200
) -> HttpResponse:
    user = request.user
    project = selectors.get_project_for_user(user, pk)
    today = timezone.localdate()
    form = forms.FilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = vs.vouchers(
        user,
        project,
        status=data.get("status", ""),
        expiring=bool(data.get("expiring")),
        today=today,
    )
    page = Paginator(rows, vs.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "project": project,
        "form": form,
        "page_obj": page,
        "query_string": query.urlencode(),
        "today": today,
    }
    if is_htmx(request) and status == 200:
        return render(request, "resettlement/voucher/_list.html", context)
    groups = vs.groups_of(user, project)
    may_create = selectors.may(user, project, Action.CREATE)
    if may_create and issue_form is None:
        issue_form = forms.IssueForm(agreements=vs.eligible_agreements(user, project))
    context.update(
        active="vouchers",
        summary=vs.summary(user, project, today),
        expiring=list(vs.in_groups(vs.expiring(project, today), groups)[:50]),
        lapsed=list(vs.in_groups(vs.lapsed(project), groups)[:50]),
        issue_form=issue_form if may_create else None,
    )
    return render(request, "resettlement/voucher/vouchers.html", context, status=status)


@login_required
@require_GET
def vouchers(request: HttpRequest, pk: int) -> HttpResponse:
    return _list_page(request, pk)


@login_required
@require_POST
def voucher_issue(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    project = selectors.get_project_for_user(user, pk)
    require(user, Module.RESETTLEMENT, Action.CREATE, project=project)
    form = forms.IssueForm(request.POST, agreements=vs.eligible_agreements(user, project))
    if form.is_valid():
        data = form.cleaned_data
        try:
            voucher = services.voucher_issue(actor=user, **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request, _("Voucher %(number)s was issued.") % {"number": voucher.number}
            )
            return redirect("resettlement:voucher", voucher.pk)
    return _list_page(request, pk, issue_form=form, status=400)


# --- a voucher -------------------------------------------------------------------------------


def _url(voucher: Voucher) -> str:
    return reverse("resettlement:voucher", args=[voucher.pk])


def _holder(voucher: Voucher, personal: bool) -> dict[str, str]:
    if personal:
        return {"name": voucher.holder_name, "id_number": voucher.holder_id_number}
    return {
        "name": mask_name(voucher.holder_name),
        "id_number": mask_id_number(voucher.holder_id_number),
    }


def _read_personal(request: HttpRequest, voucher: Voucher, event: str) -> None:
    record_read(
        actor=request.user,
        event_type=event,
        target=voucher,
        project=voucher.project_id,
        details={"household": voucher.household_id},
    )


def _page(
    request: HttpRequest,
    voucher: Voucher,
    *,
    status: int = 200,
    refused: list[str] | None = None,
    **bound: Any,
) -> HttpResponse:
    user = request.user
    project = voucher.project
    today = timezone.localdate()
    personal = selectors.sees_personal(user, project)
    is_open = voucher.status in vs.OPEN
    expired = today > voucher.valid_until
    may_create = selectors.may(user, project, Action.CREATE)
    may_change = selectors.may(user, project, Action.CHANGE)
    policy = services.policy_of(voucher)
    shown: dict[str, Any] = {}
    if is_open and may_create and not expired:
        shown["use_form"] = bound.get("use_form") or forms.UseForm(
            developers=vs.active_developers(project)
        )
    if is_open and may_change and not expired:
        if policy.voucher_cash_allowed:
            shown["cash_form"] = bound.get("cash_form") or forms.CashForm()
        shown["reissue_form"] = bound.get("reissue_form") or forms.ReissueForm()
    if is_open and may_change and expired:
        shown["lapse_form"] = bound.get("lapse_form") or forms.LapseForm()
    registered_forms = bound.get("registered_forms") or {}
    rows = vs.uses(voucher, today)
    if may_change:
        for row in rows:
            if row.use.registered_on is None:
                registered_forms.setdefault(row.use.pk, forms.RegisteredForm(use_pk=row.use.pk))
    # A form refused because the voucher moved on meanwhile is no longer shown: its errors
    # are said at the top.
    refused = list(refused or [])
    for name, form in bound.items():
        if name not in shown and name != "registered_forms" and form is not None:
            refused.extend(str(e) for e in form.non_field_errors())
    if personal:
        _read_personal(request, voucher, "resettlement.voucher_view_personal")
    context = {
        "project": project,
        "voucher": voucher,
        "household": voucher.household,
        "personal": personal,
        "holder": _holder(voucher, personal),
        "rows": rows,
        "cash": vs.cash_item(voucher, today),
        "chain": vs.chain(voucher),
        "policy": policy,
        "preview": services.value_of(voucher, policy) if is_open else None,
        "expired": expired,
        "lapses_on": services.lapses_on(voucher),
        "registered_forms": registered_forms,
        "refused": refused,
        "active": "vouchers",
        **shown,
    }
    return render(request, "resettlement/voucher/voucher.html", context, status=status)


@login_required
@require_GET
def voucher(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, vs.get_voucher_for_user(request.user, pk))


def _writable(request: HttpRequest, pk: int, action: Action) -> Voucher:
    found = vs.get_voucher_for_user(request.user, pk)
    require_household(request.user, found.household, Module.RESETTLEMENT, action)
    return found


def _write(
    request: HttpRequest,
    found: Voucher,
    name: str,
    form: Any,
    write: Callable[[dict[str, Any]], object],
    success: str,
) -> HttpResponse:
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                # Refused whatever the form says (the voucher moved on): said at the top.
                fresh = vs.get_voucher_for_user(request.user, found.pk)
                return _page(request, fresh, status=400, refused=list(exc.messages))
            attach_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(_url(found))
    fresh = vs.get_voucher_for_user(request.user, found.pk)
    return _page(request, fresh, status=400, **{name: form})


@login_required
@require_POST
def voucher_use(request: HttpRequest, pk: int) -> HttpResponse:
    found = _writable(request, pk, Action.CREATE)
    form = forms.UseForm(request.POST, developers=vs.active_developers(found.project_id))
    return _write(
        request,
        found,
        "use_form",
        form,
        lambda data: services.voucher_use(actor=request.user, voucher=found, **data),
        _("The use of the voucher was recorded; the developer's first payment is scheduled."),
    )


@login_required
@require_POST
def use_registered(request: HttpRequest, pk: int) -> HttpResponse:
    use = vs.get_use_for_user(request.user, pk)
    found = use.voucher
    require_household(request.user, found.household, Module.RESETTLEMENT, Action.CHANGE)
    form = forms.RegisteredForm(request.POST, use_pk=use.pk)
    if form.is_valid():
        try:
            services.use_registered(
                actor=request.user, use=use, registered_on=form.cleaned_data["registered_on"]
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                return _page(request, found, status=400, refused=list(exc.messages))
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("The registration was recorded; the rest is scheduled for the developer."),
            )
            return redirect(_url(found))
    return _page(request, found, status=400, registered_forms={use.pk: form})


@login_required
@require_POST
def voucher_cash(request: HttpRequest, pk: int) -> HttpResponse:
    found = _writable(request, pk, Action.CHANGE)
    return _write(
        request,
        found,
        "cash_form",
        forms.CashForm(request.POST),
        lambda data: services.voucher_cash(actor=request.user, voucher=found, on=data["on"]),
        _("The balance was cashed; its payment is scheduled."),
    )


@login_required
@require_POST
def voucher_lapse(request: HttpRequest, pk: int) -> HttpResponse:
    found = _writable(request, pk, Action.CHANGE)

    def write(data: dict[str, Any]) -> object:
        if data["on"] is None:
            raise ValidationError({"on": ValidationError(_("Give the date."), code="required")})
        return services.voucher_lapse(actor=request.user, voucher=found, on=data["on"])

    return _write(
        request, found, "lapse_form", forms.LapseForm(request.POST), write, _("The voucher lapsed.")
    )


@login_required
@require_POST
def voucher_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    found = _writable(request, pk, Action.CHANGE)
    form = forms.ReissueForm(request.POST)
    if form.is_valid():
        try:
            new = services.voucher_reissue(actor=request.user, voucher=found, **form.cleaned_data)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                return _page(request, found, status=400, refused=list(exc.messages))
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Voucher %(old)s was cancelled and reissued as %(new)s.")
                % {"old": found.number, "new": new.number},
            )
            return redirect(_url(new))
    return _page(request, found, status=400, reissue_form=form)


@login_required
@require_GET
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable voucher certificate (房票): number, face value in figures and words,
    validity, holder (masked unless the user sees personal data)."""
    found = vs.get_voucher_for_user(request.user, pk)
    personal = selectors.sees_personal(request.user, found.project_id)
    if personal:
        _read_personal(request, found, "resettlement.voucher_certificate")
    return render(
        request,
        "resettlement/voucher/certificate.html",
        {
            "project": found.project,
            "voucher": found,
            "household": found.household,
            "holder": _holder(found, personal),
            "personal": personal,
            "void": found.status in (VoucherStatus.CANCELLED, VoucherStatus.LAPSED),
        },
    )


# --- developers ------------------------------------------------------------------------------


def _developers_page(
    request: HttpRequest,
    pk: int,
    *,
    create_form: Any = None,
    edit_forms: dict[int, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    project = selectors.get_project_for_user(user, pk)
    personal = selectors.sees_personal(user, project)
    may_create = selectors.may(user, project, Action.CREATE)
    may_change = selectors.may(user, project, Action.CHANGE)
    edit_forms = dict(edit_forms or {})
    rows = []
    for developer in vs.developers(project):
        form = None
        if may_change:
            form = edit_forms.get(developer.pk) or forms.DeveloperForm(
                prefix_id=f"developer{developer.pk}",
                initial={
                    "name": developer.name,
                    "credit_code": developer.credit_code,
                    "bank": developer.bank,
                    "account_no": developer.account_no,
                    "active": developer.active,
                },
            )
        account = developer.account_no if personal else mask_bank_account(developer.account_no)
        rows.append({"developer": developer, "account": account, "form": form})
    context = {
        "project": project,
        "rows": rows,
        "create_form": (create_form or forms.DeveloperForm()) if may_create else None,
        "active": "vouchers",
    }
    return render(request, "resettlement/voucher/developers.html", context, status=status)


@login_required
@require_GET
def developers(request: HttpRequest, pk: int) -> HttpResponse:
    return _developers_page(request, pk)


@login_required
@require_POST
def developer_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    project = selectors.get_project_for_user(user, pk)
    require(user, Module.RESETTLEMENT, Action.CREATE, project=project)
    form = forms.DeveloperForm(request.POST)
    if form.is_valid():
        try:
            developer = services.developer_create(actor=user, project=project, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Developer %(name)s was added.") % {"name": developer.name})
            return redirect("resettlement:developers", project.pk)
    return _developers_page(request, pk, create_form=form, status=400)


@login_required
@require_POST
def developer_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    found = vs.get_developer_for_user(user, pk)
    require(user, Module.RESETTLEMENT, Action.CHANGE, project=found.project_id)
    form = forms.DeveloperForm(request.POST, prefix_id=f"developer{found.pk}")
    if form.is_valid():
        try:
            services.developer_update(actor=user, developer=found, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Developer %(name)s was saved.") % {"name": found.name})
            return redirect("resettlement:developers", found.project_id)
    return _developers_page(request, found.project_id, edit_forms={found.pk: form}, status=400)
