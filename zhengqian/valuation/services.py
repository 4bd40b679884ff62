"""Writes of the valuation module: the firm register, the choice of a project's firm, valuations,
their publication and reports, and objections.

Every write: the permission first, one transaction, an audit event. Who may do what:
- the register of firms and the choice of a project's firm: the project manager (projects/change);
- valuation figures: the valuers of the project's chosen firm, and nobody else (valuation/change
  and the firm check in `require_valuer`);
- publication of preliminary results: the project manager (valuation/approve);
- objections: the office records the household's application and the experts' answer
  (valuation/review); the firm answers a re-assessment (valuation/change).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.models import Membership, User
from zhengqian.accounts.permissions import AccessDenied, forget, require, require_anywhere
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.audit.services import record, snapshot
from zhengqian.core import draws
from zhengqian.core.calendar import office_calendar
from zhengqian.core.masking import mask_name
from zhengqian.core.models import Draw, StaleMark
from zhengqian.core.staleness import announce_change
from zhengqian.core.updates import apply_changes, lock
from zhengqian.core.workdays import UnknownCalendarYear
from zhengqian.projects.models import Milestone, Project
from zhengqian.survey import attachments
from zhengqian.survey.models import Ancillary, Building, Household, HouseholdKind
from zhengqian.survey.permissions import require_household
from zhengqian.valuation import rules
from zhengqian.valuation.models import (
    AncillaryValuation,
    AppraisalFirm,
    BuildingValuation,
    DecorationItem,
    FirmSelection,
    FirmVote,
    Objection,
    ObjectionKind,
    ObjectionOutcome,
    ObjectionStatus,
    Publication,
    SelectionCandidate,
    SelectionMethod,
    SelectionStatus,
    Valuation,
    ValuationStatus,
    Valuer,
)
from zhengqian.valuation.receivers import STALE_TARGET

FIRM_FIELDS = (
    "name",
    "grade",
    "certificate_no",
    "valid_until",
    "contact_person",
    "contact_phone",
    "address",
    "notes",
)
HEADER_FIELDS = ("report_no", "valuation_date", "business_loss", "business_loss_basis")
MONEY_MAX = Decimal("999999999999.99")
PRICE_MAX = Decimal("9999999999.99")
AREA_MAX = Decimal("99999999.99")
DOCUMENT_TYPES = (attachments.PDF, attachments.JPEG, attachments.PNG)
DECISION_MILESTONE = "decision_announced"
PUBLICATION_DAYS = 10


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _document(upload: UploadedFile | None, field: str) -> UploadedFile | None:
    """A PDF, JPEG or PNG by its content, within the upload limit; the error at `field`."""
    if upload is None:
        return None
    try:
        file_type = attachments.check_upload(upload)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_dict["file"]}) from None
    if file_type not in DOCUMENT_TYPES:
        raise _invalid(field, _("Only PDF, JPEG and PNG files are accepted here."), "type")
    return upload


def _today() -> dt.date:
    return timezone.localdate()


# --- the register of firms ------------------------------------------------------------------


@transaction.atomic
def firm_create(*, actor: Any, **fields: Any) -> AppraisalFirm:
    require_anywhere(actor, Module.PROJECTS, Action.CHANGE)
    firm = AppraisalFirm(**fields)
    firm.full_clean()
    firm.save()
    record(
        actor=actor,
        event_type="valuation.firm.create",
        target=firm,
        changes={f: [None, v] for f, v in snapshot(firm, FIRM_FIELDS).items() if v},
    )
    return firm


@transaction.atomic
def firm_update(*, actor: Any, firm: AppraisalFirm, **fields: Any) -> AppraisalFirm:
    require_anywhere(actor, Module.PROJECTS, Action.CHANGE)
    firm = lock(firm)
    changes = apply_changes(firm, fields, allowed=FIRM_FIELDS)
    if changes:
        record(actor=actor, event_type="valuation.firm.update", target=firm, changes=changes)
    return firm


@transaction.atomic
def valuer_add(*, actor: Any, firm: AppraisalFirm, user: User, registration_no: str = "") -> Valuer:
    """Link a user account to the firm as one of its valuers. Office staff cannot be valuers:
    a user with any role other than valuer is refused, and so is one of another firm."""
    require_anywhere(actor, Module.PROJECTS, Action.CHANGE)
    if not user.is_active:
        raise _invalid("user", _("This account is disabled."), "inactive")
    existing = Valuer.objects.filter(user=user).select_related("firm").first()
    if existing is not None:
        raise _invalid(
            "user",
            _("%(user)s is already a valuer of %(firm)s.")
            % {"user": user.full_name or user.username, "firm": existing.firm.name},
            "taken",
        )
    other_roles = (
        Membership.objects.filter(user=user).exclude(role=RoleCode.VALUER).values_list("role")
    )
    if other_roles.exists():
        raise _invalid(
            "user",
            _("%(user)s holds office roles and cannot work for an appraisal firm.")
            % {"user": user.full_name or user.username},
            "office_staff",
        )
    valuer = Valuer(user=user, firm=firm, registration_no=registration_no.strip())
    valuer.full_clean()
    valuer.save()
    record(
        actor=actor,
        event_type="valuation.valuer.add",
        target=valuer,
        changes={"firm": [None, firm.pk], "user": [None, user.pk]},
    )
    # Where the firm is already chosen, the new valuer works on those projects too.
    for project_id in FirmSelection.objects.filter(
        firm=firm, status=SelectionStatus.DECIDED
    ).values_list("project_id", flat=True):
        _assign(actor, [valuer], project_id)
    return valuer


def _assign(actor: Any, valuers: Iterable[Valuer], project_id: int) -> None:
    """Give the chosen firm's valuers the valuer role in the project (their only way in)."""
    for valuer in valuers:
        _membership, created = Membership.objects.get_or_create(
            user=valuer.user, project_id=project_id, role=RoleCode.VALUER
        )
        if created:
            record(
                actor=actor,
                event_type="membership.grant",
                target=valuer.user,
                project=project_id,
                changes={"role": [None, RoleCode.VALUER.value], "project": [None, project_id]},
                details={"reason": "valuation.firm_chosen", "firm": valuer.firm_id},
            )
            forget(valuer.user)


# --- choosing the project's firm ------------------------------------------------------------


