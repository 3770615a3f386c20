"""Every admin-only route: a user token gets 403 FORBIDDEN, no token gets 401 INVALID_TOKEN."""

import uuid

import pytest

pytestmark = pytest.mark.django_db

SOME_ID = str(uuid.uuid4())
ADMIN_ROUTES = [
    ("post", "/api/v1/merchants", {"name": "X", "default_cashback_percentage": "1"}),
    ("get", "/api/v1/merchants", None),
    ("get", f"/api/v1/merchants/{SOME_ID}", None),
    ("patch", f"/api/v1/merchants/{SOME_ID}/status", {"status": "inactive"}),
    ("post", "/api/v1/offers", {}),
    ("patch", f"/api/v1/offers/{SOME_ID}/status", {"status": "inactive"}),
    ("get", "/api/v1/feature-flags", None),
    ("put", "/api/v1/feature-flags/some_flag", {"enabled": True}),
    ("get", "/api/v1/feature-flags/some_flag/evaluate", None),
    ("delete", "/api/v1/feature-flags/some_flag", None),
    ("get", "/api/v1/admin/audit-logs", None),
]
AUTHENTICATED_ROUTES = [
    ("get", "/api/v1/users/me", None),
    ("get", "/api/v1/offers", None),
    ("get", "/api/v1/offers/active", None),
    ("get", f"/api/v1/offers/{SOME_ID}", None),
]


def call(client, method, path, body):
    return getattr(client, method)(path, body, format="json") if body is not None else getattr(client, method)(path)


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
def test_admin_route_with_a_user_token_is_403(user_client, method, path, body):
    # when
    response = call(user_client, method, path, body)
    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES + AUTHENTICATED_ROUTES)
def test_protected_route_without_a_token_is_401(api_client, method, path, body):
    # when
    response = call(api_client, method, path, body)
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"
    assert response.has_header("WWW-Authenticate")


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
def test_admin_route_with_a_garbage_token_is_401(api_client, method, path, body):
    # given
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    # when
    response = call(api_client, method, path, body)
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"
