"""The valuation page of a household (分户评估): the survey and confirmation data it rests on,
the valuers' entry of the figures, confirmation, the report, and the objections to it.

Thin views: every rule is in valuation.services, every read in valuation.selectors. Each write
view first checks who may do it, so that a refused user gets 403 (recorded by the middleware)
rather than the form's errors; the service checks again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.permissions import OutOfScope
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read
from zhengqian.core.forms import attach_errors
from zhengqian.survey import attachments
from zhengqian.survey.models import Household
from zhengqian.survey.permissions import require_household
from zhengqian.valuation import selectors, services
from zhengqian.valuation.forms_household import (
    AnswerForm,
    AppraisalAnswerForm,
    DeliveredForm,
    ObjectionApplyForm,
    ReportIssueForm,
    ValuationEntry,
)
from zhengqian.valuation.models import Objection, ObjectionKind, Valuation
from zhengqian.valuation.selectors import HouseholdValuation

TEMPLATE = "valuation/household/page.html"


def _household(request: HttpRequest, pk: Any) -> Household:
    return selectors.get_household_for_user(request.user, pk)


def _url(household: Household, anchor: str = "") -> str:
    url = reverse("valuation:household", args=[household.pk])
    return f"{url}#{anchor}" if anchor else url


def _valuation(household: Household) -> Valuation:
    valuation = (
        Valuation.objects.select_related("household__project", "firm")
        .filter(household_id=household.pk)
        .first()
    )
    if valuation is None:
        raise OutOfScope("valuation.valuation", household.pk)
    return valuation


def _require_review(request: HttpRequest, household: Household) -> None:
    require_household(request.user, household, Module.VALUATION, Action.REVIEW)


def _entry(page: HouseholdValuation, data: Any = None) -> ValuationEntry:
    return ValuationEntry(
        data,
        non_residential=page.non_residential,
        buildings=page.buildings,
        ancillaries=page.ancillaries,
        decorations=page.decorations,
        valuation=page.valuation,
        decision_date=page.decision_date,
    )


def _answer_form(row: selectors.ObjectionRow, data: Any = None, files: Any = None) -> AnswerForm:
    today = timezone.localdate()
    cls = AnswerForm if row.objection.kind == ObjectionKind.REVIEW else AppraisalAnswerForm
    return cls(data, files, prefix=f"o{row.objection.pk}", initial={"answered_on": today})


def _delivered_form(prefix: str, data: Any = None) -> DeliveredForm:
    return DeliveredForm(data, prefix=prefix, initial={"delivered_on": timezone.localdate()})


def _apply_form(
    page: HouseholdValuation, data: Any = None, files: Any = None
) -> ObjectionApplyForm:
    return ObjectionApplyForm(
        data,
        files,
        kinds=[w.kind for w in page.windows if w.open],
        initial={"applied_on": timezone.localdate()},
    )


def _render(
    request: HttpRequest,
    page: HouseholdValuation,
    *,
    status: int = 200,
    entry: ValuationEntry | None = None,
    confirm_error: str = "",
    report_form: ReportIssueForm | None = None,
    report_error: str = "",
    delivered_form: DeliveredForm | None = None,
    apply_form: ObjectionApplyForm | None = None,
    objection_forms: dict[int, dict[str, Any]] | None = None,
) -> HttpResponse:
    """The page, with the bound form of a refused post in place of its blank one."""
    today = timezone.localdate()
    if entry is None and page.can_save:
        entry = _entry(page)
    if report_form is None and page.can_issue:
        report_form = ReportIssueForm(initial={"issued_on": today})
    if delivered_form is None and page.can_record_delivery:
        delivered_form = _delivered_form("report")
    if apply_form is None and page.can_apply:
        apply_form = _apply_form(page)
    objection_forms = objection_forms or {}
    objections = []
    for row in page.objections:
        actions = page.objection_actions(row)
        bound = objection_forms.get(row.objection.pk, {})
        answer_form = bound.get("answer")
        if answer_form is None and (actions["review_answer"] or actions["appraisal_answer"]):
            answer_form = _answer_form(row)
        delivered = bound.get("delivered")
        if delivered is None and actions["delivered"]:
            delivered = _delivered_form(f"o{row.objection.pk}")
        objections.append(
            {
                "row": row,
                "actions": actions,
                "answer_form": answer_form,
                "delivered_form": delivered,
                "error": bound.get("error", ""),
            }
        )
    context = {
        "page": page,
        "household": page.household,
        "project": page.household.project,
        "valuation": page.valuation,
        "entry": entry,
        "confirm_error": confirm_error,
        "report_form": report_form,
        "report_error": report_error,
        "delivered_form": delivered_form,
        "apply_form": apply_form,
        "objections": objections,
    }
    return render(request, TEMPLATE, context, status=status)


# --- the page ------------------------------------------------------------------------------


@login_required
@require_GET
def household(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    page = selectors.household_page(request.user, household)
    if page.show_personal:
        # The head's name is shown unmasked: an audited read.
        record_read(
            actor=request.user,
            event_type="valuation.household.view",
            target=household,
            project=household.project_id,
            details={"fields": ["head_name"]},
        )
    return _render(request, page)


# --- the valuers' entry --------------------------------------------------------------------


@login_required
@require_POST
def household_save(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    services.require_valuer(request.user, household)
    page = selectors.household_page(request.user, household)
    entry = _entry(page, request.POST)
    if entry.is_valid():
        try:
            services.valuation_save(
                actor=request.user,
                household=household,
                header=entry.header_data(),
                buildings=entry.building_lines(),
                decorations=entry.decoration_lines(),
                ancillaries=entry.ancillary_lines(),
            )
        except ValidationError as exc:
            entry.attach(exc)
        else:
            messages.success(request, _("The valuation was saved."))
            return redirect(_url(household, "entry"))
    return _render(request, page, status=400, entry=entry)


@login_required
@require_POST
def household_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    services.require_valuer(request.user, household)
    valuation = _valuation(household)
    try:
        services.valuation_confirm(actor=request.user, valuation=valuation)
    except ValidationError as exc:
        page = selectors.household_page(request.user, household)
        return _render(request, page, status=400, confirm_error=" ".join(exc.messages))
    messages.success(request, _("The valuation was confirmed."))
    return redirect(_url(household))


# --- the report ----------------------------------------------------------------------------


@login_required
@require_POST
def report_issue(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    services.require_valuer(request.user, household)
    valuation = _valuation(household)
    form = ReportIssueForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.report_issue(
                actor=request.user,
                valuation=valuation,
                issued_on=form.cleaned_data["issued_on"],
                upload=form.cleaned_data.get("report_file"),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("The report was issued."))
            return redirect(_url(household, "report"))
    page = selectors.household_page(request.user, household)
    return _render(request, page, status=400, report_form=form)


@login_required
@require_GET
@xframe_options_sameorigin
def report(request: HttpRequest, pk: int) -> FileResponse:
    """The issued report inline (for the page's preview frame, same origin only): each view
    is an audited read."""
    household = _household(request, pk)
    valuation = Valuation.objects.filter(household_id=household.pk).first()
    if valuation is None or not valuation.report_file:
        raise OutOfScope("valuation.report", pk)
    try:
        handle = valuation.report_file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("The file is missing from the storage.")) from exc
    record_read(
        actor=request.user,
        event_type="valuation.report.view",
        target=valuation,
        project=household.project_id,
        details={
            "household": household.pk,
            "version": valuation.report_version,
            "sha256": valuation.report_sha256,
        },
    )
    response = FileResponse(
        handle,
        filename=f"{household.code}-{valuation.report_no or valuation.pk}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def report_delivered(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    _require_review(request, household)
    valuation = _valuation(household)
    form = _delivered_form("report", request.POST)
    if form.is_valid():
        try:
            services.report_delivered(
                actor=request.user,
                valuation=valuation,
                delivered_on=form.cleaned_data["delivered_on"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("The day the household received its report was recorded."))
            return redirect(_url(household, "report"))
    page = selectors.household_page(request.user, household)
    return _render(request, page, status=400, delivered_form=form)


# --- objections ----------------------------------------------------------------------------


@login_required
@require_POST
def objection_apply(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    _require_review(request, household)
    valuation = _valuation(household)
    # Every kind is accepted here: the service says why a kind is not open yet.
    form = ObjectionApplyForm(request.POST, request.FILES, kinds=list(ObjectionKind))
    if form.is_valid():
        try:
            services.objection_apply(
                actor=request.user,
                valuation=valuation,
                kind=form.cleaned_data["kind"],
                applied_on=form.cleaned_data["applied_on"],
                grounds=form.cleaned_data["grounds"],
                application=form.cleaned_data.get("application"),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("The objection was recorded."))
            return redirect(_url(household, "objections"))
    page = selectors.household_page(request.user, household)
    return _render(request, page, status=400, apply_form=form)


def _objection_refused(
    request: HttpRequest, household: Household, objection: Objection, **forms: Any
) -> HttpResponse:
    page = selectors.household_page(request.user, household)
    return _render(request, page, status=400, objection_forms={objection.pk: forms})


@login_required
@require_POST
def objection_reopen(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    household = _household(request, pk)
    services.require_valuer(request.user, household)
    objection = selectors.get_objection(household, objection_pk)
    try:
        services.objection_reopen(actor=request.user, objection=objection)
    except ValidationError as exc:
        return _objection_refused(request, household, objection, error=" ".join(exc.messages))
    messages.success(request, _("The figures are open for revision."))
    return redirect(_url(household, "entry"))


@login_required
@require_POST
def objection_review_answer(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    household = _household(request, pk)
    services.require_valuer(request.user, household)
    objection = selectors.get_objection(household, objection_pk)
    form = AnswerForm(request.POST, request.FILES, prefix=f"o{objection.pk}")
    if form.is_valid():
        try:
            services.review_answer(
                actor=request.user,
                objection=objection,
                answered_on=form.cleaned_data["answered_on"],
                answer=form.cleaned_data["answer"],
                document=form.cleaned_data.get("answer_document"),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("The answer was recorded."))
            return redirect(_url(household, f"objection-{objection.pk}"))
    return _objection_refused(request, household, objection, answer=form)


@login_required
@require_POST
def objection_appraisal_answer(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    household = _household(request, pk)
    _require_review(request, household)
    objection = selectors.get_objection(household, objection_pk)
    form = AppraisalAnswerForm(request.POST, request.FILES, prefix=f"o{objection.pk}")
    if form.is_valid():
        try:
            services.appraisal_answer(
                actor=request.user,
                objection=objection,
                answered_on=form.cleaned_data["answered_on"],
                answer=form.cleaned_data["answer"],
                outcome=form.cleaned_data["outcome"],
                document=form.cleaned_data.get("answer_document"),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("The answer was recorded."))
            return redirect(_url(household, f"objection-{objection.pk}"))
    return _objection_refused(request, household, objection, answer=form)


@login_required
@require_POST
def objection_revision_done(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    household = _household(request, pk)
    services.require_valuer(request.user, household)
    objection = selectors.get_objection(household, objection_pk)
    try:
        services.appraisal_revision_done(actor=request.user, objection=objection)
    except ValidationError as exc:
        return _objection_refused(request, household, objection, error=" ".join(exc.messages))
    messages.success(request, _("The revision is closed: issue the revised report."))
    return redirect(_url(household, "report"))


@login_required
@require_POST
def objection_delivered(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    household = _household(request, pk)
    _require_review(request, household)
    objection = selectors.get_objection(household, objection_pk)
    form = _delivered_form(f"o{objection.pk}", request.POST)
    if form.is_valid():
        try:
            services.objection_delivered(
                actor=request.user,
                objection=objection,
                delivered_on=form.cleaned_data["delivered_on"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("The day the household received the answer was recorded."))
            return redirect(_url(household, f"objection-{objection.pk}"))
    return _objection_refused(request, household, objection, delivered=form)


_DOCUMENTS = {"application": "application", "answer": "answer_document"}


@login_required
@require_GET
@xframe_options_sameorigin
def objection_document(
    request: HttpRequest, pk: int, objection_pk: int, which: str
) -> FileResponse:
    """The household's application or the answer, inline: an audited read (the application
    is the household's own letter, with its personal data)."""
    household = _household(request, pk)
    objection = selectors.get_objection(household, objection_pk)
    file = getattr(objection, _DOCUMENTS[which]) if which in _DOCUMENTS else None
    if not file:
        raise OutOfScope("valuation.objection.document", objection_pk)
    try:
        handle = file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("The file is missing from the storage.")) from exc
    file_type = attachments.sniff(handle)
    record_read(
        actor=request.user,
        event_type="valuation.objection.document_view",
        target=objection,
        project=household.project_id,
        details={"household": household.pk, "document": which},
    )
    name = file.name.rsplit("/", 1)[-1]
    response = FileResponse(
        handle,
        filename=name,
        content_type=file_type.content_type if file_type else "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response
