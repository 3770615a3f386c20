"""Every API operation × {anonymous, user, another user, admin} against the contract.

The operations come from the OpenAPI schema itself, so a new endpoint cannot slip past:
``ACCESS`` must classify it (a test fails otherwise). Path ids are filled with rows
owned by ``alice``; ``mallory`` is the other user.

* anonymous on anything but registration / login / refresh → 401 ``INVALID_TOKEN``;
* a user on an admin-only operation → 403 ``FORBIDDEN``;
* another user on alice's purchase → 403 ``FORBIDDEN`` (404 first for unknown ids);
* whoever is allowed never gets 401/403 (their answer may be 2xx or a 4xx about the body).

Token attacks (expired, forged, ``alg: none``, refresh-as-access, unknown or deactivated
user) and the wallet pages' ownership checks are covered too.
"""

import base64
import datetime as dt
import json

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.world import build_world

ANONYMOUS, USER, OWNER, ADMIN = "anonymous", "user", "owner", "admin"
PARTNER, SIGNED = "partner", "signed"  # a partner key; a signed postback (no credential)

# Who may call each operation: anonymous (anyone), user (any signed-in user, acting on
# their own data), owner (a resource in the path that must belong to the caller, or
# an admin), admin.
ACCESS = {
    ("POST", "/api/v1/users/"): ANONYMOUS,
    ("POST", "/api/v1/auth/login/"): ANONYMOUS,
    ("POST", "/api/v1/auth/refresh/"): ANONYMOUS,
    ("GET", "/api/v1/users/me/"): USER,
    ("GET", "/api/v1/users/me/purchases/"): USER,
    ("GET", "/api/v1/users/me/wallet/"): USER,
    ("GET", "/api/v1/users/me/wallet/transactions/"): USER,
    ("PATCH", "/api/v1/users/me/notification-settings/"): USER,
    ("GET", "/api/v1/users/payouts/"): USER,
    ("POST", "/api/v1/users/payouts/"): USER,
    ("POST", "/api/v1/users/wallet/withdraw/"): USER,
    ("GET", "/api/v1/offers/"): USER,
    ("GET", "/api/v1/offers/active/"): USER,
    ("GET", "/api/v1/offers/{offer_id}/"): USER,
    ("POST", "/api/v1/purchases/"): USER,
    ("GET", "/api/v1/purchases/{purchase_id}/"): OWNER,
    ("GET", "/api/v1/purchases/"): ADMIN,
    ("POST", "/api/v1/purchases/{purchase_id}/confirmation/"): ADMIN,
    ("POST", "/api/v1/purchases/{purchase_id}/reverse/"): ADMIN,
    ("PATCH", "/api/v1/purchases/{purchase_id}/reverse/"): ADMIN,
    ("GET", "/api/v1/merchants/"): ADMIN,
    ("POST", "/api/v1/merchants/"): ADMIN,
    ("GET", "/api/v1/merchants/{merchant_id}/"): ADMIN,
    ("PATCH", "/api/v1/merchants/{merchant_id}/status/"): ADMIN,
    ("POST", "/api/v1/offers/"): ADMIN,
    ("PATCH", "/api/v1/offers/{offer_id}/status/"): ADMIN,
    ("GET", "/api/v1/admin/payouts/"): ADMIN,
    ("PATCH", "/api/v1/admin/payouts/{payout_id}/process/"): ADMIN,
    ("GET", "/api/v1/admin/audit-logs/"): ADMIN,
    ("GET", "/api/v1/feature-flags/"): ADMIN,
    ("PUT", "/api/v1/feature-flags/{key}/"): ADMIN,
    ("DELETE", "/api/v1/feature-flags/{key}/"): ADMIN,
    ("GET", "/api/v1/feature-flags/{key}/evaluate/"): ADMIN,
    ("POST", "/api/v1/users/me/password/"): USER,
    ("POST", "/api/v1/admin/wallet-adjustments/"): ADMIN,
    ("PATCH", "/api/v1/merchants/{merchant_id}/"): ADMIN,
    ("PATCH", "/api/v1/offers/{offer_id}/"): ADMIN,
    ("POST", "/api/v1/auth/password-reset/"): ANONYMOUS,
    ("POST", "/api/v1/auth/password-reset/confirm/"): ANONYMOUS,
    # another user's payout is a 404 (its existence is not revealed), never a 401/403
    ("POST", "/api/v1/users/payouts/{payout_id}/cancel/"): USER,
    ("GET", "/api/v1/partners/"): ADMIN,
    ("POST", "/api/v1/partners/"): ADMIN,
    ("GET", "/api/v1/partners/{partner_id}/"): ADMIN,
    ("PATCH", "/api/v1/partners/{partner_id}/"): ADMIN,
    ("GET", "/api/v1/partners/{partner_id}/api-keys/"): ADMIN,
    ("POST", "/api/v1/partners/{partner_id}/api-keys/"): ADMIN,
    ("DELETE", "/api/v1/partners/{partner_id}/api-keys/{key_id}/"): ADMIN,
    ("POST", "/api/v1/partners/{partner_id}/postback-secret/"): ADMIN,
    ("GET", "/api/v1/partner/purchases/"): PARTNER,
    ("POST", "/api/v1/partner/purchases/"): PARTNER,
    ("POST", "/api/v1/partner/purchases/batch/"): PARTNER,
    ("GET", "/api/v1/partner/purchases/{external_id}/"): PARTNER,
    ("POST", "/api/v1/partner/purchases/{external_id}/approve/"): PARTNER,
    ("POST", "/api/v1/partner/purchases/{external_id}/decline/"): PARTNER,
    ("POST", "/api/v1/partner/purchases/{external_id}/returns/"): PARTNER,
    ("GET", "/api/v1/partner/webhook-endpoints/"): PARTNER,
    ("POST", "/api/v1/partner/webhook-endpoints/"): PARTNER,
    ("DELETE", "/api/v1/partner/webhook-endpoints/{endpoint_id}/"): PARTNER,
    ("GET", "/api/v1/partner/webhook-deliveries/"): PARTNER,
    ("POST", "/api/v1/partner/webhook-deliveries/{delivery_id}/retry/"): PARTNER,
    ("GET", "/api/v1/postbacks/{partner_id}/"): SIGNED,
    ("POST", "/api/v1/postbacks/{partner_id}/"): SIGNED,
}


