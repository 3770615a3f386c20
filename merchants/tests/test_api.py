import uuid

import pytest

from clicknback.audit.models import AuditLog
from merchants.models import Merchant
from merchants.tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/merchants"


def test_admin_creates_a_merchant(admin_client, admin_user):
    # when
    response = admin_client.post(URL, {"name": "Shoply", "default_cashback_percentage": "5.5"}, format="json")
    # then
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "default_cashback_percentage", "active", "created_at"}
    assert body["name"] == "Shoply"
    assert body["default_cashback_percentage"] == "5.50"
    assert body["active"] is True
    row = AuditLog.objects.get(resource_type="merchant", resource_id=body["id"])
    assert (row.action, row.actor_type, row.actor_id) == ("merchant.created", "admin", admin_user.pk)


def test_merchant_can_be_created_inactive(admin_client):
    # when
    response = admin_client.post(
        URL, {"name": "Later", "default_cashback_percentage": 0, "active": False}, format="json"
    )
    # then
    assert response.status_code == 201
    assert response.json()["active"] is False
    assert response.json()["default_cashback_percentage"] == "0.00"


@pytest.mark.parametrize("percentage", ["0", "20", "20.00", 7])
def test_percentage_bounds_are_inclusive(admin_client, percentage):
    # when
    response = admin_client.post(
        URL, {"name": f"M{percentage}", "default_cashback_percentage": percentage}, format="json"
    )
    # then
    assert response.status_code == 201


def test_duplicate_name_in_any_case_is_409_merchant_name_taken(admin_client):
    # given
    MerchantFactory(name="Shoply")
    # when
    response = admin_client.post(URL, {"name": "SHOPLY", "default_cashback_percentage": "5"}, format="json")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "MERCHANT_NAME_TAKEN"
    assert Merchant.objects.count() == 1
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"default_cashback_percentage": "5"}, "name"),
        ({"name": "", "default_cashback_percentage": "5"}, "name"),
        ({"name": "x" * 256, "default_cashback_percentage": "5"}, "name"),
        ({"name": "A"}, "default_cashback_percentage"),
        ({"name": "A", "default_cashback_percentage": "20.01"}, "default_cashback_percentage"),
        ({"name": "A", "default_cashback_percentage": "-1"}, "default_cashback_percentage"),
        ({"name": "A", "default_cashback_percentage": "5.123"}, "default_cashback_percentage"),
        ({"name": "A", "default_cashback_percentage": "abc"}, "default_cashback_percentage"),
        ({"name": "A", "default_cashback_percentage": "NaN"}, "default_cashback_percentage"),
        ({"name": "A", "default_cashback_percentage": "5", "active": "maybe"}, "active"),
    ],
)
def test_invalid_merchant_is_422_naming_the_field(admin_client, body, field):
    # when
    response = admin_client.post(URL, body, format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"]["violations"][0]["field"] == field
    assert not Merchant.objects.exists()


def test_client_cannot_set_the_merchant_id(admin_client):
    # given
    chosen = str(uuid.uuid4())
    # when
    response = admin_client.post(URL, {"id": chosen, "name": "A", "default_cashback_percentage": "1"}, format="json")
    # then
    assert response.json()["id"] != chosen


def test_list_is_paginated_newest_first(admin_client):
    # given
    older = MerchantFactory()
    newer = MerchantFactory()
    # when
    response = admin_client.get(URL)
    # then
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["data"]] == [str(newer.pk), str(older.pk)]
    assert body["pagination"] == {"offset": 0, "limit": 20, "total": 2}


@pytest.mark.parametrize(("value", "expected"), [("true", "active"), ("false", "inactive")])
def test_list_filters_on_active(admin_client, value, expected):
    # given
    MerchantFactory(name="active")
    MerchantFactory(name="inactive", active=False)
    # when
    response = admin_client.get(URL, {"active": value})
    # then
    assert [item["name"] for item in response.json()["data"]] == [expected]


def test_list_with_a_bad_active_value_is_422(admin_client):
    # when
    response = admin_client.get(URL, {"active": "yes please"})
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == "active"


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "x"}])
def test_list_with_out_of_range_paging_is_422(admin_client, params):
    # when
    response = admin_client.get(URL, params)
    # then
    assert response.status_code == 422


def test_list_runs_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries):
    # given
    MerchantFactory.create_batch(15)
    # when / then
    with django_assert_max_num_queries(4):
        response = admin_client.get(URL)
    assert len(response.json()["data"]) == 15


def test_get_returns_the_merchant(admin_client):
    # given
    merchant = MerchantFactory(name="Shoply")
    # when
    response = admin_client.get(f"{URL}/{merchant.pk}")
    # then
    assert response.status_code == 200
    assert response.json()["name"] == "Shoply"


@pytest.mark.parametrize("merchant_id", [str(uuid.uuid4()), "not-a-uuid", "123"])
def test_get_unknown_or_malformed_id_is_404(admin_client, merchant_id):
    # when
    response = admin_client.get(f"{URL}/{merchant_id}/")
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_deactivating_a_merchant_is_200_and_audited(admin_client):
    # given
    merchant = MerchantFactory()
    # when
    response = admin_client.patch(f"{URL}/{merchant.pk}/status", {"status": "inactive"}, format="json")
    # then
    assert response.status_code == 200
    assert response.json() == {"id": str(merchant.pk), "status": "inactive"}
    merchant.refresh_from_db()
    assert merchant.active is False
    assert AuditLog.objects.filter(action="merchant.deactivated", resource_id=str(merchant.pk)).count() == 1


def test_activating_a_merchant_is_200_and_audited(admin_client):
    # given
    merchant = MerchantFactory(active=False)
    # when
    response = admin_client.patch(f"{URL}/{merchant.pk}/status", {"status": "active"}, format="json")
    # then
    assert response.json() == {"id": str(merchant.pk), "status": "active"}
    assert AuditLog.objects.filter(action="merchant.activated", resource_id=str(merchant.pk)).count() == 1


def test_setting_the_current_status_again_is_200_without_audit(admin_client):
    # given
    merchant = MerchantFactory()
    # when
    response = admin_client.patch(f"{URL}/{merchant.pk}/status", {"status": "active"}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("body", [{}, {"status": "paused"}, {"status": True}])
def test_bad_status_is_422_and_nothing_changes(admin_client, body):
    # given
    merchant = MerchantFactory()
    # when
    response = admin_client.patch(f"{URL}/{merchant.pk}/status", body, format="json")
    # then
    assert response.status_code == 422
    merchant.refresh_from_db()
    assert merchant.active is True


def test_status_of_unknown_merchant_is_404(admin_client):
    # when
    response = admin_client.patch(f"{URL}/{uuid.uuid4()}/status", {"status": "inactive"}, format="json")
    # then
    assert response.status_code == 404


def test_users_cannot_manage_merchants(user_client):
    # when
    response = user_client.post(URL, {"name": "A", "default_cashback_percentage": "1"}, format="json")
    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert not Merchant.objects.exists()
