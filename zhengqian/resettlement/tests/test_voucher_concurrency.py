"""Two people spending one voucher at the same moment (PostgreSQL, real concurrent
transactions): never beyond its face value, never after its expiry, never twice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from zhengqian.resettlement import services_voucher as services
from zhengqian.resettlement.models import DeveloperPayment, Voucher, VoucherStatus, VoucherUse
from zhengqian.resettlement.tests.test_voucher_support import (
    OTHER_CREDIT_CODE,
    developer,
    expired_voucher,
    issue,
    today,
    use,
    voucher_agreement,
)
from zhengqian.testing.concurrency import POSTGRES_ONLY, at_once

pytestmark = POSTGRES_ONLY


def test_two_uses_beyond_the_balance_at_once_one_succeeds(res):  # type: ignore[no-untyped-def]
    voucher = issue(res, voucher_agreement(res, "V-001"))
    dev = developer(res)
    outcomes = at_once(
        ["HT-A", "HT-B"],
        lambda contract: use(res, voucher, dev, "700000.00", contract=contract),
    )
    assert sorted(outcomes) == ["beyond_face_value", "ok"]
    voucher.refresh_from_db()
    assert voucher.used == Decimal("700000.00") and voucher.status == VoucherStatus.PARTLY_USED
    assert VoucherUse.objects.count() == 1 and DeveloperPayment.objects.count() == 1


def test_many_uses_at_once_never_exceed_the_face_value(res):  # type: ignore[no-untyped-def]
    voucher = issue(res, voucher_agreement(res, "V-001"))
    dev = developer(res)
    outcomes = at_once(
        [f"HT-{n}" for n in range(6)],
        lambda contract: use(res, voucher, dev, "300000.00", contract=contract),
    )
    # 1,100,000 holds three uses of 300,000; the others find too little left or the voucher
    # used.
    assert outcomes.count("ok") == 3
    voucher.refresh_from_db()
    assert voucher.used == Decimal("900000.00") and voucher.balance == Decimal("200000.00")


def test_the_same_contract_twice_at_once_is_paid_once(res):  # type: ignore[no-untyped-def]
    a = issue(res, voucher_agreement(res, "V-001"))
    b = issue(res, voucher_agreement(res, "V-002"))
    dev = developer(res, code=OTHER_CREDIT_CODE)
    outcomes = at_once([a, b], lambda v: use(res, v, dev, "1000.00", contract="HT-SAME"))
    assert sorted(outcomes) == ["duplicate_contract", "ok"]
    assert VoucherUse.objects.filter(contract_no="HT-SAME").count() == 1


def test_a_use_racing_the_lapse_is_refused(res):  # type: ignore[no-untyped-def]
    voucher = expired_voucher(res, "V-001")
    dev = developer(res)

    def run(step: str) -> Any:
        if step == "lapse":
            return services.voucher_lapse(voucher=voucher, on=today())
        return use(res, voucher, dev, "1000.00", on=today())

    outcomes = at_once(["lapse", "use"], run)
    # The use is refused whichever comes first: after the lapse as lapsed, before it as
    # expired.
    assert outcomes[0] != outcomes[1]
    assert "ok" in outcomes and ({"lapsed", "expired"} & set(outcomes))
    voucher = Voucher.objects.get(pk=voucher.pk)
    assert voucher.status == VoucherStatus.LAPSED and voucher.used == 0
    assert not VoucherUse.objects.exists()
