"""The agreement page (its figures, files, signing record, the signing form while it is a
draft, voiding and supplements), its files, and drafting from a calculation.

Thin views: every rule is in agreements.services. An agreement outside the user's scope is 404;
a refused write raises AccessDenied (403). The Word file, the PDF, the scan and the power of
attorney carry unmasked personal data: only agreements/view_personal opens them, and each
opening is an audited read.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements import selectors, services
from zhengqian.agreements.forms import (
    APPROVE,
    SignForm,
    VoidDecideForm,
    VoidRequestForm,
    now_local,
)
from zhengqian.agreements.models import Agreement, AgreementStatus, PartyCapacity
from zhengqian.audit.services import record_read
from zhengqian.core.forms import attach_errors
from zhengqian.core.http import next_url
from zhengqian.survey.permissions import require_household


def _url(agreement: Agreement) -> str:
    return reverse("agreements:agreement", args=[agreement.pk])


def _sign_form(request: HttpRequest, agreement: Agreement, data: Any = None) -> SignForm:
    household = agreement.household
    return SignForm(
        data,
        request.FILES if data is not None else None,
        signers=selectors.eligible_signers(agreement),
        default_handler=request.user,
        initial={
            "signed_at": now_local(),
            "party_capacity": PartyCapacity.HEAD,
            "party_name": household.head_name,
            "party_id_number": household.head_id_number,
        },
    )


def _page(
    request: HttpRequest,
    agreement: Agreement,
    *,
    sign_form: SignForm | None = None,
    void_request_form: VoidRequestForm | None = None,
    void_decide_form: VoidDecideForm | None = None,
    status: int = 200,
) -> HttpResponse:
    d = selectors.detail(request.user, agreement)
    if d.actions.sign and sign_form is None:
        sign_form = _sign_form(request, agreement)
    if d.show_personal:
        # The page shows the head's name, the signatory's ID number and (in the signing form)
        # the head's ID number unmasked.
        record_read(
            actor=request.user,
            event_type="agreement.view",
            target=agreement,
            project=agreement.project_id,
            details={"household": agreement.household_id},
        )
    context = {
        "d": d,
        "agreement": agreement,
        "household": agreement.household,
        "project": agreement.project,
        "calculation": agreement.calculation,
        "sign_form": sign_form if d.actions.sign else None,
        "void_request_form": (void_request_form or VoidRequestForm())
        if d.actions.void_request
        else None,
        "void_decide_form": (void_decide_form or VoidDecideForm())
        if d.actions.void_decide
        else None,
    }
    return render(request, "agreements/agreement.html", context, status=status)


@login_required
@require_GET
def agreement(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_agreement_for_user(request.user, pk)
    if found.status == AgreementStatus.PENDING:
        services.settle_if_due(found.project_id)
        found.refresh_from_db()
    return _page(request, found)


@login_required
@require_POST
def agreement_sign(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_agreement_for_user(request.user, pk)
    require_household(request.user, found.household, Module.AGREEMENTS, Action.CHANGE)
    form = _sign_form(request, found, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        party = services.Party(
            capacity=data["party_capacity"],
            name=data["party_name"],
            id_number=data["party_id_number"],
            power_of_attorney=data["power_of_attorney"],
        )
        try:
            signed = services.sign(
                actor=request.user,
                agreement=found,
                signed_at=data["signed_at"],
                party=party,
                office=form.office(),
                scan=data["scan"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Agreement %(number)s is signed: signing order number %(order)s.")
                % {"number": signed.number, "order": signed.signing_order or "—"},
            )
            return redirect(_url(signed))
    found.refresh_from_db()
    return _page(request, found, sign_form=form, status=400)


@login_required
@require_POST
def agreement_void_request(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_agreement_for_user(request.user, pk)
    form = VoidRequestForm(request.POST)
    if form.is_valid():
        try:
            services.void_request(
                actor=request.user, agreement=found, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Voiding was asked for: the project manager decides."))
            return redirect(_url(found))
    found.refresh_from_db()
    return _page(request, found, void_request_form=form, status=400)


@login_required
@require_POST
def agreement_void_decide(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_agreement_for_user(request.user, pk)
    form = VoidDecideForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == APPROVE
        try:
            services.void_decide(
                actor=request.user,
                agreement=found,
                approve=approve,
                password=form.cleaned_data["password"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("The agreement is void; its number is not given again.")
                if approve
                else _("The request to void was refused."),
            )
            return redirect(_url(found))
    found.refresh_from_db()
    return _page(request, found, void_decide_form=form, status=400)


# --- the files -----------------------------------------------------------------------------

_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _file(request: HttpRequest, pk: int, which: str, *, inline: bool = False) -> FileResponse:
    found = selectors.get_agreement_for_user(request.user, pk)
    require_household(request.user, found.household, Module.AGREEMENTS, Action.VIEW_PERSONAL)
    if which == "attorney":
        signatory = found.signatories.exclude(power_of_attorney="").first()
        stored = signatory.power_of_attorney if signatory is not None else None
    else:
        stored = getattr(found, which)
    if not stored:
        raise Http404(_("There is no such file."))
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("The file is missing from the storage.")) from exc
    record_read(
        actor=request.user,
        event_type="agreement.file",
        target=found,
        project=found.project_id,
        details={"file": which, "household": found.household_id},
    )
    extension = stored.name.rsplit(".", 1)[-1].lower() if "." in stored.name else ""
    name = f"{found.number}-{which}.{extension}" if which != "docx" else f"{found.number}.docx"
    if which == "pdf":
        name = f"{found.number}.pdf"
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=name,
        content_type=_CONTENT_TYPES.get(extension) or None,
    )
    # Personal documents: never kept by a shared proxy or the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
@xframe_options_sameorigin
def agreement_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The PDF rendition, inline: the agreement page shows it in a frame."""
    return _file(request, pk, "pdf", inline=True)


@login_required
@require_GET
def agreement_docx(request: HttpRequest, pk: int) -> FileResponse:
    return _file(request, pk, "docx")


@login_required
@require_GET
def agreement_scan(request: HttpRequest, pk: int) -> FileResponse:
    return _file(request, pk, "scan")


@login_required
@require_GET
def agreement_attorney(request: HttpRequest, pk: int) -> FileResponse:
    return _file(request, pk, "attorney")


# --- drafting ------------------------------------------------------------------------------


def _back(request: HttpRequest, default: str) -> str:
    return next_url(request, default)


@login_required
@require_POST
def draft(request: HttpRequest, calculation_pk: int) -> HttpResponse:
    """Draft the agreement of an approved calculation (or, with `parent`, the supplement to
    that agreement); a refusal is a message on the page the request came from."""
    calculation = selectors.get_calculation_for_user(request.user, calculation_pk)
    parent = None
    if request.POST.get("parent"):
        parent = selectors.get_agreement_for_user(request.user, request.POST["parent"])
    back = _back(request, reverse("survey:household_detail", args=[calculation.household_id]))
    try:
        drafted = services.draft(actor=request.user, calculation=calculation, parent=parent)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    messages.success(request, _("Agreement %(number)s was drafted.") % {"number": drafted.number})
    return redirect(_url(drafted))
