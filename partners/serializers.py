"""Partner API shapes (contract §13). Serializers validate shape and types only."""

from rest_framework import serializers

from clicknback.api.fields import (
    MoneyField,
    StrictBooleanField,
    StrictCharField,
    StrictDateTimeField,
    StrictListField,
    StrictUUIDField,
)
from purchases.serializers import PurchaseCreateInputSerializer, PurchaseOutputSerializer


class PartnerCreateInputSerializer(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=255)
    merchant_ids = StrictListField(child=StrictUUIDField(), min_length=1, max_length=1000)
    active = StrictBooleanField(required=False, default=True)


class PartnerUpdateInputSerializer(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=255, required=False)
    merchant_ids = StrictListField(child=StrictUUIDField(), min_length=1, max_length=1000, required=False)
    active = StrictBooleanField(required=False)


class PartnerOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    merchant_ids = serializers.SerializerMethodField()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_merchant_ids(self, partner) -> list[str]:
        return sorted(str(merchant.pk) for merchant in partner.merchants.all())


class ApiKeyCreateInputSerializer(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=50)
    expires_at = StrictDateTimeField(required=False, allow_null=True, default=None)


class ApiKeyOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField(source="created")
    expires_at = serializers.DateTimeField(source="expiry_date", allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class ApiKeyCreatedOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    key = serializers.CharField(help_text="The key itself: shown here once, never again.")
    created_at = serializers.DateTimeField(source="created")
    expires_at = serializers.DateTimeField(source="expiry_date", allow_null=True)


class PostbackSecretOutputSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Shown once; replaces the previous secret.")


class PartnerPurchaseCreateInputSerializer(PurchaseCreateInputSerializer):
    purchased_at = StrictDateTimeField(required=False, allow_null=True, default=None)


class PartnerPurchaseBatchInputSerializer(serializers.Serializer):
    """Only the list's shape is checked here; each item is validated on its own."""

    items = StrictListField(min_length=1, max_length=1000)


class PartnerDeclineInputSerializer(serializers.Serializer):
    reason = StrictCharField(min_length=1, max_length=500)


class PartnerReturnInputSerializer(serializers.Serializer):
    return_id = StrictCharField(min_length=1, max_length=255)
    amount = MoneyField(required=False, allow_null=True, default=None)
    reason = StrictCharField(min_length=1, max_length=500)


class BatchErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


class BatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    outcome = serializers.ChoiceField(choices=["created", "duplicate", "rejected"])
    purchase = PurchaseOutputSerializer(required=False)
    error = BatchErrorSerializer(required=False)


class BatchSummarySerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()


class BatchOutputSerializer(serializers.Serializer):
    results = BatchResultSerializer(many=True)
    summary = BatchSummarySerializer()
