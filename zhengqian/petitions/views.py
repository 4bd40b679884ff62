"""The petitions pages: the entry page (the user's projects with their counts), a project's
page (petitions with filters, counts by channel and status, cases, the deadlines), a
petition's page with its next step, a case's page, the register of collective decisions, and
the files.

Thin views: the rules are in petitions.services. Out of scope is 404; a refused write is
AccessDenied (403); a refused form is shown again with its errors (400). Opening a project's
list escalates its overdue petitions (services.escalate_overdue), as the daily command does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements.services import live_main
from zhengqian.audit.services import record_read
from zhengqian.core.files import serve_stored
from zhengqian.core.forms import submit
from zhengqian.core.http import next_url
from zhengqian.petitions import forms, selectors, services
from zhengqian.petitions.models import CaseSubject, LawCase, Petition, PetitionStatus
from zhengqian.projects.models import Project
from zhengqian.valuation.models import Valuation

# --- the entry page and the project page -------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "petitions/index.html", {"rows": selectors.project_rows(request.user)})


def _project_page(
    request: HttpRequest,
    found: Project,
    *,
    petition_form: forms.PetitionForm | None = None,
    case_form: forms.CaseForm | None = None,
    settings_form: forms.SettingsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    services.escalate_overdue(found.pk, today)
    filters = forms.FilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    petitions = selectors.petitions_for_user(
        user,
        found,
        status=data.get("status", ""),
        channel=data.get("channel", ""),
        overdue=bool(data.get("overdue")),
        today=today,
    )
    page = Paginator(petitions, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    personal = request.GET.get("personal") == "1" and selectors.sees_personal(user, found)
    rows = selectors.petition_rows(list(page.object_list), personal=personal, today=today)
    if personal and rows:
        record_read(
            actor=user,
            event_type="petition.personal",
            project=found,
            details={"petitions": [r.petition.pk for r in rows]},
        )
    query = request.GET.copy()
    query.pop("page", None)
    settings = services.settings_for(found)
    may_create = selectors.may(user, found, Action.CREATE)
    may_approve = selectors.may(user, found, Action.APPROVE)
    context: dict[str, Any] = {
        "project": found,
        "filters": filters,
        "page_obj": page,
        "rows": rows,
        "personal": personal,
        "may_personal": selectors.sees_personal(user, found),
        "query_string": query.urlencode(),
        "counts": selectors.counts(user, found),
        "cases": [
            (c, selectors.applicant(c, personal=False))
            for c in selectors.cases_for_user(user, found)[:100]
        ],
        "settings": settings,
        "petition_form": petition_form
        or (forms.PetitionForm(user=user, project=found) if may_create else None),
        "case_form": case_form
        or (forms.CaseForm(user=user, project=found) if may_create else None),
        "settings_form": settings_form
        or (
            forms.SettingsForm(
                initial={
                    "acknowledge_days": settings.acknowledge_days,
                    "answer_days": settings.answer_days,
                }
            )
            if may_approve
            else None
        ),
    }
    return render(request, "petitions/project.html", context, status=status)


@login_required
@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    return _project_page(request, selectors.get_project_for_user(request.user, pk))


@login_required
@require_POST
def petition_new(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_project_for_user(request.user, pk)
    require(request.user, Module.HOLDOUTS, Action.CREATE, project=found)
    form = forms.PetitionForm(request.POST, request.FILES, user=request.user, project=found)
    created: list[Petition] = []
    if submit(
        form,
        lambda d: created.append(services.petition_record(actor=request.user, project=found, **d)),
    ):
        petition = created[0]
        if petition.repeat_of_id:
            messages.warning(
                request,
                _("The petition was recorded: the same person petitioned %(n)d times before.")
                % {"n": petition.earlier_count},
            )
        else:
            messages.success(request, _("The petition was recorded."))
        return redirect("petitions:petition", petition.pk)
    return _project_page(request, found, petition_form=form, status=400)


@login_required
@require_POST
def settings_change(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_project_for_user(request.user, pk)
    require(request.user, Module.HOLDOUTS, Action.APPROVE, project=found)
    form = forms.SettingsForm(request.POST)
    if submit(form, lambda d: services.settings_change(actor=request.user, project=found, **d)):
        messages.success(request, _("The petition deadlines were changed."))
        return redirect("petitions:project", found.pk)
    return _project_page(request, found, settings_form=form, status=400)


# --- a petition -------------------------------------------------------------------------------


def _petition_page(
    request: HttpRequest, found: Petition, *, form: Any = None, status: int = 200
) -> HttpResponse:
    user = request.user
    personal = selectors.sees_personal(user, found.project_id)
    if personal:
        record_read(
            actor=user,
            event_type="petition.personal",
            target=found,
            project=found.project_id,
            details={"petition": found.pk},
        )
    may_change = selectors.may(user, found.project_id, Action.CHANGE)
    if form is None and may_change:
        form = forms.step_form(found.status, found.project_id)
    same = [
        (p, services.overdue_for(p, timezone.localdate())) for p in selectors.same_person(found)
    ]
    context = {
        "project": found.project,
        "p": found,
        "person": selectors.person(found, personal=personal),
        "personal": personal,
        "overdue": services.overdue_for(found, timezone.localdate()),
        "same": same,
        "form": form if may_change else None,
        "step": found.status,
    }
    return render(request, "petitions/petition.html", context, status=status)


@login_required
@require_GET
def petition(request: HttpRequest, pk: int) -> HttpResponse:
    return _petition_page(request, selectors.get_petition_for_user(request.user, pk))


_STEPS: dict[str, tuple[Callable[..., Petition], Any]] = {
    PetitionStatus.RECEIVED: (services.assign, gettext_lazy("The petition was assigned.")),
    PetitionStatus.ASSIGNED: (
        services.acknowledge,
        gettext_lazy("The acknowledgement was recorded."),
    ),
    PetitionStatus.ACKNOWLEDGED: (services.answer, gettext_lazy("The answer was recorded.")),
    PetitionStatus.ANSWERED: (services.rate, gettext_lazy("The satisfaction was recorded.")),
    PetitionStatus.RATED: (services.close, gettext_lazy("The petition was closed.")),
}


@login_required
@require_POST
def petition_step(request: HttpRequest, pk: int) -> HttpResponse:
    """The petition's next step, whichever it is (the form posts the status it was shown
    for: a step taken meanwhile by someone else is refused, not repeated)."""
    found = selectors.get_petition_for_user(request.user, pk)
    require(request.user, Module.HOLDOUTS, Action.CHANGE, project=found.project_id)
    shown = request.POST.get("step", "")
    if shown != found.status or found.status not in _STEPS:
        messages.error(request, _("The petition has moved on meanwhile: check its state."))
        return redirect("petitions:petition", found.pk)
    write, done = _STEPS[PetitionStatus(found.status)]
    form = forms.step_form(found.status, found.project_id, request.POST, request.FILES)
    assert form is not None
    if submit(form, lambda d: write(actor=request.user, petition=found, **d)):
        messages.success(request, str(done))
        return redirect(next_url(request, reverse("petitions:petition", args=[found.pk])))
    return _petition_page(request, found, form=form, status=400)


# --- cases ---------------------------------------------------------------------------------------


@login_required
@require_POST
def case_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a case; about an agreement or a valuation of a household, it is linked to the
    household's agreement in force or valuation."""
    found = selectors.get_project_for_user(request.user, pk)
    require(request.user, Module.HOLDOUTS, Action.CREATE, project=found)
    form = forms.CaseForm(request.POST, user=request.user, project=found)
    created: list[LawCase] = []

    def write(data: dict[str, Any]) -> None:
        household = data.get("household")
        if household is not None and data["subject"] == CaseSubject.AGREEMENT:
            data["agreement"] = live_main(household)
        if household is not None and data["subject"] == CaseSubject.VALUATION:
            data["valuation"] = Valuation.objects.filter(household=household).first()
        created.append(services.case_record(actor=request.user, project=found, **data))

    if submit(form, write):
        messages.success(request, _("The case was recorded."))
        return redirect("petitions:lawcase", created[0].pk)
    return _project_page(request, found, case_form=form, status=400)


