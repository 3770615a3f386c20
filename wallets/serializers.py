from rest_framework import serializers

from clicknback.api.fields import MoneyOutputField


class WalletSummaryOutputSerializer(serializers.Serializer):
    currency = serializers.CharField()
    pending_balance = MoneyOutputField()
    available_balance = MoneyOutputField()
    paid_balance = MoneyOutputField()
    owed_balance = MoneyOutputField()
