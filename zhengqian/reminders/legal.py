"""Legal deadlines announced ahead of time by the reminder scan (core.deadlines providers).

* valuation.objection_period — a household's last day to apply for a re-assessment (复核) after
  it received its valuation report, or for an expert appraisal (鉴定) after it received the
  answer to its re-assessment: 10 days, rolled to the next working day (valuation.rules), while
  it has not applied;
* valuation.publication_end — the last day of a publication of the preliminary valuation results
  (评估结果公示), when households may still raise objections to them;
* projects.plan_publication — the compensation plan's publication (the procedure step
  "plan_published") planned and not yet recorded;
* projects.signing_end — the planned end of a project's signing period (not of a closed
  project);
* resettlement.voucher_expiry — registered by the resettlement module itself.

Each kind also says who is warned: the members of the project whose role may do the kind's
action in its module (`RECIPIENTS`), within their work groups for a household's deadline.
Kinds registered by other modules and not named here warn those who may change the project.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengqian.accounts.roles import Action, Module
from zhengqian.core import deadlines
from zhengqian.core.calendar import office_calendar
from zhengqian.core.workdays import UnknownCalendarYear
from zhengqian.projects.models import Milestone, Project, ProjectStatus

OBJECTION_KIND = "valuation.objection_period"
PUBLICATION_KIND = "valuation.publication_end"
PLAN_KIND = "projects.plan_publication"
SIGNING_KIND = "projects.signing_end"
VOUCHER_KIND = "resettlement.voucher_expiry"

PLAN_STEP = "plan_published"
# A 10-day objection period rolled to a working day ends at most this many days after it began
# (the Spring Festival closes about nine days in a row).
_LONGEST_OBJECTION_PERIOD = 30


@dataclass(frozen=True)
class LegalKind:
    code: str
    label: Promise
    default_warn_days: int
    # Who is warned: members whose role may do one of these (module, action) in the project.
    recipients: tuple[tuple[str, str], ...]


LEGAL_KINDS: dict[str, LegalKind] = {
    k.code: k
    for k in (
        LegalKind(
            OBJECTION_KIND,
            gettext_lazy("Last day to object to a valuation"),
            3,
            ((Module.VALUATION, Action.REVIEW),),
        ),
        LegalKind(
            PUBLICATION_KIND,
            gettext_lazy("End of a valuation results publication"),
            3,
            ((Module.VALUATION, Action.APPROVE),),
        ),
        LegalKind(
            PLAN_KIND,
            gettext_lazy("Compensation plan publication"),
            7,
            ((Module.PROJECTS, Action.CHANGE),),
        ),
        LegalKind(
            SIGNING_KIND,
            gettext_lazy("End of the signing period"),
            14,
            ((Module.AGREEMENTS, Action.CREATE), (Module.AGREEMENTS, Action.APPROVE)),
        ),
        LegalKind(
            VOUCHER_KIND,
            gettext_lazy("Housing voucher expiry"),
            30,
            ((Module.RESETTLEMENT, Action.CREATE),),
        ),
    )
}
OTHER_RECIPIENTS: tuple[tuple[str, str], ...] = ((Module.PROJECTS, Action.CHANGE),)


def kind_codes() -> list[str]:
    """The legal kinds named here and any other kind of deadline a module registered."""
    return sorted(set(LEGAL_KINDS) | set(deadlines.kinds()))


def label(kind_code: str) -> str:
    kind = LEGAL_KINDS.get(kind_code)
    return str(kind.label) if kind is not None else kind_code


def default_warn_days(kind_code: str) -> int | None:
    kind = LEGAL_KINDS.get(kind_code)
    return None if kind is None else kind.default_warn_days


def recipients(kind_code: str) -> tuple[tuple[str, str], ...]:
    kind = LEGAL_KINDS.get(kind_code)
    return OTHER_RECIPIENTS if kind is None else kind.recipients


def _url(name: str, *args: object) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- providers -------------------------------------------------------------------------------


def objection_deadlines(
    project_ids: Sequence[int], today: dt.date, within_days: int
) -> Iterable[deadlines.Deadline]:
    """Households whose period to object is running and who have not applied yet."""
    from zhengqian.valuation.models import (
        Objection,
        ObjectionKind,
        ObjectionStatus,
        Valuation,
        ValuationStatus,
    )
    from zhengqian.valuation.rules import apply_deadline

    earliest = today - dt.timedelta(days=_LONGEST_OBJECTION_PERIOD)
    latest = today + dt.timedelta(days=within_days)
    # (project, household, valuation, kind, period starts on)
    starts: list[tuple[int, int, int, str, dt.date]] = []
    reports = Valuation.objects.filter(
        household__project_id__in=list(project_ids),
        status=ValuationStatus.ISSUED,
        delivered_on__gte=earliest,
        delivered_on__lte=latest,
    ).exclude(objections__kind=ObjectionKind.REVIEW)
    for pk, project_id, household_id, delivered_on in reports.values_list(
        "pk", "household__project_id", "household_id", "delivered_on"
    ):
        if delivered_on is not None:  # the filter says so; the types do not know
            starts.append((project_id, household_id, pk, str(ObjectionKind.REVIEW), delivered_on))
    answers = Objection.objects.filter(
        valuation__household__project_id__in=list(project_ids),
        valuation__status=ValuationStatus.ISSUED,
        kind=ObjectionKind.REVIEW,
        status=ObjectionStatus.ANSWERED,
        delivered_on__gte=earliest,
        delivered_on__lte=latest,
    ).exclude(valuation__objections__kind=ObjectionKind.APPRAISAL)
    for pk, project_id, household_id, delivered_on in answers.values_list(
        "valuation_id",
        "valuation__household__project_id",
        "valuation__household_id",
        "delivered_on",
    ):
        if delivered_on is not None:
            starts.append(
                (project_id, household_id, pk, str(ObjectionKind.APPRAISAL), delivered_on)
            )
    if not starts:
        return
    calendar = office_calendar()
    names = dict(ObjectionKind.choices)
    for project_id, household_id, _valuation_id, kind, started in starts:
        try:
            last_day = apply_deadline(started, calendar)
        except UnknownCalendarYear:
            continue  # the valuation page says why; no guessed date is announced
        yield deadlines.Deadline(
            kind=OBJECTION_KIND,
            project_id=project_id,
            household_id=household_id,
            due_on=last_day,
            label=_("Last day to apply for %(kind)s") % {"kind": names[kind]},
            url=_url("valuation:household", household_id),
        )


def publication_deadlines(
    project_ids: Sequence[int], today: dt.date, within_days: int
) -> Iterable[deadlines.Deadline]:
    from zhengqian.valuation.models import Publication

    rows = Publication.objects.filter(
        project_id__in=list(project_ids),
        until__gte=today,
        until__lte=today + dt.timedelta(days=within_days),
    ).values_list("pk", "project_id", "number", "until")
    for pk, project_id, number, until in rows:
        yield deadlines.Deadline(
            kind=PUBLICATION_KIND,
            project_id=project_id,
            household_id=None,
            due_on=until,
            label=_("Publication no. %(number)s of the valuation results ends")
            % {"number": number},
            url=_url("valuation:publication", project_id, pk),
        )


def plan_deadlines(
    project_ids: Sequence[int], today: dt.date, within_days: int
) -> Iterable[deadlines.Deadline]:
    rows = Milestone.objects.filter(
        project_id__in=list(project_ids),
        project__status__in=[ProjectStatus.PREPARING, ProjectStatus.ACTIVE],
        code=PLAN_STEP,
        actual_date__isnull=True,
        planned_date__gte=today,
        planned_date__lte=today + dt.timedelta(days=within_days),
    ).values_list("project_id", "planned_date")
    for project_id, planned in rows:
        if planned is None:
            continue
        yield deadlines.Deadline(
            kind=PLAN_KIND,
            project_id=project_id,
            household_id=None,
            due_on=planned,
            label=_("The compensation plan is to be published"),
            url=_url("projects:detail", project_id),
        )


def signing_deadlines(
    project_ids: Sequence[int], today: dt.date, within_days: int
) -> Iterable[deadlines.Deadline]:
    rows = (
        Project.objects.filter(
            pk__in=list(project_ids),
            planned_signing_end__gte=today,
            planned_signing_end__lte=today + dt.timedelta(days=within_days),
        )
        .exclude(status=ProjectStatus.CLOSED)
        .values_list("pk", "planned_signing_end")
    )
    for project_id, end in rows:
        if end is None:
            continue
        yield deadlines.Deadline(
            kind=SIGNING_KIND,
            project_id=project_id,
            household_id=None,
            due_on=end,
            label=_("The signing period ends"),
            url=_url("projects:detail", project_id),
        )


def register_deadlines() -> None:
    """Called when the reminders start (RemindersConfig.ready)."""
    deadlines.register(OBJECTION_KIND, objection_deadlines)
    deadlines.register(PUBLICATION_KIND, publication_deadlines)
    deadlines.register(PLAN_KIND, plan_deadlines)
    deadlines.register(SIGNING_KIND, signing_deadlines)
