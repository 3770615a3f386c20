"""Purchase API shapes (contract §6). Serializers validate shape and types only."""

from rest_framework import serializers

from clicknback.api.fields import MoneyField, MoneyOutputField, StrictCharField, StrictUUIDField
from clicknback.money import ZERO
from purchases.models import CashbackStatus


class PurchaseCreateInputSerializer(serializers.Serializer):
    # Stored exactly as sent: an id with whitespace at either end or a control character
    # is refused, never trimmed into another purchase's id.
    external_id = StrictCharField(min_length=1, max_length=255)
    user_id = StrictUUIDField()
    merchant_id = StrictUUIDField()
    amount = MoneyField()
    currency = StrictCharField(min_length=1, max_length=16)


def _cashback_amount(purchase):
    cashback = getattr(purchase, "cashback", None)
    if cashback is None:
        return None
    # Reversed cashback (rejected or reversed purchase) no longer counts: it reads 0.00.
    # What partial returns took back no longer counts either.
    return ZERO if cashback.status == CashbackStatus.REVERSED else cashback.remaining


class PurchaseCreateOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    external_id = serializers.CharField()
    status = serializers.CharField()
    cashback_amount = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_cashback_amount(self, purchase) -> str | None:
        return MoneyOutputField().to_representation(_cashback_amount(purchase))


class PurchaseOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    external_id = serializers.CharField()
    user_id = serializers.UUIDField()
    merchant_id = serializers.UUIDField()
    merchant_name = serializers.CharField(source="merchant.name")
    offer_id = serializers.UUIDField(allow_null=True)
    amount = MoneyOutputField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "confirmed", "rejected", "reversed"])
    cashback_amount = serializers.SerializerMethodField()
    cashback_status = serializers.SerializerMethodField()
    purchased_at = serializers.DateTimeField()
    returned_amount = MoneyOutputField()
    status_reason = serializers.SerializerMethodField()
    partner_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_cashback_amount(self, purchase) -> str | None:
        return MoneyOutputField().to_representation(_cashback_amount(purchase))

    def get_status_reason(self, purchase) -> str | None:
        return purchase.status_reason or None

    def get_cashback_status(self, purchase) -> str | None:
        cashback = getattr(purchase, "cashback", None)
        return cashback.status if cashback is not None else None


class PurchaseTransitionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    cashback_amount = serializers.SerializerMethodField()

    def get_cashback_amount(self, purchase) -> str | None:
        return MoneyOutputField().to_representation(_cashback_amount(purchase))


class PurchaseReverseInputSerializer(serializers.Serializer):
    reason = StrictCharField(min_length=1, max_length=500, required=False)
