from decimal import Decimal

from rest_framework import serializers

from clicknback.api.fields import MoneyField, MoneyOutputField, StrictBooleanField, StrictCharField, StrictChoiceField
from merchants.models import Merchant


class MerchantCreateInputSerializer(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=255)
    default_cashback_percentage = MoneyField(allow_zero=True, max_value=Decimal("20"))
    active = StrictBooleanField(default=True)


class MerchantUpdateInputSerializer(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=255, required=False)
    default_cashback_percentage = MoneyField(allow_zero=True, max_value=Decimal("20"), required=False)


class MerchantOutputSerializer(serializers.ModelSerializer):
    default_cashback_percentage = MoneyOutputField()

    class Meta:
        model = Merchant
        fields = ["id", "name", "default_cashback_percentage", "active", "created_at"]
        read_only_fields = fields


# A merchant's status as the API spells it (stored as the ``active`` flag).
MERCHANT_STATUSES = [("active", "Active"), ("inactive", "Inactive")]


class MerchantStatusInputSerializer(serializers.Serializer):
    status = StrictChoiceField(choices=MERCHANT_STATUSES)


class MerchantStatusOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=MERCHANT_STATUSES)
