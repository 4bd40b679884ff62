"""Writes of the housing vouchers (房票): the participating developers, a voucher's issue from an
effective voucher agreement, its use at a developer (with the developer's settlement in two
stages through the payments module), the cashing of its balance, its lapse, and its reissue
when lost (DESIGN.md §1, §6; issue 8 item 4).

Rules decided here where the policy is silent:

- Face value: the calculation's voucher value. The differences of the agreement's
  supplements are not added to it: the payments module pays each supplement's difference in
  cash through its own plan, so adding it to the voucher would pay it twice. The premium kept
  on the voucher is the face value less the agreement's amount, never below zero.
- Validity: `voucher_validity_months` calendar months from the day of issue, the same day of
  the month or that month's last day; a voucher may be spent on its last day, not after.
- Numbers: "FP-<project code>-<6 digits>", one series per project, drawn under a lock of the
  project row from the highest number given: never twice, never a gap, a cancelled number is
  never given again.
- Cashing: only while the voucher is valid (after its expiry the balance goes the lapse path).
  The balance, less the premium's share when the policy forfeits it (balance × credit / face
  value, to the fen), is bought back: up to `voucher_cash_full_percent` % of the face value at
  100 %, the rest at `voucher_cash_rate` %, each part rounded once.
- Lapse: a voucher past its last valid day with a balance lapses the day after. When the policy
  allows cashing, its balance is bought back at the cashing rules (a lapsed voucher is treated
  as cash compensation, 按货币补偿结算); otherwise the balance is forfeited.
- Reissue (lost): the old voucher is cancelled; the new one has a new number, the old balance
  as its face value, the same last valid day, and the same share of premium as the old
  balance. Uses stay on the old voucher.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements.models import Agreement, AgreementKind, AgreementStatus
from zhengqian.audit.services import record
from zhengqian.compensation.engine import fen
from zhengqian.compensation.models import Policy
from zhengqian.core.idcard import parse_id_number
from zhengqian.core.updates import apply_changes, lock
from zhengqian.core.workdays import add_months
from zhengqian.payments import services as payments
from zhengqian.payments.models import PlanKind
from zhengqian.projects.models import Project
from zhengqian.resettlement.models import (
    ZERO,
    Developer,
    DeveloperPayment,
    DeveloperStage,
    Voucher,
    VoucherStatus,
    VoucherUse,
)
from zhengqian.survey.models import Household, Person
from zhengqian.survey.permissions import require_household

HUNDRED = Decimal("100")
# A voucher may be spent, cashed, lapsed or reissued only in these states.
OPEN_STATUSES = (VoucherStatus.ISSUED, VoucherStatus.PARTLY_USED)
SERIES_DIGITS = 6


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _text(value: str | None) -> str:
    return (value or "").strip()


def _today() -> dt.date:
    return timezone.localdate()


# --- unified social credit code (GB 32100-2015) ------------------------------------------------

CREDIT_CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code from its first 17 (GB 32100-2015:
    weights 3^(i-1) mod 31, check = 31 − sum mod 31, 31 read as 0)."""
    if len(first17) != 17 or any(c not in CREDIT_CODE_CHARACTERS for c in first17):
        raise ValueError(f"Expected 17 characters of the code set, got {first17!r}.")
    total = sum(
        CREDIT_CODE_CHARACTERS.index(c) * w
        for c, w in zip(first17, _CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARACTERS[(31 - total % 31) % 31]


def clean_credit_code(raw: str | None) -> str:
    """The code in capitals without spaces; ValidationError (length, characters, check_digit)."""
    code = "".join(_text(raw).split()).upper()
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)d."),
            code="length",
            params={"count": len(code)},
        )
    wrong = sorted({c for c in code if c not in CREDIT_CODE_CHARACTERS})
    if wrong:
        raise ValidationError(
            _(
                "A unified social credit code has digits and capital letters other than I, O, "
                "S, V and Z; this one has %(chars)s."
            ),
            code="characters",
            params={"chars": "".join(wrong)},
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The last character of the unified social credit code should be %(expected)s, "
                "not %(actual)s; a character may have been mistyped."
            ),
            code="check_digit",
            params={"expected": expected, "actual": code[17]},
        )
    return code


