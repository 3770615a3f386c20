"""Rate limits (§13 per key, §9 per user) and CORS (``CORS_ALLOWED_ORIGINS``).

The project's conftest turns the throttles off; each test here turns one back on."""

from decimal import Decimal

import pytest

from partners.tests.conftest import key_client
from partners.tests.factories import create_key, purchase_body
from purchases.models import Purchase

pytestmark = pytest.mark.django_db

PARTNER_URL = "/api/v1/partner/purchases"


def assert_rate_limited(response):
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) > 0


def test_a_partner_key_is_limited_to_partner_rate_limit(settings, partner_client):
    # given
    settings.PARTNER_RATE_LIMIT = "2/min"
    # when
    responses = [partner_client.get(PARTNER_URL) for _ in range(3)]
    # then
    assert [r.status_code for r in responses[:2]] == [200, 200]
    assert_rate_limited(responses[2])


def test_the_limit_is_per_key(settings, partner, partner_client):
    # given
    settings.PARTNER_RATE_LIMIT = "2/min"
    other_key = key_client(create_key(partner, name="second")[1])
    for _ in range(2):
        partner_client.get(PARTNER_URL)
    # when
    response = other_key.get(PARTNER_URL)
    # then
    assert response.status_code == 200
    assert_rate_limited(partner_client.get(PARTNER_URL))


def test_a_throttled_request_does_nothing(settings, partner_client, user, merchant):
    # given
    settings.PARTNER_RATE_LIMIT = "1/min"
    partner_client.get(PARTNER_URL)
    # when
    response = partner_client.post(PARTNER_URL, purchase_body(user, merchant), format="json")
    # then
    assert_rate_limited(response)
    assert not Purchase.objects.exists()


def test_a_batch_counts_as_one_request(settings, partner_client, user, merchant):
    # given
    settings.PARTNER_RATE_LIMIT = "2/min"
    items = [purchase_body(user, merchant) for _ in range(50)]
    # when
    batch = partner_client.post(f"{PARTNER_URL}/batch", {"items": items}, format="json")
    second = partner_client.get(PARTNER_URL)
    third = partner_client.get(PARTNER_URL)
    # then
    assert batch.status_code == 200
    assert batch.json()["summary"]["created"] == 50
    assert second.status_code == 200
    assert_rate_limited(third)


def test_partner_rate_limit_off_disables_it(settings, partner_client):
    settings.PARTNER_RATE_LIMIT = "off"
    assert {partner_client.get(PARTNER_URL).status_code for _ in range(5)} == {200}


def _user_purchase(user, merchant):
    body = purchase_body(user, merchant)
    body.pop("purchased_at", None)
    return body


def test_purchase_ingestion_is_limited_per_user(settings, user, other_user, client_for, merchant):
    # given
    settings.PURCHASE_THROTTLE_RATE = "2/min"
    client, other = client_for(user), client_for(other_user)
    # when
    responses = [client.post("/api/v1/purchases", _user_purchase(user, merchant), format="json") for _ in range(3)]
    others = other.post("/api/v1/purchases", _user_purchase(other_user, merchant), format="json")
    # then
    assert [r.status_code for r in responses[:2]] == [201, 201]
    assert_rate_limited(responses[2])
    assert others.status_code == 201
    assert Purchase.objects.count() == 3
    assert client.get("/api/v1/users/me/purchases").status_code == 200  # reads are not limited


def test_payout_requests_are_limited_per_user(settings, user, other_user, client_for):
    # given: bodies the view would refuse still count
    settings.PAYOUT_THROTTLE_RATE = "2/min"
    client = client_for(user)
    body = {"amount": "10.00", "method": "card", "details": {"card_token": "tok_1"}}
    # when
    responses = [client.post("/api/v1/users/payouts", body, format="json") for _ in range(3)]
    others = client_for(other_user).post("/api/v1/users/payouts", body, format="json")
    # then
    assert all(r.status_code != 429 for r in responses[:2])
    assert_rate_limited(responses[2])
    assert others.status_code != 429
    assert client.get("/api/v1/users/payouts").status_code == 200


def test_the_withdraw_alias_shares_the_payout_limit(settings, user, client_for):
    settings.PAYOUT_THROTTLE_RATE = "1/min"
    client = client_for(user)
    body = {"amount": str(Decimal("10.00")), "method": "card", "details": {"card_token": "tok_1"}}
    assert client.post("/api/v1/users/payouts", body, format="json").status_code != 429
    assert_rate_limited(client.post("/api/v1/users/wallet/withdraw", body, format="json"))


# --- CORS -----------------------------------------------------------------------------


@pytest.fixture
def allowed_origin(settings) -> str:
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    return "https://shop.example.com"


def test_a_listed_origin_gets_access_control_allow_origin(api_client, allowed_origin, partner_key):
    # when
    preflight = api_client.options(
        PARTNER_URL,
        HTTP_ORIGIN=allowed_origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    actual = api_client.get(PARTNER_URL, HTTP_ORIGIN=allowed_origin, HTTP_AUTHORIZATION=f"Api-Key {partner_key}")
    # then
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == allowed_origin
    assert "authorization" in preflight["Access-Control-Allow-Headers"].lower()
    assert actual.status_code == 200
    assert actual["Access-Control-Allow-Origin"] == allowed_origin


def test_another_origin_gets_no_cors_header(api_client, allowed_origin, partner_key):
    # when
    preflight = api_client.options(
        PARTNER_URL, HTTP_ORIGIN="https://evil.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    actual = api_client.get(
        PARTNER_URL, HTTP_ORIGIN="https://evil.example.com", HTTP_AUTHORIZATION=f"Api-Key {partner_key}"
    )
    # then
    assert "Access-Control-Allow-Origin" not in preflight
    assert "Access-Control-Allow-Origin" not in actual


def test_no_origin_is_allowed_by_default(api_client, partner_key):
    response = api_client.get(
        PARTNER_URL, HTTP_ORIGIN="https://shop.example.com", HTTP_AUTHORIZATION=f"Api-Key {partner_key}"
    )
    assert "Access-Control-Allow-Origin" not in response


def test_postbacks_are_limited_per_partner(settings, partner, other_partner, api_client):
    from partners.tests.factories import set_postback_secret

    # given: unsigned postbacks (refused) still count against their partner's budget
    settings.PARTNER_RATE_LIMIT = "2/min"
    set_postback_secret(partner)
    url = f"/api/v1/postbacks/{partner.pk}"
    # when
    responses = [api_client.get(url, {"external_id": "x", "status": "pending"}) for _ in range(3)]
    another = api_client.get(f"/api/v1/postbacks/{other_partner.pk}", {"external_id": "x", "status": "pending"})
    # then
    assert [r.status_code for r in responses[:2]] == [401, 401]
    assert_rate_limited(responses[2])
    assert another.status_code == 401
