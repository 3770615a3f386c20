"""Sending webhook deliveries (contract §14), never inside a money transaction.

* ``webhook_deliveries_claim``: the due deliveries of active endpoints, each the oldest
  pending one of its resource for its endpoint (so a purchase's events arrive in order),
  claimed with ``select_for_update(skip_locked=True)`` and a lease (``claimed_until``,
  ``claim_token``). A worker that dies mid-delivery leaves its claim to expire; the next
  claim takes the delivery again (at least once; receivers deduplicate by ``webhook-id``).
* ``webhook_delivery_send``: one HTTP attempt (its own task on the ``webhooks`` queue,
  so a hanging endpoint holds one worker slot for at most the timeout and no other
  delivery), then the result in a short transaction: success; a retry due along
  ``WEBHOOK_RETRY_SCHEDULE`` with jitter; or ``failed``, counting against the endpoint,
  which is deactivated after ``WEBHOOK_DISABLE_AFTER_FAILURES`` failed events in a row.
"""

import datetime as dt
import json
import random
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from clicknback.audit.services import SYSTEM, Actor, audit_record
from clicknback.lookup import get_object_or_not_found
from clicknback.outbox.models import Event
from events.errors import WebhookEndpointInactive, WebhookUrlNotAllowed
from events.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from events.signing import signed_headers
from events.transport import Response, post
from events.urlguard import resolve_allowed

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def event_payload(event: Event) -> bytes:
    """The body of a delivery: the event as JSON (§14: id, type, occurred_at, data)."""
    body = {
        "id": str(event.pk),
        "type": event.type,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).strftime(TIMESTAMP_FORMAT),
        "data": event.data,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def retry_delay(attempts: int) -> float | None:
    """Seconds before the next attempt after ``attempts`` failed ones (with jitter), or None: give up."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    base = float(schedule[attempts - 1])
    jitter = settings.WEBHOOK_RETRY_JITTER
    return max(0.0, base * (1 + random.uniform(-jitter, jitter)))  # nosec B311 - spreading retries


def webhook_deliveries_claim(*, limit: int = 100) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Claim due deliveries; returns ``(delivery id, claim token)`` pairs to send."""
    now = timezone.now()
    earlier_pending = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        resource_id=OuterRef("resource_id"),
        status=DeliveryStatus.PENDING,
        occurred_at__lt=OuterRef("occurred_at"),
    )
    with transaction.atomic():
        due = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .exclude(Exists(earlier_pending))
            .order_by("next_attempt_at", "occurred_at")
        )
        ids = list(due.values_list("pk", flat=True)[:limit])
        claimed = [(pk, uuid.uuid4()) for pk in ids]
        until = now + timedelta(seconds=settings.WEBHOOK_CLAIM_SECONDS)
        for pk, token in claimed:
            WebhookDelivery.objects.filter(pk=pk).update(claimed_until=until, claim_token=token)
    return claimed


def _attempt(delivery: WebhookDelivery) -> Response:
    endpoint = delivery.endpoint
    try:
        target = resolve_allowed(endpoint.url)  # checked again: DNS may have changed since creation
    except WebhookUrlNotAllowed as exc:
        return Response(None, exc.message[:500], 0)
    body = event_payload(delivery.event)
    headers = signed_headers(
        secret=endpoint.secret, msg_id=str(delivery.event_id), timestamp=int(time.time()), body=body
    )
    return post(target=target, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)


def webhook_delivery_send(*, delivery_id: uuid.UUID | str, claim_token: uuid.UUID | str) -> WebhookDelivery | None:
    """One attempt of a claimed delivery; None when the claim is no longer this caller's."""
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").filter(pk=delivery_id).first()
    if delivery is None or str(delivery.claim_token) != str(claim_token) or delivery.status != DeliveryStatus.PENDING:
        return None
    if not delivery.endpoint.active:
        WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=claim_token).update(
            claimed_until=None, claim_token=None
        )
        return None
    response = _attempt(delivery)  # no transaction is open here: nothing is locked while waiting
    return _record(delivery_id=delivery.pk, claim_token=claim_token, response=response)


def _record(*, delivery_id: uuid.UUID, claim_token: uuid.UUID | str, response: Response) -> WebhookDelivery | None:
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            return None
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=response.status_code,
            error=response.error[:500],
            duration_ms=response.duration_ms,
        )
        if str(delivery.claim_token) != str(claim_token):
            return None  # the lease expired and another worker took it over; it decides
        delivery.attempts += 1
        delivery.last_status_code = response.status_code
        delivery.last_error = response.error[:500]
        delivery.claimed_until = None
        delivery.claim_token = None
        ended_failed = False
        if response.ok:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.next_attempt_at = None
        else:
            delay = retry_delay(delivery.attempts)
            if delay is None:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
                ended_failed = True
            else:
                delivery.next_attempt_at = now + timedelta(seconds=delay)
        delivery.save()
        if response.ok:
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).exclude(failures_in_row=0).update(
                failures_in_row=0, updated_at=now
            )
        elif ended_failed:
            _count_failure(delivery.endpoint_id, now)
    return delivery


def _count_failure(endpoint_id: uuid.UUID, now) -> None:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    endpoint.failures_in_row = F("failures_in_row") + 1
    endpoint.save(update_fields=["failures_in_row", "updated_at"])
    endpoint.refresh_from_db(fields=["failures_in_row"])
    if endpoint.active and endpoint.failures_in_row >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        endpoint.active = False
        endpoint.deactivated_at = now
        endpoint.save(update_fields=["active", "deactivated_at", "updated_at"])
        audit_record(
            actor=SYSTEM,
            action="webhook_endpoint.deactivated",
            resource_type="webhook_endpoint",
            resource_id=endpoint.pk,
            details={"reason": "failures_in_row", "failures_in_row": endpoint.failures_in_row},
        )


def webhook_delivery_retry(
    *, delivery_id: uuid.UUID | str, actor: Actor, partner_id: uuid.UUID | None = None
) -> WebhookDelivery:
    """Deliver again now (partner API, back office). 404 (not this partner's); 409 when the
    endpoint is deactivated."""
    from events import tasks  # the task module imports this one

    with transaction.atomic():
        queryset = WebhookDelivery.objects.select_for_update(of=("self",)).select_related("endpoint")
        if partner_id is not None:
            queryset = queryset.filter(endpoint__partner_id=partner_id, endpoint__deleted_at__isnull=True)
        delivery = get_object_or_not_found(queryset, "webhook_delivery", pk=delivery_id)
        if not delivery.endpoint.active:
            raise WebhookEndpointInactive(details={"endpoint_id": str(delivery.endpoint_id)})
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.claimed_until = None
        delivery.claim_token = None
        delivery.save(update_fields=["status", "next_attempt_at", "claimed_until", "claim_token", "updated_at"])
        audit_record(
            actor=actor,
            action="webhook_delivery.retried",
            resource_type="webhook_delivery",
            resource_id=delivery.pk,
            details={"endpoint_id": str(delivery.endpoint_id), "event_id": str(delivery.event_id)},
        )
        transaction.on_commit(tasks.nudge_webhook_dispatch)
    return delivery