# --- developers ------------------------------------------------------------------------------

_ACCOUNT_NO = re.compile(r"[0-9]{8,30}")


def _developer_values(
    project_id: int, data: dict[str, Any], *, exclude: int | None = None
) -> dict[str, Any]:
    errors: dict[str, ValidationError] = {}
    clean: dict[str, Any] = {}
    name = _text(data.get("name"))
    if not name:
        errors["name"] = ValidationError(_("Give the developer's name."), code="required")
    elif len(name) > 200:
        errors["name"] = ValidationError(_("The name is too long."), code="too_long")
    clean["name"] = name
    try:
        clean["credit_code"] = clean_credit_code(data.get("credit_code"))
    except ValidationError as exc:
        errors["credit_code"] = exc
    else:
        taken = Developer.objects.filter(project_id=project_id, credit_code=clean["credit_code"])
        if exclude is not None:
            taken = taken.exclude(pk=exclude)
        if taken.exists():
            errors["credit_code"] = ValidationError(
                _("A developer with this unified social credit code is already recorded."),
                code="duplicate",
            )
    bank = _text(data.get("bank"))
    if not bank:
        errors["bank"] = ValidationError(_("Give the bank of the account."), code="required")
    clean["bank"] = bank[:100]
    account_no = "".join(_text(data.get("account_no")).replace("-", "").split())
    if not _ACCOUNT_NO.fullmatch(account_no):
        errors["account_no"] = ValidationError(
            _("An account number has 8 to 30 digits."), code="account_no"
        )
    clean["account_no"] = account_no
    clean["active"] = bool(data.get("active", True))
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def developer_create(
    *,
    actor: Any,
    project: Project,
    name: str,
    credit_code: str,
    bank: str,
    account_no: str,
    active: bool = True,
) -> Developer:
    require(actor, Module.RESETTLEMENT, Action.CREATE, project=project)
    clean = _developer_values(
        project.pk,
        {
            "name": name,
            "credit_code": credit_code,
            "bank": bank,
            "account_no": account_no,
            "active": active,
        },
    )
    try:
        with transaction.atomic():
            developer = Developer.objects.create(project=project, created_by=actor, **clean)
    except IntegrityError:
        # The same code recorded at the same moment at another desk.
        raise ValidationError(
            {
                "credit_code": ValidationError(
                    _("A developer with this unified social credit code is already recorded."),
                    code="duplicate",
                )
            }
        ) from None
    record(
        actor=actor,
        event_type="resettlement.developer_create",
        target=developer,
        project=project,
        details={k: v for k, v in clean.items() if k != "account_no"},
    )
    return developer


@transaction.atomic
def developer_update(*, actor: Any, developer: Developer, **fields: Any) -> Developer:
    require(actor, Module.RESETTLEMENT, Action.CHANGE, project=developer.project_id)
    developer = lock(developer)
    current = {
        "name": developer.name,
        "credit_code": developer.credit_code,
        "bank": developer.bank,
        "account_no": developer.account_no,
        "active": developer.active,
    }
    unknown = set(fields) - set(current)
    if unknown:
        raise TypeError(f"Fields not editable here: {', '.join(sorted(unknown))}")
    clean = _developer_values(developer.project_id, {**current, **fields}, exclude=developer.pk)
    changes = apply_changes(developer, clean, allowed=current)
    if changes:
        if "account_no" in changes:
            # The account number is the company's, not personal data; the trail keeps that it
            # changed and its last digits.
            changes["account_no"] = [v[-4:] if v else v for v in changes["account_no"]]
        record(
            actor=actor,
            event_type="resettlement.developer_update",
            target=developer,
            project=developer.project_id,
            changes=changes,
        )
    return developer


# --- issue -----------------------------------------------------------------------------------


