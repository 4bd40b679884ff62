"""Reads of the agreements pages, scoped to the user.

A household, and so its agreements, is reached as in the survey: the user's role in its project
(and work group) must allow agreements/view, else 404. What a user may do to an agreement is
worked out by the rules the services apply, so that a form is shown only to whom it would not
be refused. Personal data (the head's name, the signatory's ID number) is masked unless the
user holds agreements/view_personal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import OutOfScope, has_perm
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.agreements import batch as batches
from zhengqian.agreements import placeholders, services
from zhengqian.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    AgreementTemplate,
    DraftBatch,
    HouseholdSignatory,
    OfficeCapacity,
    OfficeSignature,
)
from zhengqian.compensation import services as compensation
from zhengqian.compensation.models import Calculation, CalculationLine, CalculationStatus
from zhengqian.core.masking import mask_id_number, mask_name
from zhengqian.projects import selectors as project_selectors
from zhengqian.projects.models import Project
from zhengqian.survey import selectors as survey_selectors
from zhengqian.survey.models import Household

SIGNED = [AgreementStatus.PENDING, AgreementStatus.EFFECTIVE, AgreementStatus.LAPSED]
IN_FORCE = (AgreementStatus.PENDING, AgreementStatus.EFFECTIVE)
RUNNING = ("queued", "running")
PAGE_SIZE = 50


# --- scope -------------------------------------------------------------------------------


def get_project_for_user(user: Any, pk: Any) -> Project:
    """A project where the user may view agreements, else 404."""
    return project_selectors.get_project_for_user(
        user, pk, module=Module.AGREEMENTS, action=Action.VIEW
    )


def get_household_for_user(user: Any, pk: Any) -> Household:
    return survey_selectors.get_household_for_user(
        user, pk, module=Module.AGREEMENTS, action=Action.VIEW
    )


def get_agreement_for_user(user: Any, pk: Any) -> Agreement:
    """An agreement of a household the user reaches in the agreements module, else 404."""
    try:
        agreement = Agreement.objects.select_related(
            "calculation__policy", "template", "parent", "drafted_by", "recorded_by"
        ).get(pk=int(pk))
    except (Agreement.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("agreements.agreement", pk) from None
    agreement.household = get_household_for_user(user, agreement.household_id)
    agreement.project = agreement.household.project
    agreement.calculation.household = agreement.household
    return agreement


def get_calculation_for_user(user: Any, pk: Any) -> Calculation:
    """A calculation of a household the user reaches in the agreements module, else 404."""
    try:
        calculation = Calculation.objects.get(pk=int(pk))
    except (Calculation.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("compensation.calculation", pk) from None
    calculation.household = get_household_for_user(user, calculation.household_id)
    return calculation


def get_template_for_user(user: Any, pk: Any) -> AgreementTemplate:
    """A template of a project where the user may manage templates (else 404: templates are
    the project manager's)."""
    try:
        template = AgreementTemplate.objects.select_related("project").get(pk=int(pk))
    except (AgreementTemplate.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("agreements.agreementtemplate", pk) from None
    get_project_for_user(user, template.project_id)
    return template


def get_batch_for_user(user: Any, pk: Any) -> DraftBatch:
    try:
        found = DraftBatch.objects.select_related("project", "created_by").get(pk=int(pk))
    except (DraftBatch.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("agreements.draftbatch", pk) from None
    get_project_for_user(user, found.project_id)
    return found


def may(user: Any, household: Household, action: Action) -> bool:
    return has_perm(
        user,
        Module.AGREEMENTS,
        action,
        project=household.project_id,
        work_group=household.work_group_id,
    )


def may_in_project(user: Any, project: Project | int, action: Action) -> bool:
    return has_perm(user, Module.AGREEMENTS, action, project=project)


# --- the entry page ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    rate: services.Rate
    counts: dict[str, int]

    @property
    def signed(self) -> int:
        return self.rate.signed


def project_rows(user: Any) -> list[ProjectRow]:
    """The user's projects with their agreement counts and signing rate: three grouped
    queries for the whole page, whatever the number of projects and households."""
    projects = list(
        project_selectors.projects_for_user(
            user, module=Module.AGREEMENTS, action=Action.VIEW
        ).order_by("code")
    )
    ids = [p.pk for p in projects]
    households = dict(
        Household.objects.filter(project_id__in=ids)
        .values_list("project_id")
        .annotate(n=Count("id"))
        .values_list("project_id", "n")
    )
    counts = {
        row["project_id"]: row
        for row in Agreement.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(
            signed=Count("id", filter=Q(parent__isnull=True, status__in=SIGNED)),
            **{s.value: Count("id", filter=Q(status=s)) for s in AgreementStatus},
        )
    }
    from zhengqian.compensation.models import Policy, PolicyStatus

    # The latest published version of each project's policy carries the condition.
    conditions: dict[int, tuple[int, Decimal, dt.date | None]] = {}
    for project_id, version, threshold, end in Policy.objects.filter(
        project_id__in=ids, status=PolicyStatus.PUBLISHED
    ).values_list("project_id", "version", "effect_threshold", "signing_period_end"):
        if project_id not in conditions or version > conditions[project_id][0]:
            conditions[project_id] = (version, threshold, end)
    rows = []
    for p in projects:
        c = counts.get(p.pk, {})
        _version, threshold, end = conditions.get(p.pk, (0, Decimal("0.00"), None))
        rows.append(
            ProjectRow(
                project=p,
                rate=services.Rate(
                    signed=c.get("signed", 0),
                    households=households.get(p.pk, 0),
                    threshold=threshold,
                    period_end=end,
                ),
                counts={s.value: c.get(s.value, 0) for s in AgreementStatus},
            )
        )
    return rows


# --- the project page --------------------------------------------------------------------


@dataclass(frozen=True)
class RateBox:
    rate: services.Rate
    pending: int
    lapsed: int
    today: dt.date

    @property
    def period_over(self) -> bool:
        return self.rate.period_over(self.today)


def rate_box(project: Project) -> RateBox:
    counts = Agreement.objects.filter(project=project, parent__isnull=True).aggregate(
        pending=Count("id", filter=Q(status=AgreementStatus.PENDING)),
        lapsed=Count("id", filter=Q(status=AgreementStatus.LAPSED)),
    )
    return RateBox(
        rate=services.signing_rate(project.pk),
        pending=counts["pending"],
        lapsed=counts["lapsed"],
        today=timezone.localdate(),
    )


def agreements_for_user(
    user: Any, project: Project, *, status: str = "", search: str = ""
) -> QuerySet[Agreement]:
    """The project's agreements of households the user reaches, newest number first."""
    households = survey_selectors.households_for_user(
        user, project, module=Module.AGREEMENTS, action=Action.VIEW
    )
    qs = Agreement.objects.filter(project=project, household__in=households).select_related(
        "household"
    )
    if status in AgreementStatus.values:
        qs = qs.filter(status=status)
    search = search.strip()
    if search:
        qs = qs.filter(Q(household__code__icontains=search) | Q(number__icontains=search))
    return qs.order_by("-sequence")


def list_rows(user: Any, project: Project, agreements: list[Agreement]) -> list[dict[str, Any]]:
    """The list's rows with the head's name masked unless the user may see it."""
    personal = may_in_project(user, project, Action.VIEW_PERSONAL)
    return [
        {
            "agreement": a,
            "head": a.household.head_name if personal else mask_name(a.household.head_name),
        }
        for a in agreements
    ]


def latest_batch(project: Project) -> DraftBatch | None:
    return (
        DraftBatch.objects.filter(project=project)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
        .first()
    )


def batch_context(found: DraftBatch | None) -> dict[str, Any]:
    if found is None:
        return {"batch": None, "running": False}
    return {
        "batch": found,
        "running": found.status in RUNNING,
        "percent": round(100 * found.done / found.total) if found.total else 100,
        "skipped": sorted(found.skipped.items()),
    }


def waiting_count(user: Any, project: Project) -> int:
    return batches.waiting(user, project).count()


# --- the templates page ------------------------------------------------------------------


@dataclass(frozen=True)
class KindTemplates:
    kind: str
    label: str
    active: AgreementTemplate | None
    versions: Sequence[AgreementTemplate]


def templates_by_kind(project: Project) -> list[KindTemplates]:
    """Every kind with its active template and its versions, each with the number of signed
    agreements that use it (such a version is kept unchanged)."""
    versions = list(
        AgreementTemplate.objects.filter(project=project)
        .select_related("uploaded_by")
        .annotate(signed=Count("agreements", filter=Q(agreements__status__in=SIGNED)))
        .order_by("kind", "-version")
    )
    result = []
    for kind in AgreementKind:
        mine = [t for t in versions if t.kind == kind.value]
        result.append(
            KindTemplates(
                kind=kind.value,
                label=str(kind.label),
                active=next((t for t in mine if t.active), None),
                versions=mine,
            )
        )
    return result


def number_example(project: Project, pattern: str) -> str:
    """The number the next agreement would get with this pattern."""
    series = services.series(project)
    return services.format_number(
        pattern, project_code=project.code, year=timezone.localdate().year, seq=series.next_number
    )


def placeholder_listing(project: Project) -> list[tuple[str, str]]:
    return list(placeholders.listing(services.project_catalogue(project)))


# --- the agreement page ------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeRow:
    signature: OfficeSignature

    @property
    def name(self) -> str:
        user = self.signature.user
        return str(getattr(user, "display_name", "") or user.username)


@dataclass
class Actions:
    sign: bool = False
    void_request: bool = False
    void_decide: bool = False
    supplement: Calculation | None = None


def newest_approved(household: Household) -> Calculation | None:
    return (
        Calculation.objects.filter(household_id=household.pk, status=CalculationStatus.APPROVED)
        .order_by("-number")
        .first()
    )


def actions_for(user: Any, agreement: Agreement) -> Actions:
    """What the services would let this user do to the agreement."""
    household = agreement.household
    status = AgreementStatus(agreement.status)
    requested = agreement.void_requested_at is not None
    actions = Actions()
    if status == AgreementStatus.DRAFT and not requested:
        actions.sign = may(user, household, Action.CHANGE)
    if status != AgreementStatus.VOID and not requested:
        actions.void_request = may(user, household, Action.CHANGE)
    if status != AgreementStatus.VOID and requested:
        actions.void_decide = (
            may_in_project(user, agreement.project_id, Action.APPROVE)
            and agreement.void_requested_by_id != user.pk
        )
    if agreement.is_main and status in IN_FORCE and may(user, household, Action.CREATE):
        newest = newest_approved(household)
        if newest is not None and newest.number > agreement.calculation.number:
            actions.supplement = newest
    return actions


def status_explanation(agreement: Agreement, rate: services.Rate) -> str:
    """Why a signed agreement is not (or no longer) in force."""
    if agreement.status == AgreementStatus.PENDING:
        if rate.period_end is not None:
            return _(
                "Signed, not yet effective: takes effect when the project's signing rate reaches "
                "%(threshold)s %% by %(day)s (now %(percent)s %%)."
            ) % {
                "threshold": rate.threshold,
                "day": rate.period_end.isoformat(),
                "percent": rate.percent,
            }
        return _(
            "Signed, not yet effective: takes effect when the project's signing rate reaches "
            "%(threshold)s %% (now %(percent)s %%)."
        ) % {"threshold": rate.threshold, "percent": rate.percent}
    if agreement.status == AgreementStatus.LAPSED:
        return _(
            "Lapsed on %(day)s: the signing period ended at %(percent)s %% below the required "
            "%(threshold)s %%."
        ) % {
            "day": agreement.lapsed_on.isoformat() if agreement.lapsed_on else "—",
            "percent": rate.percent,
            "threshold": rate.threshold,
        }
    return ""


@dataclass
class Detail:
    agreement: Agreement
    show_personal: bool
    head_name: str
    lines: list[CalculationLine]
    signatory: HouseholdSignatory | None
    signatory_id: str
    office: list[OfficeRow]
    supplements: list[Agreement]
    rate: services.Rate
    explanation: str
    actions: Actions


def detail(user: Any, agreement: Agreement) -> Detail:
    household = agreement.household
    show_personal = may(user, household, Action.VIEW_PERSONAL)
    signatory = agreement.signatories.first()
    rate = services.signing_rate(agreement.project_id)
    signatory_id = ""
    if signatory is not None:
        signatory_id = signatory.id_number if show_personal else mask_id_number(signatory.id_number)
    return Detail(
        agreement=agreement,
        show_personal=show_personal,
        head_name=household.head_name if show_personal else mask_name(household.head_name),
        lines=list(agreement.calculation.lines.order_by("position")),
        signatory=signatory,
        signatory_id=signatory_id,
        office=[
            OfficeRow(s)
            for s in sorted(
                agreement.office_signatures.select_related("user"),
                key=lambda s: OfficeCapacity.values.index(s.capacity),
            )
        ],
        supplements=list(agreement.supplements.order_by("sequence")),
        rate=rate,
        explanation=status_explanation(agreement, rate),
        actions=actions_for(user, agreement),
    )


# --- who may sign for the office ---------------------------------------------------------


def _role_holders(role: RoleCode, household: Any) -> QuerySet[Any]:
    """Users holding the role for this household: in its project (or all projects) and, for
    a membership limited to work groups, in the household's (as holds_role checks)."""
    from zhengqian.accounts.models import Membership

    memberships = Membership.objects.filter(role=role).filter(
        Q(project_id=household.project_id) | Q(project__isnull=True)
    )
    scoped = memberships.filter(
        Q(work_groups__isnull=True) | Q(work_groups=household.work_group_id)
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=scoped.values("user_id"))
        .order_by("username")
    )


def eligible_signers(agreement: Agreement) -> dict[str, QuerySet[Any]]:
    """Per office capacity, the users the service would accept there."""
    household = agreement.household
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    group = household.work_group
    leader_id = group.leader_id if group is not None else None
    return {
        "group_leader": users.filter(pk=leader_id) if leader_id else users.none(),
        "cadre": _role_holders(RoleCode.COMMUNITY_CADRE, household),
        "handler": _role_holders(RoleCode.SIGNING_OFFICER, household),
        "reviewer": users.filter(pk__in=services.approvers(agreement.calculation)),
    }


# --- the section of the household page ---------------------------------------------------


def household_section(user: Any, household: Household) -> dict[str, Any] | None:
    """The agreements card of the household page, or None for a user without agreements/view
    of the household."""
    if not may(user, household, Action.VIEW):
        return None
    agreements = list(Agreement.objects.filter(household_id=household.pk).order_by("sequence"))
    draftable: Calculation | None = None
    parent: Agreement | None = None
    stale = False
    if may(user, household, Action.CREATE):
        latest = newest_approved(household)
        live = next((a for a in agreements if a.is_main and a.status != AgreementStatus.VOID), None)
        used = {a.calculation_id for a in agreements if a.status != AgreementStatus.VOID}
        if latest is not None and latest.pk not in used:
            if live is None:
                draftable = latest
            elif live.status in IN_FORCE and latest.number > live.calculation.number:
                draftable, parent = latest, live
            stale = draftable is not None and compensation.is_stale(draftable)
    return {
        "household": household,
        "agreements": agreements,
        "draftable": draftable,
        "parent": parent,
        "stale": stale,
    }
