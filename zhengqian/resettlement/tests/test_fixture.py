from decimal import Decimal

import pytest

from zhengqian.agreements.models import AgreementKind
from zhengqian.payments.models import HouseholdAccount
from zhengqian.resettlement.models import Flat
from zhengqian.resettlement.tests.conftest import effective, stock

pytestmark = pytest.mark.django_db


def test_effective_households_get_accounts_and_flats(res):
    a = effective(res, "R-001", licensed_area=Decimal("95.00"))
    b = effective(res, "R-002", kind=AgreementKind.VOUCHER)
    assert a.signing_order + 1 == b.signing_order
    assert HouseholdAccount.objects.filter(agreement__in=[a, b]).count() == 2
    estate = stock(res)
    assert Flat.objects.filter(estate=estate).count() == 5
