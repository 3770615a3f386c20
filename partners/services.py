"""Partner accounts, their API keys and their postback secret (contract §13).

Every change is one transaction with its audit row. Keys are made by
djangorestframework-api-key's generator: the key is returned once and only its prefix
and SHA-512 hash are stored, so it cannot be recovered from the database.
"""

import datetime as dt
import secrets
import uuid
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from clicknback.audit.services import Actor, audit_record
from clicknback.errors import NotFound, ValidationFailed
from clicknback.lookup import get_object_or_not_found, uuid_or_not_found
from merchants.models import Merchant
from partners.errors import PartnerNameTaken
from partners.models import Partner, PartnerAPIKey

RESOURCE = "partner"


def _merchants(merchant_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(uuid.UUID(str(merchant_id)) for merchant_id in merchant_ids))
    if not wanted:
        raise ValidationFailed("A partner is linked to at least one merchant.", field="merchant_ids")
    known = set(Merchant.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    unknown = [str(merchant_id) for merchant_id in wanted if merchant_id not in known]
    if unknown:
        raise ValidationFailed(
            f"Unknown merchant: {', '.join(unknown)}.",
            field="merchant_ids",
            reason=f"Unknown merchant: {', '.join(unknown)}.",
        )
    return wanted


def _saved(partner: Partner) -> None:
    try:
        with transaction.atomic():
            partner.save()
    except IntegrityError:
        # The only unique rule is the case-insensitive name index.
        raise PartnerNameTaken(
            f"A partner named {partner.name!r} already exists.", details={"name": partner.name}
        ) from None


def _lock(partner_id: uuid.UUID | str) -> Partner:
    return get_object_or_not_found(Partner.objects.select_for_update(), RESOURCE, pk=partner_id)


def partner_create(*, name: str, merchant_ids: Iterable[uuid.UUID], active: bool = True, actor: Actor) -> Partner:
    """A partner linked to ``merchant_ids``. 409 ``PARTNER_NAME_TAKEN``; 422 an unknown merchant."""
    merchants = _merchants(merchant_ids)
    with transaction.atomic():
        partner = Partner(name=name, active=active)
        _saved(partner)
        partner.merchants.set(Merchant.objects.filter(pk__in=merchants))
        audit_record(
            actor=actor,
            action="partner.created",
            resource_type=RESOURCE,
            resource_id=partner.pk,
            details={"name": name, "merchant_ids": [str(m) for m in merchants], "active": active},
        )
    return partner


def partner_update(
    *,
    partner_id: uuid.UUID | str,
    actor: Actor,
    name: str | None = None,
    merchant_ids: Iterable[uuid.UUID] | None = None,
    active: bool | None = None,
) -> Partner:
    """Change what is given; the audit row holds the old and new values of what changed.

    A deactivated partner's keys and postbacks are refused from the next request on.
    """
    merchants = _merchants(merchant_ids) if merchant_ids is not None else None
    with transaction.atomic():
        partner = _lock(partner_id)
        changes: dict[str, dict[str, object]] = {}
        if name is not None and name != partner.name:
            changes["name"] = {"old": partner.name, "new": name}
            partner.name = name
        if active is not None and active != partner.active:
            changes["active"] = {"old": partner.active, "new": active}
            partner.active = active
        if merchants is not None:
            old = sorted(str(m) for m in partner.merchants.values_list("pk", flat=True))
            new = sorted(str(m) for m in merchants)
            if old != new:
                changes["merchant_ids"] = {"old": old, "new": new}
                partner.merchants.set(Merchant.objects.filter(pk__in=merchants))
        if changes:
            _saved(partner)
            audit_record(
                actor=actor, action="partner.edited", resource_type=RESOURCE, resource_id=partner.pk, details=changes
            )
    return partner


def api_key_create(
    *, partner_id: uuid.UUID | str, name: str, expires_at: dt.datetime | None = None, actor: Actor
) -> tuple[PartnerAPIKey, str]:
    """A new key for the partner: the stored row and the key itself (shown once)."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("expires_at must be in the future.", field="expires_at", reason="Must be in the future.")
    with transaction.atomic():
        partner = _lock(partner_id)
        key_row, key = PartnerAPIKey.objects.create_key(partner=partner, name=name, expiry_date=expires_at)
        assert isinstance(key_row, PartnerAPIKey)
        audit_record(
            actor=actor,
            action="api_key.created",
            resource_type="api_key",
            resource_id=key_row.pk,
            details={"partner_id": str(partner.pk), "name": name, "prefix": key_row.prefix},
        )
    return key_row, key


def api_key_revoke(*, partner_id: uuid.UUID | str, key_id: uuid.UUID | str, actor: Actor) -> PartnerAPIKey:
    """Revoke a key: refused from the next request on. Revoking a revoked key changes nothing."""
    with transaction.atomic():
        partner = _lock(partner_id)
        key_uuid = uuid_or_not_found(key_id, "api_key")
        key_row = PartnerAPIKey.objects.select_for_update().filter(partner=partner, pk=key_uuid).first()
        if key_row is None:
            raise NotFound("api_key", key_id)
        if not key_row.revoked:
            key_row.revoked = True
            key_row.revoked_at = timezone.now()
            key_row.save(update_fields=["revoked", "revoked_at"])
            audit_record(
                actor=actor,
                action="api_key.revoked",
                resource_type="api_key",
                resource_id=key_row.pk,
                details={"partner_id": str(partner.pk), "prefix": key_row.prefix},
            )
    return key_row


def postback_secret_rotate(*, partner_id: uuid.UUID | str, actor: Actor) -> str:
    """A new postback secret (returned once); the old one stops working at once."""
    secret = secrets.token_hex(32)
    with transaction.atomic():
        partner = _lock(partner_id)
        partner.postback_secret = secret
        partner.save(update_fields=["postback_secret", "updated_at"])
        audit_record(
            actor=actor,
            action="partner.edited",
            resource_type=RESOURCE,
            resource_id=partner.pk,
            details={"postback_secret": "rotated"},
        )
    return secret
