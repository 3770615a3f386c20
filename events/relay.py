"""The relay: waiting events → webhook deliveries and email notifications (contract §14).

Runs as a Celery task (beat, every few seconds). It only reads and writes rows: the
events are claimed in the database (``select_for_update(skip_locked=True)``, under a
transaction-scoped advisory lock so that one relay works at a time and the events of a
resource become deliveries in the order they happened), and in the same transaction the
deliveries and notifications are inserted (each unique per event and subscriber, so a
relay run twice adds nothing) and the events marked relayed. A relay killed halfway
rolls back and leaves the events waiting for the next run. Sending happens later, in
other tasks (``events.deliveries``, ``events.notifications``).
"""

from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from clicknback.outbox.models import Event
from events.models import Notification, WebhookDelivery, WebhookEndpoint

# pg_try_advisory_xact_lock key of the relay (any constant unique to this use).
RELAY_LOCK_KEY = 0x6576_656E_7473  # "events"

# The events a user is emailed about (§14): cashback available, rejected, reversed or
# returned, and a payout completed, failed or returned.
NOTIFIED_TYPES = frozenset(
    {
        "purchase.confirmed",
        "purchase.rejected",
        "purchase.reversed",
        "purchase.returned",
        "payout.completed",
        "payout.failed",
        "payout.returned",
    }
)


def _relay_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [RELAY_LOCK_KEY])
        (locked,) = cursor.fetchone()
    return bool(locked)


def events_relay(*, batch_size: int | None = None) -> list[Event]:
    """Relay up to ``batch_size`` waiting events, oldest first; returns those relayed."""
    batch_size = batch_size or settings.EVENT_RELAY_BATCH_SIZE
    with transaction.atomic():
        if not _relay_lock():
            return []
        waiting = Event.objects.select_for_update(skip_locked=True).filter(relayed_at__isnull=True)
        events = list(waiting.order_by("occurred_at", "id")[:batch_size])
        if not events:
            return []
        now = timezone.now()
        partner_ids = {e.partner_id for e in events if e.partner_id is not None and e.type.startswith("purchase.")}
        endpoints: dict[object, list[WebhookEndpoint]] = defaultdict(list)
        if partner_ids:
            for endpoint in WebhookEndpoint.objects.filter(
                partner_id__in=partner_ids, active=True, deleted_at__isnull=True
            ):
                endpoints[endpoint.partner_id].append(endpoint)
        deliveries = [
            WebhookDelivery(
                event=event,
                endpoint=endpoint,
                event_type=event.type,
                resource_id=event.resource_id,
                occurred_at=event.occurred_at,
                next_attempt_at=now,
            )
            for event in events
            if event.type.startswith("purchase.")
            for endpoint in endpoints.get(event.partner_id, ())
            if event.type in endpoint.event_types
        ]
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        user_ids = {e.user_id for e in events if e.type in NOTIFIED_TYPES and e.user_id is not None}
        subscribed = set(
            get_user_model()
            .objects.filter(pk__in=user_ids, is_active=True, email_notifications=True)
            .values_list("pk", flat=True)
        )
        notifications = [
            Notification(event=event, user_id=event.user_id)
            for event in events
            if event.type in NOTIFIED_TYPES and event.user_id in subscribed
        ]
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        Event.objects.filter(pk__in=[event.pk for event in events]).update(relayed_at=now)
    return events


def events_waiting_count() -> int:
    return Event.objects.filter(relayed_at__isnull=True).count()