def chosen_firm(project: Project | int) -> AppraisalFirm | None:
    project_id = project if isinstance(project, int) else project.pk
    selection = (
        FirmSelection.objects.filter(project_id=project_id, status=SelectionStatus.DECIDED)
        .select_related("firm")
        .first()
    )
    return selection.firm if selection is not None else None


def _require_no_choice(project: Project) -> None:
    if FirmSelection.objects.filter(project=project, status=SelectionStatus.DECIDED).exists():
        raise ValidationError(
            _("The appraisal firm of this project has already been chosen."), code="decided"
        )
    if FirmSelection.objects.filter(project=project, status=SelectionStatus.OPEN).exists():
        raise ValidationError(
            _("A selection is under way: finish or cancel it first."), code="open"
        )


def _require_qualified(firms: Iterable[AppraisalFirm], day: dt.date, field: str) -> None:
    for firm in firms:
        if not firm.qualified_on(day):
            raise _invalid(
                field,
                _("The qualification of %(firm)s expired on %(date)s: it cannot be chosen.")
                % {"firm": firm.name, "date": firm.valid_until.isoformat()},
                "expired",
            )


def _decide(actor: Any, selection: FirmSelection, firm: AppraisalFirm, decided_on: dt.date) -> None:
    selection.status = SelectionStatus.DECIDED
    selection.firm = firm
    selection.decided_on = decided_on
    selection.decided_by = actor
    selection.save()
    _assign(actor, firm.valuers.select_related("user"), selection.project_id)


def _candidates(selection: FirmSelection, firms: Sequence[AppraisalFirm]) -> None:
    SelectionCandidate.objects.bulk_create(
        [SelectionCandidate(selection=selection, firm=f, position=i) for i, f in enumerate(firms)]
    )


def _require_candidates(firms: Sequence[AppraisalFirm], day: dt.date) -> None:
    if len(firms) < 2:
        raise _invalid("firms", _("Choose at least two candidate firms."), "too_few")
    if len({f.pk for f in firms}) != len(firms):
        raise _invalid("firms", _("A firm is listed twice."), "duplicate")
    _require_qualified(firms, day, "firms")


@transaction.atomic
def selection_negotiate(
    *,
    actor: Any,
    project: Project,
    firm: AppraisalFirm,
    decided_on: dt.date,
    record_text: str,
    document: UploadedFile | None = None,
    reports_due_on: dt.date | None = None,
) -> FirmSelection:
    """The owners agreed on a firm (协商选定): the firm and the record of the agreement."""
    require(actor, Module.PROJECTS, Action.CHANGE, project=project)
    lock(project)
    _require_no_choice(project)
    _require_qualified([firm], decided_on, "firm")
    if not record_text.strip():
        raise _invalid("record_text", _("Enter the record of the agreement."), "required")
    selection = FirmSelection(
        project=project,
        method=SelectionMethod.NEGOTIATION,
        record=record_text.strip(),
        reports_due_on=reports_due_on,
        created_by=actor,
    )
    if _document(document, "document") is not None:
        selection.document = document
    _decide(actor, selection, firm, decided_on)
    record(
        actor=actor,
        event_type="valuation.selection.negotiated",
        target=selection,
        project=project,
        changes={"firm": [None, firm.pk], "decided_on": [None, decided_on.isoformat()]},
    )
    return selection


@transaction.atomic
def selection_vote_open(
    *,
    actor: Any,
    project: Project,
    firms: Sequence[AppraisalFirm],
    reports_due_on: dt.date | None = None,
) -> FirmSelection:
    require(actor, Module.PROJECTS, Action.CHANGE, project=project)
    lock(project)
    _require_no_choice(project)
    _require_candidates(firms, _today())
    selection = FirmSelection.objects.create(
        project=project,
        method=SelectionMethod.VOTE,
        reports_due_on=reports_due_on,
        created_by=actor,
    )
    _candidates(selection, firms)
    record(
        actor=actor,
        event_type="valuation.selection.vote_opened",
        target=selection,
        project=project,
        changes={"candidates": [None, [f.pk for f in firms]]},
    )
    return selection


def _require_open(selection: FirmSelection, method: SelectionMethod) -> FirmSelection:
    selection = lock(selection)
    if selection.method != method or selection.status != SelectionStatus.OPEN:
        raise ValidationError(_("This selection is not under way."), code="not_open")
    return selection


def _codes(text: str) -> list[str]:
    return [c for c in (part.strip() for part in text.replace(",", "\n").split()) if c]


@transaction.atomic
def selection_vote_record(
    *, actor: Any, selection: FirmSelection, ballots: Mapping[int, str]
) -> int:
    """Record households' votes: for each candidate firm (by id), the codes of the households
    that voted for it, separated by spaces, commas or lines. All or nothing: an unknown code, a
    household listed twice or one that has already voted is refused with its code."""
    require(actor, Module.PROJECTS, Action.CHANGE, project=selection.project_id)
    selection = _require_open(selection, SelectionMethod.VOTE)
    candidates = set(selection.candidates.values_list("firm_id", flat=True))
    wanted: dict[str, int] = {}
    for firm_id, text in ballots.items():
        if firm_id not in candidates:
            raise _invalid("ballots", _("This firm is not a candidate."), "not_candidate")
        for code in _codes(text):
            if code in wanted:
                raise _invalid(
                    f"firm_{firm_id}",
                    _("Household %(code)s is listed twice.") % {"code": code},
                    "twice",
                )
            wanted[code] = firm_id
    if not wanted:
        raise _invalid("ballots", _("Enter the codes of the households that voted."), "empty")
    households = dict(
        Household.objects.filter(
            project_id=selection.project_id, code__in=list(wanted)
        ).values_list("code", "pk")
    )
    for code, firm_id in wanted.items():
        if code not in households:
            raise _invalid(
                f"firm_{firm_id}",
                _("There is no household %(code)s in this project.") % {"code": code},
                "unknown",
            )
    voted = set(
        FirmVote.objects.filter(
            selection=selection, household_id__in=list(households.values())
        ).values_list("household__code", flat=True)
    )
    if voted:
        code = sorted(voted)[0]
        raise _invalid(
            f"firm_{wanted[code]}",
            _("Household %(code)s has already voted.") % {"code": code},
            "voted",
        )
    FirmVote.objects.bulk_create(
        [
            FirmVote(selection=selection, household_id=households[code], firm_id=firm_id)
            for code, firm_id in wanted.items()
        ]
    )
    record(
        actor=actor,
        event_type="valuation.selection.votes",
        target=selection,
        project=selection.project_id,
        details={"votes": dict(sorted(wanted.items()))},
    )
    return len(wanted)


