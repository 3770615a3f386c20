"""Mass assignment: a client can never set server-owned fields (contract §1).

Each request carries, next to a valid body, every server-owned field an attacker would
try (ids, role, status, balances, amounts, owners, timestamps). The request is either
refused or succeeds with those fields ignored; the database shows nothing was taken.
"""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.support.ibans import VALID_IBAN
from tests.world import build_world

FORGED_ID = "11111111-1111-4111-8111-111111111111"
LONG_AGO = "2001-01-01T00:00:00Z"
SERVER_OWNED = {
    "id": FORGED_ID,
    "created_at": LONG_AGO,
    "updated_at": LONG_AGO,
    "role": "admin",
    "is_staff": True,
    "is_superuser": True,
    "active": False,
    "is_active": False,
    "status": "completed",
    "cashback_amount": "9999.00",
    "cashback_status": "available",
    "pending_balance": "9999.00",
    "available_balance": "9999.00",
    "paid_balance": "9999.00",
    "owed_balance": "0.00",
    "verification_attempts": 99,
    "requested_at": LONG_AGO,
    "processed_at": LONG_AGO,
    "destination_masked": "****0000",
    "occurred_at": LONG_AGO,
}


@pytest.fixture
def world(db):
    return build_world()


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def _wallet(user) -> tuple:
    from wallets.selectors import wallet_get

    wallet = wallet_get(user_id=user.pk)
    return wallet.pending_balance, wallet.available_balance, wallet.paid_balance, wallet.owed_balance


@pytest.mark.django_db
def test_registration_ignores_role_active_and_ids(settings):
    # given
    from users.models import User

    settings.AUTH_THROTTLE_RATE = "off"
    body = {**SERVER_OWNED, "email": "Eve@Example.com", "password": "Str0ng!Pass"}

    # when
    response = APIClient().post("/api/v1/users", body, format="json")

    # then
    assert response.status_code == 201, response.json()
    user = User.objects.get(email="eve@example.com")
    assert (user.role, user.is_staff, user.is_superuser, user.is_active) == ("user", False, False, True)
    assert str(user.pk) != FORGED_ID
    assert user.created_at > timezone.now() - dt.timedelta(minutes=5)


@pytest.mark.django_db
def test_purchase_ingestion_ignores_status_cashback_and_ids(world):
    # given
    from purchases.models import Purchase

    body = {**SERVER_OWNED, "offer_id": str(world.inactive_offer.pk), "external_id": "mass-1",
            "user_id": str(world.alice.pk), "merchant_id": str(world.merchant.pk), "amount": "10.00",
            "currency": "EUR"}  # fmt: skip
    before = _wallet(world.alice)

    # when
    response = _client(world.alice).post("/api/v1/purchases", body, format="json")

    # then
    assert response.status_code == 201, response.json()
    purchase = Purchase.objects.select_related("cashback").get(external_id="mass-1")
    assert str(purchase.pk) != FORGED_ID
    assert purchase.status == "pending" and purchase.cashback.status == "pending"
    assert purchase.offer_id == world.offer.pk
    assert purchase.cashback.amount == Decimal("1.00")  # 10 % of 10.00, not the forged 9999.00
    assert purchase.verification_attempts == 0
    assert _wallet(world.alice) == (before[0] + Decimal("1.00"), *before[1:])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/users/payouts", "/api/v1/users/wallet/withdraw"])
def test_payout_request_ignores_status_owner_and_balances(path, world):
    # given
    from payouts.models import Payout

    body = {**SERVER_OWNED, "user_id": str(world.mallory.pk), "amount": "10.00", "method": "bank_transfer",
            "details": {"iban": VALID_IBAN, "account_holder": "Alice Example"}}  # fmt: skip
    before = _wallet(world.alice)

    # when
    response = _client(world.alice).post(path, body, format="json")

    # then
    assert response.status_code == 201, response.json()
    payout = Payout.objects.get(pk=response.json()["id"])
    assert payout.user_id == world.alice.pk
    assert payout.status == "requested" and payout.processed_at is None
    assert payout.destination_masked.endswith(VALID_IBAN[-4:])
    assert str(payout.pk) != FORGED_ID
    assert _wallet(world.alice) == (before[0], before[1] - Decimal("10.00"), before[2], before[3])
    assert not Payout.objects.filter(user=world.mallory).exists()


