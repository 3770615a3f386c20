"""``Authorization: Api-Key <key>`` (contract §1 and §13): who opens ``/partner/*``, and
that a partner key opens nothing else."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from clicknback.audit.services import SYSTEM
from conftest import bearer_for
from partners.models import PartnerAPIKey
from partners.services import api_key_revoke, partner_update
from partners.tests.conftest import key_client
from partners.tests.factories import create_key
from purchases.models import Purchase

pytestmark = pytest.mark.django_db

URL = "/api/v1/partner/purchases"


def assert_invalid_api_key(response):
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_API_KEY"


def test_a_valid_key_opens_the_partner_api(partner_client):
    # when
    response = partner_client.get(URL)
    # then
    assert response.status_code == 200
    assert response.json()["data"] == []


def test_no_key_is_401_invalid_api_key(api_client):
    assert_invalid_api_key(api_client.get(URL))


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key",
        "Api-Key ",
        "Api-Key nodot",
        "Api-Key .secret",
        "Api-Key unknownp.secretsecretsecret",
        "Api-Key a b",
        "api-key unknownp.secret",
    ],
)
def test_a_malformed_or_unknown_key_is_401_invalid_api_key(api_client, partner_key, header):
    # given
    api_client.credentials(HTTP_AUTHORIZATION=header)
    # when
    response = api_client.get(URL)
    # then
    assert_invalid_api_key(response)


def test_a_known_prefix_with_a_wrong_secret_is_401(partner_key):
    # given
    prefix = partner_key.split(".")[0]
    # when
    response = key_client(f"{prefix}.wrongsecretwrongsecretwrongsecret").get(URL)
    # then
    assert_invalid_api_key(response)


def test_a_revoked_key_is_refused_from_the_next_request_on(partner, partner_key_row, partner_client):
    # given
    assert partner_client.get(URL).status_code == 200
    api_key_revoke(partner_id=partner.pk, key_id=partner_key_row.pk, actor=SYSTEM)
    # when
    response = partner_client.get(URL)
    # then
    assert_invalid_api_key(response)


def test_an_expired_key_is_401(partner):
    # given: a key that worked until its expiry passed
    key_row, key = create_key(partner, expires_at=timezone.now() + dt.timedelta(hours=1))
    client = key_client(key)
    assert client.get(URL).status_code == 200
    PartnerAPIKey.objects.filter(pk=key_row.pk).update(expiry_date=timezone.now() - dt.timedelta(seconds=1))
    # when
    response = client.get(URL)
    # then
    assert_invalid_api_key(response)


def test_a_key_of_an_inactive_partner_is_401_at_once(partner, partner_client):
    # given
    assert partner_client.get(URL).status_code == 200
    partner_update(partner_id=partner.pk, active=False, actor=SYSTEM)
    # when
    response = partner_client.get(URL)
    # then
    assert_invalid_api_key(response)


def test_a_reactivated_partner_s_key_works_again(partner, partner_client):
    # given
    partner_update(partner_id=partner.pk, active=False, actor=SYSTEM)
    partner_update(partner_id=partner.pk, active=True, actor=SYSTEM)
    # when
    response = partner_client.get(URL)
    # then
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["user", "admin"])
def test_a_jwt_never_opens_the_partner_api(api_client, user, admin_user, merchant, who):
    # given
    api_client.credentials(HTTP_AUTHORIZATION=bearer_for(user if who == "user" else admin_user))
    body = {
        "external_id": "jwt-1",
        "user_id": str(user.pk),
        "merchant_id": str(merchant.pk),
        "amount": "10.00",
        "currency": "EUR",
    }
    # when
    responses = [api_client.get(URL), api_client.post(URL, body, format="json"), api_client.get(URL + "/jwt-1")]
    # then
    for response in responses:
        assert_invalid_api_key(response)
    assert not Purchase.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/users/me"),
        ("get", "/api/v1/users/me/wallet"),
        ("get", "/api/v1/users/me/wallet/transactions"),
        ("get", "/api/v1/users/me/purchases"),
        ("get", "/api/v1/users/payouts"),
        ("post", "/api/v1/users/payouts"),
        ("post", "/api/v1/users/wallet/withdraw"),
        ("post", "/api/v1/purchases"),
        ("get", "/api/v1/purchases"),
        ("get", "/api/v1/merchants"),
        ("post", "/api/v1/merchants"),
        ("get", "/api/v1/offers/active"),
        ("get", "/api/v1/partners"),
        ("post", "/api/v1/partners"),
        ("get", "/api/v1/admin/payouts"),
        ("get", "/api/v1/admin/audit-logs"),
        ("get", "/api/v1/feature-flags"),
    ],
)
def test_a_partner_key_opens_no_user_wallet_payout_or_admin_endpoint(partner_client, method, path):
    # when
    response = getattr(partner_client, method)(path, {}, format="json")
    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


def test_a_partner_key_cannot_read_another_partner_s_admin_page(partner_client, other_partner):
    response = partner_client.get(f"/api/v1/partners/{other_partner.pk}/api-keys")
    assert response.status_code == 403


def test_every_use_updates_last_used_at(partner_key_row, partner_client):
    # given
    assert partner_key_row.last_used_at is None
    before = timezone.now()
    # when
    partner_client.get(URL)
    # then
    partner_key_row.refresh_from_db()
    assert partner_key_row.last_used_at is not None
    assert partner_key_row.last_used_at >= before - dt.timedelta(seconds=1)
    # and a later use moves it forward
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    PartnerAPIKey.objects.filter(pk=partner_key_row.pk).update(last_used_at=long_ago)
    partner_client.get(URL)
    partner_key_row.refresh_from_db()
    assert partner_key_row.last_used_at > long_ago + dt.timedelta(minutes=4)


def test_a_refused_key_does_not_update_last_used_at(partner, partner_key_row, partner_client):
    # given
    partner_update(partner_id=partner.pk, active=False, actor=SYSTEM)
    # when
    partner_client.get(URL)
    # then
    partner_key_row.refresh_from_db()
    assert partner_key_row.last_used_at is None


def test_only_the_prefix_and_a_hash_are_stored(partner_key_row, partner_key):
    # given
    prefix, _, secret = partner_key.partition(".")
    stored = PartnerAPIKey.objects.get(pk=partner_key_row.pk)
    # then
    assert stored.prefix == prefix
    assert stored.hashed_key != partner_key
    assert secret not in stored.hashed_key
    assert stored.is_valid(partner_key)


def test_the_key_appears_in_no_column_of_any_table(partner_client, partner_key, user, merchant):
    # given: the key was created and used (audit rows, last_used_at, a purchase)
    partner_client.post(
        URL,
        {
            "external_id": "k-1",
            "user_id": str(user.pk),
            "merchant_id": str(merchant.pk),
            "amount": "10.00",
            "currency": "EUR",
        },
        format="json",
    )
    secret = partner_key.partition(".")[2]
    assert len(secret) >= 16
    # when: every row of every table, as text
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')
            found += [(table, row) for (row,) in cursor.fetchall() if secret in row]
    # then
    assert found == []