def vote_counts(selection: FirmSelection) -> dict[int, int]:
    counts = dict.fromkeys(selection.candidates.values_list("firm_id", flat=True), 0)
    for row in selection.votes.values("firm_id").annotate(n=Count("id")):
        counts[row["firm_id"]] = row["n"]
    return counts


@transaction.atomic
def selection_vote_close(
    *, actor: Any, selection: FirmSelection, decided_on: dt.date
) -> FirmSelection:
    """Count the votes: valid only with more than half of the households taking part and a
    winner with more than half of the votes cast; otherwise the vote failed, and says why."""
    require(actor, Module.PROJECTS, Action.CHANGE, project=selection.project_id)
    selection = _require_open(selection, SelectionMethod.VOTE)
    total = Household.objects.filter(project_id=selection.project_id).count()
    result = rules.vote_result(total, vote_counts(selection))
    selection.households_total = total
    selection.votes_cast = result.votes_cast
    names = dict(AppraisalFirm.objects.values_list("pk", "name"))
    tally = "; ".join(f"{names[k]} {v}" for k, v in result.counts.items())
    if result.valid and result.winner is not None:
        firm = AppraisalFirm.objects.get(pk=result.winner)
        _require_qualified([firm], decided_on, "decided_on")
        selection.outcome = _(
            "%(cast)d of %(total)d households voted; %(firm)s has %(votes)d of %(cast)d votes "
            "(%(tally)s)."
        ) % {
            "cast": result.votes_cast,
            "total": total,
            "firm": firm.name,
            "votes": result.counts[firm.pk],
            "tally": tally,
        }
        _decide(actor, selection, firm, decided_on)
    else:
        if not result.turnout_ok:
            reason = _(
                "Only %(cast)d of %(total)d households voted: more than half must take part."
            ) % {"cast": result.votes_cast, "total": total}
        else:
            reason = _("No firm has more than half of the %(cast)d votes cast (%(tally)s).") % {
                "cast": result.votes_cast,
                "tally": tally,
            }
        selection.outcome = reason
        selection.status = SelectionStatus.FAILED
        selection.decided_on = decided_on
        selection.decided_by = actor
        selection.save()
    record(
        actor=actor,
        event_type="valuation.selection.vote_closed",
        target=selection,
        project=selection.project_id,
        changes={"status": [SelectionStatus.OPEN.value, selection.status]},
        details={
            "households": total,
            "votes_cast": result.votes_cast,
            "counts": {str(k): v for k, v in result.counts.items()},
            "winner": result.winner if result.valid else None,
        },
    )
    return selection


@transaction.atomic
def selection_draw_prepare(
    *,
    actor: Any,
    project: Project,
    firms: Sequence[AppraisalFirm],
    reports_due_on: dt.date | None = None,
) -> FirmSelection:
    """Commit a random draw: the candidates in their order and the hash of a secret seed are
    published now; the seed is revealed at the draw."""
    require(actor, Module.PROJECTS, Action.CHANGE, project=project)
    lock(project)
    _require_no_choice(project)
    _require_candidates(firms, _today())
    seed = draws.new_seed()
    draw = Draw.objects.create(
        purpose="valuation.firm",
        project=project,
        title=_("Random draw of the appraisal firm of %(project)s") % {"project": project.name},
        candidates=[[f.pk, f.name] for f in firms],
        seed_hash=draws.seed_hash(seed),
        seed=seed,
        committed_by=actor,
        committed_at=timezone.now(),
    )
    selection = FirmSelection.objects.create(
        project=project,
        method=SelectionMethod.DRAW,
        reports_due_on=reports_due_on,
        draw=draw,
        created_by=actor,
    )
    _candidates(selection, firms)
    record(
        actor=actor,
        event_type="valuation.selection.draw_prepared",
        target=selection,
        project=project,
        details={"candidates": draw.candidates, "seed_hash": draw.seed_hash, "draw": draw.pk},
    )
    return selection


@transaction.atomic
def selection_draw_run(
    *,
    actor: Any,
    selection: FirmSelection,
    decided_on: dt.date,
    witness_value: str = "",
    witnesses: str = "",
) -> FirmSelection:
    """Run the committed draw: reveal the seed, order the candidates, the first one wins."""
    require(actor, Module.PROJECTS, Action.CHANGE, project=selection.project_id)
    selection = _require_open(selection, SelectionMethod.DRAW)
    assert selection.draw is not None
    draw = lock(selection.draw)
    firms = {f.pk: f for f in AppraisalFirm.objects.filter(pk__in=[k for k, _l in draw.candidates])}
    _require_qualified(firms.values(), decided_on, "decided_on")
    draw.witness_value = witness_value.strip()[:100]
    draw.witnesses = witnesses.strip()
    draw.order = draws.draw_order(draw.seed, len(draw.candidates), witness=draw.witness_value)
    draw.drawn_by = actor
    draw.drawn_at = timezone.now()
    draw.save()
    winner = firms[int(draw.keys_in_order()[0])]
    selection.outcome = _("Drawn order: %(order)s.") % {"order": ", ".join(draw.labels_in_order())}
    _decide(actor, selection, winner, decided_on)
    record(
        actor=actor,
        event_type="valuation.selection.drawn",
        target=selection,
        project=selection.project_id,
        changes={"firm": [None, winner.pk]},
        details={
            "draw": draw.pk,
            "seed": draw.seed,
            "seed_hash": draw.seed_hash,
            "witness_value": draw.witness_value,
            "order": draw.order,
        },
    )
    return selection


@transaction.atomic
def selection_cancel(*, actor: Any, selection: FirmSelection, reason: str) -> FirmSelection:
    """Give up a vote or draw under way (e.g. a candidate lost its qualification)."""
    require(actor, Module.PROJECTS, Action.CHANGE, project=selection.project_id)
    selection = lock(selection)
    if selection.status != SelectionStatus.OPEN:
        raise ValidationError(_("This selection is not under way."), code="not_open")
    if not reason.strip():
        raise _invalid("reason", _("Give the reason."), "required")
    selection.status = SelectionStatus.FAILED
    selection.outcome = _("Cancelled: %(reason)s") % {"reason": reason.strip()}
    selection.decided_by = actor
    selection.save()
    record(
        actor=actor,
        event_type="valuation.selection.cancelled",
        target=selection,
        project=selection.project_id,
        changes={"status": [SelectionStatus.OPEN.value, SelectionStatus.FAILED.value]},
        details={"reason": reason.strip()},
    )
    return selection


