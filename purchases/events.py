"""The events of purchase transitions (contract §14): the purchase after the change, §6 shape.

Each transition service calls ``purchase_events`` inside its transaction and writes the
rows with its other rows (``clicknback.outbox``).
"""

import uuid
from collections.abc import Mapping, Sequence

from rest_framework import serializers

from clicknback.outbox.models import Event
from clicknback.outbox.services import event_row
from merchants.models import Merchant
from purchases.models import Purchase
from purchases.serializers import PurchaseOutputSerializer

SOURCE_TYPE = "purchase"


class _PurchaseEventSerializer(PurchaseOutputSerializer):
    """The §6 shape; the merchant's name from the caller when it has it (no extra query)."""

    merchant_name = serializers.SerializerMethodField()  # type: ignore[assignment]  # the same string, found another way

    def get_merchant_name(self, purchase: Purchase) -> str:
        names = self.context.get("merchant_names") or {}
        if purchase.merchant_id in names:
            return names[purchase.merchant_id]
        return purchase.merchant.name


def purchase_events(
    type: str, purchases: Sequence[Purchase], *, merchant_names: Mapping[uuid.UUID, str] | None = None
) -> list[Event]:
    """One event of ``type`` per purchase, carrying the purchase as it stands in memory.

    Merchant names come from ``merchant_names``, else from the loaded merchant, else from
    one query for all the purchases that lack one.
    """
    names = dict(merchant_names or {})
    missing = {p.merchant_id for p in purchases if p.merchant_id not in names and not Purchase.merchant.is_cached(p)}
    if missing:
        names.update(Merchant.objects.filter(pk__in=missing).values_list("pk", "name"))
    context = {"merchant_names": names}
    return [
        event_row(
            type=type,
            resource_type=SOURCE_TYPE,
            resource_id=purchase.pk,
            user_id=purchase.user_id,
            partner_id=purchase.partner_id,
            data=_PurchaseEventSerializer(purchase, context=context).data,
        )
        for purchase in purchases
    ]
