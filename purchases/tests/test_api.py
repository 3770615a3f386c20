"""HTTP contract of §6: shapes, the order of checks, every error code, query counts."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clicknback.audit.services import SYSTEM, Actor
from conftest import bearer_for
from merchants.tests.factories import MerchantFactory
from offers.tests.factories import OfferFactory
from purchases.models import CashbackTransaction, Purchase, PurchaseStatus
from purchases.services import purchase_reject, purchase_reverse
from purchases.tests.factories import confirmed, ingest
from tests.support.race import run_together
from wallets.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db

URL = "/api/v1/purchases"


def body(user, offer, **overrides):
    data = {
        "external_id": "order-1",
        "user_id": str(user.pk),
        "merchant_id": str(offer.merchant_id),
        "amount": "100.00",
        "currency": "EUR",
    }
    data.update(overrides)
    return data


def nothing_created():
    return (
        not Purchase.objects.exists() and not CashbackTransaction.objects.exists() and not LedgerEntry.objects.exists()
    )


# --- POST /purchases -------------------------------------------------------------


@pytest.mark.parametrize("path", [URL, URL + "/"])
def test_ingest_returns_201_with_the_pending_purchase(user, user_client, path):
    # given
    offer = OfferFactory()
    # when
    response = user_client.post(path, body(user, offer), format="json")
    # then
    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"id", "external_id", "status", "cashback_amount", "created_at"}
    assert data["status"] == "pending"
    assert data["cashback_amount"] == "5.00"
    assert data["external_id"] == "order-1"
    assert data["created_at"].endswith("Z")
    assert Wallet.objects.get(user=user).pending_balance == Decimal("5.00")


def test_ingest_accepts_a_json_number_amount_and_lower_case_currency(user, user_client):
    offer = OfferFactory()
    response = user_client.post(
        URL,
        b'{"external_id":"o","user_id":"%s","merchant_id":"%s","amount":10.50,"currency":"eur"}'
        % (str(user.pk).encode(), str(offer.merchant_id).encode()),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["cashback_amount"] == "0.52"
    assert Purchase.objects.get().currency == "EUR"


def test_ingest_without_a_token_is_401(api_client, user):
    response = api_client.post(URL, body(user, OfferFactory()), format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("external_id", ""),
        ("external_id", "x" * 256),
        ("external_id", None),
        ("user_id", "not-a-uuid"),
        ("merchant_id", "123"),
        ("amount", "0"),
        ("amount", "-1.00"),
        ("amount", "1.001"),
        ("amount", "NaN"),
        ("amount", "1e3"),
        ("amount", "10000000000.00"),
        ("currency", ""),
    ],
)
def test_ingest_with_an_invalid_field_is_422_and_creates_nothing(user, user_client, field, value):
    # given
    data = body(user, OfferFactory(), **{field: value})
    # when
    response = user_client.post(URL, data, format="json")
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["violations"][0]["field"] == field
    assert nothing_created()


def test_ingest_with_a_missing_field_is_422(user, user_client):
    data = body(user, OfferFactory())
    del data["amount"]
    response = user_client.post(URL, data, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == "amount"


def test_ingest_ignores_server_owned_fields(user, user_client):
    response = user_client.post(
        URL, body(user, OfferFactory(), status="confirmed", id=str(uuid.uuid4())), format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "pending"


def test_validation_comes_before_the_ownership_check(user, other_user, user_client):
    response = user_client.post(URL, body(other_user, OfferFactory(), amount="-1"), format="json")
    assert response.status_code == 422


def test_ingest_for_another_user_is_403_even_for_an_admin(user, admin_user, admin_client):
    # when
    response = admin_client.post(URL, body(user, OfferFactory()), format="json")
    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert nothing_created()


def test_ownership_is_checked_before_the_duplicate(user, other_user, client_for):
    offer = OfferFactory()
    ingest(user, offer=offer, external_id="order-1")
    response = client_for(other_user).post(URL, body(user, offer), format="json")
    assert response.status_code == 403


def test_duplicate_external_id_is_409_with_the_previous_purchase(user, user_client):
    # given
    offer = OfferFactory()
    first = ingest(user, offer=offer, external_id="order-1", amount=Decimal("80.00"))
    # when
    response = user_client.post(URL, body(user, offer, amount="100.00"), format="json")
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "DUPLICATE_PURCHASE"
    assert error["details"]["external_id"] == "order-1"
    assert error["details"]["purchase_id"] == str(first.pk)
    assert error["details"]["previously_processed_amount"] == "80.00"
    assert error["details"]["previously_created_at"].endswith("Z")
    assert Purchase.objects.count() == 1
    assert Wallet.objects.get(user=user).pending_balance == Decimal("4.00")


def test_duplicate_of_another_users_purchase_hides_its_id(user, other_user, client_for):
    offer = OfferFactory()
    ingest(other_user, offer=offer, external_id="order-1")
    response = client_for(user).post(URL, body(user, offer), format="json")
    assert response.status_code == 409
    assert "purchase_id" not in response.json()["error"]["details"]


def test_duplicate_is_checked_before_the_currency(user, user_client):
    offer = OfferFactory()
    ingest(user, offer=offer, external_id="order-1")
    response = user_client.post(URL, body(user, offer, currency="USD"), format="json")
    assert response.status_code == 409


def test_unsupported_currency_is_422(user, user_client):
    response = user_client.post(URL, body(user, OfferFactory(), currency="USD"), format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "UNSUPPORTED_CURRENCY"
    assert nothing_created()


def test_currency_is_checked_before_the_merchant(user, user_client):
    data = body(user, OfferFactory(), currency="USD", merchant_id=str(uuid.uuid4()))
    response = user_client.post(URL, data, format="json")
    assert response.json()["error"]["code"] == "UNSUPPORTED_CURRENCY"


@pytest.mark.parametrize("kind", ["unknown", "inactive"])
def test_unknown_or_inactive_merchant_is_not_eligible(user, user_client, kind):
    # given
    if kind == "unknown":
        merchant_id = str(uuid.uuid4())
    else:
        merchant_id = str(OfferFactory(merchant=MerchantFactory(active=False)).merchant_id)
    # when
    response = user_client.post(URL, body(user, OfferFactory(), merchant_id=merchant_id), format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "MERCHANT_NOT_ELIGIBLE"
    assert nothing_created()


def test_merchant_without_a_valid_offer_is_offer_not_available(user, user_client):
    # given
    merchant = MerchantFactory()
    # when
    response = user_client.post(URL, body(user, OfferFactory(), merchant_id=str(merchant.pk)), format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "OFFER_NOT_AVAILABLE"
    assert nothing_created()


def test_duplicate_wins_over_an_unknown_merchant(user, user_client):
    # given
    ingest(user, offer=OfferFactory(), external_id="order-1")
    # when
    response = user_client.post(URL, body(user, OfferFactory(), merchant_id=str(uuid.uuid4())), format="json")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "DUPLICATE_PURCHASE"
    assert response.json()["error"]["details"]["external_id"] == "order-1"
    assert Purchase.objects.count() == 1


def test_duplicate_wins_over_a_merchant_without_a_valid_offer(user, user_client):
    # given
    ingest(user, offer=OfferFactory(), external_id="order-1")
    merchant = MerchantFactory()
    # when
    response = user_client.post(URL, body(user, OfferFactory(), merchant_id=str(merchant.pk)), format="json")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "DUPLICATE_PURCHASE"


def test_duplicate_of_another_users_purchase_wins_over_an_inactive_merchant(user, other_user, client_for):
    # given
    ingest(other_user, offer=OfferFactory(), external_id="order-1")
    inactive = OfferFactory(merchant=MerchantFactory(active=False))
    # when
    response = client_for(user).post(URL, body(user, inactive), format="json")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "DUPLICATE_PURCHASE"
    assert "purchase_id" not in response.json()["error"]["details"]


def test_currency_is_checked_before_a_missing_offer(user, user_client):
    # given: an active merchant with no offer, and a currency that is not supported
    merchant = MerchantFactory()
    data = body(user, OfferFactory(), merchant_id=str(merchant.pk), currency="USD")
    # when
    response = user_client.post(URL, data, format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "UNSUPPORTED_CURRENCY"
    assert nothing_created()


def test_an_expired_offer_is_offer_not_available(user, user_client):
    # given: the merchant's only active offer ended yesterday
    today = timezone.now().date()
    expired = OfferFactory(start_date=today - dt.timedelta(days=10), end_date=today - dt.timedelta(days=1))
    # when
    response = user_client.post(URL, body(user, expired), format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "OFFER_NOT_AVAILABLE"
    assert response.json()["error"]["details"] == {"merchant_id": str(expired.merchant_id)}
    assert nothing_created()


def test_an_inactive_merchant_with_a_valid_offer_is_not_eligible(user, user_client):
    # given
    offer = OfferFactory(merchant=MerchantFactory(active=False))
    # when
    response = user_client.post(URL, body(user, offer), format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "MERCHANT_NOT_ELIGIBLE"
    assert response.json()["error"]["details"] == {"merchant_id": str(offer.merchant_id)}


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_outside_any_transaction_is_409_and_leaves_nothing_behind(user, user_client):
    # given: the ingestion runs as the connection's own transaction (no outer test transaction)
    offer = OfferFactory()
    first = user_client.post(URL, body(user, offer, amount="80.00"), format="json").json()
    # when
    response = user_client.post(URL, body(user, offer, amount="100.00"), format="json")
    # then
    assert response.status_code == 409
    details = response.json()["error"]["details"]
    assert details["purchase_id"] == first["id"]
    assert details["previously_processed_amount"] == "80.00"
    assert details["previously_created_at"] == first["created_at"]
    assert Purchase.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert Wallet.objects.get(user=user).pending_balance == Decimal("4.00")
    # and the connection is usable afterwards
    assert user_client.post(URL, body(user, offer, external_id="order-2"), format="json").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_one_purchase_and_the_others_get_the_409_details(user):
    # given
    offer = OfferFactory()
    token = bearer_for(user)

    def post(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=token)
        response = client.post(URL, body(user, offer, amount="60.00"), format="json")
        return response.status_code, response.json()

    # when
    results = run_together(8, post)
    # then
    created = [data for status, data in results if status == 201]
    refused = [data["error"] for status, data in results if status == 409]
    assert len(created) == 1 and len(refused) == 7, results
    purchase = Purchase.objects.get()
    for error in refused:
        assert error["code"] == "DUPLICATE_PURCHASE"
        assert error["details"]["purchase_id"] == str(purchase.pk)
        assert error["details"]["previously_processed_amount"] == "60.00"
        assert error["details"]["previously_created_at"] == created[0]["created_at"]
    assert Wallet.objects.get(user=user).pending_balance == Decimal("3.00")
    assert LedgerEntry.objects.count() == 1


# --- GET /purchases/{id} ---------------------------------------------------------


def test_owner_reads_the_purchase_with_every_field(user, user_client):
    # given
    offer = OfferFactory()
    purchase = ingest(user, offer=offer)
    # when
    response = user_client.get(f"{URL}/{purchase.pk}")
    # then
    assert response.status_code == 200
    data = response.json()
    assert data == {
        "id": str(purchase.pk),
        "external_id": purchase.external_id,
        "user_id": str(user.pk),
        "merchant_id": str(offer.merchant_id),
        "merchant_name": offer.merchant.name,
        "offer_id": str(offer.pk),
        "amount": "100.00",
        "currency": "EUR",
        "status": "pending",
        "cashback_amount": "5.00",
        "cashback_status": "pending",
        "purchased_at": data["created_at"],  # a user's own report: bought when reported
        "returned_amount": "0.00",
        "status_reason": None,
        "partner_id": None,
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
    }


def test_admin_reads_any_purchase(user, admin_client):
    purchase = ingest(user)
    assert admin_client.get(f"{URL}/{purchase.pk}/").status_code == 200


def test_another_user_gets_403(user, other_user, client_for):
    purchase = ingest(user)
    response = client_for(other_user).get(f"{URL}/{purchase.pk}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("purchase_id", [str(uuid.uuid4()), "not-a-uuid", "1234"])
def test_unknown_or_malformed_purchase_id_is_404(user_client, purchase_id):
    response = user_client.get(f"{URL}/{purchase_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_reversed_purchase_reads_zero_cashback(user, admin_user, user_client):
    purchase = confirmed(user, admin_user)
    purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    data = user_client.get(f"{URL}/{purchase.pk}").json()
    assert (data["status"], data["cashback_amount"], data["cashback_status"]) == ("reversed", "0.00", "reversed")


# --- POST /purchases/{id}/confirmation -----------------------------------------


def test_admin_confirms_a_pending_purchase(user, admin_client):
    # given
    purchase = ingest(user)
    # when
    response = admin_client.post(f"{URL}/{purchase.pk}/confirmation")
    # then
    assert response.status_code == 200
    assert response.json() == {"id": str(purchase.pk), "status": "confirmed", "cashback_amount": "5.00"}
    wallet = Wallet.objects.get(user=user)
    assert (wallet.pending_balance, wallet.available_balance) == (Decimal("0.00"), Decimal("5.00"))


def test_confirming_a_confirmed_purchase_is_409_not_pending(user, admin_user, admin_client):
    # given
    purchase = confirmed(user, admin_user)
    entries = LedgerEntry.objects.count()
    # when
    response = admin_client.post(f"{URL}/{purchase.pk}/confirmation")
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "PURCHASE_NOT_PENDING"
    assert error["details"] == {"current_status": "confirmed"}
    assert LedgerEntry.objects.count() == entries


@pytest.mark.parametrize("purchase_id", [str(uuid.uuid4()), "nope"])
def test_confirming_an_unknown_purchase_is_404(admin_client, purchase_id):
    assert admin_client.post(f"{URL}/{purchase_id}/confirmation").status_code == 404


def test_a_user_cannot_confirm(user, user_client):
    purchase = ingest(user)
    response = user_client.post(f"{URL}/{purchase.pk}/confirmation")
    assert response.status_code == 403
    assert Purchase.objects.get().status == PurchaseStatus.PENDING


def test_confirmation_without_a_token_is_401(user, api_client):
    purchase = ingest(user)
    assert api_client.post(f"{URL}/{purchase.pk}/confirmation").status_code == 401


# --- PATCH|POST /purchases/{id}/reverse ----------------------------------------


@pytest.mark.parametrize("method", ["patch", "post"])
def test_admin_reverses_a_confirmed_purchase(user, admin_user, admin_client, method):
    # given
    purchase = confirmed(user, admin_user)
    # when
    response = getattr(admin_client, method)(f"{URL}/{purchase.pk}/reverse")
    # then
    assert response.status_code == 200
    assert response.json() == {"id": str(purchase.pk), "status": "reversed", "cashback_amount": "0.00"}
    assert Wallet.objects.get(user=user).available_balance == Decimal("0.00")


def test_reversing_twice_is_409_already_reversed(user, admin_user, admin_client):
    purchase = confirmed(user, admin_user)
    admin_client.patch(f"{URL}/{purchase.pk}/reverse")
    response = admin_client.patch(f"{URL}/{purchase.pk}/reverse")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "PURCHASE_ALREADY_REVERSED"


def test_reversing_a_rejected_purchase_is_409_not_reversible(user, admin_client):
    purchase = ingest(user)
    purchase_reject(purchase_id=purchase.pk, reason="no match", actor=SYSTEM)
    entries = LedgerEntry.objects.count()
    response = admin_client.patch(f"{URL}/{purchase.pk}/reverse")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "PURCHASE_NOT_REVERSIBLE"
    assert LedgerEntry.objects.count() == entries


@pytest.mark.parametrize("purchase_id", [str(uuid.uuid4()), "nope"])
def test_reversing_an_unknown_purchase_is_404(admin_client, purchase_id):
    assert admin_client.patch(f"{URL}/{purchase_id}/reverse").status_code == 404


def test_a_user_cannot_reverse(user, user_client):
    purchase = ingest(user)
    assert user_client.patch(f"{URL}/{purchase.pk}/reverse").status_code == 403


def test_get_on_reverse_is_405(user, admin_client):
    purchase = ingest(user)
    response = admin_client.get(f"{URL}/{purchase.pk}/reverse")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


# --- GET /purchases (admin) ----------------------------------------------------


def test_admin_lists_purchases_newest_first_with_pagination(user, other_user, admin_client):
    # given
    purchases = [ingest(user), ingest(other_user), ingest(user)]
    # when
    response = admin_client.get(URL)
    # then
    assert response.status_code == 200
    data = response.json()
    assert [item["id"] for item in data["data"]] == [str(p.pk) for p in reversed(purchases)]
    assert data["pagination"] == {"offset": 0, "limit": 10, "total": 3}


def test_admin_list_filters_by_status_user_and_merchant(user, other_user, admin_user, admin_client):
    # given
    offer = OfferFactory()
    mine = confirmed(user, admin_user, offer=offer)
    ingest(user, offer=offer)
    ingest(other_user, offer=offer)
    confirmed(other_user, admin_user)
    # when
    response = admin_client.get(
        URL, {"status": "confirmed", "user_id": str(user.pk), "merchant_id": str(offer.merchant_id)}
    )
    # then
    assert [item["id"] for item in response.json()["data"]] == [str(mine.pk)]


def test_admin_list_date_bounds_are_inclusive(user, admin_client):
    # given
    old = ingest(user)
    Purchase.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=3))
    today_purchase = ingest(user)
    today = timezone.now().date()
    # when
    both = admin_client.get(URL, {"start_date": str(today - timezone.timedelta(days=3)), "end_date": str(today)})
    only_today = admin_client.get(URL, {"start_date": str(today), "end_date": str(today)})
    only_old = admin_client.get(URL, {"end_date": str(today - timezone.timedelta(days=3))})
    # then
    assert both.json()["pagination"]["total"] == 2
    assert [item["id"] for item in only_today.json()["data"]] == [str(today_purchase.pk)]
    assert [item["id"] for item in only_old.json()["data"]] == [str(old.pk)]


def test_unknown_status_filter_is_422_invalid_purchase_status(admin_client):
    response = admin_client.get(URL, {"status": "lost"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "INVALID_PURCHASE_STATUS"


@pytest.mark.parametrize(
    "params",
    [
        {"user_id": "nope"},
        {"merchant_id": "123"},
        {"start_date": "2026-13-01"},
        {"end_date": "yesterday"},
        {"start_date": "2026-05-02", "end_date": "2026-05-01"},
        {"limit": "0"},
        {"limit": "101"},
        {"offset": "-1"},
        {"offset": "x"},
    ],
)
def test_bad_list_filters_are_422_validation_error(admin_client, params):
    response = admin_client.get(URL, params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_user_cannot_list_all_purchases(user_client):
    response = user_client.get(URL)
    assert response.status_code == 403


def test_admin_list_uses_a_fixed_number_of_queries(user, admin_user, admin_client, django_assert_max_num_queries):
    # given
    for _ in range(3):
        confirmed(user, admin_user)
    for _ in range(12):
        ingest(user)
    # when: auth (1) + count (1) + page (1)
    with django_assert_max_num_queries(3):
        small = admin_client.get(URL, {"limit": 2})
    with django_assert_max_num_queries(3):
        large = admin_client.get(URL, {"limit": 100})
    # then
    assert len(small.json()["data"]) == 2
    assert len(large.json()["data"]) == 15


# --- GET /users/me/purchases ---------------------------------------------------


def test_my_purchases_lists_only_mine_and_filters_by_status(user, other_user, admin_user, user_client):
    # given
    mine = [ingest(user), confirmed(user, admin_user)]
    ingest(other_user)
    # when
    everything = user_client.get("/api/v1/users/me/purchases")
    pending = user_client.get("/api/v1/users/me/purchases/", {"status": "pending"})
    # then
    assert [item["id"] for item in everything.json()["data"]] == [str(p.pk) for p in reversed(mine)]
    assert [item["id"] for item in pending.json()["data"]] == [str(mine[0].pk)]


def test_my_purchases_with_an_unknown_status_is_422(user_client):
    response = user_client.get("/api/v1/users/me/purchases", {"status": "PENDING"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "INVALID_PURCHASE_STATUS"


def test_my_purchases_without_a_token_is_401(api_client):
    assert api_client.get("/api/v1/users/me/purchases").status_code == 401


def test_my_purchases_uses_a_fixed_number_of_queries(user, user_client, django_assert_max_num_queries):
    for _ in range(15):
        ingest(user)
    with django_assert_max_num_queries(3):
        response = user_client.get("/api/v1/users/me/purchases", {"limit": 100})
    assert len(response.json()["data"]) == 15


def test_a_reversal_stores_its_reason_and_the_owner_sees_it(user, admin_client, user_client):
    # given
    purchase = ingest(user)
    # when
    response = admin_client.patch(f"{URL}/{purchase.pk}/reverse", {"reason": "Chargeback from the bank"}, format="json")
    # then
    assert response.status_code == 200
    assert user_client.get(f"{URL}/{purchase.pk}").json()["status_reason"] == "Chargeback from the bank"


def test_a_reversal_reason_is_validated(user, admin_client):
    # given
    purchase = ingest(user)
    # when
    response = admin_client.post(f"{URL}/{purchase.pk}/reverse", {"reason": "x" * 501}, format="json")
    # then
    assert response.status_code == 422