# --- valuations -----------------------------------------------------------------------------


def require_valuer(actor: Any, household: Household) -> AppraisalFirm:
    """Only valuers of the project's chosen firm write valuation figures."""
    require_household(actor, household, Module.VALUATION, Action.CHANGE)
    firm = chosen_firm(household.project_id)
    valuer_firm = Valuer.objects.filter(user_id=actor.pk).values_list("firm_id", flat=True).first()
    if firm is None or valuer_firm != firm.pk:
        raise AccessDenied(
            _("Only valuers of the appraisal firm chosen for this project enter valuations."),
            module=Module.VALUATION.value,
            action=Action.CHANGE.value,
            project_id=household.project_id,
        )
    return firm


def stale_marks(valuation: Valuation) -> list[StaleMark]:
    return list(
        StaleMark.objects.filter(
            target_type=STALE_TARGET, target_id=valuation.pk, resolved_at__isnull=True
        ).order_by("created_at", "id")
    )


def is_stale(valuation: Valuation) -> bool:
    return StaleMark.objects.filter(
        target_type=STALE_TARGET, target_id=valuation.pk, resolved_at__isnull=True
    ).exists()


def decision_date(project_id: int) -> dt.date | None:
    """The date the expropriation decision was announced: the valuation date (价值时点)."""
    return (
        Milestone.objects.filter(project_id=project_id, code=DECISION_MILESTONE)
        .values_list("actual_date", flat=True)
        .first()
    )


def _number(value: Any, field: str, maximum: Decimal, message: str) -> Decimal:
    if value in (None, ""):
        raise _invalid(field, _("This field is required."), "required")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _invalid(field, message, "invalid") from None
    if not number.is_finite():
        raise _invalid(field, message, "invalid")
    if number < 0:
        raise _invalid(field, _("This cannot be negative."), "negative")
    if number > maximum:
        raise _invalid(field, _("This number is too large."), "too_large")
    if number != number.quantize(rules.CENT):
        raise _invalid(field, _("At most two decimals (to the fen)."), "decimals")
    return number.quantize(rules.CENT)


def _money(value: Any, field: str) -> Decimal:
    return _number(value, field, MONEY_MAX, _("Enter an amount in yuan, e.g. 12345.67."))


def _price(value: Any, field: str) -> Decimal:
    return _number(value, field, PRICE_MAX, _("Enter a unit price in yuan, e.g. 12500.00."))


def _area(value: Any, field: str) -> Decimal:
    return _number(value, field, AREA_MAX, _("Enter a number, e.g. 85.50."))


def check_product(
    quantity: Decimal, unit_price: Decimal, value: Decimal, field: str, unit: str = "m²"
) -> None:
    """value must be quantity × unit price to the fen; otherwise the exact figures are given."""
    expected = rules.product(quantity, unit_price)
    if expected != value:
        raise _invalid(
            field,
            _(
                "%(quantity)s %(unit)s × %(price)s = %(expected)s, not %(value)s "
                "(difference %(difference)s)."
            )
            % {
                "quantity": f"{quantity:,.2f}",
                "unit": unit,
                "price": f"{unit_price:,.2f}",
                "expected": f"{expected:,.2f}",
                "value": f"{value:,.2f}",
                "difference": f"{value - expected:+,.2f}",
            },
            "product",
        )


@dataclass(frozen=True)
class BuildingLine:
    building_id: int
    area: Any
    unit_price: Any
    value: Any
    notes: str = ""


@dataclass(frozen=True)
class DecorationLine:
    description: str
    amount: Any
    building_id: int | None = None


@dataclass(frozen=True)
class AncillaryLine:
    ancillary_id: int
    quantity: Any
    unit_price: Any
    value: Any


def _editable(valuation: Valuation) -> None:
    """Figures change until the report is issued; after it, only while an objection has opened
    them, or when the survey data they rest on changed (the valuation is stale)."""
    if (
        valuation.status == ValuationStatus.ISSUED
        and valuation.reopened_by_id is None
        and not is_stale(valuation)
    ):
        raise ValidationError(
            _(
                "The report of this household has been issued: its figures change only through "
                "an objection (re-assessment or expert appraisal)."
            ),
            code="issued",
        )


def _valuation_for_write(actor: Any, household: Household) -> Valuation:
    firm = require_valuer(actor, household)
    lock(household)
    valuation, _created = Valuation.objects.select_for_update().get_or_create(
        household=household, defaults={"firm": firm, "prepared_by": actor}
    )
    return valuation


def _lines_snapshot(valuation: Valuation) -> dict[str, Any]:
    return {
        "buildings": [
            [b.building_id, str(b.area), str(b.unit_price), str(b.value), b.notes]
            for b in valuation.buildings.order_by("building_id")
        ],
        "decorations": [
            [d.building_id, d.description, str(d.amount)]
            for d in valuation.decorations.order_by("id")
        ],
        "ancillaries": [
            [a.ancillary_id, str(a.quantity), str(a.unit_price), str(a.value)]
            for a in valuation.ancillaries.order_by("ancillary_id")
        ],
    }


def _header(household: Household, header: Mapping[str, Any]) -> dict[str, Any]:
    report_no = str(header.get("report_no") or "").strip()
    valuation_date = header.get("valuation_date")
    if valuation_date in (None, ""):
        raise _invalid("valuation_date", _("This field is required."), "required")
    if not isinstance(valuation_date, dt.date):
        raise _invalid("valuation_date", _("Enter a valid date."), "invalid")
    decided = decision_date(household.project_id)
    if decided is not None and valuation_date != decided:
        raise _invalid(
            "valuation_date",
            _("The valuation date is the day the expropriation decision was announced, %(date)s.")
            % {"date": decided.isoformat()},
            "not_decision_date",
        )
    loss = _money(header.get("business_loss") or "0", "business_loss")
    if loss and household.kind != HouseholdKind.NON_RESIDENTIAL:
        raise _invalid(
            "business_loss",
            _("Only a non-residential household has a business stoppage loss."),
            "residential",
        )
    return {
        "report_no": report_no[:60],
        "valuation_date": valuation_date,
        "business_loss": loss,
        "business_loss_basis": str(header.get("business_loss_basis") or "").strip()[:300],
    }


