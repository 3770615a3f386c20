from clicknback.api.routing import route
from wallets import api

urlpatterns = [
    route("users/me/wallet", api.MyWalletApi.as_view(), name="my-wallet"),
    route("admin/wallet-adjustments", api.WalletAdjustmentApi.as_view(), name="wallet-adjustments"),
]
