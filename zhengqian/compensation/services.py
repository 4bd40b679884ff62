"""Writes of the compensation module: policy versions, calculations and their review chain.

Who may do what (DESIGN.md §5, §6):
- the policy: the project manager (projects/change) drafts, edits and publishes it; a published
  version is frozen, a new version applies only to calculations made after it;
- calculations: accountants (compensation/create) prepare them;
- review: a policy reviewer checks the policy's application, then an accountant other than the
  preparer checks the figures, then — above the policy's threshold or with an exception — a
  leader approves (compensation/approve). The preparer never reviews their own calculation and
  nobody approves twice in one chain; every step is a row of the transition log and an event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import AccessDenied, holds_role, require
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.audit.services import record, snapshot
from zhengqian.compensation import engine
from zhengqian.compensation.models import (
    Calculation,
    CalculationLine,
    CalculationStatus,
    CalculationTransition,
    CollectiveDecision,
    EntitlementBasis,
    Policy,
    PolicyItem,
    PolicyStatus,
)
from zhengqian.core.models import StaleMark
from zhengqian.core.updates import apply_changes, lock
from zhengqian.ownership.models import BuildingConfirmation, PersonConfirmation
from zhengqian.projects.models import Milestone, Project
from zhengqian.survey.models import Building, Household
from zhengqian.survey.permissions import require_household
from zhengqian.valuation.models import BuildingValuation, Valuation, ValuationStatus

STALE_TARGET = "compensation.calculation"
# The policy's resettlement settings (flats, transition fees, vouchers), edited with the rest.
RESETTLEMENT_POLICY_FIELDS = (
    "fit_above",
    "fit_below",
    "flat_step_area",
    "max_flats",
    "transition_rate",
    "transition_minimum",
    "transition_after_handover_months",
    "transition_late_factor",
    "voucher_cash_allowed",
    "voucher_cash_full_percent",
    "voucher_cash_rate",
    "voucher_cash_forfeits_premium",
    "voucher_developer_first_percent",
)
POLICY_FIELDS = (
    "title",
    "notes",
    "entitlement_basis",
    "area_per_person",
    "entitled_price",
    "above_price",
    "below_price",
    "voucher_premium",
    "voucher_validity_months",
    "leader_threshold",
    "effect_threshold",
    "signing_period_end",
    "payment_first_percent",
    "payment_due_days",
    "vacate_within_days",
    *RESETTLEMENT_POLICY_FIELDS,
)
ITEM_FIELDS = ("code", "name", "category", "rule", "modes", "kinds", "minimum", "maximum")
# Unlicensed area counts where the confirmation recognised it (dictionary "unlicensed_treatment").
RECOGNISED = "recognised"


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


# --- policy ----------------------------------------------------------------------------------


def _require_policy_editor(actor: Any, project: Project | int) -> None:
    require(actor, Module.PROJECTS, Action.CHANGE, project=project)


def _require_draft(policy: Policy) -> None:
    if policy.frozen:
        raise ValidationError(
            _("Version %(v)d of the policy is published and cannot change: draft a new version.")
            % {"v": policy.version},
            code="frozen",
        )


@transaction.atomic
def policy_draft(*, actor: Any, project: Project, title: str = "") -> Policy:
    """A new draft version: a copy of the latest published one (settings and items), if any."""
    _require_policy_editor(actor, project)
    lock(project)
    if Policy.objects.filter(project=project, status=PolicyStatus.DRAFT).exists():
        raise ValidationError(_("A draft of this policy exists already."), code="draft_exists")
    latest = current_policy(project)
    version = (Policy.objects.filter(project=project).aggregate(v=Max("version"))["v"] or 0) + 1
    policy = Policy(project=project, version=version, created_by=actor)
    if latest is not None:
        for field in POLICY_FIELDS:
            setattr(policy, field, getattr(latest, field))
    policy.title = title.strip() or (latest.title if latest else _("Compensation policy"))
    policy.full_clean(exclude=["project", "created_by"])
    policy.save()
    if latest is not None:
        PolicyItem.objects.bulk_create(
            PolicyItem(
                policy=policy, position=i.position, **{f: getattr(i, f) for f in ITEM_FIELDS}
            )
            for i in latest.items.all()
        )
    record(
        actor=actor,
        event_type="policy.draft",
        target=policy,
        project=project,
        details={"version": version, "copied_from": latest.version if latest else None},
    )
    return policy


@transaction.atomic
def policy_update(*, actor: Any, policy: Policy, **fields: Any) -> Policy:
    _require_policy_editor(actor, policy.project_id)
    policy = lock(policy)
    _require_draft(policy)
    changes = apply_changes(policy, fields, allowed=POLICY_FIELDS)
    if changes:
        record(
            actor=actor,
            event_type="policy.update",
            target=policy,
            project=policy.project_id,
            changes=changes,
        )
    return policy


def _engine_item(item: PolicyItem) -> engine.Item:
    return engine.Item(
        code=item.code,
        name=item.name,
        category=item.category,
        rule=item.rule,
        modes=tuple(item.modes or ()),
        kinds=tuple(item.kinds or ()),
        minimum=item.minimum,
        maximum=item.maximum,
    )


def engine_items(policy: Policy) -> list[engine.Item]:
    return [_engine_item(i) for i in policy.items.order_by("position")]


def _check_items(items: list[engine.Item], field: str = "items") -> None:
    try:
        engine.check_policy(items)
    except engine.PolicyError as exc:
        raise _invalid(
            field,
            _("Item %(item)s: %(problem)s") % {"item": exc.item, "problem": exc.message},
            "policy",
        ) from None


@transaction.atomic
def policy_item_save(
    *, actor: Any, policy: Policy, item: PolicyItem | None = None, **fields: Any
) -> PolicyItem:
    """Add an item to a draft policy or change one; the rule is checked with the others."""
    _require_policy_editor(actor, policy.project_id)
    policy = lock(policy)
    _require_draft(policy)
    if item is None:
        position = (policy.items.aggregate(p=Max("position"))["p"] or 0) + 1
        item = PolicyItem(policy=policy, position=position)
        old: dict[str, Any] = {}
    else:
        item = lock(item)
        old = snapshot(item, ITEM_FIELDS)
    for field, value in fields.items():
        if field not in ITEM_FIELDS:
            raise TypeError(f"Not a policy item field: {field}")
        setattr(item, field, value)
    item.full_clean(exclude=["policy"])
    others = [_engine_item(i) for i in policy.items.exclude(pk=item.pk).order_by("position")]
    try:
        engine.check_policy([*others, _engine_item(item)])
    except engine.PolicyError as exc:
        field = "code" if exc.item == item.code and "twice" in exc.message else "rule"
        raise _invalid(
            field,
            _("Item %(item)s: %(problem)s") % {"item": exc.item, "problem": exc.message},
            "policy",
        ) from None
    item.save()
    new = snapshot(item, ITEM_FIELDS)
    record(
        actor=actor,
        event_type="policy.item_save",
        target=policy,
        project=policy.project_id,
        changes={k: [old.get(k), v] for k, v in new.items() if old.get(k) != v},
        details={"item": item.code},
    )
    return item


@transaction.atomic
def policy_item_delete(*, actor: Any, item: PolicyItem) -> None:
    policy = item.policy
    _require_policy_editor(actor, policy.project_id)
    policy = lock(policy)
    _require_draft(policy)
    rest = [_engine_item(i) for i in policy.items.exclude(pk=item.pk).order_by("position")]
    _check_items(rest)
    record(
        actor=actor,
        event_type="policy.item_delete",
        target=policy,
        project=policy.project_id,
        changes={"item": [item.code, None]},
    )
    item.delete()


def _check_milestones(policy: Policy, items: list[engine.Item]) -> None:
    """A day-tiered item counts from a step of the project's procedure: one that is not there
    would never have a date, and no household could be calculated."""
    from zhengqian.projects.procedures import template_for

    steps = {step.code for step in template_for(policy.project.kind)}
    for item in items:
        start = item.rule.get("from") if item.rule.get("type") == "tiers" else None
        if start is not None and start not in steps:
            raise _invalid(
                "items",
                _("Item %(item)s counts days from %(step)s, which is not a step of this project.")
                % {"item": item.code, "step": start},
                "milestone",
            )


@transaction.atomic
def policy_publish(*, actor: Any, policy: Policy) -> Policy:
    """Publish the draft: checked as a whole (every rule complete, no reference to a missing
    item, no cycle), then frozen. The view asks for the password again first."""
    _require_policy_editor(actor, policy.project_id)
    policy = lock(policy)
    _require_draft(policy)
    items = engine_items(policy)
    if not items:
        raise ValidationError(_("A policy needs at least one item."), code="empty")
    _check_items(items)
    _check_milestones(policy, items)
    if policy.effect_threshold > 0 and policy.signing_period_end is None:
        raise _invalid(
            "signing_period_end",
            _("Agreements taking effect at a signing rate need the end of the signing period."),
            "required",
        )
    policy.status = PolicyStatus.PUBLISHED
    policy.published_by = actor
    policy.published_at = timezone.now()
    policy.save(update_fields=["status", "published_by", "published_at"])
    record(
        actor=actor,
        event_type="policy.publish",
        target=policy,
        project=policy.project_id,
        changes={"status": [PolicyStatus.DRAFT.value, PolicyStatus.PUBLISHED.value]},
        details={"version": policy.version, "items": [i.code for i in items]},
    )
    return policy


def current_policy(project: Project | int) -> Policy | None:
    """The latest published version: the one new calculations use."""
    project_id = project if isinstance(project, int) else project.pk
    return (
        Policy.objects.filter(project_id=project_id, status=PolicyStatus.PUBLISHED)
        .order_by("-version")
        .first()
    )


# --- the inputs of one household -------------------------------------------------------------


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


class InputSource:
    """The survey, confirmation, valuation and project data of a set of households, read with a
    constant number of queries however many households there are (the batch calculation), and
    turned into each household's inputs: plain JSON with the source of every figure."""

    def __init__(self, households: list[Household]) -> None:
        ids = [h.pk for h in households]
        self.buildings: dict[int, list[Building]] = {}
        for b in Building.objects.filter(household_id__in=ids).order_by("household_id", "number"):
            self.buildings.setdefault(b.household_id, []).append(b)
        self.confirmations = {
            c.building_id: c
            for c in BuildingConfirmation.objects.filter(building__household_id__in=ids)
        }
        self.valuations = {
            v.household_id: v for v in Valuation.objects.filter(household_id__in=ids)
        }
        self.prices = dict(
            BuildingValuation.objects.filter(valuation__household_id__in=ids).values_list(
                "building_id", "unit_price"
            )
        )
        self.eligible = dict(
            PersonConfirmation.objects.filter(person__household_id__in=ids, eligible=True)
            .values("person__household_id")
            .annotate(n=Count("id"))
            .values_list("person__household_id", "n")
        )
        self.stale_valuations = set(
            StaleMark.objects.filter(
                target_type="valuation.valuation",
                target_id__in=[v.pk for v in self.valuations.values()],
                resolved_at__isnull=True,
            ).values_list("target_id", flat=True)
        )
        self.milestones: dict[int, dict[str, str]] = {}
        for project_id, code, day in Milestone.objects.filter(
            project_id__in={h.project_id for h in households}, actual_date__isnull=False
        ).values_list("project_id", "code", "actual_date"):
            if day is not None:
                self.milestones.setdefault(project_id, {})[code] = day.isoformat()

    def valuation_stale(self, household: Household) -> bool:
        valuation = self.valuations.get(household.pk)
        return valuation is not None and valuation.pk in self.stale_valuations

    def inputs_for(
        self,
        household: Household,
        *,
        mode: str,
        signing_on: dt.date | None = None,
        vacating_on: dt.date | None = None,
    ) -> dict[str, Any]:
        rows = []
        for b in self.buildings.get(household.pk, []):
            c = self.confirmations.get(b.pk)
            recognised = c is not None and (
                not c.unlicensed_area or c.unlicensed_treatment == RECOGNISED
            )
            rows.append(
                {
                    "id": b.pk,
                    "number": b.number,
                    "use": b.use,
                    "measured_area": str(b.measured_area),
                    "licensed_area": str(c.licensed_area) if c else "0.00",
                    "unlicensed_area": str(c.unlicensed_area) if c and recognised else "0.00",
                    "unit_price": str(self.prices[b.pk]) if b.pk in self.prices else None,
                }
            )
        valuation = self.valuations.get(household.pk)
        usable = valuation is not None and valuation.status in (
            ValuationStatus.CONFIRMED,
            ValuationStatus.ISSUED,
        )
        return {
            "kind": household.kind,
            "mode": mode,
            "buildings": rows,
            "eligible_persons": self.eligible.get(household.pk, 0),
            "valuation": (
                {
                    "id": valuation.pk,
                    "version": valuation.version,
                    "buildings": str(valuation.buildings_total),
                    "decoration": str(valuation.decoration_total),
                    "ancillaries": str(valuation.ancillaries_total),
                    "business_loss": str(valuation.business_loss),
                }
                if valuation is not None and usable
                else None
            ),
            "milestones": dict(self.milestones.get(household.project_id, {})),
            "events": {
                k: v.isoformat()
                for k, v in (("signing", signing_on), ("vacating", vacating_on))
                if v is not None
            },
        }


