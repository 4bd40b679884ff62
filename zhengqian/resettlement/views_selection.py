"""The selection pages: a project's rounds (and a new one), a round's page (households, flats,
the order or the lottery, the steps), the selection-day page for the hall (who is called now,
the combinations that fit them, the board of flats refreshed by polling), and the published
result (printable, always masked).

Thin views: every rule is in services_selection. A round outside the user's scope is 404; a
refused write raises AccessDenied (403). A refused form is shown again with its errors (400);
a refusal in the hall is said at the desk that caused it.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.permissions import work_group_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read
from zhengqian.core.forms import submit
from zhengqian.core.http import is_htmx
from zhengqian.resettlement import selectors
from zhengqian.resettlement import selectors_selection as sel
from zhengqian.resettlement import services_selection as services
from zhengqian.resettlement.forms_selection import DrawForm, FlatsForm, HouseholdsForm, RoundForm
from zhengqian.resettlement.models import (
    EntryStatus,
    Flat,
    OrderBy,
    RoundEntry,
    RoundStatus,
    SelectionRound,
)


def _personal(request: HttpRequest, round: SelectionRound, page: str) -> bool | set[int]:
    """Whether the page shows names unmasked (True), or only those of the households of these
    work groups (a user whose right to see personal data is limited to them); each such page
    view is recorded."""
    if not selectors.sees_personal(request.user, round.project_id):
        return False
    groups = work_group_ids_with(
        request.user, Module.RESETTLEMENT, Action.VIEW_PERSONAL, round.project_id
    )
    record_read(
        actor=request.user,
        event_type="resettlement.round_view_personal",
        target=round,
        project=round.project_id,
        details={"page": page},
    )
    return True if groups is None else groups


def _message(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


# --- the rounds of a project -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rounds(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.get_project_for_user(request.user, pk)
    may_create = selectors.may(request.user, project, Action.CREATE)
    form = RoundForm(
        request.POST if request.method == "POST" else None,
        initial={"scheduled_on": timezone.localdate(), "desks": 1},
    )
    status = 200
    if request.method == "POST":
        created: list[SelectionRound] = []
        if submit(
            form,
            lambda data: created.append(
                services.round_create(actor=request.user, project=project, **data)
            ),
        ):
            messages.success(request, _("The round was created."))
            return redirect("resettlement:round", created[0].pk)
        status = 400
    return render(
        request,
        "resettlement/selection/rounds.html",
        {
            "project": project,
            "rounds": list(sel.rounds_of(project)),
            "form": form,
            "may_create": may_create,
            "active": "selection",
        },
        status=status,
    )


# --- a round ---------------------------------------------------------------------------------


def _round_page(
    request: HttpRequest,
    round: SelectionRound,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    project = round.project
    may_change = selectors.may(user, project, Action.CHANGE)
    personal = _personal(request, round, "round")
    forms: dict[str, Any] = {}
    if may_change and round.status == RoundStatus.DRAFT:
        forms["households_form"] = HouseholdsForm(project=project)
    if may_change and round.status in (
        RoundStatus.DRAFT,
        RoundStatus.COMMITTED,
        RoundStatus.ORDERED,
    ):
        forms["flats_form"] = FlatsForm(project=project)
    if may_change and round.status == RoundStatus.COMMITTED:
        forms["draw_form"] = DrawForm()
    forms.update(bound or {})
    return render(
        request,
        "resettlement/selection/round.html",
        {
            "project": project,
            "round": round,
            "rows": sel.entry_rows(round, personal=personal),
            "flats": list(sel.offered_flats(round)),
            "lottery": sel.lottery(round),
            "progress": sel.progress(round),
            "may_change": may_change,
            "personal": personal,
            "today": timezone.localdate(),
            "active": "selection",
            "Status": RoundStatus,
            "OrderBy": OrderBy,
            **forms,
        },
        status=status,
    )


@login_required
@require_GET
def round_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _round_page(request, sel.get_round_for_user(request.user, pk))


def _back(round: SelectionRound, anchor: str = "") -> str:
    return reverse("resettlement:round", args=[round.pk]) + (f"#{anchor}" if anchor else "")


@login_required
@require_POST
def round_households(request: HttpRequest, pk: int) -> HttpResponse:
    round = sel.get_round_for_user(request.user, pk)
    form = HouseholdsForm(request.POST, project=round.project)
    added: list[int] = []
    if submit(
        form,
        lambda data: added.append(
            services.round_add_households(
                actor=request.user, round=round, households=data["households"]
            )
        ),
    ):
        messages.success(request, _("%(n)d household(s) added to the round.") % {"n": added[0]})
        return redirect(_back(round, "households"))
    # The service names the households refused under "households": shown at the codes.
    if "households" in form.errors:
        for error in form.errors.pop("households"):
            form.add_error("codes", error)
    return _round_page(request, round, bound={"households_form": form}, status=400)


@login_required
@require_POST
def round_remove(request: HttpRequest, pk: int) -> HttpResponse:
    entry = sel.get_entry_for_user(request.user, pk)
    try:
        services.round_remove_household(actor=request.user, entry=entry)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(
            request,
            _("Household %(code)s was removed from the round.") % {"code": entry.household.code},
        )
    return redirect(_back(entry.round, "households"))


@login_required
@require_POST
def round_flats(request: HttpRequest, pk: int) -> HttpResponse:
    round = sel.get_round_for_user(request.user, pk)
    form = FlatsForm(request.POST, project=round.project)
    added: list[int] = []
    if submit(
        form,
        lambda data: added.append(
            services.round_add_flats(actor=request.user, round=round, flats=data["flats"])
        ),
    ):
        messages.success(request, _("%(n)d flat(s) offered in the round.") % {"n": added[0]})
        return redirect(_back(round, "flats"))
    if "flats" in form.errors:
        for error in form.errors.pop("flats"):
            form.add_error("estate", error)
    return _round_page(request, round, bound={"flats_form": form}, status=400)


def _step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    round = sel.get_round_for_user(request.user, pk)
    write = {
        "order": services.round_fix_order,
        "commit": services.round_commit_lottery,
        "open": services.round_open,
        "close": services.round_close,
        "publish": services.round_publish,
    }[step]
    done = {
        "order": _("The order was fixed by signing order."),
        "commit": _("The lottery was announced: the seed's hash is published."),
        "open": _("The round is open: the households may choose."),
        "close": _("The round was closed and the households' flats settled."),
        "publish": _("The result was published."),
    }[step]
    try:
        write(actor=request.user, round=round)
    except ValidationError as exc:
        messages.error(request, _message(exc))
        return redirect(_back(round))
    messages.success(request, done)
    if step == "open":
        return redirect("resettlement:round_day", round.pk)
    if step == "publish":
        return redirect("resettlement:round_result", round.pk)
    return redirect(_back(round))


@login_required
@require_POST
def round_order(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "order")


@login_required
@require_POST
def round_commit(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "commit")


@login_required
@require_POST
def round_open(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "open")


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "close")


@login_required
@require_POST
def round_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "publish")


@login_required
@require_POST
def round_draw(request: HttpRequest, pk: int) -> HttpResponse:
    round = sel.get_round_for_user(request.user, pk)
    form = DrawForm(request.POST)
    if submit(form, lambda data: services.round_draw(actor=request.user, round=round, **data)):
        messages.success(request, _("The lottery was drawn: the order is fixed."))
        return redirect(_back(round, "lottery"))
    return _round_page(request, round, bound={"draw_form": form}, status=400)


# --- the selection day -----------------------------------------------------------------------


_ID = re.compile(r"[0-9]{1,18}")


def _ids(values: list[str]) -> list[int]:
    """The keys among the values: ASCII digits only (not "²" nor "１"), within a database key's
    range; anything else is left out (and so refused as not offered)."""
    return [int(v.strip()) for v in values if _ID.fullmatch(v.strip())]


def _wanted(request: HttpRequest, round: SelectionRound) -> dict[int, Flat]:
    """The flat a called household asked for (?entry=…&flat=…), to narrow its combinations."""
    entry, flat = _ids([request.GET.get("entry", "")]), _ids([request.GET.get("flat", "")])
    if not entry or not flat:
        return {}
    found = round.flats.filter(pk=flat[0]).select_related("estate", "building").first()
    return {entry[0]: found} if found is not None else {}


def _hall(
    request: HttpRequest,
    round: SelectionRound,
    *,
    errors: dict[int, str] | None = None,
    done: str = "",
) -> dict[str, Any]:
    personal = _personal(request, round, "day")
    desks = sel.desks(round, personal=personal, wanted=_wanted(request, round))
    at_desk = {d.entry.pk for d in desks}
    return {
        "round": round,
        "project": round.project,
        "desks": desks,
        # A refusal for a household not at a desk (no longer or not yet called).
        "alerts": [m for pk, m in (errors or {}).items() if pk not in at_desk],
        "free": sel.free_flats(round),
        "board": sel.board(round),
        "progress": sel.progress(round),
        "errors": errors or {},
        "done": done,
        "may_change": selectors.may(request.user, round.project_id, Action.CHANGE),
        "is_open": round.status == RoundStatus.OPEN,
        "active": "selection",
    }


@login_required
@require_GET
def round_day(request: HttpRequest, pk: int) -> HttpResponse:
    round = sel.get_round_for_user(request.user, pk)
    context = _hall(request, round)
    if is_htmx(request):
        return render(request, "resettlement/selection/_hall.html", context)
    return render(request, "resettlement/selection/day.html", context)


@login_required
@require_GET
def round_board(request: HttpRequest, pk: int) -> HttpResponse:
    """The board of flats (polled by the hall's screen)."""
    round = sel.get_round_for_user(request.user, pk)
    return render(
        request,
        "resettlement/selection/_board.html",
        {"round": round, "board": sel.board(round), "progress": sel.progress(round)},
    )


def _desk_answer(
    request: HttpRequest, entry: RoundEntry, exc: ValidationError | None, done: str
) -> HttpResponse:
    round = SelectionRound.objects.select_related("project").get(pk=entry.round_id)
    if is_htmx(request):
        errors = {entry.pk: f"{entry.household.code}: {_message(exc)}"} if exc else {}
        return render(
            request,
            "resettlement/selection/_hall.html",
            _hall(request, round, errors=errors, done="" if exc else done),
        )
    if exc is not None:
        messages.error(request, f"{entry.household.code}: {_message(exc)}")
    else:
        messages.success(request, done)
    return redirect("resettlement:round_day", round.pk)


@login_required
@require_POST
def choose(request: HttpRequest, pk: int) -> HttpResponse:
    entry = sel.get_entry_for_user(request.user, pk)
    try:
        chosen = services.choose(
            actor=request.user, entry=entry, flats=_ids(request.POST.getlist("flats"))
        )
    except ValidationError as exc:
        return _desk_answer(request, entry, exc, "")
    units = ", ".join(str(c.flat) for c in chosen)
    done = _("Household %(code)s chose %(flats)s.") % {
        "code": entry.household.code,
        "flats": units,
    }
    return _desk_answer(request, entry, None, done)


@login_required
@require_POST
def absent(request: HttpRequest, pk: int) -> HttpResponse:
    entry = sel.get_entry_for_user(request.user, pk)
    try:
        moved = services.mark_absent(actor=request.user, entry=entry)
    except ValidationError as exc:
        return _desk_answer(request, entry, exc, "")
    if moved.status == EntryStatus.WAITING:
        done = _("Household %(code)s is absent: moved to the end of the round.")
    else:
        done = _("Household %(code)s is absent again: it did not choose in this round.")
    return _desk_answer(request, entry, None, done % {"code": entry.household.code})


# --- the published result --------------------------------------------------------------------


@login_required
@require_GET
def round_result(request: HttpRequest, pk: int) -> HttpResponse:
    """The published result: printable, names always masked, for every project user with
    resettlement/view (officers may preview it once the round is closed)."""
    round = sel.get_round_for_user(request.user, pk)
    may_change = selectors.may(request.user, round.project_id, Action.CHANGE)
    published = round.status == RoundStatus.PUBLISHED
    if not published and not (may_change and round.status == RoundStatus.CLOSED):
        return render(
            request,
            "resettlement/selection/result.html",
            {"round": round, "project": round.project, "rows": None, "active": "selection"},
            status=404,
        )
    return render(
        request,
        "resettlement/selection/result.html",
        {
            "round": round,
            "project": round.project,
            "rows": sel.result_rows(round),
            "published": published,
            "lottery": sel.lottery(round),
            "active": "selection",
        },
    )
