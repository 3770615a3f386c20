from clicknback.api.routing import route
from events import api

urlpatterns = [
    route("partner/webhook-endpoints", api.WebhookEndpointListCreateApi.as_view(), name="partner-webhook-endpoints"),
    route(
        "partner/webhook-endpoints/<str:endpoint_id>",
        api.WebhookEndpointDetailApi.as_view(),
        name="partner-webhook-endpoint",
    ),
    route("partner/webhook-deliveries", api.WebhookDeliveryListApi.as_view(), name="partner-webhook-deliveries"),
    route(
        "partner/webhook-deliveries/<str:delivery_id>/retry",
        api.WebhookDeliveryRetryApi.as_view(),
        name="partner-webhook-delivery-retry",
    ),
]