@transaction.atomic
def valuation_save(
    *,
    actor: Any,
    household: Household,
    header: Mapping[str, Any],
    buildings: Sequence[BuildingLine],
    decorations: Sequence[DecorationLine] = (),
    ancillaries: Sequence[AncillaryLine] = (),
) -> Valuation:
    """Enter (or replace) a household's valuation as a whole. Errors name the row and field:
    "buildings-2-value", "ancillaries-0-unit_price" … Nothing is saved unless all is valid."""
    valuation = _valuation_for_write(actor, household)
    _editable(valuation)
    values = _header(household, header)
    own_buildings = {b.pk: b for b in Building.objects.filter(household=household)}
    own_ancillaries = {a.pk: a for a in Ancillary.objects.filter(household=household)}

    building_rows: list[BuildingValuation] = []
    seen: set[int] = set()
    for i, line in enumerate(buildings):
        prefix = f"buildings-{i}-"
        if line.building_id not in own_buildings or line.building_id in seen:
            raise _invalid(prefix + "building", _("Choose a building of this household."), "bad")
        seen.add(line.building_id)
        area = _area(line.area, prefix + "area")
        price = _price(line.unit_price, prefix + "unit_price")
        value = _money(line.value, prefix + "value")
        check_product(area, price, value, prefix + "value")
        building_rows.append(
            BuildingValuation(
                valuation=valuation,
                building_id=line.building_id,
                area=area,
                unit_price=price,
                value=value,
                notes=line.notes.strip()[:200],
            )
        )
    decoration_rows: list[DecorationItem] = []
    for i, deco in enumerate(decorations):
        prefix = f"decorations-{i}-"
        if deco.building_id is not None and deco.building_id not in own_buildings:
            raise _invalid(prefix + "building", _("Choose a building of this household."), "bad")
        description = deco.description.strip()
        if not description:
            raise _invalid(prefix + "description", _("This field is required."), "required")
        decoration_rows.append(
            DecorationItem(
                valuation=valuation,
                building_id=deco.building_id,
                description=description[:200],
                amount=_money(deco.amount, prefix + "amount"),
            )
        )
    ancillary_rows: list[AncillaryValuation] = []
    seen = set()
    for i, anc in enumerate(ancillaries):
        prefix = f"ancillaries-{i}-"
        if anc.ancillary_id not in own_ancillaries or anc.ancillary_id in seen:
            raise _invalid(prefix + "ancillary", _("Choose an ancillary of this household."), "bad")
        seen.add(anc.ancillary_id)
        quantity = _area(anc.quantity, prefix + "quantity")
        price = _price(anc.unit_price, prefix + "unit_price")
        value = _money(anc.value, prefix + "value")
        check_product(
            quantity, price, value, prefix + "value", unit=own_ancillaries[anc.ancillary_id].unit
        )
        ancillary_rows.append(
            AncillaryValuation(
                valuation=valuation,
                ancillary_id=anc.ancillary_id,
                quantity=quantity,
                unit_price=price,
                value=value,
            )
        )

    before_header = snapshot(valuation, (*HEADER_FIELDS, "total"))
    before_lines = _lines_snapshot(valuation)
    valuation.buildings.all().delete()
    valuation.decorations.all().delete()
    valuation.ancillaries.all().delete()
    BuildingValuation.objects.bulk_create(building_rows)
    DecorationItem.objects.bulk_create(decoration_rows)
    AncillaryValuation.objects.bulk_create(ancillary_rows)
    for field, value in values.items():
        setattr(valuation, field, value)
    _totals(valuation, building_rows, decoration_rows, ancillary_rows)
    was_confirmed = valuation.status == ValuationStatus.CONFIRMED
    if valuation.status != ValuationStatus.ISSUED:
        valuation.status = ValuationStatus.DRAFT
    valuation.prepared_by = actor
    valuation.full_clean(exclude=["household", "firm"])
    valuation.save()
    after_header = snapshot(valuation, (*HEADER_FIELDS, "total"))
    after_lines = _lines_snapshot(valuation)
    changes = {
        k: [before_header[k], after_header[k]]
        for k in after_header
        if before_header[k] != after_header[k]
    }
    for key in after_lines:
        if before_lines[key] != after_lines[key]:
            changes[key] = [before_lines[key], after_lines[key]]
    if was_confirmed and changes:
        changes["status"] = [ValuationStatus.CONFIRMED.value, ValuationStatus.DRAFT.value]
    record(
        actor=actor,
        event_type="valuation.save",
        target=valuation,
        project=household.project_id,
        changes=changes,
        details={"household": household.pk},
    )
    if valuation.status != ValuationStatus.ISSUED and changes and valuation.publication_id:
        # Changed figures are published again before a report is issued on them.
        valuation.publication = None
        valuation.save(update_fields=["publication"])
    if valuation.status == ValuationStatus.ISSUED and "total" in changes:
        valuation.version += 1
        valuation.save(update_fields=["version"])
        if valuation.reopened_by_id is None:
            # Revised because the survey changed (not in answer to an objection, which announces
            # its outcome when answered): what rests on the old total is stale now.
            announce_change(
                household=household,
                source="valuation.valuation",
                source_id=valuation.pk,
                changes={"total": changes["total"]},
                actor=actor,
            )
    return valuation


def _totals(
    valuation: Valuation,
    buildings: Sequence[BuildingValuation],
    decorations: Sequence[DecorationItem],
    ancillaries: Sequence[AncillaryValuation],
) -> None:
    valuation.buildings_total = sum((b.value for b in buildings), Decimal("0.00"))
    valuation.decoration_total = sum((d.amount for d in decorations), Decimal("0.00"))
    valuation.ancillaries_total = sum((a.value for a in ancillaries), Decimal("0.00"))
    valuation.total = (
        valuation.buildings_total
        + valuation.decoration_total
        + valuation.ancillaries_total
        + valuation.business_loss
    )


# The Excel import (zhengqian.valuation.imports) checks cells and computes totals by these rules.
parse_number, parse_area, parse_price, parse_money = _number, _area, _price, _money
compute_totals = _totals


