"""Postbacks (contract §13): ``GET``/``POST /postbacks/{partner_id}``, signed with the
partner's secret (HMAC-SHA256 of the sorted ``name=value`` pairs), mapped onto the partner
services."""

import datetime as dt
import hashlib
import hmac
import time
import uuid
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM
from partners.services import partner_update
from partners.tests.factories import PartnerFactory, partner_purchase, set_postback_secret
from purchases.models import Purchase, PurchaseReturn, PurchaseStatus
from purchases.services import purchase_reject
from wallets.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db


def signed(secret: str, **params) -> dict[str, str]:
    """The parameters with ``timestamp`` (now, unless given) and their ``signature``."""
    params = {name: str(value) for name, value in params.items()}
    params.setdefault("timestamp", str(int(time.time())))
    base = "&".join(f"{name}={params[name]}" for name in sorted(params))
    params["signature"] = hmac.new(secret.encode(), base.encode(), hashlib.sha256).hexdigest()
    return params


@pytest.fixture
def secret(partner) -> str:
    return set_postback_secret(partner)


@pytest.fixture
def url(partner) -> str:
    return f"/api/v1/postbacks/{partner.pk}"


@pytest.fixture
def pending_params(user, merchant):
    return {
        "external_id": "pb-1",
        "user_id": user.pk,
        "merchant_id": merchant.pk,
        "amount": "100.00",
        "currency": "EUR",
        "status": "pending",
    }


def call(api_client, url, params, method="get"):
    if method == "get":
        return api_client.get(f"{url}?{urlencode(params)}")
    return api_client.post(url, urlencode(params), content_type="application/x-www-form-urlencoded")


