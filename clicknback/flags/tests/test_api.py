import uuid

import pytest

from clicknback.audit.models import AuditLog
from clicknback.flags.models import FeatureFlag, ScopeType

pytestmark = pytest.mark.django_db

URL = "/api/v1/feature-flags"


def make_flag(key="purchase_auto_confirm", enabled=True, scope_type=ScopeType.GLOBAL, scope_id=None, **extra):
    return FeatureFlag.objects.create(key=key, enabled=enabled, scope_type=scope_type, scope_id=scope_id, **extra)


# --- PUT --------------------------------------------------------------------


def test_put_creates_a_global_flag(admin_client, admin_user):
    # when
    response = admin_client.put(
        f"{URL}/purchase_auto_confirm", {"enabled": False, "description": "pause"}, format="json"
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "key", "enabled", "scope_type", "scope_id", "description", "created_at", "updated_at"}
    assert (body["key"], body["enabled"], body["scope_type"], body["scope_id"]) == (
        "purchase_auto_confirm",
        False,
        "global",
        None,
    )
    row = AuditLog.objects.get(action="flag.set")
    assert (row.actor_type, row.actor_id, row.resource_id) == ("admin", admin_user.pk, body["id"])
    assert row.details["created"] is True


def test_put_updates_the_existing_flag_of_that_scope(admin_client):
    # given
    flag = make_flag(enabled=True, description="kept")
    # when
    response = admin_client.put(f"{URL}/purchase_auto_confirm/", {"enabled": False}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["id"] == str(flag.pk)
    assert response.json()["description"] == "kept"
    assert FeatureFlag.objects.count() == 1
    assert FeatureFlag.objects.get().enabled is False
    assert AuditLog.objects.get(action="flag.set").details["previous_enabled"] is True


def test_put_creates_separate_flags_per_scope(admin_client):
    # given
    merchant_id = str(uuid.uuid4())
    # when
    admin_client.put(f"{URL}/purchase_auto_confirm", {"enabled": True}, format="json")
    response = admin_client.put(
        f"{URL}/purchase_auto_confirm",
        {"enabled": False, "scope_type": "merchant", "scope_id": merchant_id},
        format="json",
    )
    # then
    assert response.json()["scope_type"] == "merchant"
    assert response.json()["scope_id"] == merchant_id
    assert FeatureFlag.objects.count() == 2


@pytest.mark.parametrize("scope_type", ["merchant", "user"])
def test_scoped_flag_without_scope_id_is_422_scope_id_required(admin_client, scope_type):
    # when
    response = admin_client.put(f"{URL}/some_flag", {"enabled": True, "scope_type": scope_type}, format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "FEATURE_FLAG_SCOPE_ID_REQUIRED"
    assert not FeatureFlag.objects.exists()


def test_global_flag_with_scope_id_is_422(admin_client):
    # when
    response = admin_client.put(f"{URL}/some_flag", {"enabled": True, "scope_id": str(uuid.uuid4())}, format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"]["violations"][0]["field"] == "scope_id"
    assert not FeatureFlag.objects.exists()


@pytest.mark.parametrize("key", ["Upper", "1starts_with_digit", "has-dash", "_under", "a" * 101, "sp%20ace"])
def test_bad_key_is_422(admin_client, key):
    # when
    response = admin_client.put(f"{URL}/{key}", {"enabled": True}, format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == "key"
    assert not FeatureFlag.objects.exists()


def test_longest_valid_key_is_accepted(admin_client):
    # when
    response = admin_client.put(f"{URL}/{'a' * 100}", {"enabled": True}, format="json")
    # then
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "enabled"),
        ({"enabled": "perhaps"}, "enabled"),
        ({"enabled": True, "scope_type": "planet"}, "scope_type"),
        ({"enabled": True, "scope_type": "user", "scope_id": "nope"}, "scope_id"),
        ({"enabled": True, "description": "x" * 501}, "description"),
    ],
)
def test_bad_flag_body_is_422(admin_client, body, field):
    # when
    response = admin_client.put(f"{URL}/some_flag", body, format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == field


# --- GET list ---------------------------------------------------------------


def test_list_is_paginated_and_filterable(admin_client):
    # given
    user_id = uuid.uuid4()
    make_flag(key="alpha")
    scoped = make_flag(key="alpha", scope_type=ScopeType.USER, scope_id=user_id)
    make_flag(key="beta")
    # when
    everything = admin_client.get(URL).json()
    by_key = admin_client.get(URL, {"key": "alpha"}).json()
    by_scope = admin_client.get(URL, {"scope_type": "user", "scope_id": str(user_id)}).json()
    # then
    assert everything["pagination"] == {"offset": 0, "limit": 20, "total": 3}
    assert by_key["pagination"]["total"] == 2
    assert [item["id"] for item in by_scope["data"]] == [str(scoped.pk)]


@pytest.mark.parametrize(
    ("params", "field"), [({"scope_type": "x"}, "scope_type"), ({"scope_id": "x"}, "scope_id"), ({"key": "Bad"}, "key")]
)
def test_list_with_bad_filters_is_422(admin_client, params, field):
    # when
    response = admin_client.get(URL, params)
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == field


def test_list_runs_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries):
    # given
    for n in range(10):
        make_flag(key=f"flag_{n}")
    # when / then
    with django_assert_max_num_queries(4):
        response = admin_client.get(URL)
    assert len(response.json()["data"]) == 10


# --- evaluate ---------------------------------------------------------------


def test_evaluate_without_any_flag_is_enabled(admin_client):
    # when
    response = admin_client.get(f"{URL}/unknown_flag/evaluate")
    # then
    assert response.status_code == 200
    assert response.json() == {"key": "unknown_flag", "enabled": True}


def test_evaluate_falls_back_to_the_global_flag(admin_client):
    # given
    make_flag(enabled=False)
    # when
    response = admin_client.get(
        f"{URL}/purchase_auto_confirm/evaluate", {"scope_type": "merchant", "scope_id": str(uuid.uuid4())}
    )
    # then
    assert response.json() == {"key": "purchase_auto_confirm", "enabled": False}


def test_evaluate_prefers_the_exact_scoped_flag(admin_client):
    # given
    merchant_id = uuid.uuid4()
    make_flag(enabled=False)
    make_flag(enabled=True, scope_type=ScopeType.MERCHANT, scope_id=merchant_id)
    # when
    response = admin_client.get(
        f"{URL}/purchase_auto_confirm/evaluate", {"scope_type": "merchant", "scope_id": str(merchant_id)}
    )
    # then
    assert response.json()["enabled"] is True


def test_evaluate_ignores_a_flag_of_another_scope_type_with_the_same_id(admin_client):
    # given
    some_id = uuid.uuid4()
    make_flag(enabled=False, scope_type=ScopeType.USER, scope_id=some_id)
    # when
    response = admin_client.get(
        f"{URL}/purchase_auto_confirm/evaluate", {"scope_type": "merchant", "scope_id": str(some_id)}
    )
    # then
    assert response.json()["enabled"] is True


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"scope_type": "user"}, "FEATURE_FLAG_SCOPE_ID_REQUIRED"),
        ({"scope_type": "galaxy"}, "VALIDATION_ERROR"),
        ({"scope_type": "user", "scope_id": "x"}, "VALIDATION_ERROR"),
        ({"scope_id": str(uuid.uuid4())}, "VALIDATION_ERROR"),
    ],
)
def test_evaluate_with_a_bad_scope_is_422(admin_client, params, code):
    # when
    response = admin_client.get(f"{URL}/some_flag/evaluate", params)
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