def face_value(agreement: Agreement) -> tuple[Decimal, Decimal]:
    """(face value, premium) of a voucher issued on this agreement now (see the module's
    docstring)."""
    calculation = agreement.calculation
    policy = calculation.policy
    factor = 1 + policy.voucher_premium / HUNDRED
    base = (
        calculation.voucher_value
        if calculation.voucher_value is not None
        else fen(agreement.total * factor)
    )
    # The supplements' differences are paid in cash by their own plans (see the docstring).
    face = base
    premium = max(face - agreement.total, ZERO)
    return face, premium


def _check_holder(
    household: Household, name: str | None, id_number: str | None
) -> tuple[str, str, dict[str, ValidationError]]:
    """The holder's name and normalised ID number, and what is wrong: a valid resident ID
    number of the head or a member of the household, under that person's name."""
    errors: dict[str, ValidationError] = {}
    holder = _text(name)
    if not holder:
        errors["holder_name"] = ValidationError(_("Give the holder's name."), code="required")
    try:
        number = parse_id_number(id_number or "").number
    except ValidationError as exc:
        errors["holder_id_number"] = exc
        return holder, _text(id_number), errors
    members = Person.objects.filter(household=household, id_number=number)
    people = [
        (household.head_name, household.head_id_number),
        *members.values_list("name", "id_number"),
    ]
    names = {person_name.strip() for person_name, person_id in people if person_id == number}
    if not names:
        errors["holder_id_number"] = ValidationError(
            _(
                "This ID number is not that of the head or a member of household %(code)s: the "
                "voucher is issued to one of them."
            )
            % {"code": household.code},
            code="not_member",
        )
    elif holder and holder not in names:
        errors["holder_name"] = ValidationError(
            _("The name does not match the ID number as recorded for the household."),
            code="name_mismatch",
        )
    return holder, number, errors


def _next_number(project: Project) -> str:
    """The next number of the project's series; the caller holds the project row's lock."""
    prefix = f"FP-{project.code}-"
    last = Voucher.objects.filter(project=project, number__startswith=prefix).aggregate(
        m=Max("number")
    )["m"]
    n = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{n:0{SERIES_DIGITS}d}"


def _lock_project(project_id: int) -> Project:
    return Project.objects.select_for_update().get(pk=project_id)


def _check_day(
    day: dt.date | None, field: str, *, earliest: dt.date | None = None, what: str = ""
) -> dict[str, ValidationError]:
    if day is None:
        return {field: ValidationError(_("Give the date."), code="required")}
    if day > _today():
        return {field: ValidationError(_("The date cannot be in the future."), code="future")}
    if earliest is not None and day < earliest:
        return {
            field: ValidationError(
                _("The date cannot be before %(day)s (%(what)s).")
                % {"day": earliest.isoformat(), "what": what},
                code="too_early",
            )
        }
    return {}


@transaction.atomic
def voucher_issue(
    *,
    actor: Any,
    agreement: Agreement,
    holder_name: str,
    holder_id_number: str,
    issued_on: dt.date | None,
) -> Voucher:
    """Issue the voucher of an effective main voucher agreement (one live voucher each)."""
    # The household as it is now (its head's ID number may have been corrected since).
    household = Household.objects.get(pk=agreement.household_id)
    require_household(actor, household, Module.RESETTLEMENT, Action.CREATE)
    agreement = lock(agreement)
    if agreement.parent_id is not None or agreement.kind != AgreementKind.VOUCHER:
        raise _invalid(
            "agreement",
            _("Agreement %(number)s is not a housing voucher agreement.")
            % {"number": agreement.number},
            "not_voucher",
        )
    if agreement.status != AgreementStatus.EFFECTIVE or agreement.void_requested_at is not None:
        raise _invalid(
            "agreement",
            _("Agreement %(number)s is not in force: a voucher is issued once it is effective.")
            % {"number": agreement.number},
            "not_effective",
        )
    live = (
        Voucher.objects.filter(agreement=agreement).exclude(status=VoucherStatus.CANCELLED).first()
    )
    if live is not None:
        raise _invalid(
            "agreement",
            _("Voucher %(number)s has already been issued on agreement %(agreement)s.")
            % {"number": live.number, "agreement": agreement.number},
            "exists",
        )
    holder, number, errors = _check_holder(household, holder_name, holder_id_number)
    errors.update(
        _check_day(
            issued_on,
            "issued_on",
            earliest=agreement.effective_on,
            what=_("the agreement took effect"),
        )
    )
    face, premium = face_value(agreement)
    if face <= 0:
        errors["agreement"] = ValidationError(
            _("The agreement gives the voucher no value."), code="no_value"
        )
    policy = agreement.calculation.policy
    if (
        "issued_on" not in errors
        and issued_on is not None
        and add_months(issued_on, policy.voucher_validity_months) < _today()
    ):
        errors["issued_on"] = ValidationError(
            _(
                "A voucher issued on %(day)s would already have expired: give the day it is "
                "handed to the holder."
            )
            % {"day": issued_on.isoformat()},
            code="expired_at_issue",
        )
    if errors or issued_on is None:
        raise ValidationError(errors)
    project = _lock_project(agreement.project_id)
    voucher = Voucher.objects.create(
        project=project,
        household=household,
        agreement=agreement,
        number=_next_number(project),
        face_value=face,
        premium=premium,
        issued_on=issued_on,
        valid_until=add_months(issued_on, policy.voucher_validity_months),
        holder_name=holder,
        holder_id_number=number,
        issued_by=actor,
    )
    record(
        actor=actor,
        event_type="resettlement.voucher_issue",
        target=voucher,
        project=project,
        details={
            "household": household.pk,
            "agreement": agreement.number,
            "face_value": face,
            "premium": premium,
            "issued_on": issued_on.isoformat(),
            "valid_until": voucher.valid_until.isoformat(),
        },
    )
    return voucher


