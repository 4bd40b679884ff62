"""Reads of the valuation module's household pages, scoped to the user.

A household is reached in the valuation module as in the survey: the user's role in its project
(and work group) must allow valuation/view. Valuers are staff of an appraisal firm: their only
memberships are the valuer role in the projects their firm was chosen for, granted when it was
chosen (services._assign), so those are the only projects they reach; a valuer grant without a
project is never honoured. `household_page` is the valuation page of one household with what
this user may do there; `household_section` is the valuation card of the survey household page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import (
    AccessDenied,
    OutOfScope,
    grants_iter,
    has_perm,
    is_external,
)
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.core.calendar import office_calendar
from zhengqian.core.masking import mask_name
from zhengqian.core.models import StaleMark
from zhengqian.core.workdays import HolidayCalendar, UnknownCalendarYear
from zhengqian.ownership.models import BuildingConfirmation
from zhengqian.projects.models import Project
from zhengqian.survey import selectors as survey_selectors
from zhengqian.survey.forms import dictionary_labels
from zhengqian.survey.models import Ancillary, Building, Household, HouseholdKind
from zhengqian.valuation import rules, services
from zhengqian.valuation.models import (
    AncillaryValuation,
    AppraisalFirm,
    BuildingValuation,
    DecorationItem,
    Objection,
    ObjectionKind,
    ObjectionOutcome,
    ObjectionStatus,
    Valuation,
    ValuationStatus,
)
from zhengqian.valuation.receivers import STALE_TARGET

STRUCTURE_KIND = "structure_type"
USE_KIND = "building_use"
ANCILLARY_KIND = "ancillary_type"

# What changed upstream, as the stale warning names it.
_SOURCE_MODELS: dict[str, type[Any]] = {
    "survey.household": Household,
    "survey.building": Building,
    "survey.ancillary": Ancillary,
    "ownership.buildingconfirmation": BuildingConfirmation,
}


# --- scope -------------------------------------------------------------------------------


def assigned_project_ids(user: Any) -> set[int]:
    """The projects where the user holds the valuer role (their firm was chosen there)."""
    return {
        g.project_id
        for g in grants_iter(user)
        if g.role == RoleCode.VALUER and g.project_id is not None
    }


def assigned_projects(user: Any) -> QuerySet[Project]:
    return Project.objects.filter(pk__in=assigned_project_ids(user)).order_by("code")


def households_for_user(
    user: Any, project: Project, *, action: Action | str = Action.VIEW
) -> QuerySet[Household]:
    """The project's households the user may reach in the valuation module."""
    if is_external(user) and project.pk not in assigned_project_ids(user):
        return Household.objects.none()
    return survey_selectors.households_for_user(
        user, project, module=Module.VALUATION, action=action
    )


def get_household_for_user(user: Any, pk: Any, *, action: Action | str = Action.VIEW) -> Household:
    """The household if the user may reach it in the valuation module; 404 otherwise."""
    household = survey_selectors.get_household_for_user(
        user, pk, module=Module.VALUATION, action=action
    )
    if is_external(user) and household.project_id not in assigned_project_ids(user):
        raise OutOfScope("survey.household", pk)
    return household


def _may(user: Any, household: Household, module: Module, action: Action) -> bool:
    return has_perm(
        user, module, action, project=household.project_id, work_group=household.work_group_id
    )


def may_enter(user: Any, household: Household) -> bool:
    """Whether the user is a valuer of the firm chosen for the household's project."""
    try:
        services.require_valuer(user, household)
    except AccessDenied:
        return False
    return True


def shows_personal_data(user: Any, household: Household) -> bool:
    """Names unmasked only for roles that may see personal data (never the firm's valuers)."""
    return _may(user, household, Module.SURVEY, Action.VIEW_PERSONAL) or _may(
        user, household, Module.VALUATION, Action.VIEW_PERSONAL
    )


# --- rows of the page --------------------------------------------------------------------


@dataclass(frozen=True)
class BuildingRow:
    """A building as surveyed and confirmed, with its valuation line if entered."""

    building: Building
    structure: str
    use: str
    confirmation: BuildingConfirmation | None
    line: BuildingValuation | None


@dataclass(frozen=True)
class AncillaryRow:
    ancillary: Ancillary
    kind: str
    line: AncillaryValuation | None


