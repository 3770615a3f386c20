import threading
from decimal import Decimal

import pytest
from django.db import connection

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM
from clicknback.errors import DomainError
from merchants.models import Merchant
from merchants.services import merchant_create


def _together(n, call):
    barrier = threading.Barrier(n)
    results = []

    def worker(index):
        try:
            barrier.wait()
            call(index)
            results.append("ok")
        except DomainError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


@pytest.mark.django_db(transaction=True)
def test_concurrent_merchant_creations_with_one_name_create_one_merchant():
    # when
    results = _together(
        5,
        lambda i: merchant_create(
            name="Shoply" if i % 2 else "SHOPLY", default_cashback_percentage=Decimal("5"), actor=SYSTEM
        ),
    )
    # then
    assert results == ["MERCHANT_NAME_TAKEN"] * 4 + ["ok"]
    assert Merchant.objects.count() == 1
    assert AuditLog.objects.filter(action="merchant.created").count() == 1
