"""Writes of the payments module: funds, payment plans, the payment of instalments, and the
summaries the supervision lists read (DESIGN.md §1, §4, §5).

Who may do what:
- funding sources and funds received, disbursements, receipts, failures: finance officers
  (payments/change);
- asking for an instalment's payment: the household's handler (a signing officer) or a finance
  officer (payments/create), within the household's work group; for an item of resettlement
  (a transition fee, a voucher's balance …) also a resettlement officer (resettlement/create);
- approving or refusing it: a finance officer (payments/approve) who did not ask for it, with the
  password again;
- items of resettlement and amounts receivable are scheduled by the resettlement module, inside
  its own transaction and after its own checks (schedule_item, receivable_create); an amount
  receivable is recorded as received by finance (payments/change) and cancelled by a finance
  officer who may approve (payments/approve).

Every write is one transaction with its audit event; every movement of money is a ledger entry
in the same transaction. The household's account (HouseholdAccount) is locked first by every
write that touches its money, so two approvals, two disbursements or a disbursement and a
failure of one household never interleave.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Min, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengqian.accounts.permissions import AccessDenied, require
from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements.models import Agreement, AgreementKind, AgreementStatus
from zhengqian.audit.services import record
from zhengqian.core.masking import mask_bank_account
from zhengqian.core.money import FEN
from zhengqian.core.sudo import confirm_password
from zhengqian.core.updates import lock
from zhengqian.payments.models import (
    LIVE,
    ZERO,
    Condition,
    EntryKind,
    FundingSource,
    FundKind,
    FundReceipt,
    HouseholdAccount,
    IdentityKind,
    Instalment,
    LedgerEntry,
    PaidIdentity,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanKind,
    Receivable,
    ReceivableStatus,
)
from zhengqian.projects.models import Project
from zhengqian.survey.models import Building, Household, Person
from zhengqian.survey.permissions import require_household


def _summary(message: Any, **values: Any) -> str:
    """A ledger entry's summary (摘要), in the office's language whatever the user's: the
    ledger is a financial record, its text is written once, as on a voucher."""
    with translation.override(settings.LANGUAGE_CODE):
        return (str(message) % values)[:300]


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _amount(raw: Any, field: str = "amount", *, positive: bool = True) -> Decimal:
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except Exception:
        raise _invalid(field, _("Enter an amount in yuan, e.g. 1250000.00."), "invalid") from None
    if not value.is_finite():
        raise _invalid(field, _("Enter an amount in yuan to the fen (two decimals)."), "fen")
    if value < 0 or (positive and value == 0):
        raise _invalid(field, _("The amount must be greater than zero."), "positive")
    # Before the quantize, which cannot give two decimals of an amount this large.
    if value >= Decimal("1e14"):
        raise _invalid(field, _("The amount is too large."), "large")
    if value != value.quantize(FEN):
        raise _invalid(field, _("Enter an amount in yuan to the fen (two decimals)."), "fen")
    return value


def _text(value: str | None, field: str, message: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise _invalid(field, message, "required")
    return text[:limit]


def _not_future(day: dt.date | None, field: str) -> dt.date:
    if day is None:
        raise _invalid(field, _("Enter the date."), "required")
    if day > timezone.localdate():
        raise _invalid(field, _("The date cannot be in the future."), "future")
    return day


# --- funds -----------------------------------------------------------------------------------


@transaction.atomic
def source_create(
    *,
    actor: Any,
    project: Project,
    kind: str,
    name: str,
    planned: Any,
    reference: str = "",
) -> FundingSource:
    """A funding source of the project (budget allocation, policy-bank loan …) and the amount
    planned from it."""
    require(actor, Module.PAYMENTS, Action.CHANGE, project=project)
    errors: dict[str, Any] = {}
    if kind not in FundKind.values:
        errors["kind"] = ValidationError(_("Choose the type of the source."), code="required")
    name = (name or "").strip()
    if not name:
        errors["name"] = ValidationError(_("Name the source."), code="required")
    elif FundingSource.objects.filter(project=project, name=name).exists():
        errors["name"] = ValidationError(
            _("The project already has a source of this name."), code="unique"
        )
    try:
        amount = _amount(planned, "planned", positive=False)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    source = FundingSource.objects.create(
        project=project,
        kind=kind,
        name=name[:100],
        planned=amount,
        reference=(reference or "").strip()[:100],
        created_by=actor,
    )
    record(
        actor=actor,
        event_type="funds.source_create",
        target=source,
        project=project,
        changes={"name": [None, source.name], "kind": [None, kind], "planned": [None, amount]},
    )
    return source


@transaction.atomic
def receipt_record(
    *,
    actor: Any,
    source: FundingSource,
    amount: Any,
    received_on: dt.date | None,
    document_no: str,
    note: str = "",
) -> FundReceipt:
    """Money arrived from a source (资金到位): a receipt and its ledger entry."""
    require(actor, Module.PAYMENTS, Action.CHANGE, project=source.project_id)
    errors: dict[str, Any] = {}
    value = ZERO
    try:
        value = _amount(amount)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    try:
        _not_future(received_on, "received_on")
    except ValidationError as exc:
        errors.update(exc.error_dict)
    try:
        _text(document_no, "document_no", _("Enter the voucher number."), 60)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors or received_on is None:
        raise ValidationError(errors)
    receipt = FundReceipt.objects.create(
        project_id=source.project_id,
        source=source,
        amount=value,
        received_on=received_on,
        document_no=document_no.strip()[:60],
        note=(note or "").strip()[:300],
        recorded_by=actor,
    )
    LedgerEntry.objects.create(
        project_id=source.project_id,
        kind=EntryKind.RECEIPT,
        amount=value,
        occurred_on=received_on,
        document_no=receipt.document_no,
        description=_summary(gettext_lazy("Funds received from %(source)s"), source=source.name),
        receipt=receipt,
        recorded_by=actor,
    )
    record(
        actor=actor,
        event_type="funds.receipt",
        target=receipt,
        project=source.project_id,
        details={
            "source": source.name,
            "amount": value,
            "received_on": received_on,
            "document_no": receipt.document_no,
        },
    )
    return receipt


# --- plans -----------------------------------------------------------------------------------


def _main(agreement: Agreement) -> Agreement:
    return agreement.parent if agreement.parent_id is not None else agreement  # type: ignore[return-value]


def _account(main: Agreement) -> HouseholdAccount:
    """The household's account for this main agreement, locked (created when first needed)."""
    # A household whose agreement was voided and drafted anew keeps its site steps.
    before: dict[str, Any] = {}
    previous = (
        HouseholdAccount.objects.filter(household_id=main.household_id, void=True)
        .order_by("-pk")
        .first()
    )
    if previous is not None:
        before = {"vacated_on": previous.vacated_on, "demolished_on": previous.demolished_on}
    account, _created = HouseholdAccount.objects.get_or_create(
        agreement=main,
        defaults={"project_id": main.project_id, "household_id": main.household_id, **before},
    )
    return lock(account)