@dataclass(frozen=True)
class StaleChange:
    """One upstream change the valuation has not been re-confirmed after."""

    marked_at: dt.datetime
    source: str
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class ObjectionRow:
    objection: Objection
    today: dt.date

    @property
    def pending(self) -> bool:
        return self.objection.status == ObjectionStatus.PENDING

    @property
    def days_left(self) -> int | None:
        """Days until the last day to answer, while unanswered (negative when late)."""
        if not self.pending:
            return None
        return (self.objection.answer_deadline - self.today).days

    @property
    def days_late(self) -> int:
        days = self.days_left
        return -days if days is not None and days < 0 else 0

    @property
    def late(self) -> bool:
        days = self.days_left
        return (days is not None and days < 0) or self.objection.answered_late

    @property
    def revised(self) -> bool:
        return self.objection.outcome == ObjectionOutcome.REVISED


@dataclass(frozen=True)
class ApplyWindow:
    """When a household may apply for a re-assessment or an expert appraisal."""

    kind: ObjectionKind
    starts: dt.date | None
    last_day: dt.date | None
    why_not: str

    @property
    def open(self) -> bool:
        return self.starts is not None


@dataclass
class HouseholdValuation:
    """The valuation page of one household, with what this user may do there."""

    household: Household
    valuation: Valuation | None
    firm: AppraisalFirm | None
    buildings: list[BuildingRow]
    ancillaries: list[AncillaryRow]
    decorations: list[DecorationItem]
    objections: list[ObjectionRow]
    stale: list[StaleChange]
    is_stale: bool
    decision_date: dt.date | None
    show_personal: bool
    may_enter: bool
    may_review: bool
    windows: list[ApplyWindow] = field(default_factory=list)

    @property
    def head_name(self) -> str:
        name = self.household.head_name
        return name if self.show_personal else mask_name(name)

    @property
    def non_residential(self) -> bool:
        return self.household.kind == HouseholdKind.NON_RESIDENTIAL

    @property
    def status(self) -> str:
        return self.valuation.status if self.valuation is not None else ""

    @property
    def status_label(self) -> str:
        if self.valuation is None:
            return _("Not entered yet")
        return self.valuation.get_status_display()

    @property
    def issued(self) -> bool:
        return self.valuation is not None and self.valuation.status == ValuationStatus.ISSUED

    @property
    def reopened(self) -> bool:
        return self.valuation is not None and self.valuation.reopened_by_id is not None

    @property
    def editable(self) -> bool:
        """The figures may change: not issued, or reopened by an objection, or the survey data
        they rest on changed (services._editable)."""
        return not self.issued or self.reopened or self.is_stale

    @property
    def can_save(self) -> bool:
        return self.may_enter and self.editable

    @property
    def can_confirm(self) -> bool:
        return self.can_save and self.valuation is not None

    @property
    def reissue_due(self) -> bool:
        """The figures changed since the report was issued (after an objection, or because the
        survey changed): the report is to be issued again."""
        v = self.valuation
        return v is not None and self.issued and v.version > v.report_version

    @property
    def can_issue(self) -> bool:
        v = self.valuation
        return (
            self.may_enter
            and v is not None
            and not self.reopened
            and (v.status == ValuationStatus.CONFIRMED or self.reissue_due)
        )

    @property
    def has_report(self) -> bool:
        return self.valuation is not None and bool(self.valuation.report_file)

    @property
    def can_record_delivery(self) -> bool:
        """Recorded once per issued report: the objection periods run from that day."""
        return (
            self.may_review
            and self.issued
            and self.valuation is not None
            and self.valuation.delivered_on is None
        )

    @property
    def can_apply(self) -> bool:
        return self.may_review and self.issued and any(w.open for w in self.windows)

    @property
    def total_area(self) -> Decimal:
        return sum((r.building.measured_area for r in self.buildings), Decimal("0.00"))

    def objection_actions(self, row: ObjectionRow) -> dict[str, bool]:
        """What this user may do to one objection, given its kind and state."""
        o = row.objection
        valuation = self.valuation
        reopened_by_it = valuation is not None and valuation.reopened_by_id == o.pk
        review = o.kind == ObjectionKind.REVIEW
        return {
            # The firm opens the figures while it answers a re-assessment, or after the experts
            # found them wrong; the revision of an appraisal is then closed on its own.
            "reopen": self.may_enter
            and not reopened_by_it
            and (
                (review and row.pending) or (not review and row.revised and o.total_after is None)
            ),
            "review_answer": self.may_enter and review and row.pending,
            "appraisal_answer": self.may_review and not review and row.pending,
            "revision_done": self.may_enter and not review and reopened_by_it,
            "delivered": self.may_review
            and o.status == ObjectionStatus.ANSWERED
            and o.delivered_on is None,
        }