def _case_page(
    request: HttpRequest,
    found: LawCase,
    *,
    hearing_form: Any = None,
    outcome_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    personal = selectors.sees_personal(user, found.project_id)
    if personal:
        record_read(
            actor=user,
            event_type="lawcase.personal",
            target=found,
            project=found.project_id,
            details={"case": found.pk},
        )
    may_change = selectors.may(user, found.project_id, Action.CHANGE) and not found.outcome
    context = {
        "project": found.project,
        "case": found,
        "applicant": selectors.applicant(found, personal=personal),
        "hearings": selectors.hearings_of(found),
        "hearing_form": hearing_form or (forms.HearingForm() if may_change else None),
        "outcome_form": outcome_form or (forms.OutcomeForm() if may_change else None),
    }
    return render(request, "petitions/lawcase.html", context, status=status)


@login_required
@require_GET
def lawcase(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, selectors.get_case_for_user(request.user, pk))


@login_required
@require_POST
def hearing(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_case_for_user(request.user, pk)
    require(request.user, Module.HOLDOUTS, Action.CHANGE, project=found.project_id)
    form = forms.HearingForm(request.POST)
    if submit(form, lambda d: services.hearing_record(actor=request.user, case=found, **d)):
        messages.success(request, _("The hearing was recorded."))
        return redirect("petitions:lawcase", found.pk)
    return _case_page(request, found, hearing_form=form, status=400)


@login_required
@require_POST
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_case_for_user(request.user, pk)
    require(request.user, Module.HOLDOUTS, Action.CHANGE, project=found.project_id)
    form = forms.OutcomeForm(request.POST, request.FILES)
    if submit(form, lambda d: services.outcome_record(actor=request.user, case=found, **d)):
        messages.success(request, _("The outcome was recorded."))
        return redirect("petitions:lawcase", found.pk)
    return _case_page(request, found, outcome_form=form, status=400)


# --- collective decisions ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def decisions(request: HttpRequest, pk: int) -> HttpResponse:
    """The project's register of collective decisions, searched by date and text; the
    project manager records a new one here."""
    user = request.user
    found = selectors.get_project_for_user(user, pk)
    may_record = selectors.may(user, found, Action.APPROVE)
    form = None
    status = 200
    if request.method == "POST":
        require(user, Module.HOLDOUTS, Action.APPROVE, project=found)
        form = forms.DecisionForm(request.POST, request.FILES)
        if submit(form, lambda d: services.decision_record(actor=user, project=found, **d)):
            messages.success(request, _("The collective decision was recorded."))
            return redirect("petitions:decisions", found.pk)
        status = 400
    search = forms.DecisionSearchForm(request.GET or None)
    data = search.cleaned_data if search.is_valid() else {}
    rows = selectors.decisions_for_user(
        user, found, text=data.get("q", ""), since=data.get("since"), until=data.get("until")
    )
    context = {
        "project": found,
        "search": search,
        "rows": rows[:200],
        "form": form or (forms.DecisionForm() if may_record else None),
    }
    return render(request, "petitions/decisions.html", context, status=status)


@login_required
@require_GET
def decision(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_decision_for_user(request.user, pk)
    context = {"project": found.project, "d": found, **selectors.decision_links(found)}
    return render(request, "petitions/decision.html", context)


# --- files ---------------------------------------------------------------------------------------


def _serve(stored: Any, name: str) -> FileResponse:
    return serve_stored(stored, name)


@login_required
@require_GET
def petition_file(request: HttpRequest, pk: int, which: str) -> FileResponse:
    """The petition's attachment or reply document; each opening is recorded (they carry the
    petitioner's personal data)."""
    found = selectors.get_petition_for_user(request.user, pk)
    if which not in ("attachment", "reply"):
        raise Http404
    stored = found.attachment if which == "attachment" else found.reply_document
    response = _serve(stored, f"petition-{found.pk}-{which}")
    record_read(
        actor=request.user,
        event_type="petition.document",
        target=found,
        project=found.project_id,
        details={"file": which},
    )
    return response


@login_required
@require_GET
def case_file(request: HttpRequest, pk: int) -> FileResponse:
    found = selectors.get_case_for_user(request.user, pk)
    response = _serve(found.outcome_document, f"case-{found.pk}-outcome")
    # The decision or judgment names the applicant and the household: each opening is recorded.
    record_read(
        actor=request.user,
        event_type="lawcase.document",
        target=found,
        project=found.project_id,
        details={"case": found.pk},
    )
    return response


@login_required
@require_GET
def decision_file(request: HttpRequest, pk: int) -> FileResponse:
    found = selectors.get_decision_for_user(request.user, pk)
    response = _serve(found.document, f"decision-{found.pk}")
    record_read(
        actor=request.user,
        event_type="decision.document",
        target=found,
        project=found.project_id,
        details={"decision": found.pk},
    )
    return response
