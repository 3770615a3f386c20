from rest_framework import serializers

from clicknback.api.fields import MoneyField, MoneyOutputField, StrictChoiceField, StrictDateField, StrictUUIDField
from offers.models import CashbackType, Offer, OfferStatus


class OfferCreateInputSerializer(serializers.Serializer):
    merchant_id = StrictUUIDField()
    cashback_type = StrictChoiceField(choices=CashbackType.values)
    cashback_value = MoneyField()
    start_date = StrictDateField()
    end_date = StrictDateField()
    monthly_cap = MoneyField()
    max_cashback_per_purchase = MoneyField(required=False, allow_null=True, default=None)


class OfferUpdateInputSerializer(serializers.Serializer):
    end_date = StrictDateField(required=False)
    monthly_cap = MoneyField(required=False)
    cashback_value = MoneyField(required=False)
    max_cashback_per_purchase = MoneyField(required=False, allow_null=True)


class OfferOutputSerializer(serializers.ModelSerializer):
    merchant_id = serializers.UUIDField(read_only=True)
    merchant_name = serializers.CharField(source="merchant.name", read_only=True)
    cashback_value = MoneyOutputField()
    monthly_cap = MoneyOutputField()
    monthly_cap_per_user = MoneyOutputField(source="monthly_cap", help_text="Same as monthly_cap (older clients).")
    max_cashback_per_purchase = MoneyOutputField(
        allow_null=True, help_text="The most one purchase earns; null: no limit."
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "merchant_id",
            "merchant_name",
            "cashback_type",
            "cashback_value",
            "monthly_cap",
            "monthly_cap_per_user",
            "max_cashback_per_purchase",
            "start_date",
            "end_date",
            "status",
            "created_at",
        ]
        read_only_fields = fields


class OfferStatusInputSerializer(serializers.Serializer):
    status = StrictChoiceField(choices=OfferStatus.choices)


class OfferStatusOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=OfferStatus.choices)
