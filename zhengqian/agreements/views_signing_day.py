"""The signing-day screen (集中签约日): a project's signing counters and the queue of households
with an approved calculation, as shown on the hall screen and refreshed every few seconds.

The screen only reads. Drafting is a POST to the agreement pages' own view; signing is recorded
on the agreement's page. The live partial is polled by every screen in the hall, so it costs a
constant number of queries however many households the project has: the state of each household
is computed by the database (subqueries on its live main agreement), and the queue is paged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from zhengqian.accounts.permissions import has_perm, require, work_group_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements import services
from zhengqian.agreements.models import Agreement, AgreementStatus
from zhengqian.compensation.models import Calculation
from zhengqian.core.http import is_htmx
from zhengqian.core.masking import mask_name
from zhengqian.projects.models import Project, WorkGroup
from zhengqian.projects.selectors import get_project_for_user, work_groups_of
from zhengqian.survey.selectors import households_for_user

# A hall screen shows one page; the officers page on or filter by work group.
PAGE_SIZE = 50
REFRESH_SECONDS = 5


class DayState:
    """A household's state on the signing day (derived, never stored)."""

    DRAFTED = "drafted"
    WAITING = "waiting"
    VOID = "void"
    SIGNED = "signed"
    LAPSED = "lapsed"

    LABELS = {
        DRAFTED: _("Drafted — ready to sign"),
        WAITING: _("Waiting for drafting"),
        VOID: _("Void — to be drafted again"),
        SIGNED: _("Signed"),
        LAPSED: _("Lapsed"),
    }
    # The queue's order: what can be signed now first, then what is to be drafted, then done.
    RANK = {DRAFTED: 0, WAITING: 1, VOID: 1, SIGNED: 2, LAPSED: 3}


