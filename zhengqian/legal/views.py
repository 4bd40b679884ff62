"""The legal pages: a project's proceedings with their next deadlines, a proceeding with its
steps and the form to record the next, the opening of a proceeding (from the household page)
and the steps' documents.

Thin views: every rule is in legal.services. A project, household or proceeding outside the
user's scope is 404; a refused write raises AccessDenied (403). A refused step form is shown
again on the proceeding's page with its errors (400).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read
from zhengqian.core.files import serve_stored
from zhengqian.core.forms import attach_errors, submit
from zhengqian.core.http import next_url
from zhengqian.legal import forms, selectors, services
from zhengqian.legal.models import Proceeding
from zhengqian.legal.paths import LegalPath
from zhengqian.survey.permissions import require_household


@login_required
@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_project_for_user(request.user, pk)
    return render(
        request,
        "legal/project.html",
        {
            "project": found,
            "rows": selectors.project_rows(request.user, found),
            "warn_days": selectors.WARN_DAYS,
        },
    )


def _page(
    request: HttpRequest,
    proceeding: Proceeding,
    *,
    form: forms.StepForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    household = proceeding.household
    rows = selectors.step_rows(proceeding)
    codes = selectors.recordable_codes(proceeding, rows)
    if form is None and codes and selectors.may(user, household, Action.CHANGE):
        form = forms.StepForm(codes=codes)
    personal = selectors.may(user, household, Action.VIEW_PERSONAL)
    if personal:
        record_read(
            actor=user,
            event_type="legal.personal",
            target=household,
            project=household.project_id,
            details={"proceeding": proceeding.pk},
        )
    context: dict[str, Any] = {
        "proceeding": proceeding,
        "household": household,
        "project": household.project,
        "head": selectors.head_name(user, household),
        "rows": rows,
        "next": selectors.next_step(rows),
        "appeal_pending": services.appeal_pending(services.known_dates(proceeding)),
        "form": form if codes else None,
        "warn_days": selectors.WARN_DAYS,
    }
    return render(request, "legal/proceeding.html", context, status=status)


@login_required
@require_GET
def proceeding(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, selectors.get_proceeding_for_user(request.user, pk))


def _url(proceeding: Proceeding) -> str:
    return reverse("legal:proceeding", args=[proceeding.pk])


@login_required
@require_POST
def record_step(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_proceeding_for_user(request.user, pk)
    require_household(request.user, found.household, Module.HOLDOUTS, Action.CHANGE)
    rows = selectors.step_rows(found)
    form = forms.StepForm(
        request.POST, request.FILES, codes=selectors.recordable_codes(found, rows)
    )
    if submit(
        form,
        lambda data: services.record_step(actor=request.user, proceeding=found, **data),
    ):
        messages.success(request, _("The step was recorded."))
        return redirect(next_url(request, _url(found)))
    return _page(request, found, form=form, status=400)


@login_required
@require_POST
def open_proceeding(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.get_household_for_user(request.user, pk)
    require_household(request.user, household, Module.HOLDOUTS, Action.APPROVE)
    back = next_url(request, reverse("survey:household_detail", args=[household.pk]))
    form = forms.OpenForm(
        request.POST, paths=[(value, str(label)) for value, label in LegalPath.choices]
    )
    if not form.is_valid():
        messages.error(request, _("Choose the legal path."))
        return redirect(back)
    try:
        opened = services.open_proceeding(
            actor=request.user,
            household=household,
            path=form.cleaned_data["path"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        attach_errors(form, exc)
        messages.error(request, " ".join(str(m) for m in exc.messages))
        return redirect(back)
    messages.success(request, _("The proceeding was opened."))
    return redirect(_url(opened))


@login_required
@require_GET
def document(request: HttpRequest, pk: int) -> FileResponse:
    """A step's document: it names the household, so each opening is recorded."""
    found = selectors.get_step_for_user(request.user, pk)
    response = serve_stored(found.document, f"{found.proceeding.household.code}-{found.code}")
    record_read(
        actor=request.user,
        event_type="legal.document",
        target=found,
        project=found.proceeding.project_id,
        details={"household": found.proceeding.household_id, "sha256": found.document_sha256},
    )
    return response