def valuation_of(household: Household) -> Valuation | None:
    return (
        Valuation.objects.select_related(
            "firm", "publication", "prepared_by", "confirmed_by", "issued_by", "reopened_by"
        )
        .filter(household_id=household.pk)
        .first()
    )


def building_rows(household: Household, labels: dict[str, dict[str, str]]) -> list[BuildingRow]:
    """The household's buildings with their confirmation and valuation line: one query."""
    structures, uses = labels.get(STRUCTURE_KIND, {}), labels.get(USE_KIND, {})
    return [
        BuildingRow(
            building=b,
            structure=structures.get(b.structure_type, b.structure_type),
            use=uses.get(b.use, b.use),
            confirmation=getattr(b, "confirmation", None),
            line=getattr(b, "valuation", None),
        )
        for b in Building.objects.filter(household_id=household.pk)
        .select_related("confirmation", "valuation")
        .order_by("number", "pk")
    ]


def ancillary_rows(household: Household, labels: dict[str, dict[str, str]]) -> list[AncillaryRow]:
    kinds = labels.get(ANCILLARY_KIND, {})
    return [
        AncillaryRow(
            ancillary=a, kind=kinds.get(a.kind, a.kind), line=getattr(a, "valuation", None)
        )
        for a in Ancillary.objects.filter(household_id=household.pk)
        .select_related("valuation")
        .order_by("pk")
    ]


def decorations_of(valuation: Valuation | None) -> list[DecorationItem]:
    if valuation is None:
        return []
    return list(valuation.decorations.select_related("building").order_by("id"))


def objections_of(valuation: Valuation | None) -> list[Objection]:
    if valuation is None:
        return []
    return list(valuation.objections.select_related("recorded_by", "answered_by").order_by("id"))


def _text(value: Any, choices: dict[str, str] | None = None) -> str:
    if value is None or value == "":
        return "—"
    if choices and str(value) in choices:
        return choices[str(value)]
    return str(value)


def _pair(value: Any) -> tuple[Any, Any]:
    """[old, new] as recorded by announce_change; anything else is taken as the new value."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    return None, value


def stale_changes(
    marks: list[StaleMark],
    buildings: list[BuildingRow],
    ancillaries: list[AncillaryRow],
    labels: dict[str, dict[str, str]],
) -> list[StaleChange]:
    """Each change behind the stale marks, by what changed: "Building 2 · measured area:
    96.00 → 100.00". Building numbers come from the rows already read: no query."""
    by_building = {str(r.building.pk): r.building for r in buildings}
    by_confirmation = {str(r.confirmation.pk): r.building for r in buildings if r.confirmation}
    by_ancillary = {str(r.ancillary.pk): r for r in ancillaries}
    dictionaries = {"structure_type": labels.get(STRUCTURE_KIND), "use": labels.get(USE_KIND)}
    out: list[StaleChange] = []
    for mark in marks:
        source = mark.source
        if source == "survey.building":
            b = by_building.get(mark.source_id)
            what = _("Building %(number)s") % {"number": b.number if b else "?"}
        elif source == "ownership.buildingconfirmation":
            b = by_confirmation.get(mark.source_id)
            what = _("Confirmation of building %(number)s") % {"number": b.number if b else "?"}
        elif source == "survey.ancillary":
            a = by_ancillary.get(mark.source_id)
            what = _("Ancillary %(name)s") % {
                "name": (a.ancillary.description or a.kind) if a else "?"
            }
        elif source == "survey.household":
            what = _("Household")
        else:
            what = source
        model = _SOURCE_MODELS.get(source)
        for name, pair in sorted((mark.changes or {}).items()):
            old, new = _pair(pair)
            label = name
            choices = dictionaries.get(name)
            if name == "deleted":
                label = _("removed")
            elif name == "created":
                label = _("added")
            elif model is not None:
                try:
                    model_field = model._meta.get_field(name)
                except Exception:
                    model_field = None
                if model_field is not None:
                    label = str(getattr(model_field, "verbose_name", name))
                    if choices is None and getattr(model_field, "choices", None):
                        choices = {str(k): str(v) for k, v in model_field.flatchoices}
            out.append(
                StaleChange(
                    marked_at=mark.created_at,
                    source=what,
                    field=label,
                    old=_text(old, choices),
                    new=_text(new, choices),
                )
            )
    return out


