"""Reads over offers: lists with the contract's filters and the "active offer" lookup."""

import datetime as dt
import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet

from clicknback.errors import NotFound
from offers.models import Offer, OfferStatus


def offer_active_for_merchant(*, merchant_id: uuid.UUID | str, on_date: dt.date) -> Offer | None:
    """The active offer of an active merchant valid on ``on_date`` (bounds inclusive), or None.

    A merchant has at most one active offer (a partial unique index), so there is at most
    one match. The merchant is joined in, so callers can read ``offer.merchant`` for free.
    """
    return (
        Offer.objects.select_related("merchant")
        .filter(
            merchant_id=merchant_id,
            merchant__active=True,
            status=OfferStatus.ACTIVE,
            start_date__lte=on_date,
            end_date__gte=on_date,
        )
        .first()
    )


def offer_get(*, offer_id: uuid.UUID | str) -> Offer:
    try:
        return Offer.objects.select_related("merchant").get(pk=offer_id)
    except (Offer.DoesNotExist, ValueError, DjangoValidationError):
        raise NotFound("offer", offer_id) from None


def offer_list_active(*, on_date: dt.date) -> QuerySet[Offer]:
    """Active offers of active merchants valid on ``on_date``, newest first."""
    return Offer.objects.select_related("merchant").filter(
        merchant__active=True, status=OfferStatus.ACTIVE, start_date__lte=on_date, end_date__gte=on_date
    )