def gather_inputs(
    household: Household,
    *,
    mode: str,
    signing_on: dt.date | None = None,
    vacating_on: dt.date | None = None,
) -> dict[str, Any]:
    """Everything one household's calculation rests on (see InputSource)."""
    return InputSource([household]).inputs_for(
        household, mode=mode, signing_on=signing_on, vacating_on=vacating_on
    )


def household_in(inputs: Mapping[str, Any]) -> engine.HouseholdIn:
    """The engine's view of stored inputs (so that a calculation can be redone from them)."""
    valuation = inputs.get("valuation")
    return engine.HouseholdIn(
        kind=inputs["kind"],
        mode=inputs["mode"],
        buildings=[
            engine.BuildingIn(
                number=b["number"],
                use=b["use"],
                measured_area=_d(b["measured_area"]),
                licensed_area=_d(b["licensed_area"]),
                unlicensed_area=_d(b["unlicensed_area"]),
                unit_price=_d(b["unit_price"]) if b.get("unit_price") is not None else None,
            )
            for b in inputs["buildings"]
        ],
        eligible_persons=int(inputs["eligible_persons"]),
        valuation=({k: _d(valuation[k]) for k in engine.VALUATION_LINES} if valuation else None),
        milestones={k: dt.date.fromisoformat(v) for k, v in inputs["milestones"].items()},
        events={k: dt.date.fromisoformat(v) for k, v in inputs["events"].items()},
    )


