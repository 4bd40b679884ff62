"""Housing vouchers (房票): issue, use at developers with their settlement through payments,
cashing, lapse (the daily job), reissue of a lost voucher, and every refusal by its code."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.agreements.models import AgreementKind, AgreementStatus
from zhengqian.audit.models import Event
from zhengqian.compensation.models import Policy
from zhengqian.core import deadlines
from zhengqian.core.workdays import add_months
from zhengqian.payments import services as payments
from zhengqian.payments.models import Instalment, PaymentPlan, PlanKind
from zhengqian.resettlement import selectors_voucher as vs
from zhengqian.resettlement import services_voucher as services
from zhengqian.resettlement.models import Developer, DeveloperPayment, Voucher, VoucherStatus
from zhengqian.resettlement.tests.conftest import effective
from zhengqian.resettlement.tests.test_voucher_support import (
    CREDIT_CODE,
    HEAD_ID,
    MEMBER_ID,
    MEMBER_NAME,
    OTHER_CREDIT_CODE,
    developer,
    expired_voucher,
    issue,
    today,
    use,
    voucher_agreement,
)

pytestmark = pytest.mark.django_db


def _codes(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]] | list[str]:
    error = exc.value
    if hasattr(error, "error_dict"):
        return {f: [e.code or "" for e in errs] for f, errs in error.error_dict.items()}
    return [e.code or "" for e in error.error_list]


def _policy(r, **values):  # type: ignore[no-untyped-def]
    Policy.objects.filter(pk=r.policy.pk).update(**values)


# --- the credit code -------------------------------------------------------------------------


@pytest.mark.parametrize("code", [CREDIT_CODE, OTHER_CREDIT_CODE, "91440300708461136T"])
def test_a_genuine_credit_code_passes_its_check(code):
    assert services.clean_credit_code(code.lower()) == code


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y4IO", "length"),
        ("91350100M000100YI3", "characters"),
        ("91350100M000100Y44", "check_digit"),
        ("91350100M000100Y34", "check_digit"),
    ],
)
def test_a_wrong_credit_code_is_refused_by_what_is_wrong(code, error):
    with pytest.raises(ValidationError) as exc:
        services.clean_credit_code(code)
    assert exc.value.code == error


def test_the_check_character_31_reads_as_0():
    # Every 17-character start gives one of the 31 characters; a sum that is 0 mod 31 gives 0.
    assert services.credit_code_check_character("0" * 17) == "0"


# --- developers ------------------------------------------------------------------------------


def test_a_developer_is_recorded_and_audited(res):
    dev = developer(res)
    assert dev.active and dev.credit_code == CREDIT_CODE
    assert Event.objects.filter(event_type="resettlement.developer_create").count() == 1


def test_a_developer_is_refused_field_by_field(res):
    developer(res)
    with pytest.raises(ValidationError) as exc:
        services.developer_create(
            actor=res.officer_r,
            project=res.project,
            name=" ",
            credit_code=CREDIT_CODE,
            bank="",
            account_no="12-34",
        )
    assert _codes(exc) == {
        "name": ["required"],
        "credit_code": ["duplicate"],
        "bank": ["required"],
        "account_no": ["account_no"],
    }


def test_a_developer_recorded_twice_at_the_same_moment_is_refused_at_the_field(res, monkeypatch):
    """The other desk's developer was written after this one's check: the database's unique
    constraint answers, as a field error, and nothing is half-written."""
    developer(res)
    check = services._developer_values
    # This desk's check ran before the other desk's row existed.
    monkeypatch.setattr(
        services, "_developer_values", lambda _project_id, data, exclude=None: check(-1, data)
    )
    with pytest.raises(ValidationError) as exc:
        services.developer_create(
            actor=res.officer_r,
            project=res.project,
            name="另一开发企业",
            credit_code=CREDIT_CODE,
            bank="工商银行",
            account_no="6222021234567890",
        )
    assert _codes(exc) == {"credit_code": ["duplicate"]}
    assert Developer.objects.filter(project=res.project).count() == 1


def test_a_developer_is_updated_with_its_changes_in_the_trail(res):
    dev = developer(res)
    services.developer_update(actor=res.officer_r, developer=dev, active=False, bank="建设银行")
    dev.refresh_from_db()
    assert not dev.active and dev.bank == "建设银行"
    event = Event.objects.get(event_type="resettlement.developer_update")
    assert event.changes["active"] == [True, False]
    # Nothing changed: nothing recorded.
    services.developer_update(actor=res.officer_r, developer=dev, active=False)
    assert Event.objects.filter(event_type="resettlement.developer_update").count() == 1


def test_finance_cannot_record_a_developer(res):
    with pytest.raises(AccessDenied):
        services.developer_create(
            actor=res.finance,
            project=res.project,
            name="x",
            credit_code=CREDIT_CODE,
            bank="b",
            account_no="12345678",
        )


# --- issue -----------------------------------------------------------------------------------


def test_a_voucher_is_issued_with_its_value_validity_and_number(res):
    agreement = voucher_agreement(res, "V-001")
    day = dt.date(2026, 1, 31)
    agreement.effective_on = day
    agreement.save(update_fields=["effective_on"])
    voucher = issue(res, agreement, on=day)
    assert voucher.face_value == Decimal("1100000.00")
    assert voucher.premium == Decimal("100000.00")
    assert voucher.number == f"FP-{res.project.code}-000001"
    # 12 calendar months: the same day a year later.
    assert voucher.valid_until == dt.date(2027, 1, 31)
    assert voucher.status == VoucherStatus.ISSUED and voucher.balance == Decimal("1100000.00")
    event = Event.objects.get(event_type="resettlement.voucher_issue")
    assert event.details["face_value"] == "1100000.00"


def test_the_validity_ends_on_the_month_end_when_the_month_is_short(res):
    # Issued on the 31st of January last year, valid 25 months: until the end of February next
    # year (28 or 29 days), whatever today's date.
    _policy(res, voucher_validity_months=25)
    issued = dt.date(today().year - 1, 1, 31)
    agreement = voucher_agreement(res, "V-001", effective_on=issued)
    voucher = issue(res, agreement, on=issued)
    year = today().year + 1
    assert voucher.valid_until == dt.date(year, 2, calendar.monthrange(year, 2)[1])


def test_a_member_may_hold_the_voucher_under_their_own_name(res):
    agreement = voucher_agreement(res, "V-001")
    voucher = services.voucher_issue(
        actor=res.officer_r,
        agreement=agreement,
        holder_name=MEMBER_NAME,
        holder_id_number=MEMBER_ID.lower(),
        issued_on=today(),
    )
    assert voucher.holder_id_number == MEMBER_ID


def test_a_supplement_is_paid_in_cash_once_not_added_to_the_face_value(res):
    agreement = voucher_agreement(res, "V-001")
    supplement = effective(res, "V-SUP", kind=AgreementKind.VOUCHER)
    # Made a supplement of the voucher agreement: 20,000 more; it takes effect, and the
    # payments module gives it its plan (the difference paid in cash).
    PaymentPlan.objects.filter(agreement=supplement).delete()
    supplement.parent = agreement
    supplement.household_id = agreement.household_id
    supplement.difference = Decimal("20000.00")
    supplement.kind = AgreementKind.SUPPLEMENT
    supplement.status = AgreementStatus.EFFECTIVE
    supplement.save(update_fields=["parent", "household", "difference", "kind", "status"])
    with transaction.atomic():
        payments.on_effective(agreements=[supplement], actor=res.officer)
    assert PaymentPlan.objects.get(agreement=supplement).amount == Decimal("20000.00")
    face, premium = services.face_value(agreement)
    assert face == Decimal("1100000.00")
    assert premium == Decimal("100000.00")


def test_the_numbers_follow_without_gaps_and_a_cancelled_one_is_never_given_again(res):
    first = issue(res, voucher_agreement(res, "V-001"))
    second = issue(res, voucher_agreement(res, "V-002"))
    reissued = services.voucher_reissue(
        actor=res.officer_r,
        voucher=first,
        reason="遗失，已登报声明",
        holder_name=MEMBER_NAME,
        holder_id_number=MEMBER_ID,
        issued_on=today(),
    )
    third = issue(res, voucher_agreement(res, "V-003"))
    numbers = [v.number[-6:] for v in (first, second, reissued, third)]
    assert numbers == ["000001", "000002", "000003", "000004"]


@pytest.mark.parametrize(
    ("holder", "id_number", "expected"),
    [
        (
            "户主V-001",
            HEAD_ID[:17] + ("0" if HEAD_ID[17] != "0" else "1"),
            {"holder_id_number": ["check_digit"]},
        ),
        ("户主V-001", "12345", {"holder_id_number": ["length"]}),
        ("张三", HEAD_ID, {"holder_name": ["name_mismatch"]}),
        ("", HEAD_ID, {"holder_name": ["required"]}),
    ],
)
def test_the_holder_is_checked(res, holder, id_number, expected):
    agreement = voucher_agreement(res, "V-001")
    with pytest.raises(ValidationError) as exc:
        services.voucher_issue(
            actor=res.officer_r,
            agreement=agreement,
            holder_name=holder,
            holder_id_number=id_number,
            issued_on=today(),
        )
    assert _codes(exc) == expected


def test_a_stranger_cannot_hold_the_voucher(res):
    from zhengqian.core.idcard import make_id_number

    agreement = voucher_agreement(res, "V-001")
    with pytest.raises(ValidationError) as exc:
        services.voucher_issue(
            actor=res.officer_r,
            agreement=agreement,
            holder_name="路人甲",
            holder_id_number=make_id_number("110101", dt.date(1980, 1, 1), 11),
            issued_on=today(),
        )
    assert _codes(exc) == {"holder_id_number": ["not_member"]}


def test_a_voucher_is_issued_only_once_per_agreement(res):
    agreement = voucher_agreement(res, "V-001")
    issue(res, agreement)
    with pytest.raises(ValidationError) as exc:
        issue(res, agreement)
    assert _codes(exc) == {"agreement": ["exists"]}


def test_no_voucher_on_another_kind_of_agreement(res):
    agreement = effective(res, "X-001", kind=AgreementKind.EXCHANGE)
    with pytest.raises(ValidationError) as exc:
        issue(res, agreement)
    assert _codes(exc) == {"agreement": ["not_voucher"]}


def test_no_voucher_before_the_agreement_is_effective(res):
    agreement = voucher_agreement(res, "V-001")
    agreement.status = AgreementStatus.PENDING
    agreement.save(update_fields=["status"])
    with pytest.raises(ValidationError) as exc:
        issue(res, agreement)
    assert _codes(exc) == {"agreement": ["not_effective"]}


def test_the_issue_date_is_checked(res):
    agreement = voucher_agreement(res, "V-001")
    for day, code in [
        (today() + dt.timedelta(days=1), "future"),
        (today() - dt.timedelta(days=1), "too_early"),
        (None, "required"),
    ]:
        with pytest.raises(ValidationError) as exc:
            services.voucher_issue(
                actor=res.officer_r,
                agreement=agreement,
                holder_name=agreement.household.head_name,
                holder_id_number=HEAD_ID,
                issued_on=day,
            )
        assert _codes(exc) == {"issued_on": [code]}


def test_a_voucher_is_not_issued_already_expired(res):
    # Effective 14 months ago: a voucher dated then (12 months' validity) would have expired.
    day = add_months(today(), -14)
    agreement = voucher_agreement(res, "V-009", effective_on=day)
    with pytest.raises(ValidationError) as exc:
        services.voucher_issue(
            actor=res.officer_r,
            agreement=agreement,
            holder_name=agreement.household.head_name,
            holder_id_number=HEAD_ID,
            issued_on=day,
        )
    assert _codes(exc) == {"issued_on": ["expired_at_issue"]}
    assert not Voucher.objects.filter(agreement=agreement).exists()
    # Dated 11 months ago it is still valid for a month: issued.
    voucher = issue(res, agreement, on=add_months(today(), -11))
    assert voucher.valid_until >= today()


def test_finance_cannot_issue_a_voucher(res):
    agreement = voucher_agreement(res, "V-001")
    with pytest.raises(AccessDenied):
        services.voucher_issue(
            actor=res.finance,
            agreement=agreement,
            holder_name="x",
            holder_id_number=HEAD_ID,
            issued_on=today(),
        )


# --- use at a developer ----------------------------------------------------------------------


def test_the_lifecycle_use_in_part_register_use_in_full(res):
    dev = developer(res)
    voucher = issue(res, voucher_agreement(res, "V-001"))
    first = use(res, voucher, dev, "600000.00", contract="HT-1")
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.PARTLY_USED
    assert voucher.used == Decimal("600000.00") and voucher.balance == Decimal("500000.00")
    # Stage 1 at the policy's 50 %: an instalment of kind developer, due from the day of use.
    filed = DeveloperPayment.objects.get(use=first)
    assert filed.stage == "filed" and filed.amount == Decimal("300000.00")
    plan = filed.instalment.plan
    assert plan.kind == PlanKind.DEVELOPER
    assert plan.reference == f"{voucher.number}/{first.pk}/filed"
    assert plan.description == f"{dev.name} HT-1"
    assert filed.instalment.met_on == first.used_on
    services.use_registered(actor=res.officer_r, use=first, registered_on=today())
    second_stage = DeveloperPayment.objects.get(use=first, stage="registered")
    assert second_stage.amount == Decimal("300000.00")
    use(res, voucher, dev, "500000.00", contract="HT-2")
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.USED and voucher.balance == 0
    assert Event.objects.filter(event_type="resettlement.voucher_use").count() == 2
    assert Event.objects.filter(event_type="resettlement.voucher_registered").count() == 1
    # Stage 1 can be asked for through the payments module by the resettlement officer.
    payment = payments.request(actor=res.officer_r, instalment=filed.instalment)
    rows = vs.uses(voucher)
    assert rows[0].stages[0].state == "requested" and rows[0].stages[0].live == payment


def test_the_first_stage_is_rounded_half_up_to_the_fen(res):
    _policy(res, voucher_developer_first_percent=Decimal("33.33"))
    voucher = issue(res, voucher_agreement(res, "V-001"))
    u = use(res, voucher, developer(res), "100000.05")
    # 100,000.05 × 33.33 % = 33,330.016665 → 33,330.02; the rest 66,670.03 at registration.
    assert DeveloperPayment.objects.get(use=u).amount == Decimal("33330.02")
    services.use_registered(actor=res.officer_r, use=u, registered_on=today())
    assert DeveloperPayment.objects.get(use=u, stage="registered").amount == Decimal("66670.03")


def test_registration_is_recorded_once_and_not_before_the_use(res):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    u = use(res, voucher, developer(res), "1000.00")
    with pytest.raises(ValidationError) as exc:
        services.use_registered(
            actor=res.officer_r, use=u, registered_on=u.used_on - dt.timedelta(days=1)
        )
    assert _codes(exc) == {"registered_on": ["too_early"]}
    services.use_registered(actor=res.officer_r, use=u, registered_on=today())
    with pytest.raises(ValidationError) as exc:
        services.use_registered(actor=res.officer_r, use=u, registered_on=today())
    assert _codes(exc) == ["registered"]


def test_a_use_beyond_the_face_value_is_refused(res):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    dev = developer(res)
    use(res, voucher, dev, "1000000.00", contract="HT-1")
    with pytest.raises(ValidationError) as exc:
        use(res, voucher, dev, "100000.01", contract="HT-2")
    assert _codes(exc) == {"amount": ["beyond_face_value"]}


def test_a_use_beyond_the_contract_price_is_refused(res):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    with pytest.raises(ValidationError) as exc:
        use(res, voucher, developer(res), "900000.00", price="800000.00")
    assert _codes(exc) == {"amount": ["beyond_price"]}


def test_a_use_after_expiry_is_refused(res):
    voucher = expired_voucher(res, "V-001")
    with pytest.raises(ValidationError) as exc:
        use(res, voucher, developer(res), "1000.00", on=today())
    assert _codes(exc) == {"used_on": ["expired"]}


def test_a_use_on_the_last_valid_day_is_accepted(res):
    voucher = expired_voucher(res, "V-001", months_ago=12)
    assert voucher.valid_until == today()
    use(res, voucher, developer(res), "1000.00", on=today())


def test_a_use_at_an_inactive_developer_is_refused(res):
    dev = developer(res)
    services.developer_update(actor=res.officer_r, developer=dev, active=False)
    voucher = issue(res, voucher_agreement(res, "V-001"))
    with pytest.raises(ValidationError) as exc:
        use(res, voucher, dev, "1000.00")
    assert _codes(exc) == {"developer": ["developer_inactive"]}


def test_a_contract_is_paid_with_a_voucher_once(res):
    dev = developer(res)
    a = issue(res, voucher_agreement(res, "V-001"))
    b = issue(res, voucher_agreement(res, "V-002"))
    use(res, a, dev, "1000.00", contract="HT-9")
    with pytest.raises(ValidationError) as exc:
        use(res, b, dev, "1000.00", contract="HT-9")
    assert _codes(exc) == {"contract_no": ["duplicate_contract"]}


@pytest.mark.parametrize("status", ["cancelled", "lapsed", "cashed", "used"])
def test_a_closed_voucher_is_not_spent(res, status):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    Voucher.objects.filter(pk=voucher.pk).update(status=status)
    with pytest.raises(ValidationError) as exc:
        use(res, voucher, developer(res), "1000.00")
    assert _codes(exc) == [status]


def test_the_database_keeps_the_use_within_the_face_value(res):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Voucher.objects.filter(pk=voucher.pk).update(used=Decimal("1100000.01"))


def test_the_amounts_and_dates_of_a_use_are_checked(res):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    with pytest.raises(ValidationError) as exc:
        services.voucher_use(
            actor=res.officer_r,
            voucher=voucher,
            developer=None,
            contract_no="",
            flat="",
            flat_area=Decimal("0"),
            contract_price=None,
            amount=Decimal("0.001"),
            used_on=today() + dt.timedelta(days=1),
        )
    assert _codes(exc) == {
        "developer": ["required"],
        "contract_no": ["required"],
        "flat": ["required"],
        "flat_area": ["positive"],
        "contract_price": ["required"],
        "amount": ["fen"],
        "used_on": ["future"],
    }


# --- cashing ---------------------------------------------------------------------------------


def _value(face: str, premium: str, balance: str, policy: Policy) -> services.CashValue:
    return services.cash_value(
        balance=Decimal(balance), face_value=Decimal(face), premium=Decimal(premium), policy=policy
    )


def test_cash_value_with_the_premium_forfeited(res):
    value = _value("1100000.00", "100000.00", "1100000.00", res.policy)
    assert value.base == Decimal("1000000.00")
    assert value.at_full == Decimal("55000.00")
    assert value.rate_amount == Decimal("850500.00")
    assert value.total == Decimal("905500.00")


def test_cash_value_with_the_premium_kept(res):
    res.policy.voucher_cash_forfeits_premium = False
    value = _value("1100000.00", "100000.00", "1100000.00", res.policy)
    # 55,000 at face value + 1,045,000 × 90 % = 940,500.
    assert value.total == Decimal("995500.00")


def test_cash_value_of_a_partly_used_voucher_rounds_each_part_once(res):
    value = _value("1100000.00", "100000.00", "500000.00", res.policy)
    # 500,000 × 1,000,000 / 1,100,000 = 454,545.4545… → 454,545.45; 55,000 at 100 %;
    # 399,545.45 × 90 % = 359,590.905 → 359,590.91.
    assert value.base == Decimal("454545.45")
    assert value.rate_amount == Decimal("359590.91")
    assert value.total == Decimal("414590.91")


def test_cash_value_of_a_small_balance_is_all_at_face_value(res):
    value = _value("1100000.00", "100000.00", "22000.00", res.policy)
    assert value.base == Decimal("20000.00") and value.total == Decimal("20000.00")


def test_the_balance_is_cashed_through_payments(res):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    voucher = services.voucher_cash(actor=res.officer_r, voucher=voucher, on=today())
    assert voucher.status == VoucherStatus.CASHED
    assert voucher.cashed == Decimal("1100000.00") and voucher.cash_paid == Decimal("905500.00")
    assert voucher.balance == 0
    plan = PaymentPlan.objects.get(kind=PlanKind.VOUCHER_CASH, reference=voucher.number)
    assert plan.amount == Decimal("905500.00")
    assert Instalment.objects.get(plan=plan).met_on == today()
    item = vs.cash_item(voucher)
    assert item is not None and item.state == "due"
    event = Event.objects.get(event_type="resettlement.voucher_cash")
    assert event.details["paid"] == "905500.00" and event.details["forfeited"] == "100000.00"


def test_cashing_is_refused_when_the_policy_does_not_allow_it(res):
    _policy(res, voucher_cash_allowed=False)
    voucher = issue(res, voucher_agreement(res, "V-001"))
    with pytest.raises(ValidationError) as exc:
        services.voucher_cash(actor=res.officer_r, voucher=voucher, on=today())
    assert _codes(exc) == ["not_allowed"]


def test_cashing_after_expiry_is_refused(res):
    voucher = expired_voucher(res, "V-001")
    with pytest.raises(ValidationError) as exc:
        services.voucher_cash(actor=res.officer_r, voucher=voucher, on=today())
    assert _codes(exc) == {"on": ["expired"]}


def test_cashing_a_voucher_used_in_full_is_refused(res):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    use(res, voucher, developer(res), "1100000.00")
    with pytest.raises(ValidationError) as exc:
        services.voucher_cash(actor=res.officer_r, voucher=voucher, on=today())
    assert _codes(exc) == ["used"]


def test_nothing_left_is_not_cashed(res):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    Voucher.objects.filter(pk=voucher.pk).update(used=voucher.face_value)
    with pytest.raises(ValidationError) as exc:
        services.voucher_cash(actor=res.officer_r, voucher=voucher, on=today())
    assert _codes(exc) == ["nothing_left"]


def test_cashing_before_the_last_use_is_refused(res):
    day = today() - dt.timedelta(days=5)
    voucher = issue(res, voucher_agreement(res, "V-001", effective_on=day), on=day)
    use(res, voucher, developer(res), "1000.00", on=today())
    with pytest.raises(ValidationError) as exc:
        services.voucher_cash(
            actor=res.officer_r, voucher=voucher, on=today() - dt.timedelta(days=1)
        )
    assert _codes(exc) == {"on": ["before_use"]}


# --- lapse -----------------------------------------------------------------------------------


def test_an_expired_voucher_lapses_and_its_balance_is_bought_back(res):
    voucher = expired_voucher(res, "V-001")
    use(res, voucher, developer(res), "600000.00")
    voucher = services.voucher_lapse(voucher=voucher, on=today())
    assert voucher.status == VoucherStatus.LAPSED
    assert voucher.lapsed_on == voucher.valid_until + dt.timedelta(days=1)
    assert voucher.cashed == Decimal("500000.00") and voucher.cash_paid == Decimal("414590.91")
    assert PaymentPlan.objects.get(reference=voucher.number).amount == Decimal("414590.91")
    event = Event.objects.get(event_type="resettlement.voucher_lapse")
    assert event.actor_id is None and event.details["bought_back"] is True


def test_without_cashing_the_lapsed_balance_is_forfeited(res):
    _policy(res, voucher_cash_allowed=False)
    voucher = expired_voucher(res, "V-001")
    voucher = services.voucher_lapse(voucher=voucher, on=today())
    assert voucher.status == VoucherStatus.LAPSED
    assert voucher.cashed == 0 and voucher.cash_paid == 0
    assert voucher.balance == Decimal("1100000.00")
    assert not PaymentPlan.objects.filter(kind=PlanKind.VOUCHER_CASH).exists()
    assert vs.summary(res.officer_r, res.project).lapsed_balance == Decimal("1100000.00")


def test_a_valid_voucher_does_not_lapse(res):
    voucher = expired_voucher(res, "V-001", months_ago=12)
    with pytest.raises(ValidationError) as exc:
        services.voucher_lapse(voucher=voucher, on=today())
    assert _codes(exc) == ["not_expired"]


def test_the_daily_job_lapses_once(res):
    old = expired_voucher(res, "V-001")
    fresh = issue(res, voucher_agreement(res, "V-002"))
    out = StringIO()
    call_command("lapse_vouchers", stdout=out)
    assert "1 voucher(s) lapsed." in out.getvalue()
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == VoucherStatus.LAPSED and fresh.status == VoucherStatus.ISSUED
    events = Event.objects.count()
    plans = PaymentPlan.objects.count()
    out = StringIO()
    call_command("lapse_vouchers", stdout=out)
    assert "0 voucher(s) lapsed." in out.getvalue()
    assert Event.objects.count() == events and PaymentPlan.objects.count() == plans


def test_the_daily_job_names_a_voucher_that_cannot_lapse_and_lapses_the_others(res):
    bad = expired_voucher(res, "V-001")
    good = expired_voucher(res, "V-002")
    # The agreement of the first is no longer in force: its balance cannot be booked.
    bad.agreement.status = AgreementStatus.VOID
    bad.agreement.save(update_fields=["status"])
    outcome = services.lapse_due(on=today())
    assert [v.pk for v in outcome.lapsed] == [good.pk]
    assert [number for number, _why in outcome.failed] == [bad.number]


# --- reissue ---------------------------------------------------------------------------------


def test_a_lost_voucher_is_reissued_with_its_balance(res):
    day = today() - dt.timedelta(days=10)
    voucher = issue(res, voucher_agreement(res, "V-001", effective_on=day), on=day)
    dev = developer(res)
    u = use(res, voucher, dev, "550000.00")
    new = services.voucher_reissue(
        actor=res.officer_r,
        voucher=voucher,
        reason="遗失",
        holder_name=MEMBER_NAME,
        holder_id_number=MEMBER_ID,
        issued_on=today(),
    )
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.CANCELLED and voucher.cancelled_reason == "遗失"
    assert new.replaces == voucher and new.number != voucher.number
    assert new.face_value == Decimal("550000.00")
    assert new.premium == Decimal("50000.00")
    assert new.valid_until == voucher.valid_until and new.issued_on == today()
    # The uses stay on the old voucher; the new one is spent as any other.
    assert list(voucher.uses.all()) == [u] and not new.uses.exists()
    use(res, new, dev, "550000.00", contract="HT-2", on=today())
    assert vs.chain(new) == [voucher]
    with pytest.raises(ValidationError) as exc:
        use(res, voucher, dev, "1.00", contract="HT-3")
    assert _codes(exc) == ["cancelled"]


@pytest.mark.parametrize("status", ["cancelled", "lapsed", "cashed", "used"])
def test_a_closed_voucher_is_not_reissued(res, status):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    Voucher.objects.filter(pk=voucher.pk).update(status=status)
    with pytest.raises(ValidationError) as exc:
        services.voucher_reissue(
            actor=res.officer_r,
            voucher=voucher,
            reason="遗失",
            holder_name=MEMBER_NAME,
            holder_id_number=MEMBER_ID,
            issued_on=today(),
        )
    assert _codes(exc) == [status]


def test_a_reissue_needs_a_reason(res):
    voucher = issue(res, voucher_agreement(res, "V-001"))
    with pytest.raises(ValidationError) as exc:
        services.voucher_reissue(
            actor=res.officer_r,
            voucher=voucher,
            reason=" ",
            holder_name=MEMBER_NAME,
            holder_id_number=MEMBER_ID,
            issued_on=today(),
        )
    assert _codes(exc) == {"reason": ["required"]}


# --- summary and deadlines -------------------------------------------------------------------


def test_vouchers_expiring_soon_are_deadlines(res):
    soon = expired_voucher(res, "V-001", months_ago=12)  # its last day is today
    later = issue(res, voucher_agreement(res, "V-002"))
    assert list(vs.expiring(res.project, today())) == [soon]
    found = deadlines.upcoming([res.project.pk], today(), 30)
    mine = [d for d in found if d.kind == vs.EXPIRY_KIND]
    assert [(d.household_id, d.due_on) for d in mine] == [(soon.household_id, today())]
    assert mine[0].url.endswith(f"/vouchers/{soon.pk}/")
    # Further ahead, the other one comes too; another project's ids find nothing.
    ahead = deadlines.upcoming([res.project.pk], today(), 400)
    assert {d.household_id for d in ahead if d.kind == vs.EXPIRY_KIND} == {
        soon.household_id,
        later.household_id,
    }
    assert deadlines.upcoming([res.project.pk + 1000], today(), 400) == []


def test_the_summary_counts_issued_used_outstanding_and_lapsed(res):
    dev = developer(res)
    a = issue(res, voucher_agreement(res, "V-001"))
    use(res, a, dev, "100000.00")
    expired_voucher(res, "V-002")
    services.lapse_due(on=today())
    s = vs.summary(res.officer_r, res.project)
    assert s.issued == 2 and s.face_value == Decimal("2200000.00")
    assert s.used == Decimal("100000.00") and s.outstanding == Decimal("1000000.00")
    assert s.lapsed_count == 1 and s.cash_paid == Decimal("905500.00")
    assert add_months(today(), 12) == a.valid_until


def test_a_reissued_voucher_is_cashed_as_the_lost_one_would_have_been(res):
    # Spent 600,000 of 1,100,000: the 500,000 left is bought back for 414,590.91 (55,000 at
    # 100 %, 5 % of the face value first issued). Reissuing the lost voucher must not lower it.
    voucher = issue(res, voucher_agreement(res, "V-001"))
    use(res, voucher, developer(res), "600000.00")
    voucher.refresh_from_db()
    assert services.value_of(voucher).total == Decimal("414590.91")
    new = services.voucher_reissue(
        actor=res.officer_r,
        voucher=voucher,
        reason="遗失，已登报声明",
        holder_name=MEMBER_NAME,
        holder_id_number=MEMBER_ID,
        issued_on=today(),
    )
    new = services.voucher_cash(actor=res.officer_r, voucher=new, on=today())
    assert new.cash_paid == Decimal("414590.91")
