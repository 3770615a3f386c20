from django.db.models import Count, Q, QuerySet

from events.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list(*, partner_id) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner_id=partner_id, deleted_at__isnull=True).order_by("-created_at", "-id")


def webhook_delivery_list(*, partner_id) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint__partner_id=partner_id, endpoint__deleted_at__isnull=True).order_by(
        "-created_at", "-id"
    )


def webhook_health() -> dict[str, int]:
    """For the back-office dashboard, in two queries: deliveries failed, deliveries being
    retried (pending after a failed attempt) and endpoints deactivated."""
    deliveries = WebhookDelivery.objects.aggregate(
        deliveries_failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
        deliveries_retrying=Count("id", filter=Q(status=DeliveryStatus.PENDING, attempts__gt=0)),
    )
    return {
        **deliveries,
        "endpoints_deactivated": WebhookEndpoint.objects.filter(active=False, deleted_at__isnull=True).count(),
    }
