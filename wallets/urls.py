from clicknback.api.routing import route
from wallets import api

urlpatterns = [
    route("users/me/wallet", api.MyWalletApi.as_view(), name="my-wallet"),
]
