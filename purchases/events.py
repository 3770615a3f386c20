"""The events of purchase transitions (contract §14): the purchase after the change, §6 shape.

Each transition service calls ``purchase_events`` inside its transaction and writes the
rows with its other rows (``clicknback.outbox``).
"""

from collections.abc import Sequence

from clicknback.outbox.models import Event
from clicknback.outbox.services import event_row
from merchants.models import Merchant
from purchases.models import Purchase
from purchases.serializers import PurchaseOutputSerializer

SOURCE_TYPE = "purchase"


def purchase_events(type: str, purchases: Sequence[Purchase]) -> list[Event]:
    """One event of ``type`` per purchase, carrying the purchase as it stands in memory.

    Merchants not loaded yet are read in one query (their name is part of the shape).
    """
    missing = {p.merchant_id for p in purchases if not Purchase.merchant.is_cached(p)}
    if missing:
        merchants = Merchant.objects.in_bulk(missing)
        for purchase in purchases:
            if not Purchase.merchant.is_cached(purchase):
                purchase.merchant = merchants[purchase.merchant_id]
    return [
        event_row(
            type=type,
            resource_type=SOURCE_TYPE,
            resource_id=purchase.pk,
            user_id=purchase.user_id,
            partner_id=purchase.partner_id,
            data=PurchaseOutputSerializer(purchase).data,
        )
        for purchase in purchases
    ]
