"""The valuation page of a household (分户评估): the survey and confirmation data it rests on,
the valuers' entry of the figures, confirmation, the report, and the objections to it.

Thin views: every rule is in valuation.services, every read in valuation.selectors. Each write
view first checks who may do it, so that a refused user gets 403 (recorded by the middleware)
rather than the form's errors; the service checks again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
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
from zhengqian.valuation.models import ObjectionKind, Valuation
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


def _saved(form: forms.Form, save: Callable[[dict[str, Any]], object]) -> bool:
    """Whether the form is valid and ``save`` (a service) took its values; the service's
    refusal goes onto the form."""
    if not form.is_valid():
        return False
    try:
        save(form.cleaned_data)
    except ValidationError as exc:
        attach_errors(form, exc)
        return False
    return True


def _done(
    request: HttpRequest, household: Household, message: str, anchor: str = ""
) -> HttpResponse:
    messages.success(request, message)
    return redirect(_url(household, anchor))


def _refused(request: HttpRequest, household: Household, **refusal: Any) -> HttpResponse:
    """The page again (400), with the refused form or the service's reasons in its place."""
    page = selectors.household_page(request.user, household)
    return _render(request, page, status=400, **refusal)


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
            return _done(request, household, _("The valuation was saved."), "entry")
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
        return _refused(request, household, confirm_error=" ".join(exc.messages))
    return _done(request, household, _("The valuation was confirmed."))


# --- the report ----------------------------------------------------------------------------


@login_required
@require_POST
def report_issue(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    services.require_valuer(request.user, household)
    valuation = _valuation(household)
    form = ReportIssueForm(request.POST, request.FILES)
    issued = _saved(
        form,
        lambda data: services.report_issue(
            actor=request.user,
            valuation=valuation,
            issued_on=data["issued_on"],
            upload=data.get("report_file"),
        ),
    )
    if issued:
        return _done(request, household, _("The report was issued."), "report")
    return _refused(request, household, report_form=form)


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
    if _saved(
        form,
        lambda data: services.report_delivered(actor=request.user, valuation=valuation, **data),
    ):
        return _done(
            request,
            household,
            _("The day the household received its report was recorded."),
            "report",
        )
    return _refused(request, household, delivered_form=form)


# --- objections ----------------------------------------------------------------------------


@login_required
@require_POST
def objection_apply(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    _require_review(request, household)
    valuation = _valuation(household)
    # Every kind is accepted here: the service says why a kind is not open yet.
    form = ObjectionApplyForm(request.POST, request.FILES, kinds=list(ObjectionKind))
    if _saved(
        form, lambda data: services.objection_apply(actor=request.user, valuation=valuation, **data)
    ):
        return _done(request, household, _("The objection was recorded."), "objections")
    return _refused(request, household, apply_form=form)


def _objection_step(
    request: HttpRequest,
    pk: int,
    objection_pk: int,
    service: Callable[..., object],
    *,
    by_valuer: bool,
    done: str,
    anchor: str = "",
    form: Callable[[str], forms.Form] | None = None,
    form_name: str = "answer",
    values: Callable[[dict[str, Any]], dict[str, Any]] = dict,
) -> HttpResponse:
    """One step of an objection: ``service(actor=, objection=, **values(the form's data))``,
    by the valuer of the chosen firm or by the office (refused with 403 before the form is
    read). Done: back to the page at ``anchor`` (the objection itself by default). Refused by
    the form or the service: the page again, the objection showing the bound ``form`` (built
    with the objection's prefix) or the service's reasons."""
    household = _household(request, pk)
    if by_valuer:
        services.require_valuer(request.user, household)
    else:
        _require_review(request, household)
    objection = selectors.get_objection(household, objection_pk)
    refused: dict[str, Any] = {}
    if form is None:
        try:
            service(actor=request.user, objection=objection)
        except ValidationError as exc:
            refused["error"] = " ".join(exc.messages)
    else:
        bound = form(f"o{objection.pk}")
        if not _saved(
            bound, lambda data: service(actor=request.user, objection=objection, **values(data))
        ):
            refused[form_name] = bound
    if refused:
        return _refused(request, household, objection_forms={objection.pk: refused})
    return _done(request, household, done, anchor or f"objection-{objection.pk}")


def _answer(data: dict[str, Any]) -> dict[str, Any]:
    """An answer form's values as the services name them."""
    values = dict(data)
    values["document"] = values.pop("answer_document")
    return values


@login_required
@require_POST
def objection_reopen(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    return _objection_step(
        request,
        pk,
        objection_pk,
        services.objection_reopen,
        by_valuer=True,
        done=_("The figures are open for revision."),
        anchor="entry",
    )


@login_required
@require_POST
def objection_review_answer(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    return _objection_step(
        request,
        pk,
        objection_pk,
        services.review_answer,
        by_valuer=True,
        form=lambda prefix: AnswerForm(request.POST, request.FILES, prefix=prefix),
        values=_answer,
        done=_("The answer was recorded."),
    )


@login_required
@require_POST
def objection_appraisal_answer(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    return _objection_step(
        request,
        pk,
        objection_pk,
        services.appraisal_answer,
        by_valuer=False,
        form=lambda prefix: AppraisalAnswerForm(request.POST, request.FILES, prefix=prefix),
        values=_answer,
        done=_("The answer was recorded."),
    )


@login_required
@require_POST
def objection_revision_done(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    return _objection_step(
        request,
        pk,
        objection_pk,
        services.appraisal_revision_done,
        by_valuer=True,
        done=_("The revision is closed: issue the revised report."),
        anchor="report",
    )


@login_required
@require_POST
def objection_delivered(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    return _objection_step(
        request,
        pk,
        objection_pk,
        services.objection_delivered,
        by_valuer=False,
        form=lambda prefix: _delivered_form(prefix, request.POST),
        form_name="delivered",
        done=_("The day the household received the answer was recorded."),
    )


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
