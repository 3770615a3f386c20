"""User emails for §14 events: at most one per event (``Notification.event`` is unique).

``notifications_send`` claims pending rows (``skip_locked``) and marks them ``sending``
in a short transaction, then sends each email with Django's email framework (configured
from ``EMAIL_URL``) and marks it ``sent``. A send that raises goes back to ``pending``
for a later try. A row left ``sending`` by a worker that died is marked ``failed``,
never sent again: a second email for one event is worse than a missing one, and the
event stays visible on the wallet pages.
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from clicknback.outbox.models import Event
from events.models import Notification, NotificationStatus

MAX_ATTEMPTS = 5

# Subject and opening line per event type; the templates add the amounts and the reason.
WORDING = {
    "purchase.confirmed": ("Your cashback is available", "Your cashback from {merchant} is now available."),
    "purchase.rejected": ("Your cashback was rejected", "Your cashback from {merchant} was rejected."),
    "purchase.reversed": ("Your cashback was reversed", "Your cashback from {merchant} was reversed."),
    "purchase.returned": ("A return reduced your cashback", "A return at {merchant} reduced your cashback."),
    "payout.completed": ("Your payout was sent", "Your payout has been completed."),
    "payout.failed": ("Your payout failed", "Your payout failed; the amount is back in your wallet."),
    "payout.returned": ("Your payout was returned", "Your payout was returned by the bank."),
}


def notification_message(event: Event, to: str) -> EmailMultiAlternatives:
    subject, headline = WORDING[event.type]
    data = event.data
    context = {
        "headline": headline.format(merchant=data.get("merchant_name", "")),
        "event": event,
        "data": data,
        "is_purchase": event.type.startswith("purchase."),
        "reason": data.get("status_reason") or data.get("failure_reason") or "",
        "site_url": settings.SITE_URL,
    }
    text = render_to_string("emails/notification.txt", context)
    html = render_to_string("emails/notification.html", context)
    message = EmailMultiAlternatives(f"ClickNBack: {subject}", text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    return message


def _claim(limit: int) -> list[Notification]:
    now = timezone.now()
    with transaction.atomic():
        # Rows whose sender died mid-send: given up, never sent twice.
        Notification.objects.filter(status=NotificationStatus.SENDING, claimed_until__lt=now).update(
            status=NotificationStatus.FAILED, last_error="interrupted while sending; not sent again"
        )
        claimed = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "user")
            .filter(status=NotificationStatus.PENDING)
            .order_by("created_at", "id")[:limit]
        )
        Notification.objects.filter(pk__in=[n.pk for n in claimed]).update(
            status=NotificationStatus.SENDING,
            claimed_until=now + timedelta(seconds=settings.WEBHOOK_CLAIM_SECONDS),
        )
    return claimed


def notifications_send(*, limit: int = 100) -> int:
    """Send the pending emails; returns how many were sent."""
    sent = 0
    for notification in _claim(limit):
        user = notification.user
        if not (user.is_active and user.email_notifications):
            Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.SKIPPED)
            continue
        try:
            notification_message(notification.event, user.email).send()
        except Exception as exc:  # noqa: BLE001 - SMTP and template errors alike: try again later
            attempts = notification.attempts + 1
            Notification.objects.filter(pk=notification.pk).update(
                status=NotificationStatus.PENDING if attempts < MAX_ATTEMPTS else NotificationStatus.FAILED,
                attempts=attempts,
                last_error=f"{type(exc).__name__}: {exc}"[:500],
            )
            continue
        Notification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.SENT, attempts=notification.attempts + 1, sent_at=timezone.now()
        )
        sent += 1
    return sent
