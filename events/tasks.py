"""Thin tasks: the relay and the senders (``events.relay``, ``events.deliveries``,
``events.notifications``). Deliveries and emails are routed to the ``webhooks`` queue
(``CELERY_TASK_ROUTES``), served by a worker of their own."""

import logging

from celery import shared_task

from events.deliveries import webhook_deliveries_claim, webhook_delivery_send
from events.notifications import notifications_send
from events.relay import events_relay

logger = logging.getLogger(__name__)


def _publish(task, *args) -> None:
    try:
        task.apply_async(args=args, retry=False)
    except Exception:  # noqa: BLE001 - the rows are stored; the beat picks them up
        logger.warning("Could not queue %s; the next beat will.", task.name, exc_info=True)


def nudge_webhook_dispatch() -> None:
    _publish(dispatch_webhook_deliveries)


@shared_task(name="events.tasks.relay_events")
def relay_events() -> int:
    """Turn waiting events into deliveries and notifications, then have them sent."""
    relayed = events_relay()
    if relayed:
        _publish(dispatch_webhook_deliveries)
        _publish(send_notifications)
    return len(relayed)


@shared_task(name="events.tasks.dispatch_webhook_deliveries")
def dispatch_webhook_deliveries() -> int:
    """Claim due deliveries and queue one sending task each."""
    claimed = webhook_deliveries_claim()
    for delivery_id, token in claimed:
        _publish(send_webhook_delivery, str(delivery_id), str(token))
    return len(claimed)


@shared_task(name="events.tasks.send_webhook_delivery")
def send_webhook_delivery(delivery_id: str, claim_token: str) -> None:
    webhook_delivery_send(delivery_id=delivery_id, claim_token=claim_token)


@shared_task(name="events.tasks.send_notifications")
def send_notifications() -> int:
    return notifications_send()