# --- use at a developer ----------------------------------------------------------------------


def _refuse_closed(voucher: Voucher) -> None:
    """A voucher that can no longer be spent, cashed or reissued, said by its state."""
    messages = {
        VoucherStatus.CANCELLED: (
            _("Voucher %(number)s was cancelled (lost and reissued)."),
            "cancelled",
        ),
        VoucherStatus.LAPSED: (_("Voucher %(number)s has lapsed."), "lapsed"),
        VoucherStatus.CASHED: (_("The balance of voucher %(number)s was cashed."), "cashed"),
        VoucherStatus.USED: (_("Voucher %(number)s has been used in full."), "used"),
    }
    if voucher.status in messages:
        message, code = messages[VoucherStatus(voucher.status)]
        raise ValidationError(message % {"number": voucher.number}, code=code)


def _lock_voucher(voucher: Voucher) -> Voucher:
    return Voucher.objects.select_for_update().get(pk=voucher.pk)


def policy_of(voucher: Voucher) -> Policy:
    """The policy of the voucher's agreement (its cashing and settlement rules)."""
    agreement = Agreement.objects.select_related("calculation__policy").get(pk=voucher.agreement_id)
    return agreement.calculation.policy


def _amount(value: Any, field: str) -> tuple[Decimal | None, dict[str, ValidationError]]:
    if value is None or value == "":
        return None, {field: ValidationError(_("Give the amount."), code="required")}
    amount = Decimal(value)
    if amount <= 0:
        return None, {field: ValidationError(_("The amount must be positive."), code="positive")}
    if amount != fen(amount):
        return None, {field: ValidationError(_("Amounts are given to the fen."), code="fen")}
    return amount, {}


def _schedule_stage(
    *, actor: Any, use: VoucherUse, voucher: Voucher, stage: str, amount: Decimal, on: dt.date
) -> DeveloperPayment | None:
    if amount <= 0:
        return None
    instalment = payments.schedule_item(
        actor=actor,
        household=voucher.household,
        kind=PlanKind.DEVELOPER,
        reference=f"{voucher.number}/{use.pk}/{stage}",
        description=f"{use.developer.name} {use.contract_no}"[:200],
        amount=amount,
        on=on,
    )
    return DeveloperPayment.objects.create(
        use=use, stage=stage, amount=amount, instalment=instalment
    )