@pytest.fixture
def schema_operations(client):
    schema = client.get("/api/schema/?format=json").json()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


@pytest.fixture
def world(db):
    return build_world()


def _client(identity: str, world) -> APIClient:
    client = APIClient()
    if identity == "partner":
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.partner_key}")
        return client
    user = {"user": world.alice, "other": world.mallory, "admin": world.admin}.get(identity)
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def _url(path: str, world) -> str:
    return (
        path.replace("{purchase_id}", str(world.purchases["pending"].pk))
        .replace("{payout_id}", str(world.payouts["requested"].pk))
        .replace("{merchant_id}", str(world.merchant.pk))
        .replace("{offer_id}", str(world.offer.pk))
        .replace("{key_id}", "00000000-0000-4000-8000-000000000000")
        .replace("{endpoint_id}", "00000000-0000-4000-8000-000000000000")
        .replace("{delivery_id}", "00000000-0000-4000-8000-000000000000")
        .replace("{key}", "purchase_auto_confirm")
        .replace("{partner_id}", str(world.partner.pk))
        .replace("{external_id}", world.partner_purchases["pending"].external_id)
    )


def _expected(access: str, identity: str) -> tuple[int, str] | None:
    """(status, code) the contract demands, or None for 'allowed' (anything but 401/403/5xx)."""
    if access == SIGNED:  # no credential opens it: an unsigned call is refused whoever sends it
        return 401, "INVALID_SIGNATURE"
    if access == PARTNER:  # only a partner key opens /partner/*; a JWT never does
        return None if identity == "partner" else (401, "INVALID_API_KEY")
    if access == ANONYMOUS:
        return None
    if identity == "partner":  # a partner key opens nothing else
        return 403, "FORBIDDEN"
    if identity == "anonymous":
        return 401, "INVALID_TOKEN"
    if access == ADMIN and identity != "admin":
        return 403, "FORBIDDEN"
    if access == OWNER and identity == "other":
        return 403, "FORBIDDEN"
    return None


def test_every_operation_in_the_schema_is_classified(schema_operations):
    # given / when / then
    assert schema_operations - set(ACCESS) == set(), "classify the new operations in ACCESS"
    assert set(ACCESS) - schema_operations == set(), "ACCESS lists operations the schema no longer has"


