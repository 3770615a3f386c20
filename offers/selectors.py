"""Reads over offers: the lists and the "active offer valid today" rule.

``offers_valid_on`` is the one definition of an offer a purchase earns on a day; every
other reader of that rule (the active list, the offer of a merchant, the ingestion's
plain-SQL lookup in ``purchases.selectors``) starts from it or is tested against it.
"""

import datetime as dt
import uuid

from django.db.models import QuerySet

from clicknback.lookup import get_object_or_not_found
from offers.models import Offer, OfferStatus


def offers_visible() -> QuerySet[Offer]:
    """Active offers of active merchants: the offers a non-admin may read (§5)."""
    return Offer.objects.select_related("merchant").filter(status=OfferStatus.ACTIVE, merchant__active=True)


def offers_valid_on(*, day: dt.date) -> QuerySet[Offer]:
    """Offers a purchase earns on ``day``: active, of an active merchant, and
    ``start_date <= day <= end_date`` (both bounds inclusive; "today" is the UTC date).

    The merchant is joined in, so callers can read ``offer.merchant`` for free.
    """
    return offers_visible().filter(start_date__lte=day, end_date__gte=day)


def offer_active_for_merchant(*, merchant_id: uuid.UUID | str, on_date: dt.date) -> Offer | None:
    """The merchant's offer valid on ``on_date`` (``offers_valid_on``), or None.

    A merchant has at most one active offer (a partial unique index), so there is at most
    one match.
    """
    return offers_valid_on(day=on_date).filter(merchant_id=merchant_id).first()


def offer_get(*, offer_id: uuid.UUID | str) -> Offer:
    return get_object_or_not_found(Offer.objects.select_related("merchant"), "offer", pk=offer_id)


def offer_list_active(*, on_date: dt.date) -> QuerySet[Offer]:
    """The offers valid on ``on_date`` (``offers_valid_on``), newest first."""
    return offers_valid_on(day=on_date).order_by("-created_at", "-id")


def offer_list(*, visible_only: bool = False) -> QuerySet[Offer]:
    """Offers newest first; ``offers.filters.OfferFilter`` narrows it. ``visible_only``
    (non-admins) keeps only active offers of active merchants — the offers a non-admin
    may also read one by one."""
    queryset = offers_visible() if visible_only else Offer.objects.select_related("merchant")
    return queryset.order_by("-created_at", "-id")
