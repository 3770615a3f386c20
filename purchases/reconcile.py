"""The purchases side of ``reconcile_wallets`` (setting ``WALLET_RECONCILERS``).

Per user: pending cashback must equal the pending balance; cashback that became
available counts toward available − owed. Reversed cashback counts nowhere.
"""

import uuid
from collections import defaultdict
from decimal import Decimal

from django.db.models import F, Sum

from clicknback.money import ZERO
from purchases.models import CashbackStatus, CashbackTransaction


def contribution() -> dict[uuid.UUID, dict[str, Decimal]]:
    totals: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(
        lambda: {"pending": ZERO, "available_minus_owed": ZERO, "paid": ZERO}
    )
    rows = (
        CashbackTransaction.objects.filter(status__in=[CashbackStatus.PENDING, CashbackStatus.AVAILABLE])
        .values("user_id", "status")
        .annotate(total=Sum(F("amount") - F("returned_amount")))
        .values_list("user_id", "status", "total")
        .order_by()
    )
    for user_id, status, total in rows:
        key = "pending" if status == CashbackStatus.PENDING else "available_minus_owed"
        totals[user_id][key] += total or ZERO
    return dict(totals)
