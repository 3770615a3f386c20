"""Wallet summary (contract §8)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from clicknback.api.permissions import IsAdmin
from clicknback.api.schema import ADMIN_ERRORS, AUTH_ERRORS, NOT_FOUND, VALIDATION, errors
from clicknback.audit.services import Actor
from wallets.adjustments import wallet_adjust
from wallets.selectors import wallet_get
from wallets.serializers import (
    WalletAdjustmentInputSerializer,
    WalletAdjustmentOutputSerializer,
    WalletSummaryOutputSerializer,
)


class MyWalletApi(APIView):
    @extend_schema(
        operation_id="users_me_wallet_retrieve",
        responses={200: WalletSummaryOutputSerializer, **errors(AUTH_ERRORS)},
    )
    def get(self, request):
        wallet = wallet_get(user_id=request.user.pk)
        return Response(WalletSummaryOutputSerializer(wallet).data)


class WalletAdjustmentApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="admin_wallet_adjustments_create",
        summary="Correct a user's available balance, with a reason (admin)",
        request=WalletAdjustmentInputSerializer,
        responses={
            201: WalletAdjustmentOutputSerializer,
            **errors(
                ADMIN_ERRORS,
                NOT_FOUND,
                VALIDATION,
                _409="INSUFFICIENT_BALANCE: available cannot cover the debit",
            ),
        },
    )
    def post(self, request):
        serializer = WalletAdjustmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        adjustment = wallet_adjust(actor=Actor.of(request.user), **serializer.validated_data)
        return Response(WalletAdjustmentOutputSerializer(adjustment).data, status=201)
