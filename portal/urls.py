"""Wallet pages under /wallet/ (each answers with and without the trailing slash)."""

from django.urls import re_path
from django.views.generic import RedirectView

from portal import accounts, catalog, statement, views

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

urlpatterns = [
    re_path(r"^$", RedirectView.as_view(url="/wallet/", permanent=False)),
    re_path(r"^wallet/?$", views.wallet_home, name="wallet-home"),
    re_path(r"^wallet/login/?$", views.WalletLoginView.as_view(), name="wallet-login"),
    re_path(r"^wallet/logout/?$", views.WalletLogoutView.as_view(), name="wallet-logout"),
    re_path(r"^wallet/notifications/?$", views.notification_settings, name="wallet-notifications"),
    re_path(r"^wallet/signup/?$", accounts.sign_up, name="wallet-signup"),
    re_path(r"^wallet/password/?$", accounts.password_change, name="wallet-password-change"),
    re_path(r"^wallet/password/forgot/?$", accounts.forgot_password, name="wallet-password-forgot"),
    re_path(
        r"^wallet/password/reset/(?P<token>[A-Za-z0-9_\-]+\.[A-Za-z0-9\-]+)/?$",
        accounts.reset_password,
        name="wallet-password-reset-confirm",
    ),
    re_path(r"^wallet/transactions/?$", views.transaction_list, name="wallet-transactions"),
    re_path(r"^wallet/purchases/?$", views.purchase_list, name="wallet-purchases"),
    re_path(rf"^wallet/purchases/(?P<purchase_id>{UUID})/?$", views.purchase_detail, name="wallet-purchase"),
    re_path(r"^wallet/payouts/?$", views.payout_list, name="wallet-payouts"),
    re_path(rf"^wallet/payouts/(?P<payout_id>{UUID})/?$", views.payout_detail, name="wallet-payout"),
    re_path(rf"^wallet/payouts/(?P<payout_id>{UUID})/cancel/?$", views.payout_cancel, name="wallet-payout-cancel"),
    re_path(r"^wallet/withdraw/?$", views.withdraw, name="wallet-withdraw"),
    re_path(r"^wallet/offers/?$", catalog.offer_list, name="wallet-offers"),
    re_path(r"^wallet/statement/?$", statement.statement, name="wallet-statement"),
    re_path(rf"^wallet/merchants/(?P<merchant_id>{UUID})/?$", catalog.merchant_detail, name="wallet-merchant"),
]