def _split(total: Decimal, first_percent: Decimal) -> list[tuple[str, Decimal]]:
    """The instalments of an amount: the policy's share when the agreement takes effect,
    rounded half-up to the fen, and the rest when vacating is accepted. They add up to the
    amount exactly."""
    if first_percent >= 100:
        return [(Condition.EFFECTIVE, total)]
    first = (total * first_percent / 100).quantize(FEN, rounding=ROUND_HALF_UP)
    if first_percent <= 0:
        return [(Condition.VACATED, total)]
    return [(Condition.EFFECTIVE, first), (Condition.VACATED, total - first)]


def _meet(instalment: Instalment, account: HouseholdAccount, effective_on: dt.date | None) -> None:
    """Set when the instalment's condition was met and when it is due."""
    met = effective_on if instalment.condition == Condition.EFFECTIVE else account.vacated_on
    if met is not None and instalment.met_on is None:
        instalment.met_on = met
        instalment.due_on = met + dt.timedelta(days=instalment.plan.due_days)


def _refresh(account: HouseholdAccount) -> None:
    """The account's figures from its instalments and payments (after any change of them)."""
    unpaid = account.instalments.filter(paid_on__isnull=True, due_on__isnull=False, amount__gt=0)
    account.next_due_on = unpaid.aggregate(d=Min("due_on"))["d"]
    paid = account.payments.filter(status=PaymentStatus.PAID)
    sums = paid.aggregate(total=Sum("amount"), first=Min("paid_on"))
    account.paid = sums["total"] or ZERO
    account.first_paid_on = sums["first"]
    last = paid.order_by("-paid_on").values_list("paid_on", flat=True).first()
    account.last_paid_on = last
    account.in_process = (
        account.payments.filter(
            status__in=[PaymentStatus.REQUESTED, PaymentStatus.APPROVED]
        ).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    # A void supplement no longer corrects the agreement (on_void took its plan out).
    account.committed = (
        account.plans.exclude(
            agreement__parent__isnull=False, agreement__status=AgreementStatus.VOID
        ).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    account.save()


def _reduce(account: HouseholdAccount, by: Decimal, agreement: Agreement) -> None:
    """A supplement lowered the agreement: take the reduction from the instalments not yet
    paid nor being paid, the last first. Refused when they do not cover it."""
    # Only the agreement's own instalments: an item of resettlement is owed whatever the
    # agreement's amount becomes.
    open_ = list(
        account.instalments.filter(
            paid_on__isnull=True, amount__gt=0, plan__kind=PlanKind.AGREEMENT
        )
        .exclude(payments__status__in=LIVE)
        .order_by("-plan_id", "-position")
    )
    available = sum((i.amount for i in open_), ZERO)
    if available < by:
        raise ValidationError(
            _(
                "Supplement %(number)s lowers the agreement by %(by)s, but only %(open)s of it is "
                "not yet paid or being paid: the household has been paid more than the corrected "
                "amount. Settle the overpayment with the finance department before signing."
            )
            % {"number": agreement.number, "by": _money(by), "open": _money(available)},
            code="overpaid",
        )
    left = by
    for instalment in open_:
        if left <= 0:
            break
        take = min(left, instalment.amount)
        instalment.amount -= take
        instalment.reduction += take
        instalment.save(update_fields=["amount", "reduction"])
        left -= take


def cash_amount(agreement: Agreement) -> Decimal:
    """What a main agreement itself pays in cash: a cash or non-residential agreement its
    total; a property exchange only what the household's compensation exceeds the price of
    its flats by (the flats take the place of the rest); a housing voucher nothing (the
    voucher takes the place of the cash)."""
    if agreement.kind == AgreementKind.VOUCHER:
        return ZERO
    if agreement.kind == AgreementKind.EXCHANGE:
        balance = agreement.calculation.exchange_balance
        if balance is None:
            return ZERO
        return max(-balance, ZERO).quantize(FEN, rounding=ROUND_HALF_UP)
    return agreement.total


def _plan(agreement: Agreement, actor: Any) -> PaymentPlan:
    """The agreement's payment plan from its policy (inside the caller's transaction)."""
    existing = PaymentPlan.objects.filter(agreement=agreement).first()
    if existing is not None:
        return existing
    main = _main(agreement)
    if agreement.parent_id is not None and not PaymentPlan.objects.filter(agreement=main).exists():
        _plan(main, actor)
    account = _account(main)
    policy = agreement.calculation.policy
    amount = cash_amount(agreement) if agreement.parent_id is None else agreement.difference
    assert amount is not None  # a supplement always has its difference
    plan = PaymentPlan.objects.create(
        account=account,
        agreement=agreement,
        amount=amount,
        first_percent=policy.payment_first_percent,
        due_days=policy.payment_due_days,
        created_by=actor,
    )
    if amount > 0:
        for position, (condition, part) in enumerate(
            _split(amount, policy.payment_first_percent), start=1
        ):
            instalment = Instalment(
                plan=plan,
                account=account,
                project_id=agreement.project_id,
                position=position,
                condition=condition,
                amount=part,
            )
            _meet(instalment, account, agreement.effective_on)
            instalment.save()
    elif amount < 0:
        _reduce(account, -amount, agreement)
    _refresh(account)
    record(
        actor=actor,
        actor_name="" if actor is not None else "system",
        event_type="payment.plan",
        target=plan,
        project=agreement.project_id,
        details={
            "agreement": agreement.number,
            "amount": amount,
            "instalments": [
                {"condition": i.condition, "amount": i.amount, "due_on": i.due_on}
                for i in plan.instalments.order_by("position")
            ],
        },
    )
    return plan


def on_effective(*, agreements: Iterable[Agreement], actor: Any = None) -> None:
    """Listener: each agreement that takes effect gets its payment plan at once."""
    for agreement in agreements:
        _plan(agreement, actor)


def on_void(*, agreement: Agreement, actor: Any = None) -> None:
    """Listener: a void agreement (nothing paid on it, see guard_void) owes nothing more."""
    main = _main(agreement)
    account = HouseholdAccount.objects.filter(agreement=main).first()
    if account is None:
        return
    account = lock(account)
    if agreement.parent_id is None:
        account.void = True
        account.next_due_on = None
        account.save(update_fields=["void", "next_due_on"])
        return
    # A void supplement: the agreement is back to what it was before it. Its own instalments
    # (none paid, see guard_void) owe nothing more; what it took off others is given back.
    plan = PaymentPlan.objects.filter(agreement=agreement).first()
    if plan is None:
        return
    for instalment in plan.instalments.filter(amount__gt=0):
        instalment.reduction += instalment.amount
        instalment.amount = ZERO
        instalment.save(update_fields=["amount", "reduction"])
    left = -plan.amount
    for instalment in _reduced(account) if left > 0 else []:
        if left <= 0:
            break
        back = min(left, instalment.reduction)
        instalment.amount += back
        instalment.reduction -= back
        instalment.save(update_fields=["amount", "reduction"])
        left -= back
    if left > 0:
        # Asked for meanwhile (guard_void read them unlocked): the reduction can't be undone.
        raise ValidationError(
            _(
                "Supplement %(number)s lowered instalments that have since been paid or are "
                "being paid: it cannot be voided. Draft a new supplement instead."
            )
            % {"number": agreement.number},
            code="reduced_paid",
        )
    _refresh(account)


def _reduced(account: HouseholdAccount) -> list[Instalment]:
    """The instalments a supplement's reduction can be given back to: reduced, and neither
    paid nor being paid (their payment's amount is fixed when it is asked for)."""
    return list(
        account.instalments.filter(
            paid_on__isnull=True, reduction__gt=0, plan__kind=PlanKind.AGREEMENT
        )
        .exclude(payments__status__in=LIVE)
        .exclude(plan__agreement__status=AgreementStatus.VOID)
        .order_by("-plan_id", "-position")
    )


def guard_void(*, agreement: Agreement) -> None:
    """Guard: an agreement on which money has been paid or is being paid is not voided; nor
    a supplement that lowered the amount once the instalments it lowered are paid or being
    paid (the reduction could not be given back)."""
    main = _main(agreement)
    payments = Payment.objects.filter(account__agreement=main, status__in=LIVE)
    if agreement.parent_id is not None:
        payments = payments.filter(instalment__plan__agreement=agreement)
    if payments.exists():
        raise ValidationError(
            _(
                "Money has been paid or is being paid on agreement %(number)s: it cannot be "
                "voided. Have finance record the payments as returned first."
            )
            % {"number": agreement.number},
            code="paid",
        )
    plan = PaymentPlan.objects.filter(agreement=agreement, amount__lt=0).first()
    if plan is not None:
        open_ = sum((i.reduction for i in _reduced(plan.account)), ZERO)
        if open_ < -plan.amount:
            raise ValidationError(
                _(
                    "Supplement %(number)s lowered instalments that have since been paid or "
                    "are being paid: it cannot be voided. Draft a new supplement instead."
                )
                % {"number": agreement.number},
                code="reduced_paid",
            )


@transaction.atomic
def plans_create_missing(*, actor: Any, project: Project) -> int:
    """Plans for the project's effective agreements that have none (agreements that took
    effect before the payments module kept plans): mains before their supplements."""
    require(actor, Module.PAYMENTS, Action.CHANGE, project=project)
    missing = (
        Agreement.objects.filter(project=project, status=AgreementStatus.EFFECTIVE)
        .filter(payment_plan__isnull=True)
        .select_related("calculation__policy", "parent")
        .order_by("sequence")
    )
    count = 0
    for agreement in missing:
        if not PaymentPlan.objects.filter(agreement=agreement).exists():
            _plan(agreement, actor)
            count += 1
    return count


# --- items of resettlement and amounts receivable ---------------------------------------------


def _live_main(household: Household) -> Agreement:
    """The household's live main agreement, which must be in force: items and receivables of
    resettlement are booked on its account."""
    main = (
        Agreement.objects.filter(household=household, parent__isnull=True)
        .exclude(status=AgreementStatus.VOID)
        .select_related("calculation__policy")
        .order_by("-pk")
        .first()
    )
    if main is None or main.status != AgreementStatus.EFFECTIVE:
        raise ValidationError(
            _("Household %(code)s has no agreement in force: nothing can be booked on it.")
            % {"code": household.code},
            code="no_agreement",
        )
    return main


def _item_account(household: Household, actor: Any) -> tuple[Agreement, HouseholdAccount]:
    main = _live_main(household)
    # An agreement in force before the module kept plans gets its own plan first, so that the
    # account's committed amount is the agreement's and the items' together.
    if not PaymentPlan.objects.filter(agreement=main).exists():
        _plan(main, actor)
    account = _account(main)
    if account.void:
        raise ValidationError(
            _("The payment account of household %(code)s is void: nothing can be booked on it.")
            % {"code": household.code},
            code="void",
        )
    return main, account


def _item_fields(kind: str, reference: str, description: str, amount: Any) -> tuple[str, Decimal]:
    errors: dict[str, Any] = {}
    if kind not in PlanKind.values or kind == PlanKind.AGREEMENT:
        errors["kind"] = ValidationError(_("Choose the type of the item."), code="kind")
    if not (reference or "").strip():
        errors["reference"] = ValidationError(_("Give the item's reference."), code="required")
    if not (description or "").strip():
        errors["description"] = ValidationError(_("Describe the item."), code="required")
    value = ZERO
    try:
        value = _amount(amount)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    return reference.strip()[:60], value


def _changed(label: str, was: Decimal, now: Decimal) -> ValidationError:
    return ValidationError(
        _("%(item)s is already booked with %(was)s, not %(now)s.")
        % {"item": label, "was": _money(was), "now": _money(now)},
        code="item_changed",
    )


def schedule_item(
    *,
    actor: Any,
    household: Household,
    kind: str,
    reference: str,
    description: str,
    amount: Any,
    on: dt.date,
) -> Instalment:
    """An item of resettlement payable to the household from `on` (a month of transition fee,
    a voucher's balance bought back …): a plan of `kind` with one instalment due the policy's
    days after `on`, on the account of the household's main agreement.

    Runs inside the caller's transaction; the caller (the resettlement module, or its daily
    job with actor None) has checked its own right to schedule it. The same (kind, reference)
    again returns the instalment already scheduled; with another amount it is refused."""
    reference, value = _item_fields(kind, reference, description, amount)
    with transaction.atomic():
        main, account = _item_account(household, actor)
        existing = (
            PaymentPlan.objects.filter(account=account, kind=kind, reference=reference)
            .prefetch_related("instalments")
            .first()
        )
        if existing is not None:
            if existing.amount != value:
                raise _changed(f"{PlanKind(kind).label} {reference}", existing.amount, value)
            return existing.instalments.order_by("position")[0]
        policy = main.calculation.policy
        plan = PaymentPlan.objects.create(
            account=account,
            kind=kind,
            reference=reference,
            description=description.strip()[:200],
            amount=value,
            first_percent=Decimal("100.00"),
            due_days=policy.payment_due_days,
            created_by=actor,
        )
        instalment = Instalment.objects.create(
            plan=plan,
            account=account,
            project_id=account.project_id,
            position=1,
            condition=Condition.DATED,
            amount=value,
            met_on=on,
            due_on=on + dt.timedelta(days=policy.payment_due_days),
        )
        _refresh(account)
        _record_item("payment.item", actor, plan, household, instalment.due_on)
        return instalment


def receivable_create(
    *,
    actor: Any,
    household: Household,
    kind: str,
    reference: str,
    description: str,
    amount: Any,
    due_on: dt.date,
) -> Receivable:
    """Money the household owes the office (e.g. flats dearer than its credit), due on
    `due_on`. Runs inside the caller's transaction, which has checked its right; the same
    (kind, reference) again returns the open or received one, with another amount refused."""
    reference, value = _item_fields(kind, reference, description, amount)
    with transaction.atomic():
        # The account's lock orders two creations of one household's receivable.
        _item_account(household, actor)
        existing = (
            Receivable.objects.filter(household=household, kind=kind, reference=reference)
            .exclude(status=ReceivableStatus.CANCELLED)
            .first()
        )
        if existing is not None:
            if existing.amount != value:
                raise _changed(f"{PlanKind(kind).label} {reference}", existing.amount, value)
            return existing
        receivable = Receivable.objects.create(
            project_id=household.project_id,
            household=household,
            kind=kind,
            reference=reference,
            description=description.strip()[:200],
            amount=value,
            due_on=due_on,
            created_by=actor,
        )
        _record_item("payment.receivable", actor, receivable, household, due_on)
        return receivable


def _record_item(
    event_type: str,
    actor: Any,
    item: PaymentPlan | Receivable,
    household: Household,
    due_on: dt.date | None,
) -> None:
    """The audit event of an item of resettlement scheduled (a plan) or owed (a receivable)."""
    record(
        actor=actor,
        actor_name="" if actor is not None else "system",
        event_type=event_type,
        target=item,
        project=household.project_id,
        details={
            "household": household.code,
            "kind": item.kind,
            "reference": item.reference,
            "description": item.description,
            "amount": item.amount,
            "due_on": due_on,
        },
    )


def site_step(*, household: Household, step: str, on: dt.date) -> None:
    """Called by the demolition module inside its transaction when vacating is accepted or the
    house is demolished: the instalments due after vacating become due, and the supervision
    lists see the step."""
    main = (
        Agreement.objects.filter(household=household, parent__isnull=True)
        .exclude(status=AgreementStatus.VOID)
        .first()
    )
    if main is None:
        return
    account = _account(main)
    if step == "vacated":
        account.vacated_on = on
        account.save(update_fields=["vacated_on"])
        for instalment in account.instalments.filter(
            condition=Condition.VACATED, met_on__isnull=True
        ).select_related("plan"):
            _meet(instalment, account, None)
            instalment.save(update_fields=["met_on", "due_on"])
    elif step == "demolished":
        account.demolished_on = on
        account.save(update_fields=["demolished_on"])
    else:  # pragma: no cover - a programming error
        raise ValueError(step)
    _refresh(account)


# --- paying an instalment --------------------------------------------------------------------


def project_balance(project_id: int, *, lock_project: bool = False) -> Decimal:
    """What the project's account holds: funds received less payments out, plus returns (the
    ledger's sum). With lock_project, the project row is locked first, so that two transfers
    of the project are checked against the balance one after the other."""
    if lock_project:
        Project.objects.select_for_update().filter(pk=project_id).values_list("pk").first()
    return LedgerEntry.objects.filter(project_id=project_id).aggregate(s=Sum("amount"))["s"] or ZERO


def _require_in_force(agreement: Agreement, field: str = "__all__") -> None:
    main = _main(agreement)
    for a in {agreement.pk: agreement, main.pk: main}.values():
        a.refresh_from_db(fields=["status", "void_requested_at"])
        if a.status != AgreementStatus.EFFECTIVE:
            raise ValidationError(
                _("Agreement %(number)s is %(status)s: nothing is paid on it.")
                % {"number": a.number, "status": a.get_status_display()},
                code="not_effective",
            )
        if a.void_requested_at is not None:
            raise ValidationError(
                _("Voiding of agreement %(number)s has been asked for: nothing is paid on it.")
                % {"number": a.number},
                code="void_requested",
            )


def _require_payment(actor: Any, payment: Payment, action: Action) -> None:
    """The actor may do this to the payment's household: role in the project, and the
    household's work group when the role is limited to some."""
    household = Household.objects.only("pk", "project_id", "work_group_id").get(
        pk=payment.household_id
    )
    require_household(actor, household, Module.PAYMENTS, action)


def _household_of(payment_or_instalment: Any) -> Household:
    return Household.objects.get(pk=payment_or_instalment.account.household_id)


def _paid_on(instalment: Instalment) -> Agreement:
    """The agreement an instalment is paid under: its plan's, or for an item of resettlement
    the household's main agreement (the account's)."""
    plan = instalment.plan
    if plan.agreement is not None:
        return plan.agreement
    return Agreement.objects.get(pk=instalment.account.agreement_id)


def _require_request(actor: Any, household: Household, instalment: Instalment) -> None:
    """Who may ask for a payment: payments/create holders; for an item of resettlement, also
    the resettlement officers (resettlement/create), both within the household's work group."""
    try:
        require_household(actor, household, Module.PAYMENTS, Action.CREATE)
    except AccessDenied:
        kind = PaymentPlan.objects.filter(pk=instalment.plan_id).values_list("kind", flat=True)
        if kind.first() == PlanKind.AGREEMENT:
            raise
        require_household(actor, household, Module.RESETTLEMENT, Action.CREATE)


def item_label(plan: PaymentPlan) -> str:
    """How an item of resettlement is named where an agreement's number would be."""
    label = f"{PlanKind(plan.kind).label} {plan.reference}"
    return f"{label} · {plan.description}" if plan.description else label


def _ledger_summary(instalment: Instalment, agreement: Agreement) -> str:
    plan = instalment.plan
    if plan.agreement_id is not None:
        return _summary(
            gettext_lazy("Instalment %(position)s of agreement %(number)s"),
            position=instalment.position,
            number=agreement.number,
        )
    return _summary(
        gettext_lazy("Paid %(kind)s %(reference)s (agreement %(number)s)"),
        kind=PlanKind(plan.kind).label,
        reference=plan.reference,
        number=agreement.number,
    )


@transaction.atomic
def request(*, actor: Any, instalment: Instalment) -> Payment:
    """The handler asks for an instalment whose condition is met to be paid."""
    household = _household_of(instalment)
    _require_request(actor, household, instalment)
    account = lock(instalment.account)
    instalment = Instalment.objects.select_related("plan__agreement", "account").get(
        pk=instalment.pk
    )
    agreement = _paid_on(instalment)
    _require_in_force(agreement)
    if instalment.paid_on is not None:
        raise ValidationError(_("This instalment has been paid."), code="paid")
    if instalment.payments.filter(status__in=LIVE).exists():
        raise ValidationError(
            _("The payment of this instalment has already been asked for."), code="requested"
        )
    if instalment.met_on is None:
        raise ValidationError(
            _("The instalment is paid %(condition)s: that has not happened yet.")
            % {"condition": instalment.get_condition_display().lower()},
            code="condition",
        )
    if instalment.amount <= 0:
        raise ValidationError(_("Nothing is left to pay on this instalment."), code="zero")
    owed = account.committed - account.paid - account.in_process
    if instalment.amount > owed:
        raise ValidationError(
            _("%(amount)s is more than is still owed on the agreement (%(owed)s).")
            % {"amount": _money(instalment.amount), "owed": _money(owed)},
            code="exceeds",
        )
    payment = Payment.objects.create(
        instalment=instalment,
        account=account,
        project_id=account.project_id,
        household_id=account.household_id,
        amount=instalment.amount,
        requested_by=actor,
    )
    _refresh(account)
    record(
        actor=actor,
        event_type="payment.request",
        target=payment,
        project=account.project_id,
        details={
            "agreement": agreement.number,
            "instalment": instalment.position,
            "amount": payment.amount,
            **({} if instalment.plan.agreement_id else {"item": item_label(instalment.plan)}),
        },
    )
    return payment


def _locked(payment: Payment) -> tuple[HouseholdAccount, Payment]:
    """Lock the household's account, then the payment (always in this order)."""
    account = lock(HouseholdAccount(pk=payment.account_id))
    # Only the payment's row: an item's plan has no agreement (an outer join, which
    # PostgreSQL does not lock).
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("instalment__plan__agreement", "instalment__account")
        .get(pk=payment.pk)
    )
    return account, payment


def _expect(payment: Payment, *statuses: str) -> None:
    if payment.status not in statuses:
        raise ValidationError(
            _("This payment is %(status)s.") % {"status": payment.get_status_display()},
            code="status",
        )


def approve(*, actor: Any, payment: Payment, password: str) -> Payment:
    """A finance officer approves the payment, with the password again; not whoever asked."""
    _require_payment(actor, payment, Action.APPROVE)
    confirm_password(
        actor, password, target=payment, project=payment.project_id, action="payment.approve"
    )
    return _approve(actor=actor, payment=payment)


@transaction.atomic
def _approve(*, actor: Any, payment: Payment) -> Payment:
    account, payment = _locked(payment)
    _expect(payment, PaymentStatus.REQUESTED)
    if payment.requested_by_id == actor.pk:
        raise AccessDenied(
            _("Whoever asked for a payment cannot approve it."),
            module=Module.PAYMENTS.value,
            action=Action.APPROVE.value,
            project_id=payment.project_id,
        )
    _require_in_force(_paid_on(payment.instalment))
    payment.status = PaymentStatus.APPROVED
    payment.approved_by = actor
    payment.approved_at = timezone.now()
    payment.save(update_fields=["status", "approved_by", "approved_at"])
    record(
        actor=actor,
        event_type="payment.approve",
        target=payment,
        project=payment.project_id,
        changes={"status": [PaymentStatus.REQUESTED.value, PaymentStatus.APPROVED.value]},
        details={"amount": payment.amount, "account": account.pk},
    )
    return payment


@transaction.atomic
def refuse(*, actor: Any, payment: Payment, reason: str) -> Payment:
    """A finance officer refuses the request, with the reason; the instalment is open again."""
    _require_payment(actor, payment, Action.APPROVE)
    reason = _text(reason, "reason", _("Give the reason for refusing."), 300)
    account, payment = _locked(payment)
    _expect(payment, PaymentStatus.REQUESTED)
    payment.status = PaymentStatus.REFUSED
    payment.refused_reason = reason
    payment.approved_by = actor
    payment.approved_at = timezone.now()
    payment.save(update_fields=["status", "refused_reason", "approved_by", "approved_at"])
    _refresh(account)
    record(
        actor=actor,
        event_type="payment.refuse",
        target=payment,
        project=payment.project_id,
        changes={"status": [PaymentStatus.REQUESTED.value, PaymentStatus.REFUSED.value]},
        details={"reason": reason},
    )
    return payment


def _identities(household_id: int, project_id: int) -> None:
    """Keep the paid household's ID numbers and title certificates, and mark every value paid
    in more than one household (二次补偿)."""
    household = Household.objects.get(pk=household_id)
    values: set[tuple[str, str]] = set()
    if household.head_id_number:
        values.add((IdentityKind.PERSON, household.head_id_number))
    for number in (
        Person.objects.filter(household_id=household_id)
        .exclude(id_number="")
        .values_list("id_number", flat=True)
    ):
        values.add((IdentityKind.PERSON, number))
    for number in (
        Building.objects.filter(household_id=household_id)
        .exclude(title_certificate_no="")
        .values_list("title_certificate_no", flat=True)
    ):
        values.add((IdentityKind.CERTIFICATE, number.strip()))
    if not values:
        return
    _lock_identities(values)
    PaidIdentity.objects.bulk_create(
        [
            PaidIdentity(kind=kind, value=value, project_id=project_id, household_id=household_id)
            for kind, value in values
        ],
        ignore_conflicts=True,
    )
    for kind, value in values:
        rows = PaidIdentity.objects.filter(kind=kind, value=value)
        if rows.values("household_id").distinct().count() > 1:
            rows.filter(duplicate=False).update(duplicate=True)


def _lock_identities(values: Iterable[tuple[str, str]]) -> None:
    """Two households' disbursements do not wait for each other's account lock: without this,
    the same person paid in both at the same moment would not see the other's row, and
    neither would be marked. Held to the end of the transaction, taken in one order (no
    deadlock). SQLite serialises every write anyway."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for kind, value in sorted(values):
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"paid_identity:{kind}:{value}"]
            )


def _identities_returned(household_id: int) -> None:
    """A household with nothing paid any more (its transfers came back) has not been paid:
    its ID numbers and certificates leave the double-compensation list, and a value now paid
    in one household only is no longer marked."""
    if Payment.objects.filter(household_id=household_id, status=PaymentStatus.PAID).exists():
        return
    rows = PaidIdentity.objects.filter(household_id=household_id)
    values = set(rows.values_list("kind", "value"))
    _lock_identities(values)
    rows.delete()
    for kind, value in values:
        others = PaidIdentity.objects.filter(kind=kind, value=value)
        if others.values("household_id").distinct().count() < 2:
            others.filter(duplicate=True).update(duplicate=False)


@transaction.atomic
def record_paid(
    *,
    actor: Any,
    payment: Payment,
    payee: str,
    bank: str,
    account_no: str,
    voucher_no: str,
    paid_on: dt.date | None,
) -> Payment:
    """The finance officer records the transfer of an approved payment: the ledger's entry,
    the household's account and the instalment, at once."""
    _require_payment(actor, payment, Action.CHANGE)
    errors: dict[str, Any] = {}
    checks = {
        "payee": lambda: _text(payee, "payee", _("Enter the payee's name."), 100),
        "bank": lambda: _text(bank, "bank", _("Enter the bank."), 100),
        "account_no": lambda: _account_no(account_no),
        "voucher_no": lambda: _text(voucher_no, "voucher_no", _("Enter the voucher number."), 60),
        "paid_on": lambda: _not_future(paid_on, "paid_on"),
    }
    clean: dict[str, Any] = {}
    for field, check in checks.items():
        try:
            clean[field] = check()
        except ValidationError as exc:
            errors.update(exc.error_dict)
    account, payment = _locked(payment)
    _expect(payment, PaymentStatus.APPROVED)
    approved_on = timezone.localtime(payment.approved_at).date() if payment.approved_at else None
    if paid_on is not None and approved_on is not None and paid_on < approved_on:
        errors["paid_on"] = ValidationError(
            _("The transfer cannot be before the approval (%(day)s).")
            % {"day": approved_on.isoformat()},
            code="before_approval",
        )
    if errors:
        raise ValidationError(errors)
    agreement = _paid_on(payment.instalment)
    _require_in_force(agreement)
    owed = account.committed - account.paid
    if payment.amount > owed:
        raise ValidationError(
            _("%(amount)s is more than is still owed on the agreement (%(owed)s).")
            % {"amount": _money(payment.amount), "owed": _money(owed)},
            code="exceeds",
        )
    balance = project_balance(payment.project_id, lock_project=True)
    if payment.amount > balance:
        raise ValidationError(
            _(
                "The project's account holds %(balance)s, less than this payment of %(amount)s: "
                "record the funds received first."
            )
            % {"balance": _money(balance), "amount": _money(payment.amount)},
            code="funds",
        )
    payment.status = PaymentStatus.PAID
    payment.payee = clean["payee"]
    payment.bank = clean["bank"]
    payment.account_no = clean["account_no"]
    payment.voucher_no = clean["voucher_no"]
    payment.paid_on = clean["paid_on"]
    payment.paid_by = actor
    payment.paid_recorded_at = timezone.now()
    payment.save()
    instalment = payment.instalment
    instalment.paid_on = payment.paid_on
    instalment.save(update_fields=["paid_on"])
    LedgerEntry.objects.create(
        project_id=payment.project_id,
        household_id=payment.household_id,
        kind=EntryKind.DISBURSEMENT,
        amount=-payment.amount,
        occurred_on=payment.paid_on,
        document_no=payment.voucher_no,
        description=_ledger_summary(instalment, agreement),
        payment=payment,
        agreement_number=agreement.number,
        recorded_by=actor,
    )
    _refresh(account)
    _identities(payment.household_id, payment.project_id)
    record(
        actor=actor,
        event_type="payment.paid",
        target=payment,
        project=payment.project_id,
        changes={"status": [PaymentStatus.APPROVED.value, PaymentStatus.PAID.value]},
        details={
            "amount": payment.amount,
            "paid_on": payment.paid_on,
            "voucher_no": payment.voucher_no,
            "bank": payment.bank,
            "account_no": mask_bank_account(payment.account_no),
        },
    )
    return payment


def _account_no(raw: str | None) -> str:
    text = "".join((raw or "").split()).replace("-", "")
    if not text:
        raise _invalid("account_no", _("Enter the account number."), "required")
    if not text.isdigit() or not 8 <= len(text) <= 30:
        raise _invalid("account_no", _("An account number has 8 to 30 digits."), "account_format")
    return text


@transaction.atomic
def confirm_receipt(*, actor: Any, payment: Payment, receipt: Any) -> Payment:
    """The household's signed receipt for a paid payment, uploaded and kept with its hash."""
    from zhengqian.agreements.documents import sha256
    from zhengqian.survey.attachments import JPEG, PDF, PNG, check_upload

    _require_payment(actor, payment, Action.CHANGE)
    _account, payment = _locked(payment)
    _expect(payment, PaymentStatus.PAID)
    if payment.receipt_confirmed_at is not None:
        raise ValidationError(_("The receipt has already been confirmed."), code="confirmed")
    if not receipt:
        raise _invalid("receipt", _("Upload the signed receipt."), "required")
    extensions = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
    try:
        kind = check_upload(receipt)
        if kind not in extensions:
            raise ValidationError(_("Upload a PDF or a JPEG or PNG image."), code="type")
    except ValidationError as exc:
        raise _invalid("receipt", exc.messages[0], "type") from None
    receipt.seek(0)
    data = receipt.read()
    payment.receipt_sha256 = sha256(data)
    # Stored under a name of the system's: the uploaded name may carry the payee's name.
    extension = extensions[kind]
    payment.receipt.save(f"receipt-{payment.pk}.{extension}", ContentFile(data), save=False)
    payment.receipt_confirmed_by = actor
    payment.receipt_confirmed_at = timezone.now()
    payment.save()
    record(
        actor=actor,
        event_type="payment.receipt",
        target=payment,
        project=payment.project_id,
        details={"sha256": payment.receipt_sha256},
    )
    return payment


@transaction.atomic
def record_failure(
    *, actor: Any, payment: Payment, reason: str, failed_on: dt.date | None
) -> Payment:
    """A transfer that failed or came back: recorded, the money back in the ledger if it had
    gone out, and the instalment open again to be asked for anew."""
    _require_payment(actor, payment, Action.CHANGE)
    errors: dict[str, Any] = {}
    try:
        reason = _text(reason, "reason", _("Give the reason the transfer failed."), 300)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    try:
        _not_future(failed_on, "failed_on")
    except ValidationError as exc:
        errors.update(exc.error_dict)
    account, payment = _locked(payment)
    _expect(payment, PaymentStatus.APPROVED, PaymentStatus.PAID)
    if failed_on is not None and payment.paid_on is not None and failed_on < payment.paid_on:
        errors["failed_on"] = ValidationError(
            _("A transfer cannot come back before it was made (%(day)s).")
            % {"day": payment.paid_on.isoformat()},
            code="before_paid",
        )
    if errors or failed_on is None:
        raise ValidationError(errors)
    was = payment.status
    if was == PaymentStatus.PAID:
        LedgerEntry.objects.create(
            project_id=payment.project_id,
            household_id=payment.household_id,
            kind=EntryKind.RETURN,
            amount=payment.amount,
            occurred_on=failed_on,
            document_no=payment.voucher_no,
            description=_summary(gettext_lazy("Returned: %(reason)s"), reason=reason),
            payment=payment,
            agreement_number=_paid_on(payment.instalment).number,
            recorded_by=actor,
        )
        instalment = payment.instalment
        instalment.paid_on = None
        instalment.save(update_fields=["paid_on"])
    payment.status = PaymentStatus.FAILED
    payment.failed_reason = reason
    payment.failed_on = failed_on
    payment.failed_by = actor
    payment.save(update_fields=["status", "failed_reason", "failed_on", "failed_by"])
    _refresh(account)
    if was == PaymentStatus.PAID:
        _identities_returned(payment.household_id)
    record(
        actor=actor,
        event_type="payment.failed",
        target=payment,
        project=payment.project_id,
        changes={"status": [was, PaymentStatus.FAILED.value]},
        details={"reason": reason, "failed_on": failed_on, "amount": payment.amount},
    )
    return payment


# --- receivables -----------------------------------------------------------------------------


def _locked_receivable(receivable: Receivable) -> Receivable:
    return (
        Receivable.objects.select_for_update(of=("self",))
        .select_related("household")
        .get(pk=receivable.pk)
    )


@transaction.atomic
def receivable_record(
    *, actor: Any, receivable: Receivable, received_on: dt.date | None, voucher_no: str
) -> Receivable:
    """Finance records the household's money as received (收款): once, with the voucher
    number, and books it in the ledger in the same transaction."""
    require_household(actor, receivable.household, Module.PAYMENTS, Action.CHANGE)
    errors: dict[str, Any] = {}
    try:
        _not_future(received_on, "received_on")
    except ValidationError as exc:
        errors.update(exc.error_dict)
    voucher = ""
    try:
        voucher = _text(voucher_no, "voucher_no", _("Enter the voucher number."), 60)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    receivable = _locked_receivable(receivable)
    if receivable.status != ReceivableStatus.OPEN:
        raise ValidationError(
            _("This amount receivable is %(status)s.")
            % {"status": receivable.get_status_display()},
            code="status",
        )
    created_on = timezone.localtime(receivable.created_at).date()
    if received_on is not None and "received_on" not in errors and received_on < created_on:
        errors["received_on"] = ValidationError(
            _("The money cannot have been received before it was owed (%(day)s).")
            % {"day": created_on.isoformat()},
            code="before_created",
        )
    if errors or received_on is None:
        raise ValidationError(errors)
    receivable.status = ReceivableStatus.RECEIVED
    receivable.received_on = received_on
    receivable.voucher_no = voucher
    receivable.received_by = actor
    receivable.save(update_fields=["status", "received_on", "voucher_no", "received_by"])
    main = (
        Agreement.objects.filter(household_id=receivable.household_id, parent__isnull=True)
        .exclude(status=AgreementStatus.VOID)
        .values_list("number", flat=True)
        .first()
    )
    LedgerEntry.objects.create(
        project_id=receivable.project_id,
        household_id=receivable.household_id,
        kind=EntryKind.COLLECTION,
        amount=receivable.amount,
        occurred_on=received_on,
        document_no=voucher,
        description=_summary(
            gettext_lazy("Received from household %(code)s: %(kind)s %(reference)s"),
            code=receivable.household.code,
            kind=PlanKind(receivable.kind).label,
            reference=receivable.reference,
        ),
        receivable=receivable,
        agreement_number=main or "",
        recorded_by=actor,
    )
    record(
        actor=actor,
        event_type="payment.receivable_received",
        target=receivable,
        project=receivable.project_id,
        changes={"status": [ReceivableStatus.OPEN.value, ReceivableStatus.RECEIVED.value]},
        details={"amount": receivable.amount, "received_on": received_on, "voucher_no": voucher},
    )
    return receivable


@transaction.atomic
def receivable_cancel(*, actor: Any, receivable: Receivable, reason: str) -> Receivable:
    """A finance officer who may approve cancels an open amount receivable, with the reason
    (e.g. the choice it came from was undone)."""
    require_household(actor, receivable.household, Module.PAYMENTS, Action.APPROVE)
    reason = _text(reason, "reason", _("Give the reason for cancelling."), 300)
    receivable = _locked_receivable(receivable)
    if receivable.status != ReceivableStatus.OPEN:
        raise ValidationError(
            _("This amount receivable is %(status)s.")
            % {"status": receivable.get_status_display()},
            code="status",
        )
    receivable.status = ReceivableStatus.CANCELLED
    receivable.cancelled_reason = reason
    receivable.save(update_fields=["status", "cancelled_reason"])
    record(
        actor=actor,
        event_type="payment.receivable_cancel",
        target=receivable,
        project=receivable.project_id,
        changes={"status": [ReceivableStatus.OPEN.value, ReceivableStatus.CANCELLED.value]},
        details={"reason": reason, "amount": receivable.amount},
    )
    return receivable
