"""Webhook API shapes (contract §14). Serializers check shape and types; services own the rules."""

from rest_framework import serializers

from clicknback.api.fields import StrictCharField
from clicknback.outbox.services import PURCHASE_TYPES
from events.models import DeliveryStatus


class WebhookEndpointCreateInputSerializer(serializers.Serializer):
    url = StrictCharField(min_length=1, max_length=2000)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=list(PURCHASE_TYPES)),
        required=False,
        allow_empty=False,
        max_length=len(PURCHASE_TYPES),
        help_text="Default: every purchase.* type.",
    )


class WebhookEndpointOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WebhookEndpointCreatedOutputSerializer(WebhookEndpointOutputSerializer):
    secret = serializers.CharField(help_text="whsec_ + base64; shown in this answer only.")


class WebhookDeliveryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    event_id = serializers.UUIDField()
    event_type = serializers.CharField()
    endpoint_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.SerializerMethodField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_last_error(self, delivery) -> str | None:
        return delivery.last_error or None


class WebhookDeliveryRetryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
