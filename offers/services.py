"""Offer writes. A merchant has at most one active offer, whatever the dates.

Lock order, everywhere: the merchant row, then the offer row. The partial unique index
``offer_one_active_per_merchant`` is the final word; its IntegrityError becomes a 409.
"""

import datetime as dt
import uuid
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from clicknback.audit.services import Actor, audit_record
from clicknback.catalog_cache import catalog_changed
from clicknback.errors import ValidationFailed
from clicknback.lookup import get_object_or_not_found
from clicknback.money import quantize
from merchants.services import merchant_lock
from offers.errors import ActiveOfferAlreadyExists, MerchantNotActive
from offers.models import CashbackType, Offer, OfferStatus

MAX_PERCENT = Decimal("20")


def utc_today() -> dt.date:
    return timezone.now().date()


def offer_validate_terms(
    *,
    cashback_type: str,
    cashback_value: Decimal,
    start_date: dt.date,
    end_date: dt.date,
    monthly_cap: Decimal,
    today: dt.date,
) -> None:
    """The contract's offer rules (§5), each a 422 naming its field."""
    if cashback_type not in CashbackType.values:
        raise _invalid("cashback_type", "Must be one of: percent, fixed.")
    if cashback_type == CashbackType.PERCENT and not (Decimal("0") < cashback_value <= MAX_PERCENT):
        raise _invalid("cashback_value", "A percentage must be greater than 0 and at most 20.")
    if cashback_type == CashbackType.FIXED and not cashback_value > 0:
        raise _invalid("cashback_value", "A fixed amount must be greater than 0.")
    if start_date < today:
        raise _invalid("start_date", "Must not be before today (UTC).")
    if end_date < start_date:
        raise _invalid("end_date", "Must be on or after start_date.")
    if not monthly_cap > 0:
        raise _invalid("monthly_cap", "Must be greater than 0.")


def _invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {reason}", field=field, reason=reason)


def _other_active_offer(*, merchant_id, exclude_id=None) -> Offer | None:
    queryset = Offer.objects.filter(merchant_id=merchant_id, status=OfferStatus.ACTIVE)
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.first()


def _save_in_savepoint(offer: Offer, **save_kwargs) -> None:
    try:
        with transaction.atomic():
            offer.save(**save_kwargs)
    except IntegrityError:
        raise ActiveOfferAlreadyExists(offer.merchant_id) from None


def offer_create(
    *,
    merchant_id: uuid.UUID | str,
    cashback_type: str,
    cashback_value: Decimal,
    start_date: dt.date,
    end_date: dt.date,
    monthly_cap: Decimal,
    actor: Actor,
) -> Offer:
    """Create an active offer. Checks: the rules (422), merchant exists (404), is active
    (422 MERCHANT_NOT_ACTIVE), has no other active offer (409)."""
    offer_validate_terms(
        cashback_type=cashback_type,
        cashback_value=cashback_value,
        start_date=start_date,
        end_date=end_date,
        monthly_cap=monthly_cap,
        today=utc_today(),
    )
    with transaction.atomic():
        merchant = merchant_lock(merchant_id=merchant_id)
        if not merchant.active:
            raise MerchantNotActive(merchant.pk)
        existing = _other_active_offer(merchant_id=merchant.pk)
        if existing is not None:
            raise ActiveOfferAlreadyExists(merchant.pk, existing.pk)
        offer = Offer(
            merchant=merchant,
            cashback_type=cashback_type,
            cashback_value=quantize(cashback_value),
            monthly_cap=quantize(monthly_cap),
            start_date=start_date,
            end_date=end_date,
            status=OfferStatus.ACTIVE,
        )
        _save_in_savepoint(offer, force_insert=True)
        catalog_changed()
        audit_record(
            actor=actor,
            action="offer.created",
            resource_type="offer",
            resource_id=offer.pk,
            details={
                "merchant_id": str(merchant.pk),
                "cashback_type": offer.cashback_type,
                "cashback_value": f"{offer.cashback_value:.2f}",
                "monthly_cap": f"{offer.monthly_cap:.2f}",
                "start_date": offer.start_date.isoformat(),
                "end_date": offer.end_date.isoformat(),
            },
        )
    return offer


def offer_set_status(*, offer_id: uuid.UUID | str, status: str, actor: Actor) -> Offer:
    """Activate or deactivate an offer; the current status again is a no-op (no audit row).

    Activating while another offer of the merchant is active → 409. The merchant row is
    locked first, so two activations of two offers of one merchant serialize and the
    second sees the first.
    """
    if status not in OfferStatus.values:
        raise _invalid("status", "Must be one of: active, inactive.")
    merchant_id = get_object_or_not_found(Offer.objects.values_list("merchant_id", flat=True), "offer", pk=offer_id)
    with transaction.atomic():
        merchant_lock(merchant_id=merchant_id)
        offer = Offer.objects.select_for_update().get(pk=offer_id)
        if offer.status == status:
            return offer
        if status == OfferStatus.ACTIVE:
            existing = _other_active_offer(merchant_id=merchant_id, exclude_id=offer.pk)
            if existing is not None:
                raise ActiveOfferAlreadyExists(merchant_id, existing.pk)
        offer.status = status
        _save_in_savepoint(offer, update_fields=["status", "updated_at"])
        catalog_changed()
        audit_record(
            actor=actor,
            action="offer.activated" if status == OfferStatus.ACTIVE else "offer.deactivated",
            resource_type="offer",
            resource_id=offer.pk,
            details={"merchant_id": str(merchant_id)},
        )
    return offer
