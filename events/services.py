"""Partner webhook endpoints (contract §14): create, delete, deactivate, reactivate."""

import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from clicknback.audit.services import Actor, audit_record
from clicknback.errors import ValidationFailed
from clicknback.lookup import get_object_or_not_found
from clicknback.outbox.services import PURCHASE_TYPES
from events.models import WebhookEndpoint
from events.signing import secret_generate
from events.urlguard import resolve_allowed

RESOURCE_TYPE = "webhook_endpoint"


def webhook_endpoint_create(
    *, partner_id: uuid.UUID, url: str, event_types: Sequence[str] | None, actor: Actor
) -> WebhookEndpoint:
    """A new endpoint with a new secret (returned on the instance, shown once).

    422 ``WEBHOOK_URL_NOT_ALLOWED`` (``events.urlguard``); 422 for an event type that is
    not a ``purchase.*`` type (a partner hears of its purchases only).
    """
    types = list(dict.fromkeys(event_types)) if event_types else list(PURCHASE_TYPES)
    unknown = [t for t in types if t not in PURCHASE_TYPES]
    if unknown:
        raise ValidationFailed(
            f"Unknown event type {unknown[0]!r}.",
            field="event_types",
            reason=f"Each must be one of {', '.join(PURCHASE_TYPES)}.",
        )
    resolve_allowed(url)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            partner_id=partner_id, url=url, event_types=types, secret=secret_generate()
        )
        audit_record(
            actor=actor,
            action="webhook_endpoint.created",
            resource_type=RESOURCE_TYPE,
            resource_id=endpoint.pk,
            details={"partner_id": str(partner_id), "url": url, "event_types": types},
        )
    return endpoint


def _lock(endpoint_id, partner_id: uuid.UUID | None) -> WebhookEndpoint:
    queryset = WebhookEndpoint.objects.select_for_update().filter(deleted_at__isnull=True)
    if partner_id is not None:
        queryset = queryset.filter(partner_id=partner_id)
    return get_object_or_not_found(queryset, RESOURCE_TYPE, pk=endpoint_id)


def webhook_endpoint_delete(*, endpoint_id: uuid.UUID | str, partner_id: uuid.UUID, actor: Actor) -> None:
    """Stop the endpoint for good (kept, deleted, for the delivery log); 404 when not this partner's."""
    with transaction.atomic():
        endpoint = _lock(endpoint_id, partner_id)
        now = timezone.now()
        endpoint.deleted_at = now
        endpoint.active = False
        endpoint.save(update_fields=["deleted_at", "active", "updated_at"])
        audit_record(
            actor=actor, action="webhook_endpoint.deleted", resource_type=RESOURCE_TYPE, resource_id=endpoint.pk
        )


def webhook_endpoint_set_active(*, endpoint_id: uuid.UUID | str, active: bool, actor: Actor) -> WebhookEndpoint:
    """Deactivate or reactivate (back office); reactivating starts the failure count again."""
    with transaction.atomic():
        endpoint = _lock(endpoint_id, None)
        if endpoint.active == active:
            return endpoint
        endpoint.active = active
        endpoint.deactivated_at = None if active else timezone.now()
        if active:
            endpoint.failures_in_row = 0
        endpoint.save(update_fields=["active", "deactivated_at", "failures_in_row", "updated_at"])
        audit_record(
            actor=actor,
            action="webhook_endpoint.reactivated" if active else "webhook_endpoint.deactivated",
            resource_type=RESOURCE_TYPE,
            resource_id=endpoint.pk,
        )
    return endpoint
