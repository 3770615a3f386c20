"""What payouts contribute to each wallet, for ``reconcile_wallets`` (setting WALLET_RECONCILERS).

Every payout was taken out of available, and a failed, cancelled or returned one was given
back; a completed one is in paid. So per user: available − owed gets −Σ(payouts not given
back) and paid gets Σ(completed payouts).
"""

import uuid
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, Sum

from clicknback.money import ZERO
from payouts.models import Payout, PayoutStatus


def contribution() -> dict[uuid.UUID, dict[str, Decimal]]:
    rows = (
        Payout.objects.order_by()
        .values("user_id")
        .annotate(
            taken=Sum(
                "amount", filter=~Q(status__in=[PayoutStatus.FAILED, PayoutStatus.CANCELLED, PayoutStatus.RETURNED])
            ),
            paid=Sum("amount", filter=Q(status=PayoutStatus.COMPLETED)),
        )
    )
    result: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        result[row["user_id"]] = {
            "pending": ZERO,
            "available_minus_owed": -(row["taken"] or ZERO),
            "paid": row["paid"] or ZERO,
        }
    return dict(result)