def _missing(valuation: Valuation) -> list[str]:
    """What a valuation still lacks before it can be confirmed."""
    problems = []
    valued = set(valuation.buildings.values_list("building_id", flat=True))
    for number in (
        Building.objects.filter(household_id=valuation.household_id)
        .exclude(pk__in=valued)
        .values_list("number", flat=True)
    ):
        problems.append(_("Building %(number)s has no value.") % {"number": number})
    valued = set(valuation.ancillaries.values_list("ancillary_id", flat=True))
    missing_ancillaries = (
        Ancillary.objects.filter(household_id=valuation.household_id).exclude(pk__in=valued).count()
    )
    if missing_ancillaries:
        problems.append(_("%(n)d ancillaries have no value.") % {"n": missing_ancillaries})
    if not valuation.report_no:
        problems.append(_("The report number is missing."))
    return problems


@transaction.atomic
def valuation_confirm(*, actor: Any, valuation: Valuation) -> Valuation:
    """The valuer confirms the figures: every building and ancillary valued, the report numbered.
    Confirming also settles the stale marks: the valuer has looked at what changed."""
    require_valuer(actor, valuation.household)
    valuation = lock(valuation)
    _editable(valuation)
    problems = _missing(valuation)
    if problems:
        raise ValidationError(" ".join(problems), code="incomplete")
    marks = stale_marks(valuation)
    now = timezone.now()
    StaleMark.objects.filter(pk__in=[m.pk for m in marks]).update(resolved_at=now)
    old_status = valuation.status
    reopened = valuation.reopened_by_id
    if old_status != ValuationStatus.ISSUED:
        valuation.status = ValuationStatus.CONFIRMED
    valuation.confirmed_by = actor
    valuation.confirmed_at = now
    valuation.save(update_fields=["status", "confirmed_by", "confirmed_at", "updated_at"])
    record(
        actor=actor,
        event_type="valuation.confirm",
        target=valuation,
        project=valuation.household.project_id,
        changes=(
            {"status": [old_status, valuation.status]} if old_status != valuation.status else {}
        ),
        details={
            "total": str(valuation.total),
            "stale_marks_resolved": [m.pk for m in marks],
            "reopened_by": reopened,
        },
    )
    return valuation


def _report_fields(
    valuation: Valuation, upload: UploadedFile | None
) -> tuple[ContentFile | UploadedFile, bool]:
    if upload is not None:
        _document(upload, "report_file")
        if attachments.sniff(upload) != attachments.PDF:
            raise _invalid("report_file", _("The report must be a PDF file."), "type")
        return upload, False
    from zhengqian.valuation.reports import render_report

    return ContentFile(render_report(valuation), name="report.pdf"), True