@transaction.atomic
def voucher_use(
    *,
    actor: Any,
    voucher: Voucher,
    developer: Developer | None,
    contract_no: str,
    flat: str,
    flat_area: Decimal | None,
    contract_price: Decimal | None,
    amount: Decimal | None,
    used_on: dt.date | None,
) -> VoucherUse:
    """Spend the voucher on a flat bought from a participating developer. The voucher's row is
    locked: two uses at once are applied one after the other, and the second sees what the
    first left. The developer's first stage is scheduled through the payments module."""
    require_household(actor, voucher.household, Module.RESETTLEMENT, Action.CREATE)
    voucher = _lock_voucher(voucher)
    _refuse_closed(voucher)
    errors: dict[str, ValidationError] = {}
    if developer is not None:
        # As it is now: a developer stopped taking vouchers meanwhile is refused.
        developer = Developer.objects.get(pk=developer.pk)
    if developer is None:
        errors["developer"] = ValidationError(_("Choose the developer."), code="required")
    elif developer.project_id != voucher.project_id:
        errors["developer"] = ValidationError(
            _("The developer does not take part in this project."), code="other_project"
        )
    elif not developer.active:
        errors["developer"] = ValidationError(
            _("%(name)s no longer takes housing vouchers.") % {"name": developer.name},
            code="developer_inactive",
        )
    contract = _text(contract_no)
    if not contract:
        errors["contract_no"] = ValidationError(
            _("Give the number of the purchase contract."), code="required"
        )
    elif (
        developer is not None
        and VoucherUse.objects.filter(developer=developer, contract_no=contract).exists()
    ):
        errors["contract_no"] = ValidationError(
            _("Purchase contract %(contract)s has already been paid with a voucher.")
            % {"contract": contract},
            code="duplicate_contract",
        )
    bought = _text(flat)
    if not bought:
        errors["flat"] = ValidationError(_("Describe the flat bought."), code="required")
    if flat_area is not None and flat_area <= 0:
        errors["flat_area"] = ValidationError(_("The area must be positive."), code="positive")
    price, problems = _amount(contract_price, "contract_price")
    errors.update(problems)
    spent, problems = _amount(amount, "amount")
    errors.update(problems)
    if spent is not None and spent > voucher.balance:
        errors["amount"] = ValidationError(
            _("%(amount)s is beyond the face value: voucher %(number)s has %(balance)s left.")
            % {
                "amount": f"{spent:,.2f}",
                "number": voucher.number,
                "balance": f"{voucher.balance:,.2f}",
            },
            code="beyond_face_value",
        )
    elif spent is not None and price is not None and spent > price:
        errors["amount"] = ValidationError(
            _("The voucher pays at most the contract price (%(price)s).")
            % {"price": f"{price:,.2f}"},
            code="beyond_price",
        )
    if used_on is not None and used_on > voucher.valid_until:
        errors["used_on"] = ValidationError(
            _("Voucher %(number)s expired on %(day)s.")
            % {"number": voucher.number, "day": voucher.valid_until.isoformat()},
            code="expired",
        )
    else:
        errors.update(
            _check_day(
                used_on, "used_on", earliest=voucher.issued_on, what=_("the voucher was issued")
            )
        )
    if errors or developer is None or spent is None or price is None or used_on is None:
        raise ValidationError(errors)
    try:
        # A concurrent use of the same contract with another voucher: the database refuses it.
        with transaction.atomic():
            use = VoucherUse.objects.create(
                voucher=voucher,
                developer=developer,
                contract_no=contract,
                flat=bought[:200],
                flat_area=flat_area,
                contract_price=price,
                amount=spent,
                used_on=used_on,
                recorded_by=actor,
            )
    except IntegrityError:
        raise _invalid(
            "contract_no",
            _("Purchase contract %(contract)s has already been paid with a voucher.")
            % {"contract": contract},
            "duplicate_contract",
        ) from None
    voucher.used += spent
    voucher.status = VoucherStatus.USED if voucher.balance == 0 else VoucherStatus.PARTLY_USED
    # The check constraint voucher_within_face_value is the last guard.
    voucher.save(update_fields=["used", "status"])
    policy = policy_of(voucher)
    first = fen(spent * policy.voucher_developer_first_percent / HUNDRED)
    _schedule_stage(
        actor=actor, use=use, voucher=voucher, stage=DeveloperStage.FILED, amount=first, on=used_on
    )
    record(
        actor=actor,
        event_type="resettlement.voucher_use",
        target=voucher,
        project=voucher.project_id,
        details={
            "use": use.pk,
            "developer": developer.pk,
            "contract_no": contract,
            "amount": spent,
            "used_on": used_on.isoformat(),
            "balance": voucher.balance,
            "first_stage": first,
        },
    )
    return use