class PolicyItems:
    """A policy's items read and checked once, for evaluating many households."""

    def __init__(self, policy: Policy) -> None:
        self.items = engine_items(policy)
        try:
            self.ordered = engine.check_policy(self.items)
        except engine.PolicyError as exc:
            raise ValidationError(
                _("Item %(item)s: %(problem)s") % {"item": exc.item, "problem": exc.message},
                code="policy",
            ) from None


def evaluate(
    policy: Policy, inputs: Mapping[str, Any], *, items: PolicyItems | None = None
) -> engine.Result:
    """The policy's lines for these inputs; a missing input is a ValidationError naming it.
    Pass the policy's items when evaluating many households."""
    try:
        if items is None:
            return engine.evaluate(engine_items(policy), household_in(inputs))
        return engine.evaluate(items.items, household_in(inputs), ordered=items.ordered)
    except engine.MissingInput as exc:
        raise ValidationError(
            _("Item %(item)s needs %(input)s, which this household does not have yet.")
            % {"item": exc.item, "input": exc.name},
            code="missing_input",
        ) from None
    except engine.PolicyError as exc:
        raise ValidationError(
            _("Item %(item)s: %(problem)s") % {"item": exc.item, "problem": exc.message},
            code="policy",
        ) from None


def entitled_area(policy: Policy, inputs: Mapping[str, Any]) -> Decimal:
    if policy.entitlement_basis == EntitlementBasis.PER_PERSON:
        return policy.area_per_person * int(inputs["eligible_persons"])
    areas = [
        _d(b["licensed_area"])
        + (_d(b["unlicensed_area"]) if policy.entitlement_basis == EntitlementBasis.LEGAL else 0)
        for b in inputs["buildings"]
    ]
    return sum(areas, Decimal("0.00"))


