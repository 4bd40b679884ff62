"""The demolition pages: the entry page (the user's projects), a project's page (counts, the
household list by stage, recent inspections, overdue rectifications), a household's page with
its steps and forms, the writes, and the files (photos, the signed acceptance form).

Thin views: every rule is in demolition.services. A project or household outside the user's
scope is 404; a refused write raises AccessDenied (403, recorded by the middleware). A refused
form is shown again on the household's page with its errors (400).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read
from zhengqian.core.files import serve_stored
from zhengqian.core.forms import attach_errors, submit
from zhengqian.core.http import is_htmx, next_url
from zhengqian.demolition import forms, selectors, services
from zhengqian.survey.models import Household
from zhengqian.survey.permissions import require_household

# --- the entry page and the project page ------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "demolition/index.html", {"rows": selectors.project_rows(request.user)})


@login_required
@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    """The project's counts and lists; the household list alone for an HTMX filter request."""
    user = request.user
    found = selectors.get_project_for_user(user, pk)
    form = forms.StageForm(request.GET or None)
    stage = form.cleaned_data.get("stage", "") if form.is_valid() else ""
    households = selectors.households_for_user(user, found, stage=stage)
    page = Paginator(households, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "project": found,
        "form": form,
        "stage": stage,
        "page_obj": page,
        "rows": selectors.list_rows(list(page.object_list)),
        "query_string": query.urlencode(),
    }
    if is_htmx(request):
        return render(request, "demolition/_households.html", context)
    overdue = selectors.overdue_rectifications(user, found)
    context.update(
        counts=selectors.counts(user, found),
        inspections=selectors.recent_inspections(user, found),
        overdue=overdue[:50],
    )
    return render(request, "demolition/project.html", context)


# --- the household page ------------------------------------------------------------------------


def _page(
    request: HttpRequest,
    household: Household,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    s = selectors.section(request.user, household)
    if s is None:  # pragma: no cover - the household was reached with demolition/view
        raise Http404
    context = {
        "household": household,
        "project": household.project,
        "section": {"s": s, "next": _url(household), **forms.for_section(s, request.user, bound)},
    }
    return render(request, "demolition/household.html", context, status=status)


def _url(household: Household) -> str:
    return reverse("demolition:household", args=[household.pk])


def _back(request: HttpRequest, household: Household) -> str:
    return next_url(request, _url(household))


@login_required
@require_GET
def household(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, selectors.get_household_for_user(request.user, pk))


def _writable(request: HttpRequest, pk: int, action: Action = Action.CREATE) -> Household:
    found = selectors.get_household_for_user(request.user, pk)
    require_household(request.user, found, Module.DEMOLITION, action)
    return found


@login_required
@require_POST
def vacate(request: HttpRequest, pk: int) -> HttpResponse:
    found = _writable(request, pk)
    form = forms.VacatingForm(request.POST, request.FILES, household=found)
    if submit(form, lambda data: services.vacate(actor=request.user, household=found, **data)):
        messages.success(request, _("The vacating was accepted."))
        return redirect(_back(request, found))
    return _page(request, found, bound={"vacating_form": form}, status=400)


@login_required
@require_POST
def demolish(request: HttpRequest, pk: int) -> HttpResponse:
    found = _writable(request, pk)
    form = forms.DemolitionForm(request.POST, request.FILES)
    if submit(form, lambda data: services.demolish(actor=request.user, household=found, **data)):
        messages.success(request, _("The demolition was recorded."))
        return redirect(_back(request, found))
    return _page(request, found, bound={"demolition_form": form}, status=400)


@login_required
@require_POST
def clear(request: HttpRequest, pk: int) -> HttpResponse:
    found = _writable(request, pk)
    form = forms.ClearanceForm(request.POST, request.FILES)
    if submit(form, lambda data: services.clear(actor=request.user, household=found, **data)):
        messages.success(request, _("The debris clearance was recorded."))
        return redirect(_back(request, found))
    return _page(request, found, bound={"clearance_form": form}, status=400)


@login_required
@require_POST
def inspect(request: HttpRequest, pk: int) -> HttpResponse:
    found = _writable(request, pk)
    form = forms.InspectionForm(request.POST, request.FILES, household=found)
    if form.is_valid():
        data = form.cleaned_data
        try:
            inspection = services.inspect(
                actor=request.user,
                household=found,
                inspected_on=data["inspected_on"],
                inspector=data["inspector"],
                findings=form.findings_value(),
                problems=form.problems(),
                deadlines=form.deadlines(),
                note=data["note"],
                photos=data["photos"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if inspection.failed:
                messages.warning(
                    request,
                    _(
                        "The inspection was recorded: %(n)d checkpoints failed and must be put "
                        "right."
                    )
                    % {"n": inspection.failed},
                )
            else:
                messages.success(
                    request, _("The inspection was recorded: every checkpoint passed.")
                )
            return redirect(_back(request, found))
    return _page(request, found, bound={"inspection_form": form}, status=400)


@login_required
@require_POST
def rectification_close(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_rectification_for_user(request.user, pk)
    household = found.household
    require_household(request.user, household, Module.DEMOLITION, Action.CHANGE)
    form = forms.CloseForm(request.POST, request.FILES, prefix=forms.close_prefix(found.pk))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.rectification_close(
                actor=request.user,
                rectification=found,
                closed_on=data["closed_on"],
                closing_note=data["closing_note"],
                photo=data["photo"],
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                # Closed meanwhile: nothing to correct in the form.
                messages.error(request, " ".join(exc.messages))
                return redirect(_back(request, household))
            attach_errors(form, exc)
        else:
            messages.success(request, _("The rectification was closed."))
            return redirect(_back(request, household))
    return _page(request, household, bound={"close_forms": {found.pk: form}}, status=400)


# --- the files ---------------------------------------------------------------------------------


def _serve(stored: Any, name: str) -> FileResponse:
    return serve_stored(stored, name)


@login_required
@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    found = selectors.get_photo_for_user(request.user, pk)
    return _serve(found.file, f"{found.household.code}-{found.step}-{found.pk}")


@login_required
@require_GET
def acceptance_form(request: HttpRequest, pk: int) -> FileResponse:
    """The signed acceptance form: it bears the household's signature, so each opening is
    recorded."""
    found = selectors.get_vacating_for_user(request.user, pk)
    response = _serve(found.form_scan, f"{found.household.code}-vacating")
    record_read(
        actor=request.user,
        event_type="demolition.form",
        target=found,
        project=found.project_id,
        details={"household": found.household_id, "sha256": found.form_sha256},
    )
    return response
