from rest_framework import serializers

from clicknback.api.fields import MoneyField, MoneyOutputField, StrictCharField, StrictUUIDField


class WalletSummaryOutputSerializer(serializers.Serializer):
    currency = serializers.CharField()
    pending_balance = MoneyOutputField()
    available_balance = MoneyOutputField()
    paid_balance = MoneyOutputField()
    owed_balance = MoneyOutputField()


class WalletAdjustmentInputSerializer(serializers.Serializer):
    user_id = StrictUUIDField()
    amount = MoneyField(allow_negative=True, help_text="Positive credits available (owed first), negative debits it.")
    reason = StrictCharField(min_length=1, max_length=500)


class WalletAdjustmentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    amount = MoneyOutputField()
    reason = serializers.CharField()
    actor_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