# --- calculations ----------------------------------------------------------------------------


def is_stale(calculation: Calculation) -> bool:
    return StaleMark.objects.filter(
        target_type=STALE_TARGET, target_id=calculation.pk, resolved_at__isnull=True
    ).exists()


def require_valuation_fresh(source: InputSource, household: Household) -> None:
    if source.valuation_stale(household):
        raise ValidationError(
            _("The valuation of this household is waiting for the valuer's re-confirmation."),
            code="valuation_stale",
        )


def prepare(
    *,
    actor: Any,
    policy: Policy,
    household: Household,
    inputs: dict[str, Any],
    number: int,
    exchange_area: Decimal | None,
    exceptions: Mapping[str, tuple[Decimal, CollectiveDecision | None]],
    items: PolicyItems | None = None,
) -> tuple[Calculation, list[CalculationLine]]:
    """One calculation and its lines, not saved yet: the policy's lines for the inputs, the
    exceptions (each with its collective decision), the totals and the mode's settlement."""
    mode = inputs["mode"]
    # The lines' rules and input names are kept in the office's language, as the record reads.
    with translation.override(settings.LANGUAGE_CODE):
        result = evaluate(policy, inputs, items=items)
    unknown = set(exceptions) - {line.item for line in result.lines}
    if unknown:
        raise _invalid(
            "exceptions",
            _("Item %(item)s is not a line of this calculation.") % {"item": sorted(unknown)[0]},
            "unknown_item",
        )
    calculation = Calculation(
        household=household,
        number=number,
        policy=policy,
        mode=mode,
        inputs=inputs,
        prepared_by=actor,
    )
    lines = []
    for position, line in enumerate(result.lines, start=1):
        amount, decision = line.amount, None
        if line.item in exceptions:
            amount, decision = exceptions[line.item]
            amount = engine.fen(_d(amount))
            if decision is None or decision.project_id != household.project_id:
                raise _invalid(
                    "exceptions",
                    _("A line that departs from the policy needs a collective decision."),
                    "no_decision",
                )
        lines.append(
            CalculationLine(
                calculation=calculation,
                position=position,
                item=line.item,
                name=line.name,
                category=line.category,
                rule=line.rule[:300],
                inputs=[[i.name, i.value, i.source] for i in line.inputs],
                policy_amount=line.amount,
                amount=amount,
                limited=line.limited,
                exception=decision,
            )
        )
    total = sum((row.amount for row in lines), Decimal("0.00"))
    totals: dict[str, Decimal] = {}
    for row in lines:
        totals[row.category] = totals.get(row.category, Decimal("0.00")) + row.amount
    calculation.total = total
    calculation.totals = {k: str(v) for k, v in totals.items()}
    calculation.needs_leader = bool(exceptions) or (
        policy.leader_threshold > 0 and total > policy.leader_threshold
    )
    if mode == engine.Mode.EXCHANGE:
        if exchange_area is None:
            raise _invalid("exchange_area", _("Enter the area of the new flats."), "required")
        calculation.exchange_area = exchange_area
        calculation.exchange_balance, _inputs = engine.Exchange(
            old_value=total,
            entitled_area=entitled_area(policy, inputs),
            new_area=exchange_area,
            entitled_price=policy.entitled_price,
            above_price=policy.above_price,
            below_price=policy.below_price,
        ).settle()
    elif mode == engine.Mode.VOUCHER:
        calculation.voucher_value = engine.voucher_face_value(total, policy.voucher_premium)
    return calculation, lines


