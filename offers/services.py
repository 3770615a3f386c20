"""Offer writes. The active offers of one merchant never overlap in dates (§5), so the
next one can be scheduled while the current one runs.

Lock order, everywhere: the merchant row, then the offer row. The services check the
overlap under the merchant lock (409 naming the conflicting offer); the database trigger
``offer_active_dates_do_not_overlap`` (offers migration 0002) is the final word, and its
IntegrityError becomes the same 409.
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
    max_cashback_per_purchase: Decimal | None = None,
    check_start: bool = True,
) -> None:
    """The contract's offer rules (§5), each a 422 naming its field."""
    if cashback_type not in CashbackType.values:
        raise _invalid("cashback_type", "Must be one of: percent, fixed.")
    if cashback_type == CashbackType.PERCENT and not (Decimal("0") < cashback_value <= MAX_PERCENT):
        raise _invalid("cashback_value", "A percentage must be greater than 0 and at most 20.")
    if cashback_type == CashbackType.FIXED and not cashback_value > 0:
        raise _invalid("cashback_value", "A fixed amount must be greater than 0.")
    if check_start and start_date < today:
        raise _invalid("start_date", "Must not be before today (UTC).")
    if end_date < start_date:
        raise _invalid("end_date", "Must be on or after start_date.")
    if not monthly_cap > 0:
        raise _invalid("monthly_cap", "Must be greater than 0.")
    if max_cashback_per_purchase is not None and not max_cashback_per_purchase > 0:
        raise _invalid("max_cashback_per_purchase", "Must be greater than 0.")


def _invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {reason}", field=field, reason=reason)


def _overlapping_active_offer(*, merchant_id, start_date: dt.date, end_date: dt.date, exclude_id=None) -> Offer | None:
    """An active offer of the merchant whose dates meet [start_date, end_date] (bounds inclusive)."""
    queryset = Offer.objects.filter(
        merchant_id=merchant_id, status=OfferStatus.ACTIVE, start_date__lte=end_date, end_date__gte=start_date
    )
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.order_by("start_date").first()


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
    max_cashback_per_purchase: Decimal | None = None,
) -> Offer:
    """Create an active offer. Checks: the rules (422), merchant exists (404), is active
    (422 MERCHANT_NOT_ACTIVE), no active offer of the merchant overlaps its dates (409)."""
    offer_validate_terms(
        cashback_type=cashback_type,
        cashback_value=cashback_value,
        start_date=start_date,
        end_date=end_date,
        monthly_cap=monthly_cap,
        today=utc_today(),
        max_cashback_per_purchase=max_cashback_per_purchase,
    )
    with transaction.atomic():
        merchant = merchant_lock(merchant_id=merchant_id)
        if not merchant.active:
            raise MerchantNotActive(merchant.pk)
        existing = _overlapping_active_offer(merchant_id=merchant.pk, start_date=start_date, end_date=end_date)
        if existing is not None:
            raise ActiveOfferAlreadyExists(merchant.pk, existing.pk)
        offer = Offer(
            merchant=merchant,
            cashback_type=cashback_type,
            cashback_value=quantize(cashback_value),
            monthly_cap=quantize(monthly_cap),
            max_cashback_per_purchase=quantize(max_cashback_per_purchase) if max_cashback_per_purchase else None,
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
            existing = _overlapping_active_offer(
                merchant_id=merchant_id, start_date=offer.start_date, end_date=offer.end_date, exclude_id=offer.pk
            )
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


EDITABLE = ("end_date", "monthly_cap", "cashback_value", "max_cashback_per_purchase")


def offer_update(*, offer_id: uuid.UUID | str, actor: Actor, **changes) -> Offer:
    """Change an offer's ``end_date``, ``monthly_cap``, ``cashback_value`` or
    ``max_cashback_per_purchase`` (§5): the creation rules and the overlap rule apply (the
    start date may already be past); what was credited before is never changed, later
    purchases earn the new terms. Audited with the old and new values."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise _invalid(sorted(unknown)[0], "This field cannot be changed.")
    merchant_id = get_object_or_not_found(Offer.objects.values_list("merchant_id", flat=True), "offer", pk=offer_id)
    with transaction.atomic():
        merchant_lock(merchant_id=merchant_id)
        offer = Offer.objects.select_for_update().get(pk=offer_id)
        new = {name: getattr(offer, name) for name in EDITABLE} | changes
        offer_validate_terms(
            cashback_type=offer.cashback_type,
            cashback_value=new["cashback_value"],
            start_date=offer.start_date,
            end_date=new["end_date"],
            monthly_cap=new["monthly_cap"],
            today=utc_today(),
            max_cashback_per_purchase=new["max_cashback_per_purchase"],
            check_start=False,
        )
        if offer.status == OfferStatus.ACTIVE:
            existing = _overlapping_active_offer(
                merchant_id=merchant_id, start_date=offer.start_date, end_date=new["end_date"], exclude_id=offer.pk
            )
            if existing is not None:
                raise ActiveOfferAlreadyExists(merchant_id, existing.pk)
        diff: dict[str, dict[str, object]] = {}
        for name in EDITABLE:
            value = new[name]
            if isinstance(value, Decimal):
                value = quantize(value)
            if value != getattr(offer, name):
                diff[name] = {"old": _shown(getattr(offer, name)), "new": _shown(value)}
                setattr(offer, name, value)
        if diff:
            _save_in_savepoint(offer, update_fields=[*diff, "updated_at"])
            catalog_changed()
            audit_record(actor=actor, action="offer.edited", resource_type="offer", resource_id=offer.pk, details=diff)
    return offer


def _shown(value) -> object:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
