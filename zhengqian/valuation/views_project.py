"""Pages of the valuation module at the level of the office and the project: the register of
appraisal firms, and a project's valuation page (the choice of its firm, the households'
valuation status, the publication of the preliminary results, the firm's performance).

Thin: every write goes through valuation.services, which check the actor's rights; every
household is reached through the scoped survey selector.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.permissions import (
    OutOfScope,
    has_perm,
    has_perm_anywhere,
    require,
    require_anywhere,
)
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read
from zhengqian.core.forms import StyledForm, attach_errors
from zhengqian.core.http import is_htmx
from zhengqian.core.masking import mask_name
from zhengqian.core.models import Draw, StaleMark
from zhengqian.projects.models import Project
from zhengqian.projects.selectors import get_project_for_user, projects_for_user
from zhengqian.survey.models import Household
from zhengqian.valuation import services, stats
from zhengqian.valuation.forms_project import (
    BallotForm,
    CancelForm,
    DrawPrepareForm,
    DrawRunForm,
    FirmForm,
    NegotiationForm,
    PublishForm,
    ValuerAddForm,
    VoteCloseForm,
    VoteOpenForm,
)
from zhengqian.valuation.models import (
    AppraisalFirm,
    FirmSelection,
    Publication,
    SelectionMethod,
    SelectionStatus,
    Valuation,
    ValuationStatus,
)
from zhengqian.valuation.receivers import STALE_TARGET
from zhengqian.valuation.selectors import households_for_user

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The filter of the household list: the valuation statuses, households without a valuation,
# and those whose valuation must be re-confirmed after a change upstream.
NOT_STARTED = "none"
STALE = "stale"
_BADGE = {
    NOT_STARTED: "text-bg-light border",
    ValuationStatus.DRAFT: "text-bg-secondary",
    ValuationStatus.CONFIRMED: "text-bg-primary",
    ValuationStatus.ISSUED: "text-bg-success",
}


# --- The register of firms --------------------------------------------------------------------


def _may_keep_register(user: Any) -> bool:
    return has_perm_anywhere(user, Module.PROJECTS, Action.CHANGE)


def _firm(pk: Any) -> AppraisalFirm:
    try:
        return AppraisalFirm.objects.get(pk=int(pk))
    except (AppraisalFirm.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("valuation.appraisalfirm", pk) from None


@login_required
@require_GET
def firm_list(request: HttpRequest) -> HttpResponse:
    require_anywhere(request.user, Module.VALUATION, Action.VIEW)
    firms = AppraisalFirm.objects.prefetch_related("valuers__user").order_by("name")
    return render(
        request,
        "valuation/firms/list.html",
        {
            "firms": firms,
            "today": timezone.localdate(),
            "can_change": _may_keep_register(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def firm_create(request: HttpRequest) -> HttpResponse:
    require_anywhere(request.user, Module.PROJECTS, Action.CHANGE)
    form = FirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            firm = services.firm_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request, _("%(firm)s has been added to the register.") % {"firm": firm.name}
            )
            return redirect("valuation:firm", pk=firm.pk)
    return render(
        request, "valuation/firms/form.html", {"form": form}, status=400 if form.errors else 200
    )


def _firm_page(
    request: HttpRequest,
    firm: AppraisalFirm,
    *,
    form: FirmForm | None = None,
    valuer_form: ValuerAddForm | None = None,
) -> HttpResponse:
    can_change = _may_keep_register(request.user)
    # Only the projects the user may see: the others' names are not shown.
    chosen_for = (
        FirmSelection.objects.filter(
            firm=firm,
            status=SelectionStatus.DECIDED,
            project__in=projects_for_user(request.user).values("pk"),
        )
        .select_related("project")
        .order_by("-decided_on")
    )
    return render(
        request,
        "valuation/firms/detail.html",
        {
            "firm": firm,
            "valuers": firm.valuers.select_related("user").order_by("user__full_name"),
            "chosen_for": chosen_for,
            "today": timezone.localdate(),
            "can_change": can_change,
            "form": (form or FirmForm.for_firm(firm)) if can_change else None,
            "valuer_form": (valuer_form or ValuerAddForm()) if can_change else None,
        },
        status=400 if (form and form.errors) or (valuer_form and valuer_form.errors) else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def firm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_anywhere(request.user, Module.VALUATION, Action.VIEW)
    firm = _firm(pk)
    if request.method == "GET":
        return _firm_page(request, firm)
    require_anywhere(request.user, Module.PROJECTS, Action.CHANGE)
    form = FirmForm.for_firm(firm, request.POST)
    if form.is_valid():
        try:
            services.firm_update(actor=request.user, firm=firm, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("valuation:firm", pk=firm.pk)
    firm.refresh_from_db()
    return _firm_page(request, firm, form=form)


@login_required
@require_POST
def valuer_add(request: HttpRequest, pk: int) -> HttpResponse:
    firm = _firm(pk)
    require_anywhere(request.user, Module.PROJECTS, Action.CHANGE)
    form = ValuerAddForm(request.POST)
    if form.is_valid():
        try:
            valuer = services.valuer_add(actor=request.user, firm=firm, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(user)s is now a valuer of %(firm)s.")
                % {"user": valuer.user.display_name, "firm": firm.name},
            )
            return redirect("valuation:firm", pk=firm.pk)
    return _firm_page(request, firm, valuer_form=form)


# --- A project's valuation page ----------------------------------------------------------------


def _project(request: HttpRequest, project_id: int) -> Project:
    """The project, 404 outside the user's projects; 403 for a member without valuation rights."""
    project = get_project_for_user(request.user, project_id)
    require(request.user, Module.VALUATION, Action.VIEW, project=project)
    return project