@transaction.atomic
def use_registered(*, actor: Any, use: VoucherUse, registered_on: dt.date | None) -> VoucherUse:
    """The flat's title is registered to the household: the rest of the developer's
    settlement is scheduled."""
    voucher = use.voucher
    require_household(actor, voucher.household, Module.RESETTLEMENT, Action.CHANGE)
    use = VoucherUse.objects.select_for_update().select_related("developer").get(pk=use.pk)
    if use.registered_on is not None:
        raise ValidationError(
            _("The title was already registered on %(day)s.")
            % {"day": use.registered_on.isoformat()},
            code="registered",
        )
    errors = _check_day(
        registered_on, "registered_on", earliest=use.used_on, what=_("the voucher was used")
    )
    if errors or registered_on is None:
        raise ValidationError(errors)
    use.registered_on = registered_on
    use.save(update_fields=["registered_on"])
    first = use.settlements.filter(stage=DeveloperStage.FILED).aggregate(s=Sum("amount"))["s"]
    rest = use.amount - (first or ZERO)
    _schedule_stage(
        actor=actor,
        use=use,
        voucher=voucher,
        stage=DeveloperStage.REGISTERED,
        amount=rest,
        on=registered_on,
    )
    record(
        actor=actor,
        event_type="resettlement.voucher_registered",
        target=voucher,
        project=voucher.project_id,
        details={"use": use.pk, "registered_on": registered_on.isoformat(), "second_stage": rest},
    )
    return use


# --- cashing and lapse -----------------------------------------------------------------------


@dataclass(frozen=True)
class CashValue:
    """What the balance of a voucher is bought back for, part by part."""

    balance: Decimal
    forfeited: Decimal  # the premium's share of the balance, when the policy forfeits it
    base: Decimal  # the balance less what is forfeited
    at_full: Decimal  # bought back at 100 % (up to the policy's share of the face value)
    at_rate: Decimal  # the rest of the base
    rate_amount: Decimal  # the rest at the policy's rate
    total: Decimal


def cash_value(
    *,
    balance: Decimal,
    face_value: Decimal,
    premium: Decimal,
    policy: Policy,
    first_face_value: Decimal | None = None,
) -> CashValue:
    """`first_face_value`: the face value of the voucher as first issued (a reissued voucher's
    face value is only the balance it took over); the share bought back at 100 % is of it."""
    if balance <= 0 or face_value <= 0:
        return CashValue(balance, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO)
    base = balance
    if policy.voucher_cash_forfeits_premium and premium > 0:
        base = fen(balance * (face_value - premium) / face_value)
    cap = fen((first_face_value or face_value) * policy.voucher_cash_full_percent / HUNDRED)
    at_full = min(base, cap)
    at_rate = base - at_full
    rate_amount = fen(at_rate * policy.voucher_cash_rate / HUNDRED)
    return CashValue(
        balance=balance,
        forfeited=balance - base,
        base=base,
        at_full=at_full,
        at_rate=at_rate,
        rate_amount=rate_amount,
        total=at_full + rate_amount,
    )


def first_issued(voucher: Voucher) -> Voucher:
    """The voucher as first issued, before any reissue."""
    first = voucher
    while first.replaces_id is not None:
        first = Voucher.objects.only("pk", "face_value", "replaces_id").get(pk=first.replaces_id)
    return first


def value_of(voucher: Voucher, policy: Policy | None = None) -> CashValue:
    return cash_value(
        balance=voucher.balance,
        face_value=voucher.face_value,
        premium=voucher.premium,
        policy=policy or policy_of(voucher),
        first_face_value=first_issued(voucher).face_value,
    )


