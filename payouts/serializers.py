"""Payout API shapes. Serializers check shape and types; the services own the rules."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clicknback.api.fields import MoneyField, MoneyOutputField, StrictCharField, StrictChoiceField
from payouts.models import PayoutMethod, PayoutStatus

DETAILS_SCHEMA = {
    "oneOf": [
        {
            "type": "object",
            "title": "BankTransferDetails",
            "required": ["iban", "account_holder"],
            "properties": {
                "iban": {"type": "string", "example": "DE89 3704 0044 0532 0130 00"},
                "account_holder": {"type": "string", "maxLength": 255, "example": "Alice Example"},
            },
        },
        {
            "type": "object",
            "title": "CardDetails",
            "required": ["card_token"],
            "properties": {"card_token": {"type": "string", "minLength": 4, "maxLength": 255}},
        },
    ]
}


@extend_schema_field(DETAILS_SCHEMA)
class PayoutDetailsField(serializers.Field):
    """``details`` is checked against ``method`` by the service (IBAN registry and mod-97, card token)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be an object.")
        return data

    def to_representation(self, value):
        return value


class PayoutCreateInputSerializer(serializers.Serializer):
    amount = MoneyField()
    method = StrictChoiceField(choices=PayoutMethod.choices)
    details = PayoutDetailsField()


class PayoutOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    amount = MoneyOutputField()
    method = serializers.ChoiceField(choices=PayoutMethod.choices)
    status = serializers.ChoiceField(choices=PayoutStatus.choices)
    destination = serializers.CharField(source="destination_masked", help_text="Masked: the last 4 characters.")
    external_reference = serializers.SerializerMethodField()
    failure_reason = serializers.SerializerMethodField()
    requested_at = serializers.DateTimeField()
    processed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_external_reference(self, payout) -> str | None:
        return payout.external_reference or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_failure_reason(self, payout) -> str | None:
        return payout.failure_reason or None


class PayoutProcessInputSerializer(serializers.Serializer):
    status = StrictChoiceField(
        choices=[PayoutStatus.PROCESSING, PayoutStatus.COMPLETED, PayoutStatus.FAILED, PayoutStatus.RETURNED],
        help_text="requested → processing | completed | failed; processing → completed | failed; "
        "completed → returned (the transfer bounced; failure_reason required).",
    )
    external_reference = StrictCharField(max_length=255, required=False, allow_blank=True, default="")
    failure_reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs.get("failure_reason") and attrs["status"] not in (PayoutStatus.FAILED, PayoutStatus.RETURNED):
            raise serializers.ValidationError(
                {"failure_reason": "Only a failed or returned payout has a failure reason."}
            )
        return attrs