def _selection(project: Project, pk: Any) -> FirmSelection:
    try:
        return FirmSelection.objects.select_related("project", "firm", "draw").get(
            pk=int(pk), project=project
        )
    except (FirmSelection.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("valuation.firmselection", pk) from None


def _quoted(value: str) -> str:
    """A value in double quotes for a POSIX shell, as the witnesses typed it."""
    escaped = "".join(f"\\{c}" if c in '\\"$`' else c for c in value)
    return f'"{escaped}"'


def rerun_command(draw: Draw) -> str:
    """The command anyone can run to recompute the draw and check its seed against the hash
    published before it."""
    parts = ["python manage.py rerun_draw", f"--seed {draw.revealed_seed}"]
    if draw.witness_value:
        parts.append(f"--witness {_quoted(draw.witness_value)}")
    parts += [f"--candidates {len(draw.candidates)}", f"--expect-hash {draw.seed_hash}"]
    return " ".join(parts)


def draw_result(draw: Draw) -> dict[str, Any]:
    """What the page shows of a draw that has been run: the drawn order with each firm's
    published number (the first one is chosen) and the command to check it."""
    labels = [label for _key, label in draw.candidates]
    return {
        "draw": draw,
        "order": [{"number": n, "name": labels[n - 1]} for n in draw.order or []],
        "command": rerun_command(draw),
    }


def _commitment(draw: Draw) -> list[dict[str, Any]]:
    return [{"number": i, "name": label} for i, (_key, label) in enumerate(draw.candidates, 1)]


def _vote_tally(selection: FirmSelection, candidates: list[AppraisalFirm]) -> dict[str, Any]:
    counts = services.vote_counts(selection)
    households = Household.objects.filter(project_id=selection.project_id).count()
    cast = sum(counts.values())
    leader = max(counts.values(), default=0)
    return {
        "rows": [
            {
                "firm": firm,
                "votes": counts.get(firm.pk, 0),
                "share": round(100 * counts.get(firm.pk, 0) / cast, 1) if cast else None,
                "leading": cast > 0 and counts.get(firm.pk, 0) == leader,
            }
            for firm in candidates
        ],
        "cast": cast,
        "households": households,
        "turnout": round(100 * cast / households, 1) if households else None,
        # More than half of the households must vote, and the winner needs more than half.
        "turnout_needed": households // 2 + 1,
        "majority_needed": cast // 2 + 1,
    }


def _selection_context(
    request: HttpRequest, project: Project, forms: dict[str, StyledForm]
) -> dict[str, Any]:
    selections = list(
        FirmSelection.objects.filter(project=project)
        .select_related("firm", "draw", "created_by", "decided_by")
        .order_by("-created_at", "-pk")
    )
    chosen = next((s for s in selections if s.status == SelectionStatus.DECIDED), None)
    current = next((s for s in selections if s.status == SelectionStatus.OPEN), None)
    can_choose = has_perm(request.user, Module.PROJECTS, Action.CHANGE, project=project)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "selections": selections,
        "chosen": chosen,
        "current": current,
        "can_choose": can_choose,
        "draw_results": [
            draw_result(s.draw) for s in selections if s.draw is not None and s.draw.drawn
        ],
    }
    if chosen is not None:
        context["chosen_valuers"] = (
            chosen.firm.valuers.select_related("user") if chosen.firm else []
        )
    if current is not None:
        candidates = [c.firm for c in current.candidates.select_related("firm")]
        context["candidates"] = candidates
        if current.method == SelectionMethod.VOTE:
            context["tally"] = _vote_tally(current, candidates)
        elif current.draw is not None:
            context["commitment"] = _commitment(current.draw)
        if can_choose:
            if current.method == SelectionMethod.VOTE:
                context["ballot_form"] = forms.get("ballot") or BallotForm(candidates=candidates)
                context["close_form"] = forms.get("close") or VoteCloseForm(
                    initial={"decided_on": today}
                )
            else:
                context["run_form"] = forms.get("run") or DrawRunForm(initial={"decided_on": today})
            context["cancel_form"] = forms.get("cancel") or CancelForm()
    elif chosen is None and can_choose:
        context["negotiation_form"] = forms.get("negotiation") or NegotiationForm(
            initial={"decided_on": today}
        )
        context["vote_form"] = forms.get("vote") or VoteOpenForm()
        context["draw_form"] = forms.get("draw") or DrawPrepareForm()
        # After an error, the tab of the form that has it is the one shown.
        context["choice_tab"] = next((k for k in ("vote", "draw") if k in forms), "negotiation")
    return context