# --- DELETE -----------------------------------------------------------------


def test_delete_removes_the_flag_and_is_audited(admin_client, admin_user):
    # given
    flag = make_flag()
    # when
    response = admin_client.delete(f"{URL}/purchase_auto_confirm")
    # then
    assert response.status_code == 204
    assert response.content == b""
    assert not FeatureFlag.objects.exists()
    row = AuditLog.objects.get(action="flag.deleted")
    assert (row.resource_id, row.actor_id) == (str(flag.pk), admin_user.pk)


def test_delete_targets_only_the_given_scope(admin_client):
    # given
    user_id = uuid.uuid4()
    make_flag()
    make_flag(scope_type=ScopeType.USER, scope_id=user_id)
    # when
    response = admin_client.delete(f"{URL}/purchase_auto_confirm?scope_type=user&scope_id={user_id}")
    # then
    assert response.status_code == 204
    assert list(FeatureFlag.objects.values_list("scope_type", flat=True)) == ["global"]


def test_delete_unknown_flag_is_404_feature_flag_not_found(admin_client):
    # given
    make_flag()
    # when
    response = admin_client.delete(f"{URL}/purchase_auto_confirm?scope_type=merchant&scope_id={uuid.uuid4()}")
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "FEATURE_FLAG_NOT_FOUND"
    assert FeatureFlag.objects.count() == 1
    assert not AuditLog.objects.exists()


def test_delete_scoped_without_scope_id_is_422(admin_client):
    # when
    response = admin_client.delete(f"{URL}/purchase_auto_confirm?scope_type=merchant")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "FEATURE_FLAG_SCOPE_ID_REQUIRED"


def test_unsupported_method_is_405(admin_client):
    # when
    response = admin_client.post(f"{URL}/purchase_auto_confirm", {"enabled": True}, format="json")
    # then
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