def _buy_back(*, actor: Any, voucher: Voucher, value: CashValue, on: dt.date, why: str) -> None:
    if value.total > 0:
        payments.schedule_item(
            actor=actor,
            household=voucher.household,
            kind=PlanKind.VOUCHER_CASH,
            reference=voucher.number,
            description=f"{voucher.number} {why}"[:200],
            amount=value.total,
            on=on,
        )
    voucher.cashed = value.balance
    voucher.cash_paid = value.total


def _value_details(value: CashValue) -> dict[str, Decimal]:
    return {
        "balance": value.balance,
        "forfeited": value.forfeited,
        "at_full": value.at_full,
        "at_rate": value.at_rate,
        "rate_amount": value.rate_amount,
        "paid": value.total,
    }


@transaction.atomic
def voucher_cash(*, actor: Any, voucher: Voucher, on: dt.date | None) -> Voucher:
    """Buy the unused balance back (when the policy allows it) while the voucher is valid."""
    require_household(actor, voucher.household, Module.RESETTLEMENT, Action.CHANGE)
    voucher = _lock_voucher(voucher)
    _refuse_closed(voucher)
    policy = policy_of(voucher)
    if not policy.voucher_cash_allowed:
        raise ValidationError(
            _("The policy does not allow the balance of a voucher to be cashed."),
            code="not_allowed",
        )
    if voucher.balance <= 0:
        raise ValidationError(_("Nothing is left on the voucher."), code="nothing_left")
    errors = _check_day(on, "on", earliest=voucher.issued_on, what=_("the voucher was issued"))
    if on is not None and not errors and on > voucher.valid_until:
        errors["on"] = ValidationError(
            _(
                "Voucher %(number)s expired on %(day)s: its balance is settled when it lapses, "
                "not cashed."
            )
            % {"number": voucher.number, "day": voucher.valid_until.isoformat()},
            code="expired",
        )
    last_use = voucher.uses.aggregate(m=Max("used_on"))["m"]
    if on is not None and not errors and last_use is not None and on < last_use:
        errors["on"] = ValidationError(
            _("The voucher was last used on %(day)s: it is cashed after that.")
            % {"day": last_use.isoformat()},
            code="before_use",
        )
    if errors or on is None:
        raise ValidationError(errors)
    value = value_of(voucher, policy)
    _buy_back(actor=actor, voucher=voucher, value=value, on=on, why=_("balance cashed"))
    voucher.status = VoucherStatus.CASHED
    voucher.save(update_fields=["cashed", "cash_paid", "status"])
    record(
        actor=actor,
        event_type="resettlement.voucher_cash",
        target=voucher,
        project=voucher.project_id,
        details={"on": on.isoformat(), **_value_details(value)},
    )
    return voucher


def lapses_on(voucher: Voucher) -> dt.date:
    return voucher.valid_until + dt.timedelta(days=1)


@transaction.atomic
def voucher_lapse(*, actor: Any = None, voucher: Voucher, on: dt.date) -> Voucher:
    """The voucher lapses: past its last valid day, with a balance. Its balance is bought back
    at the cashing rules when the policy allows cashing, else forfeited. `actor` is None when
    the daily job does it."""
    if actor is not None:
        require_household(actor, voucher.household, Module.RESETTLEMENT, Action.CHANGE)
    voucher = _lock_voucher(voucher)
    _refuse_closed(voucher)
    if on <= voucher.valid_until:
        raise ValidationError(
            _("Voucher %(number)s is valid until %(day)s.")
            % {"number": voucher.number, "day": voucher.valid_until.isoformat()},
            code="not_expired",
        )
    policy = policy_of(voucher)
    value = value_of(voucher, policy)
    if policy.voucher_cash_allowed:
        _buy_back(
            actor=actor, voucher=voucher, value=value, on=on, why=_("lapsed, balance settled")
        )
    voucher.status = VoucherStatus.LAPSED
    voucher.lapsed_on = lapses_on(voucher)
    voucher.save(update_fields=["cashed", "cash_paid", "status", "lapsed_on"])
    record(
        actor=actor,
        event_type="resettlement.voucher_lapse",
        target=voucher,
        project=voucher.project_id,
        details={
            "on": on.isoformat(),
            "lapsed_on": voucher.lapsed_on.isoformat(),
            "bought_back": policy.voucher_cash_allowed,
            **(
                _value_details(value)
                if policy.voucher_cash_allowed
                else {"forfeited": value.balance}
            ),
        },
    )
    return voucher


