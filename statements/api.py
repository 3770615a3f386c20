"""``GET /users/me/wallet/transactions`` (contract §8)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from clicknback.api.fields import MoneyOutputField
from clicknback.api.pagination import SmallPagination
from clicknback.api.schema import AUTH_ERRORS, VALIDATION, errors
from payouts.api import PAGE_PARAMS, paged
from statements.selectors import ADJUSTMENT, CASHBACK_CREDIT, CASHBACK_REVERSAL, PAYOUT_DEBIT, wallet_transaction_page


class WalletTransactionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="tx_id")
    type = serializers.ChoiceField(
        choices=[CASHBACK_CREDIT, PAYOUT_DEBIT, CASHBACK_REVERSAL, ADJUSTMENT], source="tx_type"
    )
    amount = MoneyOutputField(
        source="tx_amount",
        help_text="Positive; the type tells the direction. An adjustment is signed: a debit is negative.",
    )
    status = serializers.CharField(
        source="tx_status",
        help_text="cashback_credit: pending|available|reversed; payout_debit: the payout's status; "
        "cashback_reversal and adjustment: completed.",
    )
    related_purchase_id = serializers.UUIDField(source="tx_purchase_id", allow_null=True)
    related_payout_id = serializers.UUIDField(source="tx_payout_id", allow_null=True)
    created_at = serializers.DateTimeField(source="tx_created_at")
    reason = serializers.CharField(
        source="tx_reason", allow_null=True, help_text="Why cashback was taken back (a reversal); null otherwise."
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["reason"] = data["reason"] or None  # no reason given reads null, not ""
        return data


class WalletTransactionListApi(APIView):
    @extend_schema(
        operation_id="users_me_wallet_transactions",
        summary="The caller's cashback credits, payout debits and cashback reversals, newest first",
        parameters=PAGE_PARAMS,
        responses={
            200: paged("WalletTransactionPage", WalletTransactionOutputSerializer),
            **errors(AUTH_ERRORS, VALIDATION),
        },
    )
    def get(self, request):
        paginator = SmallPagination()
        rows = paginator.paginate_with(
            request, lambda offset, limit: wallet_transaction_page(user_id=request.user.pk, offset=offset, limit=limit)
        )
        return paginator.get_paginated_response(WalletTransactionOutputSerializer(rows, many=True).data)
