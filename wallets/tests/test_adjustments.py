"""Operators' wallet corrections (contract §8): the service, the admin endpoint and page."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from clicknback.audit.models import AuditLog
from tests.support.funding import fund_wallet
from wallets.models import LedgerEntry, Wallet, WalletAdjustment

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/api/v1/admin/wallet-adjustments"


def _balances(user):
    wallet = Wallet.objects.get(user=user)
    return wallet.available_balance, wallet.owed_balance


def test_a_credit_settles_owed_first_then_reaches_available(user, admin_client, admin_user):
    # given
    fund_wallet(user, owed=D("3.00"))
    # when
    response = admin_client.post(URL, {"user_id": str(user.pk), "amount": "10.00", "reason": "Goodwill"}, format="json")
    # then
    assert response.status_code == 201
    body = response.json()
    assert (body["amount"], body["reason"], body["actor_id"]) == ("10.00", "Goodwill", str(admin_user.pk))
    assert _balances(user) == (D("7.00"), D("0.00"))
    adjustment = WalletAdjustment.objects.get()
    assert LedgerEntry.objects.filter(source_id=adjustment.pk, reason="adjustment").count() == 2
    assert AuditLog.objects.filter(action="wallet.adjusted").count() == 1
    call_command("reconcile_wallets", verbosity=0)


def test_a_debit_takes_from_available(user, admin_client):
    # given
    fund_wallet(user, available=D("20.00"))
    # when
    response = admin_client.post(
        URL, {"user_id": str(user.pk), "amount": "-5.50", "reason": "Double credit"}, format="json"
    )
    # then
    assert response.status_code == 201 and response.json()["amount"] == "-5.50"
    assert _balances(user) == (D("14.50"), D("0.00"))
    call_command("reconcile_wallets", verbosity=0)


def test_a_debit_available_cannot_cover_is_409_and_changes_nothing(user, admin_client):
    # given
    fund_wallet(user, available=D("4.00"))
    # when
    response = admin_client.post(URL, {"user_id": str(user.pk), "amount": "-5.00", "reason": "x"}, format="json")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INSUFFICIENT_BALANCE"
    assert _balances(user) == (D("4.00"), D("0.00"))
    assert not WalletAdjustment.objects.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"amount": "0.00", "reason": "x"}, 422),
        ({"amount": "1.001", "reason": "x"}, 422),
        ({"amount": "1.00", "reason": ""}, 422),
        ({"amount": "1.00"}, 422),
        ({"amount": "1.00", "reason": "x" * 501}, 422),
    ],
)
def test_bad_adjustments_are_refused(user, admin_client, body, status):
    response = admin_client.post(URL, {"user_id": str(user.pk), **body}, format="json")
    assert response.status_code == status
    assert not WalletAdjustment.objects.exists()


def test_an_unknown_user_is_404(admin_client):
    response = admin_client.post(
        URL, {"user_id": "6f1c1a2e-9c1d-4d2e-8e55-0f6b1f0e3c11", "amount": "1.00", "reason": "x"}, format="json"
    )
    assert response.status_code == 404


def test_only_an_admin_adjusts(user, user_client):
    response = user_client.post(URL, {"user_id": str(user.pk), "amount": "100.00", "reason": "me"}, format="json")
    assert response.status_code == 403
    assert not WalletAdjustment.objects.exists()


def test_the_user_sees_the_correction_with_its_reason(user, admin_client, user_client):
    # given
    admin_client.post(URL, {"user_id": str(user.pk), "amount": "2.00", "reason": "Missing cashback"}, format="json")
    # when
    items = user_client.get("/api/v1/users/me/wallet/transactions").json()["data"]
    # then
    assert [(i["type"], i["amount"], i["status"], i["reason"]) for i in items] == [
        ("adjustment", "2.00", "completed", "Missing cashback")
    ]


def test_the_admin_page_needs_a_reason_and_a_confirmation(user, admin_user, client):
    # given
    client.force_login(admin_user)
    url = "/admin/wallets/walletadjustment/add/"
    # when
    unconfirmed = client.post(url, {"user": str(user.pk), "amount": "3.00", "reason": "Goodwill"})
    confirmed = client.post(url, {"user": str(user.pk), "amount": "3.00", "reason": "Goodwill", "confirm": "on"})
    # then
    assert unconfirmed.status_code == 200 and "This field is required" in unconfirmed.content.decode()
    assert confirmed.status_code == 302
    assert WalletAdjustment.objects.get().reason == "Goodwill"
    assert _balances(user)[0] == D("3.00")


def test_the_admin_page_shows_a_refusal_and_writes_nothing(user, admin_user, client):
    # given
    client.force_login(admin_user)
    # when
    response = client.post(
        "/admin/wallets/walletadjustment/add/",
        {"user": str(user.pk), "amount": "-3.00", "reason": "Too much", "confirm": "on"},
        follow=True,
    )
    # then
    assert "does not cover" in response.content.decode()
    assert not WalletAdjustment.objects.exists()
