"""The calculation pages (核算): a household's calculations and the form to calculate, the
calculation sheet with its review actions, and a project's review queue.

Thin views: every rule is in compensation.services, every read in compensation.selectors. A
refused write raises AccessDenied (403, recorded by the middleware); a record outside the
user's scope is 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.roles import Action, Module
from zhengqian.compensation import selectors, services
from zhengqian.compensation.forms_calculation import APPROVE, CalculateForm, ReviewForm
from zhengqian.compensation.models import Calculation, CalculationStatus
from zhengqian.core.forms import attach_errors
from zhengqian.survey.models import Household
from zhengqian.survey.permissions import require_household

# --- the household's calculations ----------------------------------------------------------


def _initial(household: Household) -> dict[str, Any]:
    """The latest calculation's choices, so that a recalculation starts from them."""
    latest = Calculation.objects.filter(household_id=household.pk).order_by("-number").first()
    if latest is None:
        return {}
    events = latest.inputs.get("events", {})
    return {
        "mode": latest.mode,
        "signing_on": events.get("signing"),
        "vacating_on": events.get("vacating"),
        "exchange_area": latest.exchange_area,
    }


def _household_page(
    request: HttpRequest,
    household: Household,
    *,
    form: CalculateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    may_calculate = selectors.may_calculate(request.user, household)
    if form is None and may_calculate:
        form = CalculateForm(initial=_initial(household))
    context = {
        "household": household,
        "project": household.project,
        "history": selectors.history(household),
        "policy": services.current_policy(household.project_id),
        "form": form if may_calculate else None,
    }
    return render(request, "compensation/calculation/household.html", context, status=status)


@login_required
@require_GET
def household(request: HttpRequest, pk: int) -> HttpResponse:
    return _household_page(request, selectors.get_household_for_user(request.user, pk))


@login_required
@require_POST
def household_calculate(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.get_household_for_user(request.user, pk)
    require_household(request.user, household, Module.COMPENSATION, Action.CREATE)
    form = CalculateForm(request.POST)
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
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Version %(n)d of the calculation was made.") % {"n": calculation.number},
            )
            return redirect(_sheet_url(calculation))
    return _household_page(request, household, form=form, status=400)


# --- the calculation sheet -----------------------------------------------------------------


def _sheet_url(calculation: Calculation) -> str:
    return reverse("compensation:calculation", args=[calculation.pk])


def _sheet_page(
    request: HttpRequest,
    calculation: Calculation,
    *,
    review_form: ReviewForm | None = None,
    submit_error: str = "",
    status: int = 200,
) -> HttpResponse:
    sheet = selectors.sheet(request.user, calculation)
    if review_form is None and sheet.actions.review:
        review_form = ReviewForm()
    context = {
        "sheet": sheet,
        "calculation": calculation,
        "household": calculation.household,
        "project": calculation.household.project,
        "review_form": review_form if sheet.actions.review else None,
        "submit_error": submit_error,
    }
    return render(request, "compensation/calculation/sheet.html", context, status=status)


@login_required
@require_GET
def calculation(request: HttpRequest, pk: int) -> HttpResponse:
    return _sheet_page(request, selectors.get_calculation_for_user(request.user, pk))


@login_required
@require_POST
def calculation_submit(request: HttpRequest, pk: int) -> HttpResponse:
    calculation = selectors.get_calculation_for_user(request.user, pk)
    try:
        services.submit(actor=request.user, calculation=calculation)
    except ValidationError as exc:
        calculation.refresh_from_db()
        return _sheet_page(request, calculation, submit_error=" ".join(exc.messages), status=400)
    messages.success(request, _("The calculation was submitted for review."))
    return redirect(_sheet_url(calculation))


@login_required
@require_POST
def calculation_review(request: HttpRequest, pk: int) -> HttpResponse:
    calculation = selectors.get_calculation_for_user(request.user, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == APPROVE
        try:
            calculation = services.review(
                actor=request.user,
                calculation=calculation,
                approve=approve,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if not approve:
                done = _("The calculation was returned to its preparer.")
            elif calculation.status == CalculationStatus.APPROVED:
                done = _("The calculation is approved.")
            else:
                done = _("Approved: the calculation goes on to the next step.")
            messages.success(request, done)
            return redirect(_sheet_url(calculation))
    calculation.refresh_from_db()
    return _sheet_page(request, calculation, review_form=form, status=400)


# --- the review queue ----------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for_user(request.user, pk)
    step = request.GET.get("step", "")
    rows = selectors.queue(request.user, project, step=step)
    context = {
        "project": project,
        "rows": rows,
        "step": step if step in {s.value for s in selectors.QUEUE_STEPS} else "",
        "steps": [(s.value, s.label) for s in selectors.QUEUE_STEPS],
    }
    return render(request, "compensation/calculation/queue.html", context)
