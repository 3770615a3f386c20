"""Reads over merchants."""

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet

from clicknback.errors import NotFound
from merchants.models import Merchant


def merchant_get(*, merchant_id: uuid.UUID | str) -> Merchant:
    """The merchant with that id; raises ``NotFound`` (404) for an unknown or malformed id."""
    try:
        return Merchant.objects.get(pk=merchant_id)
    except (Merchant.DoesNotExist, ValueError, DjangoValidationError):
        raise NotFound("merchant", merchant_id) from None


def merchant_list(*, active: bool | None = None) -> QuerySet[Merchant]:
    queryset = Merchant.objects.all()
    if active is not None:
        queryset = queryset.filter(active=active)
    return queryset.order_by("-created_at", "-id")
