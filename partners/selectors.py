"""Reads over partners and their keys."""

import uuid

from django.db.models import QuerySet

from clicknback.lookup import get_object_or_not_found
from partners.models import Partner, PartnerAPIKey


def partner_get(*, partner_id: uuid.UUID | str) -> Partner:
    """The partner (its merchant ids prefetched); ``NotFound`` for an unknown or malformed id."""
    return get_object_or_not_found(Partner.objects.prefetch_related("merchants"), "partner", pk=partner_id)


def partner_list() -> QuerySet[Partner]:
    return Partner.objects.prefetch_related("merchants").order_by("-created_at", "-id")


def api_key_list(*, partner_id: uuid.UUID) -> QuerySet[PartnerAPIKey]:
    return PartnerAPIKey.objects.filter(partner_id=partner_id).order_by("-created", "-id")
