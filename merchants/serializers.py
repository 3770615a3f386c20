from decimal import Decimal

from rest_framework import serializers

from clicknback.api.fields import MoneyField, MoneyOutputField
from merchants.models import Merchant
from offers.models import OfferStatus


class MerchantCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(min_length=1, max_length=255)
    default_cashback_percentage = MoneyField(allow_zero=True, max_value=Decimal("20"))
    active = serializers.BooleanField(default=True)


class MerchantOutputSerializer(serializers.ModelSerializer):
    default_cashback_percentage = MoneyOutputField()

    class Meta:
        model = Merchant
        fields = ["id", "name", "default_cashback_percentage", "active", "created_at"]
        read_only_fields = fields


class MerchantStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OfferStatus.choices)


class MerchantStatusOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=OfferStatus.choices)
