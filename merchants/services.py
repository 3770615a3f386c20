"""Merchant writes: creation and activation status, each audited in its transaction."""

import uuid
from decimal import Decimal

from django.db import IntegrityError, transaction

from clicknback.audit.services import Actor, audit_record
from clicknback.catalog_cache import catalog_changed
from clicknback.errors import ValidationFailed
from clicknback.lookup import get_object_or_not_found
from clicknback.money import quantize
from merchants.errors import MerchantNameTaken
from merchants.models import Merchant

MAX_DEFAULT_PERCENTAGE = Decimal("20")


def merchant_lock(*, merchant_id: uuid.UUID | str) -> Merchant:
    """Lock the merchant row for the caller's transaction; 404 when unknown."""
    return get_object_or_not_found(Merchant.objects.select_for_update(), "merchant", pk=merchant_id)


def merchant_create(*, name: str, default_cashback_percentage: Decimal, active: bool = True, actor: Actor) -> Merchant:
    name = name.strip()
    if not name or len(name) > 255:
        raise ValidationFailed("name must be 1 to 255 characters.", field="name", reason="Must be 1 to 255 characters.")
    if not Decimal("0") <= default_cashback_percentage <= MAX_DEFAULT_PERCENTAGE:
        raise ValidationFailed(
            "default_cashback_percentage must be between 0 and 20.",
            field="default_cashback_percentage",
            reason="Must be between 0.00 and 20.00.",
        )
    with transaction.atomic():
        merchant = Merchant(name=name, default_cashback_percentage=quantize(default_cashback_percentage), active=active)
        try:
            with transaction.atomic():
                merchant.save(force_insert=True)
        except IntegrityError:
            # The only unique rule is the case-insensitive name index.
            raise MerchantNameTaken(name) from None
        catalog_changed()
        audit_record(
            actor=actor,
            action="merchant.created",
            resource_type="merchant",
            resource_id=merchant.pk,
            details={
                "name": merchant.name,
                "default_cashback_percentage": f"{merchant.default_cashback_percentage:.2f}",
                "active": merchant.active,
            },
        )
    return merchant


def merchant_set_active(*, merchant_id: uuid.UUID | str, active: bool, actor: Actor) -> Merchant:
    """Activate or deactivate; setting the current status again changes nothing (no audit row).

    A deactivated merchant keeps its offers and history; its offers simply stop being
    listed as active and it can take no purchases.
    """
    with transaction.atomic():
        merchant = merchant_lock(merchant_id=merchant_id)
        if merchant.active == active:
            return merchant
        merchant.active = active
        merchant.save(update_fields=["active", "updated_at"])
        catalog_changed()
        audit_record(
            actor=actor,
            action="merchant.activated" if active else "merchant.deactivated",
            resource_type="merchant",
            resource_id=merchant.pk,
            details={"name": merchant.name},
        )
    return merchant


def merchant_update(
    *, merchant_id: uuid.UUID | str, actor: Actor, name: str | None = None, default_cashback_percentage=None
) -> Merchant:
    """Rename a merchant or change its default percentage (§4): the creation rules and 409;
    audited with the old and new values of what changed."""
    if name is not None:
        name = name.strip()
        if not name or len(name) > 255:
            raise ValidationFailed(
                "name must be 1 to 255 characters.", field="name", reason="Must be 1 to 255 characters."
            )
    if default_cashback_percentage is not None and not (
        Decimal("0") <= default_cashback_percentage <= MAX_DEFAULT_PERCENTAGE
    ):
        raise ValidationFailed(
            "default_cashback_percentage must be between 0 and 20.",
            field="default_cashback_percentage",
            reason="Must be between 0.00 and 20.00.",
        )
    with transaction.atomic():
        merchant = merchant_lock(merchant_id=merchant_id)
        changes: dict[str, dict[str, object]] = {}
        if name is not None and name != merchant.name:
            changes["name"] = {"old": merchant.name, "new": name}
            merchant.name = name
        if default_cashback_percentage is not None:
            value = quantize(default_cashback_percentage)
            if value != merchant.default_cashback_percentage:
                changes["default_cashback_percentage"] = {
                    "old": f"{merchant.default_cashback_percentage:.2f}",
                    "new": f"{value:.2f}",
                }
                merchant.default_cashback_percentage = value
        if changes:
            try:
                with transaction.atomic():
                    merchant.save(update_fields=[*changes, "updated_at"])
            except IntegrityError:
                raise MerchantNameTaken(merchant.name) from None
            catalog_changed()
            audit_record(
                actor=actor,
                action="merchant.edited",
                resource_type="merchant",
                resource_id=merchant.pk,
                details=changes,
            )
    return merchant
