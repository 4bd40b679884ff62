"""The transition fee pages: the project's page (households receiving fees, months generated,
paid and owed now, the estates' promised and actual handover, what a further delay would add)
and the generation of the months up to the current month.

Thin views: the rules are in services_transition. A project outside the user's scope is 404; a
generation without the right to create raises AccessDenied (403, recorded by the middleware).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.roles import Action
from zhengqian.core.http import is_htmx
from zhengqian.resettlement import forms_transition as forms
from zhengqian.resettlement import selectors
from zhengqian.resettlement import selectors_transition as transition
from zhengqian.resettlement import services_transition as services


@login_required
@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    """The project's transition fees; the projection alone for an HTMX request."""
    found = selectors.get_project_for_user(request.user, pk)
    today = timezone.localdate()
    overview = transition.overview(found, today=today)
    form = forms.ProjectionForm(request.GET or None)
    projected = None
    if form.is_valid():
        projected = transition.projection(
            [r.waiting for r in overview.households], more=form.cleaned_data["more"], today=today
        )
    context: dict[str, Any] = {
        "project": found,
        "o": overview,
        "form": form,
        "projected": projected,
        "may_generate": selectors.may(request.user, found, Action.CREATE),
        "active": "transition",
    }
    if is_htmx(request):
        return render(request, "resettlement/transition/_projection.html", context)
    return render(request, "resettlement/transition/project.html", context)


@login_required
@require_POST
def generate(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_project_for_user(request.user, pk)
    outcome = services.generate_all(actor=request.user, project=found, through=timezone.localdate())
    if outcome.created:
        messages.success(
            request,
            ngettext(
                "%(n)d month of transition fee was generated.",
                "%(n)d months of transition fee were generated.",
                outcome.created,
            )
            % {"n": outcome.created},
        )
    else:
        messages.info(request, _("Every month up to this month was already generated."))
    for code, reason in outcome.failed:
        messages.error(
            request,
            _("Household %(code)s: its months were not generated: %(reason)s")
            % {"code": code, "reason": reason},
        )
    return redirect("resettlement:transition", found.pk)
