"""Reads over offers: lists with the contract's filters and the "active offer" lookup."""

import datetime as dt
import uuid

from django.db.models import QuerySet

from clicknback.lookup import get_object_or_not_found
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
    return get_object_or_not_found(Offer.objects.select_related("merchant"), "offer", pk=offer_id)


def offer_list_active(*, on_date: dt.date) -> QuerySet[Offer]:
    """Active offers of active merchants valid on ``on_date``, newest first."""
    return (
        Offer.objects.select_related("merchant")
        .filter(merchant__active=True, status=OfferStatus.ACTIVE, start_date__lte=on_date, end_date__gte=on_date)
        .order_by("-created_at", "-id")
    )


def offer_list(*, visible_only: bool = False) -> QuerySet[Offer]:
    """Offers newest first; ``offers.filters.OfferFilter`` narrows it. ``visible_only``
    (non-admins) keeps only active offers of active merchants — the offers a non-admin
    may also read one by one."""
    queryset = Offer.objects.select_related("merchant")
    if visible_only:
        queryset = queryset.filter(status=OfferStatus.ACTIVE, merchant__active=True)
    return queryset.order_by("-created_at", "-id")