def _sha256(file: Any) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(64 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


@transaction.atomic
def report_issue(
    *,
    actor: Any,
    valuation: Valuation,
    issued_on: dt.date,
    upload: UploadedFile | None = None,
) -> Valuation:
    """Issue the household's report: the firm's signed PDF attached, or one generated from the
    figures. A report is issued from a confirmed, not stale valuation that has been published;
    an objection that changed the figures issues the revised report the same way."""
    require_valuer(actor, valuation.household)
    valuation = lock(valuation)
    if is_stale(valuation):
        raise ValidationError(
            _("The survey data of this household changed: re-confirm the valuation first."),
            code="stale",
        )
    if valuation.reopened_by_id is not None:
        raise ValidationError(
            _("An objection is being answered: issue the report once it is answered."),
            code="reopened",
        )
    # A revised valuation (its figures changed after an objection) is issued again.
    reissue = (
        valuation.status == ValuationStatus.ISSUED and valuation.version > valuation.report_version
    )
    if valuation.status != ValuationStatus.CONFIRMED and not reissue:
        raise ValidationError(
            _("Only a confirmed valuation can be issued as a report."), code="not_confirmed"
        )
    if valuation.publication_id is None:
        raise ValidationError(
            _("The preliminary results must be published before the reports are issued."),
            code="not_published",
        )
    if issued_on > _today():
        raise _invalid("issued_on", _("The date cannot be in the future."), "future")
    old = snapshot(valuation, ("status", "issued_on", "report_sha256", "report_version"))
    valuation.issued_on = issued_on
    if valuation.first_issued_on is None:
        valuation.first_issued_on = issued_on
    content, generated = _report_fields(valuation, upload)
    valuation.report_file.save("report.pdf", content, save=False)
    valuation.report_sha256 = _sha256(valuation.report_file)
    valuation.report_generated = generated
    valuation.status = ValuationStatus.ISSUED
    valuation.issued_on = issued_on
    valuation.issued_by = actor
    valuation.report_version = valuation.version
    valuation.delivered_on = None
    valuation.save()
    new = snapshot(valuation, ("status", "issued_on", "report_sha256", "report_version"))
    record(
        actor=actor,
        event_type="valuation.report_issued",
        target=valuation,
        project=valuation.household.project_id,
        changes={k: [old[k], new[k]] for k in new if old[k] != new[k]},
        details={"generated": generated, "total": str(valuation.total)},
    )
    return valuation


@transaction.atomic
def report_delivered(*, actor: Any, valuation: Valuation, delivered_on: dt.date) -> Valuation:
    """The household received its report on this day: the objection period runs from it."""
    require_household(actor, valuation.household, Module.VALUATION, Action.REVIEW)
    valuation = lock(valuation)
    if valuation.status != ValuationStatus.ISSUED or valuation.issued_on is None:
        raise ValidationError(_("The report has not been issued yet."), code="not_issued")
    _receipt(
        actor,
        valuation,
        delivered_on,
        earliest=valuation.issued_on,
        too_early=_("The report was issued on %(date)s; it cannot have been received earlier."),
        code="before_issue",
        event_type="valuation.report_delivered",
    )
    return valuation


def _receipt(
    actor: Any,
    instance: Valuation | Objection,
    delivered_on: dt.date,
    *,
    earliest: dt.date,
    too_early: str,
    code: str,
    event_type: str,
) -> None:
    """Record the day the household received a document (a report, an answer): not before it
    was given, not in the future. The next period runs from that day."""
    if delivered_on < earliest:
        raise _invalid("delivered_on", too_early % {"date": earliest.isoformat()}, code)
    if delivered_on > _today():
        raise _invalid("delivered_on", _("The date cannot be in the future."), "future")
    changes = apply_changes(instance, {"delivered_on": delivered_on}, allowed=["delivered_on"])
    household = (
        instance.household if isinstance(instance, Valuation) else instance.valuation.household
    )
    record(
        actor=actor,
        event_type=event_type,
        target=instance,
        project=household.project_id,
        changes=changes,
    )


# --- publication ----------------------------------------------------------------------------


@transaction.atomic
def publish(*, actor: Any, project: Project, published_on: dt.date, note: str = "") -> Publication:
    """Publish the preliminary results (评估结果公示) of every confirmed, not stale valuation
    of the project not yet issued: a masked list, kept as it was published."""
    require(actor, Module.VALUATION, Action.APPROVE, project=project)
    lock(project)
    valuations = list(
        Valuation.objects.filter(household__project=project, status=ValuationStatus.CONFIRMED)
        .select_related("household", "firm")
        .order_by("household__code")
    )
    stale = set(
        StaleMark.objects.filter(
            target_type=STALE_TARGET,
            target_id__in=[v.pk for v in valuations],
            resolved_at__isnull=True,
        ).values_list("target_id", flat=True)
    )
    valuations = [v for v in valuations if v.pk not in stale]
    if not valuations:
        raise ValidationError(
            _("No confirmed valuation is waiting to be published."), code="nothing"
        )
    number = (Publication.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1
    rows = [
        {
            "code": v.household.code,
            "head": mask_name(v.household.head_name),
            "buildings": str(v.buildings_total),
            "decoration": str(v.decoration_total),
            "ancillaries": str(v.ancillaries_total),
            "business_loss": str(v.business_loss),
            "total": str(v.total),
            "report_no": v.report_no,
            "firm": v.firm.name,
        }
        for v in valuations
    ]
    publication = Publication.objects.create(
        project=project,
        number=number,
        published_on=published_on,
        until=published_on + dt.timedelta(days=PUBLICATION_DAYS),
        published_by=actor,
        rows=rows,
        note=note.strip(),
    )
    Valuation.objects.filter(pk__in=[v.pk for v in valuations]).update(publication=publication)
    record(
        actor=actor,
        event_type="valuation.published",
        target=publication,
        project=project,
        details={"number": number, "households": len(rows), "stale_left_out": len(stale)},
    )
    return publication


# --- objections -----------------------------------------------------------------------------


def _calendar_deadline(compute: Any, day: dt.date, field: str) -> dt.date:
    try:
        return compute(day, office_calendar())  # type: ignore[no-any-return]
    except UnknownCalendarYear as exc:
        raise _invalid(field, exc.message, "calendar") from None


def objection_window(valuation: Valuation, kind: ObjectionKind) -> tuple[dt.date | None, str]:
    """The day the period to apply starts from (the household received the report, or the
    answer to the re-assessment), or None and why it has not started."""
    if kind == ObjectionKind.REVIEW:
        if valuation.delivered_on is None:
            return None, _("The household has not received its report yet.")
        return valuation.delivered_on, ""
    review = valuation.objections.filter(kind=ObjectionKind.REVIEW).first()
    if review is None or review.status != ObjectionStatus.ANSWERED:
        return None, _("An expert appraisal follows an answered re-assessment.")
    if review.delivered_on is None:
        return None, _("The household has not received the answer to its re-assessment yet.")
    return review.delivered_on, ""


@transaction.atomic
def objection_apply(
    *,
    actor: Any,
    valuation: Valuation,
    kind: ObjectionKind | str,
    applied_on: dt.date,
    grounds: str,
    application: UploadedFile | None = None,
) -> Objection:
    """Record a household's application for a re-assessment (复核) or an expert appraisal
    (鉴定). Refused after its period, with the day the period closed."""
    kind = ObjectionKind(kind)
    household = valuation.household
    require_household(actor, household, Module.VALUATION, Action.REVIEW)
    valuation = lock(valuation)
    if valuation.objections.filter(kind=kind).exists():
        raise ValidationError(
            _("This household has already applied for %(kind)s.") % {"kind": kind.label},
            code="twice",
        )
    start, why = objection_window(valuation, kind)
    if start is None:
        raise _invalid("applied_on", why, "not_started")
    if applied_on < start:
        raise _invalid(
            "applied_on",
            _("The period to apply starts on %(date)s.") % {"date": start.isoformat()},
            "too_early",
        )
    if applied_on > _today():
        raise _invalid("applied_on", _("The date cannot be in the future."), "future")
    last_day = _calendar_deadline(rules.apply_deadline, start, "applied_on")
    if applied_on > last_day:
        raise _invalid(
            "applied_on",
            _("The period to apply for %(kind)s closed on %(date)s (10 days after %(start)s).")
            % {"kind": kind.label, "date": last_day.isoformat(), "start": start.isoformat()},
            "too_late",
        )
    if not grounds.strip():
        raise _invalid("grounds", _("Enter the grounds of the objection."), "required")
    objection = Objection(
        valuation=valuation,
        kind=kind,
        applied_on=applied_on,
        apply_deadline=last_day,
        answer_deadline=_calendar_deadline(rules.answer_deadline, applied_on, "applied_on"),
        grounds=grounds.strip(),
        recorded_by=actor,
        total_before=valuation.total,
    )
    if _document(application, "application") is not None:
        objection.application = application
    objection.save()
    record(
        actor=actor,
        event_type="valuation.objection.applied",
        target=objection,
        project=household.project_id,
        changes={"kind": [None, kind.value], "applied_on": [None, applied_on.isoformat()]},
        details={
            "valuation": valuation.pk,
            "apply_deadline": last_day.isoformat(),
            "answer_deadline": objection.answer_deadline.isoformat(),
        },
    )
    return objection


@transaction.atomic
def objection_reopen(*, actor: Any, objection: Objection) -> Valuation:
    """Open an issued valuation for revision while its objection is pending (by the firm for a
    re-assessment; for an expert appraisal, by the firm once the experts asked for a change)."""
    valuation = objection.valuation
    require_valuer(actor, valuation.household)
    objection = lock(objection)
    valuation = lock(valuation)
    if objection.status != ObjectionStatus.PENDING and objection.kind == ObjectionKind.REVIEW:
        raise ValidationError(_("This objection has been answered."), code="answered")
    if objection.kind == ObjectionKind.APPRAISAL and objection.outcome != ObjectionOutcome.REVISED:
        raise ValidationError(
            _(
                "After an expert appraisal the figures change only when the experts found them "
                "wrong."
            ),
            code="not_revised",
        )
    valuation.reopened_by = objection
    valuation.save(update_fields=["reopened_by", "updated_at"])
    record(
        actor=actor,
        event_type="valuation.reopened",
        target=valuation,
        project=valuation.household.project_id,
        details={"objection": objection.pk},
    )
    return valuation


def _close_revision(actor: Any, valuation: Valuation, objection: Objection) -> bool:
    """After an objection's answer: the valuation is closed for edits again; when its total
    changed, downstream calculations are stale (announced with old → new)."""
    changed = valuation.total != objection.total_before
    valuation.reopened_by = None
    valuation.save(update_fields=["reopened_by", "updated_at"])
    if changed:
        announce_change(
            household=valuation.household,
            source="valuation.valuation",
            source_id=valuation.pk,
            changes={"total": [str(objection.total_before), str(valuation.total)]},
            actor=actor,
        )
    return changed


def _answer(
    actor: Any,
    objection: Objection,
    *,
    answered_on: dt.date,
    answer: str,
    outcome: ObjectionOutcome,
    document: UploadedFile | None,
) -> None:
    if objection.status != ObjectionStatus.PENDING:
        raise ValidationError(_("This objection has been answered."), code="answered")
    if answered_on < objection.applied_on:
        raise _invalid(
            "answered_on",
            _("The application was made on %(date)s.") % {"date": objection.applied_on.isoformat()},
            "too_early",
        )
    if answered_on > _today():
        raise _invalid("answered_on", _("The date cannot be in the future."), "future")
    if not answer.strip():
        raise _invalid("answer", _("Enter the answer."), "required")
    objection.status = ObjectionStatus.ANSWERED
    objection.outcome = outcome
    objection.answer = answer.strip()
    objection.answered_on = answered_on
    objection.answered_by = actor
    if _document(document, "answer_document") is not None:
        objection.answer_document = document


@transaction.atomic
def review_answer(
    *,
    actor: Any,
    objection: Objection,
    answered_on: dt.date,
    answer: str,
    document: UploadedFile | None = None,
) -> Objection:
    """The firm answers a re-assessment (复核). The outcome follows from the figures: if the
    valuer revised them while the objection was open, the value changed; else it is upheld."""
    valuation = objection.valuation
    require_valuer(actor, valuation.household)
    objection = lock(objection)
    valuation = lock(valuation)
    if objection.kind != ObjectionKind.REVIEW:
        raise ValidationError(_("The experts answer an appraisal."), code="kind")
    if is_stale(valuation):
        raise ValidationError(
            _("The survey data of this household changed: re-confirm the valuation first."),
            code="stale",
        )
    outcome = (
        ObjectionOutcome.REVISED
        if valuation.total != objection.total_before
        else ObjectionOutcome.UPHELD
    )
    _answer(
        actor,
        objection,
        answered_on=answered_on,
        answer=answer,
        outcome=outcome,
        document=document,
    )
    objection.total_after = valuation.total
    objection.save()
    _close_revision(actor, valuation, objection)
    record(
        actor=actor,
        event_type="valuation.objection.answered",
        target=objection,
        project=valuation.household.project_id,
        changes={"status": [ObjectionStatus.PENDING.value, ObjectionStatus.ANSWERED.value]},
        details={
            "outcome": outcome.value,
            "total_before": str(objection.total_before),
            "total_after": str(valuation.total),
            "late": objection.answered_late,
        },
    )
    return objection


@transaction.atomic
def appraisal_answer(
    *,
    actor: Any,
    objection: Objection,
    answered_on: dt.date,
    answer: str,
    outcome: ObjectionOutcome | str,
    document: UploadedFile | None = None,
) -> Objection:
    """The expert committee's answer to an appraisal (鉴定), recorded by the office. When the
    experts found the figures wrong, the firm revises them and issues the report again."""
    valuation = objection.valuation
    require_household(actor, valuation.household, Module.VALUATION, Action.REVIEW)
    objection = lock(objection)
    if objection.kind != ObjectionKind.APPRAISAL:
        raise ValidationError(_("The firm answers a re-assessment."), code="kind")
    _answer(
        actor,
        objection,
        answered_on=answered_on,
        answer=answer,
        outcome=ObjectionOutcome(outcome),
        document=document,
    )
    objection.save()
    record(
        actor=actor,
        event_type="valuation.objection.answered",
        target=objection,
        project=valuation.household.project_id,
        changes={"status": [ObjectionStatus.PENDING.value, ObjectionStatus.ANSWERED.value]},
        details={"outcome": objection.outcome, "late": objection.answered_late},
    )
    return objection


@transaction.atomic
def appraisal_revision_done(*, actor: Any, objection: Objection) -> Objection:
    """The firm has revised the figures as the experts found: the revision is closed, the new
    total recorded on the appraisal, and downstream calculations marked stale."""
    valuation = objection.valuation
    require_valuer(actor, valuation.household)
    objection = lock(objection)
    valuation = lock(valuation)
    if valuation.reopened_by_id != objection.pk:
        raise ValidationError(_("This valuation is not open for a revision."), code="not_open")
    if is_stale(valuation):
        raise ValidationError(
            _("The survey data of this household changed: re-confirm the valuation first."),
            code="stale",
        )
    objection.total_after = valuation.total
    objection.save(update_fields=["total_after"])
    changed = _close_revision(actor, valuation, objection)
    record(
        actor=actor,
        event_type="valuation.revised",
        target=valuation,
        project=valuation.household.project_id,
        changes={"total": [str(objection.total_before), str(valuation.total)]} if changed else {},
        details={"objection": objection.pk},
    )
    return objection


@transaction.atomic
def objection_delivered(*, actor: Any, objection: Objection, delivered_on: dt.date) -> Objection:
    """The household received the answer: the period for the next step runs from this day."""
    require_household(actor, objection.valuation.household, Module.VALUATION, Action.REVIEW)
    objection = lock(objection)
    if objection.status != ObjectionStatus.ANSWERED or objection.answered_on is None:
        raise ValidationError(_("This objection has not been answered yet."), code="pending")
    _receipt(
        actor,
        objection,
        delivered_on,
        earliest=objection.answered_on,
        too_early=_("The answer was given on %(date)s; it cannot have been received earlier."),
        code="before_answer",
        event_type="valuation.objection.delivered",
    )
    return objection
