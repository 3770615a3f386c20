from clicknback.api.routing import route
from statements import api

urlpatterns = [
    route("users/me/wallet/transactions", api.WalletTransactionListApi.as_view(), name="wallet-transactions"),
]
