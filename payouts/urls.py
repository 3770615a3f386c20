from clicknback.api.routing import route
from payouts import api

urlpatterns = [
    route("users/payouts", api.UserPayoutListCreateApi.as_view(), name="user-payouts"),
    route("users/payouts/<uuid:payout_id>/cancel", api.UserPayoutCancelApi.as_view(), name="user-payout-cancel"),
    route("users/wallet/withdraw", api.WalletWithdrawApi.as_view(), name="wallet-withdraw"),
    route("admin/payouts", api.AdminPayoutListApi.as_view(), name="admin-payouts"),
    route("admin/payouts/<uuid:payout_id>/process", api.AdminPayoutProcessApi.as_view(), name="admin-payout-process"),
]
