"""The admin endpoints of §13: partners, their API keys and the postback secret."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from clicknback.audit.models import AuditLog
from merchants.tests.factories import MerchantFactory
from partners.models import Partner, PartnerAPIKey
from partners.tests.conftest import key_client
from partners.tests.factories import PartnerFactory, create_key

pytestmark = pytest.mark.django_db

URL = "/api/v1/partners"
PARTNER_FIELDS = {"id", "name", "merchant_ids", "active", "created_at"}
KEY_FIELDS = {"id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"}


def error_of(response) -> str:
    return response.json()["error"]["code"]


# --- POST /partners -----------------------------------------------------------------


@pytest.mark.parametrize("path", [URL, URL + "/"])
def test_create_returns_201_with_the_partner(admin_client, admin_user, path):
    # given
    merchants = sorted([MerchantFactory(), MerchantFactory()], key=lambda m: str(m.pk))
    # when
    response = admin_client.post(
        path, {"name": "Demo Network", "merchant_ids": [str(m.pk) for m in merchants]}, format="json"
    )
    # then
    assert response.status_code == 201
    data = response.json()
    assert set(data) == PARTNER_FIELDS
    assert (data["name"], data["active"]) == ("Demo Network", True)
    assert data["merchant_ids"] == [str(m.pk) for m in merchants]
    assert data["created_at"].endswith("Z")
    row = AuditLog.objects.get(action="partner.created")
    assert (row.actor_type, row.actor_id, row.resource_id) == ("admin", admin_user.pk, data["id"])


def test_create_can_make_an_inactive_partner(admin_client):
    response = admin_client.post(
        URL, {"name": "Later", "merchant_ids": [str(MerchantFactory().pk)], "active": False}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["active"] is False


@pytest.mark.parametrize("name", ["Demo Network", "demo network", "DEMO NETWORK"])
def test_a_name_taken_in_any_case_is_409_partner_name_taken(admin_client, name):
    # given
    PartnerFactory(name="Demo Network")
    # when
    response = admin_client.post(URL, {"name": name, "merchant_ids": [str(MerchantFactory().pk)]}, format="json")
    # then
    assert response.status_code == 409
    assert error_of(response) == "PARTNER_NAME_TAKEN"
    assert Partner.objects.count() == 1


def test_an_unknown_merchant_is_422_and_creates_nothing(admin_client):
    # given
    unknown = uuid.uuid4()
    # when
    response = admin_client.post(
        URL, {"name": "P", "merchant_ids": [str(MerchantFactory().pk), str(unknown)]}, format="json"
    )
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["violations"][0]["field"] == "merchant_ids"
    assert str(unknown) in error["details"]["violations"][0]["reason"]
    assert not Partner.objects.exists()


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("name", {"name": None}),
        ("name", {"name": ""}),
        ("name", {"name": "x" * 256}),
        ("merchant_ids", {"merchant_ids": None}),
        ("merchant_ids", {"merchant_ids": []}),
        ("merchant_ids", {"merchant_ids": "a merchant"}),
        ("merchant_ids", {"merchant_ids": ["not-a-uuid"]}),
        ("active", {"active": "yes"}),
    ],
)
def test_an_invalid_body_is_422(admin_client, field, change):
    # given: a valid body with one field changed (None removes it)
    body = {"name": "P", "merchant_ids": [str(MerchantFactory().pk)]} | change
    body = {name: value for name, value in body.items() if value is not None}
    # when
    response = admin_client.post(URL, body, format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"].split(".")[0] == field
    assert not Partner.objects.exists()


@pytest.mark.parametrize("client", ["anonymous", "user"])
def test_partner_admin_needs_an_admin(api_client, user_client, client):
    # when
    response = (api_client if client == "anonymous" else user_client).get(URL)
    # then
    assert response.status_code == (401 if client == "anonymous" else 403)


# --- GET /partners, GET /partners/{id}, PATCH ---------------------------------------------


def test_list_pages_partners_newest_first(admin_client, django_assert_max_num_queries):
    # given
    partners = [PartnerFactory() for _ in range(3)]
    # when
    with django_assert_max_num_queries(6):
        response = admin_client.get(URL)
    # then
    body = response.json()
    assert [item["id"] for item in body["data"]] == [str(p.pk) for p in reversed(partners)]
    assert body["pagination"] == {"offset": 0, "limit": 20, "total": 3}
    assert set(body["data"][0]) == PARTNER_FIELDS


def test_list_filters_by_active(admin_client):
    PartnerFactory(active=True)
    inactive = PartnerFactory(active=False)
    response = admin_client.get(URL, {"active": "false"})
    assert [item["id"] for item in response.json()["data"]] == [str(inactive.pk)]


def test_get_returns_the_partner(admin_client, partner, merchant):
    response = admin_client.get(f"{URL}/{partner.pk}")
    assert response.status_code == 200
    assert response.json()["merchant_ids"] == [str(merchant.pk)]


@pytest.mark.parametrize("method", ["get", "patch"])
@pytest.mark.parametrize("partner_id", [uuid.uuid4(), "not-a-uuid"])
def test_an_unknown_partner_is_404(admin_client, method, partner_id):
    response = getattr(admin_client, method)(f"{URL}/{partner_id}", {"name": "x"}, format="json")
    assert response.status_code == 404
    assert error_of(response) == "NOT_FOUND"


def test_patch_changes_name_and_merchants_and_audits_old_and_new(admin_client, partner, merchant):
    # given
    second = MerchantFactory()
    # when
    response = admin_client.patch(
        f"{URL}/{partner.pk}", {"name": "Renamed", "merchant_ids": [str(second.pk)]}, format="json"
    )
    # then
    assert response.status_code == 200
    data = response.json()
    assert (data["name"], data["merchant_ids"]) == ("Renamed", [str(second.pk)])
    details = AuditLog.objects.get(action="partner.edited").details
    assert details["name"] == {"old": partner.name, "new": "Renamed"}
    assert details["merchant_ids"] == {"old": [str(merchant.pk)], "new": [str(second.pk)]}


def test_patch_to_another_partner_s_name_in_any_case_is_409(admin_client, partner):
    PartnerFactory(name="Taken Name")
    response = admin_client.patch(f"{URL}/{partner.pk}", {"name": "taken name"}, format="json")
    assert response.status_code == 409
    assert error_of(response) == "PARTNER_NAME_TAKEN"


def test_patch_to_its_own_name_in_another_case_is_allowed(admin_client, partner):
    response = admin_client.patch(f"{URL}/{partner.pk}", {"name": partner.name.upper()}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == partner.name.upper()


@pytest.mark.parametrize("body", [{"merchant_ids": []}, {"merchant_ids": [str(uuid.uuid4())]}, {"name": ""}])
def test_patch_with_an_invalid_value_is_422_and_changes_nothing(admin_client, partner, merchant, body):
    # when
    response = admin_client.patch(f"{URL}/{partner.pk}", body, format="json")
    # then
    assert response.status_code == 422
    partner.refresh_from_db()
    assert list(partner.merchants.all()) == [merchant]


def test_patch_with_nothing_changed_writes_no_audit_row(admin_client, partner):
    response = admin_client.patch(f"{URL}/{partner.pk}", {"name": partner.name}, format="json")
    assert response.status_code == 200
    assert not AuditLog.objects.filter(action="partner.edited").exists()


def test_deactivating_a_partner_stops_all_its_keys_at_once(admin_client, partner, partner_client):
    # given
    second = key_client(create_key(partner, name="second")[1])
    assert partner_client.get("/api/v1/partner/purchases").status_code == 200
    # when
    response = admin_client.patch(f"{URL}/{partner.pk}", {"active": False}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["active"] is False
    for client in (partner_client, second):
        refused = client.get("/api/v1/partner/purchases")
        assert refused.status_code == 401
        assert error_of(refused) == "INVALID_API_KEY"
    assert AuditLog.objects.get(action="partner.edited").details["active"] == {"old": True, "new": False}


# --- API keys ------------------------------------------------------------------------


def test_create_key_shows_the_key_once(admin_client, admin_user, partner):
    # given
    expires = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    # when
    response = admin_client.post(
        f"{URL}/{partner.pk}/api-keys", {"name": "prod", "expires_at": expires.isoformat()}, format="json"
    )
    # then
    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"id", "name", "prefix", "key", "created_at", "expires_at"}
    assert data["key"].startswith(data["prefix"] + ".")
    assert data["expires_at"] == expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert key_client(data["key"]).get("/api/v1/partner/purchases").status_code == 200
    row = AuditLog.objects.get(action="api_key.created")
    assert (row.actor_type, row.actor_id, row.resource_id) == ("admin", admin_user.pk, data["id"])
    assert data["key"] not in str(row.details)


def test_create_key_without_expiry(admin_client, partner):
    response = admin_client.post(f"{URL}/{partner.pk}/api-keys", {"name": "forever"}, format="json")
    assert response.status_code == 201
    assert response.json()["expires_at"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "k", "expires_at": "tomorrow"},
        {"name": "k", "expires_at": "2000-01-01T00:00:00Z"},
    ],
)
def test_create_key_with_an_invalid_body_is_422(admin_client, partner, body):
    response = admin_client.post(f"{URL}/{partner.pk}/api-keys", body, format="json")
    assert response.status_code == 422
    assert error_of(response) == "VALIDATION_ERROR"
    assert not PartnerAPIKey.objects.exists()


def test_create_key_for_an_unknown_partner_is_404(admin_client):
    response = admin_client.post(f"{URL}/{uuid.uuid4()}/api-keys", {"name": "k"}, format="json")
    assert response.status_code == 404


def test_list_keys_never_shows_the_key(admin_client, partner, partner_key, partner_client):
    # given: one used key, one revoked
    partner_client.get("/api/v1/partner/purchases")
    revoked_row, _ = create_key(partner, name="old")
    admin_client.delete(f"{URL}/{partner.pk}/api-keys/{revoked_row.pk}")
    # when
    response = admin_client.get(f"{URL}/{partner.pk}/api-keys")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"]["total"] == 2
    assert all(set(item) == KEY_FIELDS for item in body["data"])
    assert partner_key not in response.content.decode()
    assert partner_key.partition(".")[2] not in response.content.decode()
    old, used = body["data"]
    assert (old["name"], old["revoked_at"] is not None) == ("old", True)
    assert (used["last_used_at"] is not None, used["revoked_at"]) == (True, None)


def test_list_keys_shows_only_that_partner_s_keys(admin_client, partner, partner_key_row, other_partner):
    create_key(other_partner)
    response = admin_client.get(f"{URL}/{partner.pk}/api-keys")
    assert [item["id"] for item in response.json()["data"]] == [str(partner_key_row.pk)]


def test_list_keys_of_an_unknown_partner_is_404(admin_client):
    assert admin_client.get(f"{URL}/{uuid.uuid4()}/api-keys").status_code == 404


def test_delete_key_revokes_it_from_the_next_request_on(
    admin_client, admin_user, partner, partner_key_row, partner_client
):
    # given
    assert partner_client.get("/api/v1/partner/purchases").status_code == 200
    # when
    response = admin_client.delete(f"{URL}/{partner.pk}/api-keys/{partner_key_row.pk}")
    # then
    assert response.status_code == 204
    refused = partner_client.get("/api/v1/partner/purchases")
    assert refused.status_code == 401
    assert error_of(refused) == "INVALID_API_KEY"
    partner_key_row.refresh_from_db()
    assert partner_key_row.revoked and partner_key_row.revoked_at is not None
    row = AuditLog.objects.get(action="api_key.revoked")
    assert (row.actor_type, row.actor_id, row.resource_id) == ("admin", admin_user.pk, str(partner_key_row.pk))


def test_delete_key_twice_is_204_with_one_audit_row(admin_client, partner, partner_key_row):
    path = f"{URL}/{partner.pk}/api-keys/{partner_key_row.pk}"
    assert admin_client.delete(path).status_code == 204
    assert admin_client.delete(path).status_code == 204
    assert AuditLog.objects.filter(action="api_key.revoked").count() == 1


def test_delete_another_partner_s_key_is_404_and_leaves_it(admin_client, partner, other_partner):
    # given
    theirs, key = create_key(other_partner)
    # when
    response = admin_client.delete(f"{URL}/{partner.pk}/api-keys/{theirs.pk}")
    # then
    assert response.status_code == 404
    assert key_client(key).get("/api/v1/partner/purchases").status_code == 200


@pytest.mark.parametrize("key_id", [uuid.uuid4(), "not-a-uuid"])
def test_delete_an_unknown_key_is_404(admin_client, partner, key_id):
    assert admin_client.delete(f"{URL}/{partner.pk}/api-keys/{key_id}").status_code == 404


# --- postback secret -------------------------------------------------------------------


def test_postback_secret_is_shown_once_and_replaces_the_old_one(admin_client, admin_user, partner):
    # when
    first = admin_client.post(f"{URL}/{partner.pk}/postback-secret")
    second = admin_client.post(f"{URL}/{partner.pk}/postback-secret")
    # then
    assert first.status_code == second.status_code == 201
    assert set(first.json()) == {"secret"}
    assert len(first.json()["secret"]) >= 32
    assert first.json()["secret"] != second.json()["secret"]
    partner.refresh_from_db()
    assert partner.postback_secret == second.json()["secret"]
    assert second.json()["secret"] not in admin_client.get(f"{URL}/{partner.pk}").content.decode()
    rows = AuditLog.objects.filter(action="partner.edited", resource_id=str(partner.pk))
    assert rows.count() == 2
    assert all(first.json()["secret"] not in str(row.details) for row in rows)
    assert (rows[0].actor_type, rows[0].actor_id) == ("admin", admin_user.pk)


def test_postback_secret_of_an_unknown_partner_is_404(admin_client):
    assert admin_client.post(f"{URL}/{uuid.uuid4()}/postback-secret").status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("post", "/api-keys"), ("get", "/api-keys"), ("post", "/postback-secret"), ("patch", ""), ("get", "")],
)
def test_the_admin_endpoints_refuse_a_user(user_client, partner, method, suffix):
    response = getattr(user_client, method)(f"{URL}/{partner.pk}{suffix}", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert error_of(response) == "FORBIDDEN"


def test_an_expiry_beyond_the_calendar_in_utc_is_422(admin_client, partner):
    response = admin_client.post(
        f"{URL}/{partner.pk}/api-keys", {"name": "k", "expires_at": "9999-12-31T23:59:59-14:00"}, format="json"
    )
    assert response.status_code == 422


def test_a_refused_rename_changes_nothing_else_sent_with_it(admin_client, partner, merchant):
    # given
    PartnerFactory(name="Taken Name")
    # when
    response = admin_client.patch(
        f"{URL}/{partner.pk}",
        {"name": "TAKEN NAME", "merchant_ids": [str(MerchantFactory().pk)], "active": False},
        format="json",
    )
    # then
    assert response.status_code == 409
    partner.refresh_from_db()
    assert (partner.active, list(partner.merchants.all())) == (True, [merchant])
    assert not AuditLog.objects.filter(action="partner.edited").exists()
