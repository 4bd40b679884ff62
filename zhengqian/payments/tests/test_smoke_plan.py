from decimal import Decimal

from zhengqian.payments.models import Condition
from zhengqian.payments.tests.conftest import pay_out


def test_plan_made_when_effective_and_first_instalment_pays(pay):  # type: ignore[no-untyped-def]
    plan = pay.agreement.payment_plan
    parts = list(plan.instalments.order_by("position"))
    assert [p.condition for p in parts] == [Condition.EFFECTIVE, Condition.VACATED]
    assert sum(p.amount for p in parts) == pay.agreement.total
    assert parts[0].amount == (pay.agreement.total * Decimal("0.7")).quantize(Decimal("0.01"))
    assert parts[0].due_on is not None and parts[1].due_on is None
    payment = pay_out(pay, parts[0])
    pay.account.refresh_from_db()
    assert pay.account.paid == parts[0].amount
    assert payment.status == "paid"
