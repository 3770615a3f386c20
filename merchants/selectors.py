"""Reads over merchants."""

import uuid

from django.db.models import QuerySet

from clicknback.lookup import get_object_or_not_found
from merchants.models import Merchant


def merchant_get(*, merchant_id: uuid.UUID | str) -> Merchant:
    """The merchant with that id; raises ``NotFound`` (404) for an unknown or malformed id."""
    return get_object_or_not_found(Merchant, "merchant", pk=merchant_id)


def merchant_list() -> QuerySet[Merchant]:
    """Every merchant, newest first; ``merchants.filters.MerchantFilter`` narrows it."""
    return Merchant.objects.order_by("-created_at", "-id")