def require_policy(project_id: int) -> Policy:
    policy = current_policy(project_id)
    if policy is None:
        raise ValidationError(
            _("The project has no published compensation policy yet."), code="no_policy"
        )
    return policy


def superseded_reason(number: int) -> str:
    return _("Superseded by version %(n)d.") % {"n": number}


@transaction.atomic
def calculate(
    *,
    actor: Any,
    household: Household,
    mode: str,
    signing_on: dt.date | None = None,
    vacating_on: dt.date | None = None,
    exchange_area: Decimal | None = None,
    exceptions: Mapping[str, tuple[Decimal, CollectiveDecision | None]] | None = None,
) -> Calculation:
    """Calculate the household's compensation under the current policy: a new version of its
    calculation. Earlier versions not approved are superseded (kept, for the history)."""
    require_household(actor, household, Module.COMPENSATION, Action.CREATE)
    lock(household)
    if mode not in engine.Mode.ALL:
        raise _invalid("mode", _("Choose a resettlement mode."), "mode")
    policy = require_policy(household.project_id)
    source = InputSource([household])
    require_valuation_fresh(source, household)
    inputs = source.inputs_for(household, mode=mode, signing_on=signing_on, vacating_on=vacating_on)
    exceptions = dict(exceptions or {})
    number = (
        Calculation.objects.filter(household=household).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    calculation, lines = prepare(
        actor=actor,
        policy=policy,
        household=household,
        inputs=inputs,
        number=number,
        exchange_area=exchange_area,
        exceptions=exceptions,
    )
    superseded = list(
        Calculation.objects.filter(household=household)
        .exclude(status__in=[CalculationStatus.APPROVED, CalculationStatus.SUPERSEDED])
        .values_list("pk", flat=True)
    )
    for pk in superseded:
        _transition(
            actor,
            Calculation.objects.select_for_update().get(pk=pk),
            CalculationStatus.SUPERSEDED,
            superseded_reason(number),
        )
    calculation.save()
    CalculationLine.objects.bulk_create(lines)
    record(
        actor=actor,
        event_type="calculation.create",
        target=calculation,
        project=household.project_id,
        changes={"total": [None, str(calculation.total)]},
        details={
            "household": household.pk,
            "number": number,
            "policy_version": policy.version,
            "mode": mode,
            "exceptions": sorted(exceptions),
            "superseded": superseded,
        },
    )
    return calculation


def recalculated_lines(calculation: Calculation) -> list[tuple[str, Decimal]]:
    """The policy's lines for the calculation's own stored inputs: equal to the stored ones
    (the reproducibility check)."""
    result = evaluate(calculation.policy, calculation.inputs)
    return [(line.item, line.amount) for line in result.lines]


# --- review ----------------------------------------------------------------------------------

_NEXT = {
    CalculationStatus.POLICY_REVIEW: CalculationStatus.ACCOUNTING_REVIEW,
    CalculationStatus.ACCOUNTING_REVIEW: CalculationStatus.APPROVED,
    CalculationStatus.LEADER_REVIEW: CalculationStatus.APPROVED,
}
# The role that decides at each step (the right alone is shared: accountants may also review).
REVIEWER_ROLE = {
    CalculationStatus.POLICY_REVIEW: RoleCode.POLICY_REVIEWER,
    CalculationStatus.ACCOUNTING_REVIEW: RoleCode.ACCOUNTANT,
    CalculationStatus.LEADER_REVIEW: RoleCode.LEADER,
}


def _transition(
    actor: Any, calculation: Calculation, to: CalculationStatus, reason: str = ""
) -> None:
    CalculationTransition.objects.create(
        calculation=calculation,
        from_status=calculation.status,
        to_status=to,
        actor=actor,
        reason=reason[:500],
    )
    calculation.status = to
    calculation.save(update_fields=["status", "updated_at"])


def _require_not_stale(calculation: Calculation) -> None:
    if is_stale(calculation):
        raise ValidationError(
            _("Data this calculation used has changed: recalculate it first."), code="stale"
        )


@transaction.atomic
def submit(*, actor: Any, calculation: Calculation) -> Calculation:
    """The preparer submits for review."""
    household = calculation.household
    require_household(actor, household, Module.COMPENSATION, Action.CHANGE)
    calculation = lock(calculation)
    if calculation.prepared_by_id != actor.pk:
        raise AccessDenied(
            _("Only the accountant who prepared the calculation submits it."),
            module=Module.COMPENSATION.value,
            action=Action.CHANGE.value,
            project_id=household.project_id,
        )
    if not CalculationStatus(calculation.status).editable:
        raise ValidationError(_("This calculation is not being prepared."), code="not_editable")
    _require_not_stale(calculation)
    old = calculation.status
    _transition(actor, calculation, CalculationStatus.POLICY_REVIEW)
    record(
        actor=actor,
        event_type="calculation.submit",
        target=calculation,
        project=household.project_id,
        changes={"status": [old, calculation.status]},
    )
    return calculation


@transaction.atomic
def review(*, actor: Any, calculation: Calculation, approve: bool, reason: str = "") -> Calculation:
    """Approve the current step (the policy review, the accounting review, the leader's) or
    return the calculation to its preparer with a reason."""
    household = calculation.household
    calculation = lock(calculation)
    step = CalculationStatus(calculation.status)
    if not step.in_review:
        raise ValidationError(
            _("This calculation is not waiting for review."), code="not_in_review"
        )
    action = Action.APPROVE if step == CalculationStatus.LEADER_REVIEW else Action.REVIEW
    require_household(actor, household, Module.COMPENSATION, action)
    if not holds_role(actor, REVIEWER_ROLE[step], household.project_id, household.work_group_id):
        raise AccessDenied(
            _("This step is decided by the %(role)s.") % {"role": REVIEWER_ROLE[step].label},
            module=Module.COMPENSATION.value,
            action=action.value,
            project_id=household.project_id,
        )
    if actor.pk == calculation.prepared_by_id:
        raise AccessDenied(
            _("Whoever prepared a calculation cannot review or approve it."),
            module=Module.COMPENSATION.value,
            action=action.value,
            project_id=household.project_id,
        )
    chain_start = (
        calculation.transitions.filter(to_status=CalculationStatus.POLICY_REVIEW)
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    if (
        approve
        and calculation.transitions.filter(
            actor=actor, created_at__gte=chain_start, from_status__in=list(_NEXT)
        )
        .exclude(to_status=CalculationStatus.RETURNED)
        .exists()
    ):
        raise AccessDenied(
            _("You have already approved a step of this calculation."),
            module=Module.COMPENSATION.value,
            action=action.value,
            project_id=household.project_id,
        )
    old = calculation.status
    if approve:
        _require_not_stale(calculation)
        to = _NEXT[step]
        if step == CalculationStatus.ACCOUNTING_REVIEW and calculation.needs_leader:
            to = CalculationStatus.LEADER_REVIEW
        _transition(actor, calculation, to, reason)
    else:
        if not reason.strip():
            raise _invalid("reason", _("Give the reason for returning it."), "required")
        _transition(actor, calculation, CalculationStatus.RETURNED, reason.strip())
    record(
        actor=actor,
        event_type="calculation.approve" if approve else "calculation.return",
        target=calculation,
        project=household.project_id,
        changes={"status": [old, calculation.status]},
        details={"reason": reason.strip()} if reason.strip() else {},
    )
    return calculation


# --- collective decisions --------------------------------------------------------------------


@transaction.atomic
def decision_record(
    *,
    actor: Any,
    project: Project,
    meeting_date: dt.date | None,
    participants: str,
    decision: str,
    document: Any,
) -> CollectiveDecision:
    """Record a collective decision (会议纪要) with its minutes: what lets a calculation line
    depart from the policy. Prepared by the accountants, who calculate with it."""
    from zhengqian.survey.attachments import JPEG, PDF, PNG, check_upload

    require(actor, Module.COMPENSATION, Action.CREATE, project=project)
    errors: dict[str, ValidationError] = {}
    if meeting_date is None:
        errors["meeting_date"] = ValidationError(
            _("Give the date of the meeting."), code="required"
        )
    elif meeting_date > timezone.localdate():
        errors["meeting_date"] = ValidationError(
            _("The meeting date may not be in the future."), code="future"
        )
    participants, decision = (participants or "").strip(), (decision or "").strip()
    if not participants:
        errors["participants"] = ValidationError(_("Name the participants."), code="required")
    if not decision:
        errors["decision"] = ValidationError(_("Give the text of the decision."), code="required")
    if not document:
        errors["document"] = ValidationError(
            _("Upload the minutes of the meeting."), code="required"
        )
    else:
        try:
            file_type = check_upload(document)
        except ValidationError as exc:
            errors["document"] = ValidationError(exc.messages[0], code="type")
        else:
            if file_type not in (PDF, JPEG, PNG):
                errors["document"] = ValidationError(
                    _("The minutes must be a PDF or a JPEG or PNG image."), code="type"
                )
    if errors or meeting_date is None:
        raise ValidationError(errors)
    row = CollectiveDecision.objects.create(
        project=project,
        meeting_date=meeting_date,
        participants=participants,
        decision=decision,
        document=document,
        recorded_by=actor,
    )
    record(
        actor=actor,
        event_type="calculation.decision",
        target=row,
        project=project.pk,
        details={
            "meeting_date": str(meeting_date),
            "participants": participants,
            "decision": decision,
            "document": row.document.name,
        },
    )
    return row