@pytest.mark.django_db
def test_payout_processing_cannot_change_amount_or_owner(world):
    # given
    payout = world.payouts["requested"]
    body = {"status": "processing", "amount": "0.01", "user_id": str(world.mallory.pk), "currency": "USD",
            "destination": "attacker", "processed_at": LONG_AGO}  # fmt: skip

    # when
    response = _client(world.admin).patch(f"/api/v1/admin/payouts/{payout.pk}/process", body, format="json")

    # then
    assert response.status_code == 200, response.json()
    payout.refresh_from_db()
    assert (payout.amount, payout.user_id, payout.currency, payout.status) == (
        Decimal("10.00"), world.alice.pk, "EUR", "processing")  # fmt: skip
    assert payout.processed_at is None


@pytest.mark.django_db
def test_merchant_creation_ignores_ids_and_timestamps(world):
    # given
    from merchants.models import Merchant

    # ``active`` is a client field on merchant creation (contract §4); the rest are not
    body = {**SERVER_OWNED, "active": True, "name": "Mass Assign Shop", "default_cashback_percentage": "5.00"}

    # when
    response = _client(world.admin).post("/api/v1/merchants", body, format="json")

    # then
    assert response.status_code == 201, response.json()
    merchant = Merchant.objects.get(name="Mass Assign Shop")
    assert str(merchant.pk) != FORGED_ID and merchant.active is True
    assert merchant.created_at > timezone.now() - dt.timedelta(minutes=5)


@pytest.mark.django_db
def test_offer_creation_ignores_status_and_ids(world):
    # given
    from merchants.tests.factories import MerchantFactory
    from offers.models import Offer

    merchant = MerchantFactory()
    today = timezone.now().date()
    body = {**SERVER_OWNED, "status": "inactive", "merchant_name": "Someone Else", "merchant_id": str(merchant.pk),
            "cashback_type": "percent", "cashback_value": "5.00", "start_date": str(today),
            "end_date": str(today + dt.timedelta(days=10)), "monthly_cap": "50.00"}  # fmt: skip

    # when
    response = _client(world.admin).post("/api/v1/offers", body, format="json")

    # then
    assert response.status_code == 201, response.json()
    offer = Offer.objects.get(merchant=merchant)
    assert offer.status == "active" and str(offer.pk) != FORGED_ID
    assert response.json()["merchant_name"] == merchant.name


@pytest.mark.django_db
def test_a_status_change_cannot_rename_a_merchant(world):
    # given
    name = world.merchant.name

    # when
    response = _client(world.admin).patch(
        f"/api/v1/merchants/{world.merchant.pk}/status", {"status": "inactive", "name": "Renamed"}, format="json"
    )

    # then
    assert response.status_code == 200, response.json()
    world.merchant.refresh_from_db()
    assert world.merchant.name == name and world.merchant.active is False


@pytest.mark.django_db
def test_flag_upsert_ignores_ids_and_timestamps(world):
    # given
    from clicknback.flags.models import FeatureFlag

    body = {**SERVER_OWNED, "enabled": False, "key": "something_else"}

    # when
    response = _client(world.admin).put("/api/v1/feature-flags/mass_assign_probe", body, format="json")

    # then
    assert response.status_code == 200, response.json()
    flag = FeatureFlag.objects.get(key="mass_assign_probe")
    assert str(flag.pk) != FORGED_ID and flag.enabled is False
    assert not FeatureFlag.objects.filter(key="something_else").exists()


@pytest.mark.django_db
def test_a_confirmation_body_cannot_change_the_cashback(world):
    # given
    purchase = world.purchases["pending"]
    expected = purchase.cashback.amount

    # when
    response = _client(world.admin).post(
        f"/api/v1/purchases/{purchase.pk}/confirmation",
        {"cashback_amount": "9999.00", "amount": "1.00", "user_id": str(world.mallory.pk)},
        format="json",
    )

    # then
    assert response.status_code == 200, response.json()
    purchase.refresh_from_db()
    purchase.cashback.refresh_from_db()
    assert purchase.cashback.amount == expected and purchase.user_id == world.alice.pk
    assert response.json()["cashback_amount"] == f"{expected:.2f}"
    assert uuid.UUID(response.json()["id"]) == purchase.pk