def _windows(valuation: Valuation | None, objections: list[Objection]) -> list[ApplyWindow]:
    """For each kind not yet applied for: when its period runs, or why it has not started."""
    if valuation is None or valuation.status != ValuationStatus.ISSUED:
        return []
    applied = {o.kind for o in objections}
    calendar: HolidayCalendar | None = None
    out = []
    for kind in ObjectionKind:
        if kind in applied:
            continue
        starts, why = services.objection_window(valuation, kind)
        last_day = None
        if starts is not None:
            try:
                calendar = calendar or office_calendar()
                last_day = rules.apply_deadline(starts, calendar)
            except UnknownCalendarYear as exc:
                why = exc.message
        out.append(ApplyWindow(kind=kind, starts=starts, last_day=last_day, why_not=why))
    return out


def household_page(user: Any, household: Household) -> HouseholdValuation:
    """Everything the valuation page shows; the household is already scoped to the user
    (get_household_for_user). A fixed number of queries whatever the number of buildings."""
    labels = dictionary_labels(STRUCTURE_KIND, USE_KIND, ANCILLARY_KIND)
    valuation = valuation_of(household)
    buildings = building_rows(household, labels)
    ancillaries = ancillary_rows(household, labels)
    objections = objections_of(valuation)
    marks = services.stale_marks(valuation) if valuation is not None else []
    today = timezone.localdate()
    return HouseholdValuation(
        household=household,
        valuation=valuation,
        firm=valuation.firm
        if valuation is not None
        else services.chosen_firm(household.project_id),
        buildings=buildings,
        ancillaries=ancillaries,
        decorations=decorations_of(valuation),
        objections=[ObjectionRow(objection=o, today=today) for o in objections],
        stale=stale_changes(marks, buildings, ancillaries, labels),
        is_stale=bool(marks),
        decision_date=services.decision_date(household.project_id),
        show_personal=shows_personal_data(user, household),
        may_enter=may_enter(user, household),
        may_review=_may(user, household, Module.VALUATION, Action.REVIEW),
        windows=_windows(valuation, objections),
    )


def get_objection(household: Household, pk: Any) -> Objection:
    """An objection of this household's valuation, else 404."""
    try:
        return Objection.objects.select_related("valuation__household__project").get(
            pk=int(pk), valuation__household_id=household.pk
        )
    except (Objection.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("valuation.objection", pk) from None


# --- the card on the survey household page -----------------------------------------------


def household_section(user: Any, household: Household) -> dict[str, Any]:
    """The valuation card of the household page: status, firm, report, totals, stale flag,
    objections. Two queries whatever the household holds.

    Include it as {% include "valuation/_household_section.html" with section=... %}; a user
    without valuation/view of the household gets {"visible": False} and nothing is shown.
    """
    if not _may(user, household, Module.VALUATION, Action.VIEW) or (
        is_external(user) and household.project_id not in assigned_project_ids(user)
    ):
        return {"visible": False, "household": household}
    stale = StaleMark.objects.filter(
        target_type=STALE_TARGET, target_id=OuterRef("pk"), resolved_at__isnull=True
    )
    valuation = (
        Valuation.objects.filter(household_id=household.pk)
        .select_related("firm")
        .annotate(is_stale=Exists(stale))
        .prefetch_related(Prefetch("objections", queryset=Objection.objects.order_by("id")))
        .first()
    )
    today = timezone.localdate()
    objections = (
        [ObjectionRow(objection=o, today=today) for o in valuation.objections.all()]
        if valuation is not None
        else []
    )
    return {
        "visible": True,
        "household": household,
        "valuation": valuation,
        "firm": valuation.firm
        if valuation is not None
        else services.chosen_firm(household.project_id),
        "status_label": valuation.get_status_display() if valuation is not None else "",
        "stale": bool(valuation is not None and valuation.is_stale),
        "objections": objections,
        "pending_objections": sum(1 for r in objections if r.pending),
        "non_residential": household.kind == HouseholdKind.NON_RESIDENTIAL,
    }