def answer(response) -> tuple[str, str | None]:
    assert response.status_code == 200, response.json()
    data = response.json()
    assert set(data) == {"outcome", "purchase_id"}
    return data["outcome"], data["purchase_id"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_pending_postback_creates_the_purchase(api_client, url, secret, partner, user, pending_params, method):
    # when
    response = call(api_client, url, signed(secret, **pending_params), method)
    # then
    outcome, purchase_id = answer(response)
    purchase = Purchase.objects.get()
    assert (outcome, purchase_id) == ("created", str(purchase.pk))
    assert (purchase.external_id, purchase.partner_id, purchase.status) == ("pb-1", partner.pk, "pending")
    assert Wallet.objects.get(user=user).pending_balance == Decimal("5.00")
    row = AuditLog.objects.get(action="purchase.ingested")
    assert (row.actor_type, row.actor_id) == ("partner", partner.pk)
    assert "api_key_id" not in row.details


def test_a_pending_postback_takes_purchased_at(api_client, url, secret, pending_params):
    # given
    moment = (timezone.now() - dt.timedelta(days=2)).replace(microsecond=0)
    # when
    response = call(api_client, url, signed(secret, **pending_params, purchased_at=moment.isoformat()))
    # then
    assert answer(response)[0] == "created"
    assert Purchase.objects.get().purchased_at == moment


def test_a_repeated_pending_postback_is_a_duplicate_and_moves_nothing(api_client, url, secret, pending_params):
    # given
    _, purchase_id = answer(call(api_client, url, signed(secret, **pending_params)))
    ledger = LedgerEntry.objects.count()
    # when
    response = call(api_client, url, signed(secret, **pending_params))
    # then
    assert answer(response) == ("duplicate", purchase_id)
    assert Purchase.objects.count() == 1
    assert LedgerEntry.objects.count() == ledger


def test_a_pending_postback_for_another_partner_s_id_is_a_duplicate_without_id(
    api_client, url, secret, other_partner, user, pending_params
):
    partner_purchase(other_partner, user, external_id="pb-1")
    assert answer(call(api_client, url, signed(secret, **pending_params))) == ("duplicate", None)


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_approved_postback_confirms_then_repeats_unchanged(api_client, url, secret, partner, user, method):
    # given
    purchase = partner_purchase(partner, user, external_id="pb-2")
    params = {"external_id": "pb-2", "status": "approved"}
    # when
    first = call(api_client, url, signed(secret, **params), method)
    again = call(api_client, url, signed(secret, **params), method)
    # then
    assert answer(first) == ("approved", str(purchase.pk))
    assert answer(again) == ("unchanged", str(purchase.pk))
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.CONFIRMED
    assert Wallet.objects.get(user=user).available_balance == Decimal("5.00")
    assert LedgerEntry.objects.filter(reason="cashback_confirmed").count() == 2  # pending → available


def test_a_declined_postback_rejects_with_its_reason_then_repeats_unchanged(api_client, url, secret, partner, user):
    # given
    purchase = partner_purchase(partner, user, external_id="pb-3")
    params = {"external_id": "pb-3", "status": "declined", "reason": "Out of stock & refunded"}
    # when
    first = call(api_client, url, signed(secret, **params))
    again = call(api_client, url, signed(secret, **params))
    # then
    assert answer(first) == ("declined", str(purchase.pk))
    assert answer(again) == ("unchanged", str(purchase.pk))
    purchase.refresh_from_db()
    assert (purchase.status, purchase.status_reason) == ("rejected", "Out of stock & refunded")
    assert Wallet.objects.get(user=user).pending_balance == Decimal("0.00")


def test_a_declined_postback_without_reason_gets_a_default_one(api_client, url, secret, partner, user):
    purchase = partner_purchase(partner, user, external_id="pb-4")
    answer(call(api_client, url, signed(secret, external_id="pb-4", status="declined")))
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.REJECTED
    assert purchase.status_reason


def test_a_returned_postback_returns_part_then_repeats_unchanged(api_client, url, secret, partner, user):
    # given
    purchase = partner_purchase(partner, user, external_id="pb-5")
    params = {"external_id": "pb-5", "status": "returned", "return_id": "rt-1", "amount": "40.00", "reason": "1 item"}
    # when
    first = call(api_client, url, signed(secret, **params))
    again = call(api_client, url, signed(secret, **params))
    # then
    assert answer(first) == ("returned", str(purchase.pk))
    assert answer(again) == ("unchanged", str(purchase.pk))
    purchase.refresh_from_db()
    assert (purchase.status, purchase.returned_amount) == ("pending", Decimal("40.00"))
    assert Wallet.objects.get(user=user).pending_balance == Decimal("3.00")
    assert PurchaseReturn.objects.count() == 1


def test_a_returned_postback_without_amount_reverses_then_repeats_unchanged(api_client, url, secret, partner, user):
    # given
    purchase = partner_purchase(partner, user, external_id="pb-6")
    # when
    first = call(api_client, url, signed(secret, external_id="pb-6", status="returned"))
    again = call(api_client, url, signed(secret, external_id="pb-6", status="returned", return_id="another"))
    # then
    assert answer(first) == ("returned", str(purchase.pk))
    assert answer(again) == ("unchanged", str(purchase.pk))
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.REVERSED
    assert LedgerEntry.objects.filter(source_id=purchase.pk).count() == 2


def test_the_full_lifecycle_by_postbacks(api_client, url, secret, user, pending_params):
    # given / when
    outcomes = [
        answer(call(api_client, url, signed(secret, **params)))[0]
        for params in (
            pending_params,
            pending_params,
            {"external_id": "pb-1", "status": "approved"},
            {"external_id": "pb-1", "status": "approved"},
            {"external_id": "pb-1", "status": "returned", "return_id": "a", "amount": "50.00"},
            {"external_id": "pb-1", "status": "returned", "return_id": "a", "amount": "50.00"},
            {"external_id": "pb-1", "status": "returned", "return_id": "b"},
        )
    ]
    # then
    assert outcomes == ["created", "duplicate", "approved", "unchanged", "returned", "unchanged", "returned"]
    wallet = Wallet.objects.get(user=user)
    assert (wallet.pending_balance, wallet.available_balance) == (Decimal("0.00"), Decimal("0.00"))


def test_an_approved_postback_for_a_rejected_purchase_is_409(api_client, url, secret, partner, user):
    purchase = partner_purchase(partner, user, external_id="pb-7")
    purchase_reject(purchase_id=purchase.pk, reason="no", actor=SYSTEM)
    response = call(api_client, url, signed(secret, external_id="pb-7", status="approved"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "PURCHASE_NOT_PENDING"


def test_a_returned_postback_for_a_rejected_purchase_is_409(api_client, url, secret, partner, user):
    purchase = partner_purchase(partner, user, external_id="pb-8")
    purchase_reject(purchase_id=purchase.pk, reason="no", actor=SYSTEM)
    response = call(api_client, url, signed(secret, external_id="pb-8", status="returned", return_id="x"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "PURCHASE_NOT_REVERSIBLE"


@pytest.mark.parametrize("status", ["approved", "declined", "returned"])
def test_a_lifecycle_postback_for_an_unknown_or_foreign_purchase_is_404(
    api_client, url, secret, other_partner, user, status
):
    partner_purchase(other_partner, user, external_id="foreign")
    for external_id in ("foreign", "nowhere"):
        response = call(api_client, url, signed(secret, external_id=external_id, status=status))
        assert response.status_code == 404
    assert Purchase.objects.get().status == PurchaseStatus.PENDING


def test_a_pending_postback_for_an_unlinked_merchant_is_403(api_client, url, secret, pending_params):
    from offers.tests.factories import OfferFactory

    pending_params["merchant_id"] = OfferFactory().merchant_id
    response = call(api_client, url, signed(secret, **pending_params))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "MERCHANT_NOT_ALLOWED"


@pytest.mark.parametrize(
    "change",
    [{"status": "shipped"}, {"amount": None}, {"user_id": "nope"}, {"amount": "1.001"}, {"external_id": ""}],
)
def test_an_invalid_postback_is_422(api_client, url, secret, pending_params, change):
    # given
    params = {k: v for k, v in (pending_params | change).items() if v is not None}
    # when
    response = call(api_client, url, signed(secret, **params))
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert not Purchase.objects.exists()


# --- the signature -------------------------------------------------------------------


def assert_invalid_signature(response):
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert not Purchase.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_wrong_signature_is_401(api_client, url, secret, pending_params, method):
    params = signed(secret, **pending_params)
    params["signature"] = "0" * 64
    assert_invalid_signature(call(api_client, url, params, method))


def test_a_signature_of_other_values_is_401(api_client, url, secret, pending_params):
    params = signed(secret, **pending_params)
    params["amount"] = "1000.00"
    assert_invalid_signature(call(api_client, url, params))


def test_a_missing_signature_is_401(api_client, url, secret, pending_params):
    params = signed(secret, **pending_params)
    del params["signature"]
    assert_invalid_signature(call(api_client, url, params))


def test_a_signature_with_another_key_is_401(api_client, url, secret, pending_params):
    assert_invalid_signature(call(api_client, url, signed("not the secret", **pending_params)))


def test_an_upper_case_hex_signature_is_accepted(api_client, url, secret, pending_params):
    params = signed(secret, **pending_params)
    params["signature"] = params["signature"].upper()
    assert answer(call(api_client, url, params))[0] == "created"


@pytest.mark.parametrize("signature", ["é" * 64, "not hex", ""])
def test_a_non_hex_signature_is_401(api_client, url, secret, pending_params, signature):
    params = signed(secret, **pending_params)
    params["signature"] = signature
    assert_invalid_signature(call(api_client, url, params))


@pytest.mark.parametrize("offset", [-310, 310, -3600, 86400])
def test_a_timestamp_more_than_300_seconds_away_is_401(api_client, url, secret, pending_params, offset):
    params = signed(secret, **pending_params, timestamp=int(time.time()) + offset)
    assert_invalid_signature(call(api_client, url, params))


@pytest.mark.parametrize("offset", [-290, 290])
def test_a_timestamp_within_300_seconds_is_accepted(api_client, url, secret, pending_params, offset):
    params = signed(secret, **pending_params, timestamp=int(time.time()) + offset)
    assert answer(call(api_client, url, params))[0] == "created"


@pytest.mark.parametrize("timestamp", [None, "", "soon", "1.5e9", "9" * 400])
def test_a_missing_or_malformed_timestamp_is_401(api_client, url, secret, pending_params, timestamp):
    # given: signed as sent, so only the timestamp is wrong
    params = {k: str(v) for k, v in pending_params.items()}
    if timestamp is not None:
        params["timestamp"] = timestamp
    base = "&".join(f"{name}={params[name]}" for name in sorted(params))
    params["signature"] = hmac.new(secret.encode(), base.encode(), hashlib.sha256).hexdigest()
    # when / then
    assert_invalid_signature(call(api_client, url, params))


def test_values_are_signed_url_decoded(api_client, url, secret, partner, user):
    # given: a reason with characters that are encoded on the wire
    partner_purchase(partner, user, external_id="enc/1 +x")
    params = signed(secret, external_id="enc/1 +x", status="declined", reason="Cancelled: 50% & more")
    # when
    response = call(api_client, url, params)
    # then
    assert answer(response)[0] == "declined"


def test_the_old_secret_stops_working_when_rotated(api_client, url, secret, partner, pending_params):
    # given
    new_secret = set_postback_secret(partner)
    # when / then
    assert_invalid_signature(call(api_client, url, signed(secret, **pending_params)))
    assert answer(call(api_client, url, signed(new_secret, **pending_params)))[0] == "created"


def test_a_partner_without_a_secret_is_401(api_client, partner, pending_params):
    response = call(api_client, f"/api/v1/postbacks/{partner.pk}", signed("", **pending_params))
    assert_invalid_signature(response)


def test_an_inactive_partner_is_401(api_client, url, secret, partner, pending_params):
    partner_update(partner_id=partner.pk, active=False, actor=SYSTEM)
    assert_invalid_signature(call(api_client, url, signed(secret, **pending_params)))


def test_an_unknown_partner_is_401(api_client, secret, pending_params):
    response = call(api_client, f"/api/v1/postbacks/{uuid.uuid4()}", signed(secret, **pending_params))
    assert_invalid_signature(response)


def test_another_partner_s_secret_does_not_sign_for_this_one(api_client, url, secret, pending_params):
    other = PartnerFactory()
    other_secret = set_postback_secret(other)
    assert_invalid_signature(call(api_client, url, signed(other_secret, **pending_params)))


def test_every_parameter_sent_is_signed_even_unknown_ones(api_client, url, secret, pending_params):
    # given: a network adds its own parameter
    params = signed(secret, **pending_params, click_ref="abc")
    # when
    accepted = call(api_client, url, params)
    # then
    assert answer(accepted)[0] == "created"
    tampered = signed(secret, **(pending_params | {"external_id": "pb-2"}))
    tampered["click_ref"] = "added after signing"
    assert_invalid_signature_for(call(api_client, url, tampered))


def assert_invalid_signature_for(response):
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_SIGNATURE"


def test_returned_postbacks_without_return_id_are_told_apart_by_amount(api_client, url, secret, partner, user):
    # given: 40.00 returned, then the rest, neither with a return_id
    purchase = partner_purchase(partner, user, external_id="no-ids")
    part = {"external_id": "no-ids", "status": "returned", "amount": "40.00"}
    rest = {"external_id": "no-ids", "status": "returned"}
    # when
    outcomes = [answer(call(api_client, url, signed(secret, **params)))[0] for params in (part, part, rest, rest)]
    # then
    assert outcomes == ["returned", "unchanged", "returned", "unchanged"]
    purchase.refresh_from_db()
    assert (purchase.status, purchase.returned_amount) == (PurchaseStatus.REVERSED, Decimal("100.00"))
    assert Wallet.objects.get(user=user).pending_balance == Decimal("0.00")
