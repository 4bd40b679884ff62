"""The holdout pages: the entry page (clearance rates by district), a project's holdout list,
the opening of a case, the case page with its team, log and closing, and the negotiation files.

Thin views: every rule is in holdouts.services. A project, household or case outside the user's
scope is 404; a refused write raises AccessDenied (403). A refused form is shown again with its
errors (400).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read
from zhengqian.core.files import serve_stored
from zhengqian.core.forms import submit
from zhengqian.core.http import is_htmx, next_url
from zhengqian.holdouts import forms, selectors, services
from zhengqian.holdouts.models import Case, Reason
from zhengqian.survey.permissions import require_household


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request, "holdouts/index.html", {"districts": selectors.district_rates(request.user)}
    )


@login_required
@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    """The project's rates and holdout list; the list alone for an HTMX filter request."""
    user = request.user
    found = selectors.get_project_for_user(user, pk)
    form = forms.FilterForm(request.GET or None, project=found)
    data = form.cleaned_data if form.is_valid() else {}
    limits = selectors.deadlines(found)
    rows = selectors.holdouts_for_user(
        user,
        found,
        reason=data.get("reason") or "",
        work_group=data.get("work_group"),
        limits=limits,
    )
    page = Paginator(rows, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "project": found,
        "form": form,
        "limits": limits,
        "page_obj": page,
        "rows": selectors.list_rows(list(page.object_list), limits),
        "query_string": query.urlencode(),
    }
    if is_htmx(request):
        return render(request, "holdouts/_holdouts.html", context)
    context.update(
        rates=selectors.project_rates(found, limits),
        early=selectors.early_cases(user, found),
    )
    return render(request, "holdouts/project.html", context)


def _case_url(case: Case) -> str:
    return reverse("holdouts:case", args=[case.pk])


@login_required
@require_http_methods(["GET", "POST"])
def case_open(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.get_household_for_user(request.user, pk)
    require_household(request.user, household, Module.HOLDOUTS, Action.CREATE)
    existing = selectors.open_case(household)
    if existing is not None:
        messages.info(request, _("The household already has an open case."))
        return redirect(_case_url(existing))
    form = forms.TeamForm(request.POST or None, household=household)
    opened: list[Case] = []
    if request.method == "POST" and submit(
        form,
        lambda data: opened.append(
            services.case_open(actor=request.user, household=household, **data)
        ),
    ):
        messages.success(request, _("The case was opened."))
        return redirect(_case_url(opened[0]))
    found = services.holdout_reason(household)
    context = {
        "household": household,
        "project": household.project,
        "form": form,
        "reason_label": Reason(found[0]).label if found else "",
    }
    return render(request, "holdouts/case_open.html", context, status=400 if form.errors else 200)


def _case_page(
    request: HttpRequest, case: Case, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    view = selectors.case_view(request.user, case)
    if view.unmasked:
        record_read(
            actor=request.user,
            event_type="holdout.personal",
            target=case,
            project=case.project_id,
            details={"household": case.household_id},
        )
    bound = bound or {}
    household = case.household
    context = {
        "v": view,
        "case": case,
        "household": household,
        "project": household.project,
        "team_form": bound.get("team_form")
        or (forms.TeamForm.for_case(case) if view.may_change else None),
        "negotiation_form": bound.get("negotiation_form")
        or (forms.NegotiationForm(household=household) if view.may_create else None),
        "close_form": bound.get("close_form") or (forms.CloseForm() if view.may_close else None),
    }
    return render(request, "holdouts/case.html", context, status=status)


@login_required
@require_GET
def case(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, selectors.get_case_for_user(request.user, pk))


def _writable(request: HttpRequest, pk: int, action: Action) -> Case:
    found = selectors.get_case_for_user(request.user, pk)
    require_household(request.user, found.household, Module.HOLDOUTS, action)
    return found


@login_required
@require_POST
def case_update(request: HttpRequest, pk: int) -> HttpResponse:
    found = _writable(request, pk, Action.CHANGE)
    form = forms.TeamForm(request.POST, household=found.household)
    if submit(form, lambda data: services.case_update(actor=request.user, case=found, **data)):
        messages.success(request, _("The case was saved."))
        return redirect(next_url(request, _case_url(found)))
    return _case_page(request, found, bound={"team_form": form}, status=400)


@login_required
@require_POST
def negotiate(request: HttpRequest, pk: int) -> HttpResponse:
    found = _writable(request, pk, Action.CREATE)
    form = forms.NegotiationForm(request.POST, request.FILES, household=found.household)
    if submit(form, lambda data: services.negotiate(actor=request.user, case=found, **data)):
        messages.success(request, _("The negotiation was recorded."))
        return redirect(next_url(request, _case_url(found)))
    return _case_page(request, found, bound={"negotiation_form": form}, status=400)


@login_required
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    found = _writable(request, pk, Action.APPROVE)
    form = forms.CloseForm(request.POST)
    if submit(form, lambda data: services.case_close(actor=request.user, case=found, **data)):
        messages.success(request, _("The case was closed as cleared."))
        return redirect(next_url(request, _case_url(found)))
    return _case_page(request, found, bound={"close_form": form}, status=400)


@login_required
@require_GET
def negotiation_file(request: HttpRequest, pk: int) -> FileResponse:
    """A negotiation file: it may show the household's people, so each opening is recorded."""
    found = selectors.get_file_for_user(request.user, pk)
    response = serve_stored(found.file, f"{found.household.code}-negotiation-{found.pk}")
    record_read(
        actor=request.user,
        event_type="holdout.file",
        target=found,
        project=found.household.project_id,
        details={"household": found.household_id, "sha256": found.sha256},
    )
    return response
