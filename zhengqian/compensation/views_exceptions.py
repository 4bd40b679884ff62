"""Exceptions to the policy (政策外调整): calculating with a line that departs from the policy
on a collective decision, recording such decisions with their minutes, a project's report of
every departing line, and the minutes themselves (an audited read).

Thin views: every rule is in compensation.services. A refused write raises AccessDenied (403,
recorded by the middleware); a record outside the user's scope is 404.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read
from zhengqian.compensation import selectors, services
from zhengqian.compensation.forms_exceptions import DecisionForm, ExceptionCalculateForm
from zhengqian.compensation.models import Calculation, CalculationLine, CollectiveDecision
from zhengqian.core.forms import attach_errors
from zhengqian.survey.models import Household
from zhengqian.survey.permissions import require_household


def _items(household: Household) -> list[tuple[str, str]]:
    """The policy items of the household's latest calculation."""
    latest = Calculation.objects.filter(household_id=household.pk).order_by("-number").first()
    if latest is None:
        return []
    return [(line.item, f"{line.item} · {line.name}") for line in latest.lines.order_by("position")]


def _calculate_form(household: Household, data: Any = None) -> ExceptionCalculateForm:
    initial: dict[str, Any] = {}
    latest = Calculation.objects.filter(household_id=household.pk).order_by("-number").first()
    if latest is not None:
        events = latest.inputs.get("events", {})
        initial = {
            "mode": latest.mode,
            "signing_on": events.get("signing"),
            "vacating_on": events.get("vacating"),
            "exchange_area": latest.exchange_area,
        }
    return ExceptionCalculateForm(
        data,
        initial=initial,
        items=_items(household),
        project_id=household.project_id,
        prefix="x",
    )


def _page(
    request: HttpRequest,
    household: Household,
    *,
    calculate_form: ExceptionCalculateForm | None = None,
    decision_form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "household": household,
        "project": household.project,
        "calculate_form": calculate_form or _calculate_form(household),
        "decision_form": decision_form or DecisionForm(prefix="d"),
        "has_items": bool(_items(household)),
        "decisions": CollectiveDecision.objects.filter(project_id=household.project_id),
    }
    return render(request, "compensation/exceptions/household.html", context, status=status)


def _writable_household(request: HttpRequest, pk: int) -> Household:
    household = selectors.get_household_for_user(request.user, pk)
    require_household(request.user, household, Module.COMPENSATION, Action.CREATE)
    return household


@login_required
@require_GET
def household_exception(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _writable_household(request, pk))


@login_required
@require_POST
def household_exception_calculate(request: HttpRequest, pk: int) -> HttpResponse:
    household = _writable_household(request, pk)
    form = _calculate_form(household, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            calculation = services.calculate(
                actor=request.user,
                household=household,
                mode=data["mode"],
                signing_on=data["signing_on"],
                vacating_on=data["vacating_on"],
                exchange_area=data["exchange_area"],
                exceptions={data["item"]: (data["amount"], data["exception_decision"])},
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Version %(n)d of the calculation was made with an exception to the policy.")
                % {"n": calculation.number},
            )
            return redirect(reverse("compensation:calculation", args=[calculation.pk]))
    return _page(request, household, calculate_form=form, status=400)


@login_required
@require_POST
def decision_record(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.get_household_for_user(request.user, pk)
    form = DecisionForm(request.POST, request.FILES, prefix="d")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.decision_record(
                actor=request.user,
                project=household.project,
                meeting_date=data["meeting_date"],
                participants=data["participants"],
                decision=data["decision"],
                document=data["document"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("The collective decision was recorded."))
            return redirect(reverse("compensation:household_exception", args=[household.pk]))
    return _page(request, household, decision_form=form, status=400)


@login_required
@require_GET
def exceptions(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for_user(request.user, pk)
    lines = (
        CalculationLine.objects.filter(
            calculation__household__project=project, exception__isnull=False
        )
        .select_related("calculation__household", "exception")
        .annotate(difference=F("amount") - F("policy_amount"))
        .order_by("-calculation__created_at", "-calculation_id", "position")
    )
    context = {"project": project, "lines": lines}
    return render(request, "compensation/exceptions/report.html", context)


@login_required
@require_GET
def decision_document(request: HttpRequest, pk: int) -> FileResponse:
    try:
        decision = CollectiveDecision.objects.get(pk=int(pk))
    except CollectiveDecision.DoesNotExist:
        raise Http404 from None
    project = selectors.get_project_for_user(request.user, decision.project_id)
    try:
        handle = decision.document.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("The file is missing from the storage.")) from exc
    record_read(
        actor=request.user,
        event_type="calculation.decision_view",
        target=decision,
        project=project.pk,
        details={"document": decision.document.name},
    )
    name = decision.document.name.rsplit("/", 1)[-1]
    response = FileResponse(
        handle,
        filename=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response