class FilterForm(forms.Form):
    work_group = forms.TypedChoiceField(
        label=_("Work group"), required=False, coerce=int, empty_value=None
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), *DayState.LABELS.items()],
    )

    def __init__(self, *args: Any, work_groups: list[WorkGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["work_group"]).choices = [
            ("", _("All work groups")),
            *((g.pk, g.name) for g in work_groups),
        ]


# --- reads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counters:
    today: dt.date
    signed_today: int
    rate: services.Rate
    pending: int
    effective: int
    lapsed: int
    drafted: int

    @property
    def needed(self) -> int:
        """More signatures before the rate reaches the policy's threshold (0 once reached)."""
        if not self.rate.conditional or self.rate.reached:
            return 0
        required = (self.rate.threshold * self.rate.households / 100).to_integral_value(
            rounding=ROUND_CEILING
        )
        # The threshold is reached by a signature, never by none (services.Rate.reached).
        return max(int(required), 1) - self.rate.signed

    @property
    def period_over(self) -> bool:
        return self.rate.period_over(self.today)

    @property
    def progress(self) -> Decimal:
        """The signing rate as a share of the bar (the threshold's mark is drawn on it)."""
        return min(self.rate.percent, Decimal(100))


def counters(project: Project) -> Counters:
    """The project's figures of the day (whole project, whatever the user's work groups: the
    signing rate that makes agreements effective is the project's)."""
    today = timezone.localdate()
    main = Agreement.objects.filter(project=project, parent__isnull=True)
    figures = main.aggregate(
        signed_today=Count("pk", filter=Q(signed_on=today) & ~Q(status=AgreementStatus.VOID)),
        pending=Count("pk", filter=Q(status=AgreementStatus.PENDING)),
        effective=Count("pk", filter=Q(status=AgreementStatus.EFFECTIVE)),
        lapsed=Count("pk", filter=Q(status=AgreementStatus.LAPSED)),
        drafted=Count("pk", filter=Q(status=AgreementStatus.DRAFT)),
    )
    return Counters(today=today, rate=services.signing_rate(project.pk), **figures)


def queue(user: Any, project: Project, *, work_group: int | None, state: str) -> QuerySet[Any]:
    """The latest approved calculation of each household the user reaches, with the state of
    the household's main agreement annotated, in the order of the signing day."""
    # Without the model's ordering: it would join the project into every subquery.
    mains = Agreement.objects.filter(
        household_id=OuterRef("household_id"), parent__isnull=True
    ).order_by()
    # At most one (uniq_agreement_live_main), found by that constraint's index.
    live = mains.exclude(status=AgreementStatus.VOID)

    def live_field(name: str) -> Subquery:
        return Subquery(live.values(name)[:1])

    households = households_for_user(user, project, module=Module.AGREEMENTS, action=Action.VIEW)
    qs = (
        services.current_approved()
        .filter(household__in=households.values("pk"))
        .annotate(
            agreement_id=live_field("pk"),
            agreement_status=live_field("status"),
            agreement_number=live_field("number"),
            agreement_calculation_id=live_field("calculation_id"),
            signing_order=live_field("signing_order"),
            signed_at=live_field("signed_at"),
            had_void=Exists(mains.filter(status=AgreementStatus.VOID)),
        )
        .annotate(
            day_state=Case(
                When(agreement_status=AgreementStatus.DRAFT, then=Value(DayState.DRAFTED)),
                When(
                    agreement_status__in=[AgreementStatus.PENDING, AgreementStatus.EFFECTIVE],
                    then=Value(DayState.SIGNED),
                ),
                When(agreement_status=AgreementStatus.LAPSED, then=Value(DayState.LAPSED)),
                When(had_void=True, then=Value(DayState.VOID)),
                default=Value(DayState.WAITING),
                output_field=CharField(),
            ),
        )
        .annotate(
            rank=Case(
                *(When(day_state=s, then=Value(r)) for s, r in DayState.RANK.items()),
                output_field=IntegerField(),
            ),
        )
        .select_related("household__work_group")
        .only(
            "pk",
            "number",
            "mode",
            "total",
            "household__code",
            "household__head_name",
            "household__work_group__name",
            "household__work_group_id",
        )
    )
    if work_group is not None:
        qs = qs.filter(household__work_group_id=work_group)
    if state:
        qs = qs.filter(day_state=state)
    # Signed: most recent first (the others have no signing time and keep the code order).
    return qs.order_by("rank", F("signed_at").desc(nulls_last=True), "household__code")


@dataclass
class Row:
    calculation: Calculation
    state: str
    head_name: str
    may_draft: bool

    @property
    def state_label(self) -> str:
        return str(DayState.LABELS[self.state])

    @property
    def outdated(self) -> bool:
        """Drafted from an earlier calculation than the one approved last: signing it would be
        refused; a new calculation needs a supplement or the draft voided."""
        c = self.calculation
        return c.agreement_id is not None and c.agreement_calculation_id != c.pk  # type: ignore[attr-defined]


def _rows(user: Any, project: Project, page: Page) -> list[Row]:
    # The hall screen may be projected for everyone present: names are always masked.
    show_personal = False
    drafting_groups: set[int] | None = set()
    if has_perm(user, Module.AGREEMENTS, Action.CREATE, project=project):
        drafting_groups = work_group_ids_with(user, Module.AGREEMENTS, Action.CREATE, project.pk)
    rows = []
    for c in page.object_list:
        name = c.household.head_name
        state = c.day_state
        rows.append(
            Row(
                calculation=c,
                state=state,
                head_name=name if show_personal else mask_name(name),
                may_draft=state in (DayState.WAITING, DayState.VOID)
                and (drafting_groups is None or c.household.work_group_id in drafting_groups),
            )
        )
    return rows


# --- views -----------------------------------------------------------------------------------


def _project(request: HttpRequest, pk: int) -> Project:
    project = get_project_for_user(request.user, pk)
    require(request.user, Module.AGREEMENTS, Action.VIEW, project=project)
    return project


def _context(request: HttpRequest, project: Project) -> dict[str, Any]:
    groups = list(work_groups_of(project))
    scope = work_group_ids_with(request.user, Module.AGREEMENTS, Action.VIEW, project.pk)
    if scope is not None:
        groups = [g for g in groups if g.pk in scope]
    form = FilterForm(request.GET, work_groups=groups)
    # A filter the form refuses (a stale link) shows everything rather than an error: the
    # screen must keep showing.
    data = form.cleaned_data if form.is_valid() else {}
    work_group, state = data.get("work_group"), data.get("state") or ""
    paginator = Paginator(
        queue(request.user, project, work_group=work_group, state=state), PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    filters = {k: v for k, v in (("work_group", work_group), ("state", state)) if v}
    query = {**filters, "page": page.number} if page.number > 1 else filters
    return {
        "project": project,
        "form": form,
        "counters": counters(project),
        "page_obj": page,
        "rows": _rows(request.user, project, page),
        "filtered": bool(filters),
        # The live partial keeps the screen's filters and page; the page links keep the filters.
        "query_string": urlencode(query),
        "filter_string": urlencode(filters),
        # Where a refused draft comes back to (the drafted agreement's page otherwise).
        "return_url": reverse("agreements:signing_day", args=[project.pk])
        + (f"?{urlencode(query)}" if query else ""),
        "refreshed_at": timezone.localtime(),
        "refresh_seconds": REFRESH_SECONDS,
    }


@login_required
@require_GET
def signing_day(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    context = _context(request, project)
    if is_htmx(request):
        return render(request, "agreements/signing_day_live.html", context)
    return render(request, "agreements/signing_day.html", context)


@login_required
@require_GET
def signing_day_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The counters and the queue, polled by the screen every few seconds."""
    project = _project(request, pk)
    return render(request, "agreements/signing_day_live.html", _context(request, project))