@dataclass
class LapseOutcome:
    lapsed: list[Voucher]
    failed: list[tuple[str, str]]  # (voucher number, why)


# Refusals that mean someone else settled the voucher meanwhile: nothing is left to do.
_SETTLED_MEANWHILE = {"cancelled", "lapsed", "cashed", "used", "not_expired"}


def lapse_due(*, on: dt.date, project: Project | None = None) -> LapseOutcome:
    """Lapse every open voucher past its last valid day (the daily job). Each voucher is its
    own transaction, so one that fails (e.g. its agreement no longer in force) is named and the
    others lapse; running it twice lapses nothing more."""
    due = Voucher.objects.filter(status__in=OPEN_STATUSES, valid_until__lt=on)
    if project is not None:
        due = due.filter(project=project)
    outcome = LapseOutcome([], [])
    for voucher in due.select_related("household").order_by("pk"):
        try:
            outcome.lapsed.append(voucher_lapse(voucher=voucher, on=on))
        except ValidationError as exc:
            codes = {e.code for e in exc.error_list} if not hasattr(exc, "error_dict") else set()
            if not codes <= _SETTLED_MEANWHILE or not codes:
                outcome.failed.append((voucher.number, " ".join(exc.messages)))
    return outcome


# --- reissue ---------------------------------------------------------------------------------


@transaction.atomic
def voucher_reissue(
    *,
    actor: Any,
    voucher: Voucher,
    reason: str,
    holder_name: str,
    holder_id_number: str,
    issued_on: dt.date | None,
) -> Voucher:
    """A lost voucher: cancelled, and its balance issued again under a new number, valid until
    the same day."""
    household = Household.objects.get(pk=voucher.household_id)
    require_household(actor, household, Module.RESETTLEMENT, Action.CHANGE)
    voucher = _lock_voucher(voucher)
    _refuse_closed(voucher)
    errors: dict[str, ValidationError] = {}
    why = _text(reason)
    if not why:
        errors["reason"] = ValidationError(
            _("Say why the voucher is reissued (e.g. reported lost on …)."), code="required"
        )
    elif len(why) > 300:
        errors["reason"] = ValidationError(_("The reason is too long."), code="too_long")
    holder, number, problems = _check_holder(household, holder_name, holder_id_number)
    errors.update(problems)
    if issued_on is not None and issued_on > voucher.valid_until:
        errors["issued_on"] = ValidationError(
            _("Voucher %(number)s expired on %(day)s: it lapses, it is not reissued.")
            % {"number": voucher.number, "day": voucher.valid_until.isoformat()},
            code="expired",
        )
    else:
        errors.update(
            _check_day(
                issued_on, "issued_on", earliest=voucher.issued_on, what=_("the voucher was issued")
            )
        )
    if errors or issued_on is None:
        raise ValidationError(errors)
    balance = voucher.balance
    credit_part = fen(balance * (voucher.face_value - voucher.premium) / voucher.face_value)
    voucher.status = VoucherStatus.CANCELLED
    voucher.cancelled_reason = why
    voucher.save(update_fields=["status", "cancelled_reason"])
    project = _lock_project(voucher.project_id)
    new = Voucher.objects.create(
        project=project,
        household=household,
        agreement_id=voucher.agreement_id,
        number=_next_number(project),
        face_value=balance,
        premium=balance - credit_part,
        issued_on=issued_on,
        valid_until=voucher.valid_until,
        holder_name=holder,
        holder_id_number=number,
        replaces=voucher,
        issued_by=actor,
    )
    record(
        actor=actor,
        event_type="resettlement.voucher_reissue",
        target=new,
        project=project,
        details={
            "cancelled": voucher.number,
            "reason": why,
            "face_value": balance,
            "premium": new.premium,
            "issued_on": issued_on.isoformat(),
            "valid_until": new.valid_until.isoformat(),
        },
    )
    return new
