"""Wallet summary (contract §8)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from clicknback.api.schema import AUTH_ERRORS, errors
from wallets.selectors import wallet_get
from wallets.serializers import WalletSummaryOutputSerializer


class MyWalletApi(APIView):
    @extend_schema(
        operation_id="users_me_wallet_retrieve",
        responses={200: WalletSummaryOutputSerializer, **errors(AUTH_ERRORS)},
    )
    def get(self, request):
        wallet = wallet_get(user_id=request.user.pk)
        return Response(WalletSummaryOutputSerializer(wallet).data)