def _stale_mark() -> Exists:
    return Exists(
        StaleMark.objects.filter(
            target_type=STALE_TARGET, target_id=OuterRef("valuation__pk"), resolved_at__isnull=True
        )
    )


def _households_context(request: HttpRequest, project: Project) -> dict[str, Any]:
    user = request.user
    households: QuerySet[Household] = households_for_user(user, project)
    stale = _stale_mark()
    counts = {
        row["valuation__status"] or NOT_STARTED: row["n"]
        for row in households.values("valuation__status").annotate(n=Count("id")).order_by()
    }
    stale_count = households.filter(stale).count()
    status = request.GET.get("status", "")
    if status == NOT_STARTED:
        households = households.filter(valuation__isnull=True)
    elif status == STALE:
        households = households.filter(stale)
    elif status in ValuationStatus.values:
        households = households.filter(valuation__status=status)
    else:
        status = ""
    page = Paginator(
        households.annotate(stale=stale).select_related("valuation", "work_group").order_by("code"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    items = list(page.object_list)
    try:
        links = {h.pk: reverse("valuation:household", args=[h.pk]) for h in items}
    except NoReverseMatch:  # the household valuation page is a module of its own
        links = {}
    show_personal = has_perm(
        user, Module.SURVEY, Action.VIEW_PERSONAL, project=project
    ) or has_perm(user, Module.VALUATION, Action.VIEW_PERSONAL, project=project)
    labels = {NOT_STARTED: _("Not started"), **dict(ValuationStatus.choices)}
    rows = []
    for h in items:
        valuation: Valuation | None = getattr(h, "valuation", None)
        key = valuation.status if valuation is not None else NOT_STARTED
        rows.append(
            {
                "household": h,
                "url": links.get(h.pk, ""),
                "head": h.head_name if show_personal else mask_name(h.head_name),
                "group": h.work_group.name if h.work_group is not None else "",
                "status": labels[key],
                "badge": _BADGE[key],
                "stale": h.stale,  # type: ignore[attr-defined]
                "valuation": valuation,
            }
        )
    filters = [(NOT_STARTED, labels[NOT_STARTED], counts.get(NOT_STARTED, 0))]
    filters += [(value, label, counts.get(value, 0)) for value, label in ValuationStatus.choices]
    filters.append((STALE, _("To be re-confirmed"), stale_count))
    return {
        "page_obj": page,
        "household_rows": rows,
        "status": status,
        "status_filters": filters,
        "households_total": sum(counts.values()),
        "page_url": reverse("valuation:project", args=[project.pk]),
        "status_query": f"status={status}&" if status else "",
    }


def _publication_context(
    request: HttpRequest, project: Project, form: PublishForm | None
) -> dict[str, Any]:
    can_publish = has_perm(request.user, Module.VALUATION, Action.APPROVE, project=project)
    context: dict[str, Any] = {
        "publications": Publication.objects.filter(project=project)
        .select_related("published_by")
        .order_by("-number"),
        "can_publish": can_publish,
        "publication_days": services.PUBLICATION_DAYS,
    }
    if can_publish:
        context["publish_form"] = form or PublishForm(
            initial={"published_on": timezone.localdate()}
        )
        # What services.publish would list: every confirmed valuation that is not stale (also
        # those listed before); how many of them would be listed for the first time.
        ready = (
            Valuation.objects.filter(household__project=project, status=ValuationStatus.CONFIRMED)
            .exclude(
                Exists(
                    StaleMark.objects.filter(
                        target_type=STALE_TARGET, target_id=OuterRef("pk"), resolved_at__isnull=True
                    )
                )
            )
            .aggregate(n=Count("pk"), new=Count("pk", filter=Q(publication__isnull=True)))
        )
        context["ready"], context["first_time"] = ready["n"], ready["new"]
    return context


def _page(
    request: HttpRequest, project: Project, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context: dict[str, Any] = {"project": project}
    context.update(_selection_context(request, project, forms))
    context.update(_households_context(request, project))
    context.update(_publication_context(request, project, forms.get("publish")))
    # A form whose place is gone (the firm was chosen meanwhile, the vote closed) still says
    # why it was refused, above the page.
    shown = {id(value) for value in context.values()}
    context["refusals"] = [
        message
        for form in forms.values()
        if id(form) not in shown
        for errors in form.errors.values()
        for message in errors
    ]
    context["performance"] = stats.firm_performance([project.pk])
    context["can_export"] = has_perm(request.user, Module.DASHBOARD, Action.EXPORT, project=project)
    return render(request, "valuation/project/page.html", context, status=status)


@login_required
@require_GET
def project_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    if is_htmx(request):
        # The filter and the pages of the household list swap the list alone.
        return render(
            request,
            "valuation/project/_households.html",
            {"project": project, **_households_context(request, project)},
        )
    return _page(request, project)


def _may_choose(request: HttpRequest, project_id: int) -> Project:
    project = _project(request, project_id)
    # The services check this again; checked first, a denied user learns it whatever was sent.
    require(request.user, Module.PROJECTS, Action.CHANGE, project=project)
    return project


def _choice(
    request: HttpRequest,
    project: Project,
    name: str,
    form: StyledForm,
    choose: Callable[[dict[str, Any]], str | tuple[str, int]],
) -> HttpResponse:
    """A step of choosing the project's firm: ``choose`` calls the service with the form's
    values and returns what to tell the user (a success, or the message and its level); then
    back to the firm's section of the page. Refused by the form or the service: the page
    again, the form ``name`` showing why."""
    if form.is_valid():
        try:
            told = choose(form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            message, level = told if isinstance(told, tuple) else (told, messages.SUCCESS)
            messages.add_message(request, level, message)
            return redirect(f"{reverse('valuation:project', args=[project.pk])}#firm")
    return _page(request, project, status=400, **{name: form})


@login_required
@require_POST
def negotiate(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _may_choose(request, project_id)

    def choose(data: dict[str, Any]) -> str:
        services.selection_negotiate(
            actor=request.user,
            project=project,
            firm=data["firm"],
            decided_on=data["decided_on"],
            record_text=data["record_text"],
            document=data.get("document"),
            reports_due_on=data.get("reports_due_on"),
        )
        return _("%(firm)s is the appraisal firm of this project.") % {"firm": data["firm"].name}

    form = NegotiationForm(request.POST, request.FILES)
    return _choice(request, project, "negotiation", form, choose)


@login_required
@require_POST
def vote_open(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _may_choose(request, project_id)

    def choose(data: dict[str, Any]) -> str:
        services.selection_vote_open(
            actor=request.user,
            project=project,
            firms=list(data["firms"]),
            reports_due_on=data.get("reports_due_on"),
        )
        return _("The vote is open: record the households' votes.")

    return _choice(request, project, "vote", VoteOpenForm(request.POST), choose)


@login_required
@require_POST
def draw_prepare(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _may_choose(request, project_id)

    def choose(data: dict[str, Any]) -> str:
        services.selection_draw_prepare(
            actor=request.user,
            project=project,
            firms=data["firms"],
            reports_due_on=data.get("reports_due_on"),
        )
        return _("The draw is prepared: publish the candidates and the hash before it is run.")

    return _choice(request, project, "draw", DrawPrepareForm(request.POST), choose)


@login_required
@require_POST
def vote_record(request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
    project = _may_choose(request, project_id)
    selection = _selection(project, pk)
    candidates = [c.firm for c in selection.candidates.select_related("firm")]
    form = BallotForm(request.POST, candidates=candidates)

    def choose(data: dict[str, Any]) -> str:
        n = services.selection_vote_record(
            actor=request.user, selection=selection, ballots=form.ballots()
        )
        return ngettext("%(n)d vote recorded.", "%(n)d votes recorded.", n) % {"n": n}

    return _choice(request, project, "ballot", form, choose)


@login_required
@require_POST
def vote_close(request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
    project = _may_choose(request, project_id)
    selection = _selection(project, pk)

    def choose(data: dict[str, Any]) -> tuple[str, int]:
        closed = services.selection_vote_close(
            actor=request.user, selection=selection, decided_on=data["decided_on"]
        )
        # Without a firm chosen (too few votes, no majority), the outcome is a warning.
        decided = closed.status == SelectionStatus.DECIDED
        return closed.outcome, messages.SUCCESS if decided else messages.WARNING

    return _choice(request, project, "close", VoteCloseForm(request.POST), choose)


@login_required
@require_POST
def draw_run(request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
    project = _may_choose(request, project_id)
    selection = _selection(project, pk)

    def choose(data: dict[str, Any]) -> str:
        return services.selection_draw_run(actor=request.user, selection=selection, **data).outcome

    return _choice(request, project, "run", DrawRunForm(request.POST), choose)


@login_required
@require_POST
def selection_cancel(request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
    project = _may_choose(request, project_id)
    selection = _selection(project, pk)

    def choose(data: dict[str, Any]) -> str:
        services.selection_cancel(actor=request.user, selection=selection, reason=data["reason"])
        return _("The selection was cancelled.")

    return _choice(request, project, "cancel", CancelForm(request.POST), choose)


@login_required
@require_GET
def draw_page(request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
    """The public, printable page of a draw: before it, the candidates in their order and the
    hash of the seed; after it, the seed, the witnesses' value, the order and the command."""
    project = _project(request, project_id)
    selection = _selection(project, pk)
    draw = selection.draw
    if draw is None:
        raise OutOfScope("core.draw", pk)
    return render(
        request,
        "valuation/project/draw.html",
        {
            "project": project,
            "draw": draw,
            "commitment": _commitment(draw),
            "result": draw_result(draw) if draw.drawn else None,
        },
    )


@login_required
@require_GET
def selection_document(request: HttpRequest, project_id: int, pk: int) -> FileResponse:
    project = _project(request, project_id)
    selection = _selection(project, pk)
    if not selection.document:
        raise OutOfScope("valuation.firmselection.document", pk)
    # A signed record names the owners who took part: each view is recorded.
    record_read(
        actor=request.user,
        event_type="valuation.selection.document_view",
        target=selection,
        project=project,
    )
    name = selection.document.name.rsplit("/", 1)[-1]
    content_type = {
        "pdf": "application/pdf",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
    }.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
    response = FileResponse(selection.document.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Publication -------------------------------------------------------------------------------


@login_required
@require_POST
def publish(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    require(request.user, Module.VALUATION, Action.APPROVE, project=project)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            publication = services.publish(actor=request.user, project=project, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "Publication no. %(number)d lists %(n)d household and runs until %(until)s.",
                    "Publication no. %(number)d lists %(n)d households and runs until %(until)s.",
                    len(publication.rows),
                )
                % {
                    "number": publication.number,
                    "n": len(publication.rows),
                    "until": publication.until.isoformat(),
                },
            )
            return redirect("valuation:publication", project_id=project.pk, pk=publication.pk)
    return _page(request, project, status=400, publish=form)


@login_required
@require_GET
def publication(request: HttpRequest, project_id: int, pk: int) -> HttpResponse:
    project = _project(request, project_id)
    try:
        item = Publication.objects.select_related("published_by").get(pk=int(pk), project=project)
    except (Publication.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("valuation.publication", pk) from None
    return render(
        request, "valuation/project/publication.html", {"project": project, "publication": item}
    )


# --- Performance -------------------------------------------------------------------------------


@login_required
@require_GET
def performance_export(request: HttpRequest, project_id: int) -> FileResponse:
    project = get_project_for_user(request.user, project_id)
    out = io.BytesIO()
    stats.performance_export(actor=request.user, project=project, out=out)
    out.seek(0)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{_('Firm performance')}-{project.code}-{stamp}.xlsx",
        content_type=XLSX,
    )