@pytest.mark.django_db
@pytest.mark.parametrize("identity", ["anonymous", "user", "other", "admin", "partner"])
def test_every_operation_answers_the_contracts_401_403_for_each_identity(identity, world, settings):
    # given
    settings.AUTH_THROTTLE_RATE = "off"
    client = _client(identity, world)
    mismatches = []

    # when every operation is called as this identity
    for (method, path), access in sorted(ACCESS.items()):
        if access == SIGNED and method == "POST":  # a postback is a form, not JSON
            response = client.post(_url(path, world), data="", content_type="application/x-www-form-urlencoded")
        else:
            response = getattr(client, method.lower())(_url(path, world), data={}, format="json")
        expected = _expected(access, identity)
        body = response.json() if response.content and response["Content-Type"].startswith("application/") else {}
        code = (body.get("error") or {}).get("code") if isinstance(body, dict) else None

        # then
        if response.status_code >= 500:
            mismatches.append(f"{method} {path}: {response.status_code}")
        elif expected is None and response.status_code in (401, 403):
            mismatches.append(f"{method} {path}: allowed but got {response.status_code} {code}")
        elif expected is not None and (response.status_code, code) != expected:
            mismatches.append(f"{method} {path}: expected {expected}, got {response.status_code} {code}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.django_db
def test_another_users_unknown_purchase_is_404_before_ownership(world):
    # given
    client = _client("other", world)

    # when
    response = client.get("/api/v1/purchases/00000000-0000-4000-8000-000000000000")

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.django_db
@pytest.mark.parametrize("identity", ["other", "admin"])
def test_nobody_can_ingest_a_purchase_for_someone_else(identity, world):
    # given
    from purchases.models import Purchase

    before = Purchase.objects.count()
    body = {"external_id": "for-alice", "user_id": str(world.alice.pk), "merchant_id": str(world.merchant.pk),
            "amount": "10.00", "currency": "EUR"}  # fmt: skip

    # when
    response = _client(identity, world).post("/api/v1/purchases", body, format="json")

    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert Purchase.objects.count() == before


@pytest.mark.django_db
def test_a_duplicate_by_another_user_does_not_reveal_the_owners_purchase_id(world):
    # given alice's purchase
    external_id = world.purchases["pending"].external_id
    body = {"external_id": external_id, "user_id": str(world.mallory.pk), "merchant_id": str(world.merchant.pk),
            "amount": "10.00", "currency": "EUR"}  # fmt: skip

    # when mallory replays its external id
    response = _client("other", world).post("/api/v1/purchases", body, format="json")

    # then
    assert response.status_code == 409
    details = response.json()["error"]["details"]
    assert details["external_id"] == external_id
    assert "purchase_id" not in details


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/api/v1/users/me/purchases", "/api/v1/users/payouts", "/api/v1/users/me/wallet/transactions"],
)
def test_a_users_lists_never_show_another_users_rows(path, world):
    # given alice has purchases and payouts, mallory has none
    # when
    mine = _client("user", world).get(path).json()
    theirs = _client("other", world).get(path).json()

    # then
    assert mine["pagination"]["total"] > 0
    assert theirs["pagination"]["total"] == 0 and theirs["data"] == []


@pytest.mark.django_db
def test_another_users_wallet_is_never_shown(world):
    # given alice has cashback
    # when
    theirs = _client("other", world).get("/api/v1/users/me/wallet").json()

    # then
    assert theirs["pending_balance"] == theirs["available_balance"] == theirs["paid_balance"] == "0.00"


# --- token attacks -----------------------------------------------------------------


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _tokens(world) -> dict[str, str]:
    expired = AccessToken.for_user(world.alice)
    expired.set_exp(lifetime=-dt.timedelta(seconds=1))
    valid = str(AccessToken.for_user(world.alice))
    header, payload, signature = valid.split(".")
    forged_payload = json.loads(base64.urlsafe_b64decode(payload + "==="))
    forged_payload["sub"] = str(world.admin.pk)
    from users.tests.factories import UserFactory

    ghost = UserFactory()
    ghost_token = str(AccessToken.for_user(ghost))
    ghost.delete()
    return {
        "expired": str(expired),
        "bad signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "payload swapped": f"{header}.{_b64(forged_payload)}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(forged_payload)}.",
        "refresh as access": str(RefreshToken.for_user(world.alice)),
        "garbage": "not-a-token",
        "unknown user": ghost_token,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("attack", "code"),
    [
        ("expired", "EXPIRED_TOKEN"),
        ("bad signature", "INVALID_TOKEN"),
        ("payload swapped", "INVALID_TOKEN"),
        ("alg none", "INVALID_TOKEN"),
        ("refresh as access", "INVALID_TOKEN"),
        ("garbage", "INVALID_TOKEN"),
        ("unknown user", "INVALID_TOKEN"),
    ],
)
def test_a_bad_token_is_refused_with_the_contracts_code(attack, code, world):
    # given
    token = _tokens(world)[attack]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    # when
    responses = [client.get("/api/v1/users/me"), client.get("/api/v1/admin/audit-logs")]

    # then
    for response in responses:
        assert response.status_code == 401
        assert response.json()["error"]["code"] == code


@pytest.mark.django_db
def test_a_deactivated_users_token_is_refused(world):
    # given
    client = _client("user", world)
    world.alice.is_active = False
    world.alice.save(update_fields=["is_active"])

    # when
    response = client.get("/api/v1/users/me/wallet")

    # then
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "USER_INACTIVE",
        "message": response.json()["error"]["message"],
        "details": {"user_id": str(world.alice.pk)},
    }


# --- wallet pages and back office --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["purchases", "payouts"])
def test_wallet_pages_hide_another_users_rows(kind, world):
    # given mallory signed in on the wallet pages
    client = Client()
    client.force_login(world.mallory)
    row = world.purchases["pending"] if kind == "purchases" else world.payouts["requested"]

    # when
    response = client.get(f"/wallet/{kind}/{row.pk}/")

    # then
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/wallet/", "/wallet/transactions/", "/wallet/withdraw/"])
def test_wallet_pages_need_a_signed_in_user(path, world):
    # given / when
    response = Client().get(path)

    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/wallet/login/")


@pytest.mark.django_db
def test_the_back_office_refuses_a_non_admin(world):
    # given
    client = Client()
    client.force_login(world.alice)

    # when
    response = client.get("/admin/")

    # then
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
