from decimal import Decimal

import pytest

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM
from merchants.models import Merchant
from merchants.services import merchant_create
from tests.support.race import outcome, run_together


@pytest.mark.django_db(transaction=True)
def test_concurrent_merchant_creations_with_one_name_create_one_merchant():
    # when
    results = run_together(
        5,
        lambda i: merchant_create(
            name="Shoply" if i % 2 else "SHOPLY", default_cashback_percentage=Decimal("5"), actor=SYSTEM
        ),
    )
    # then
    assert sorted(map(outcome, results)) == ["MERCHANT_NAME_TAKEN"] * 4 + ["ok"]
    assert Merchant.objects.count() == 1
    assert AuditLog.objects.filter(action="merchant.created").count() == 1
