"""HTTP-level foundation: unknown routes, request ids, health probes, docs."""

import uuid

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/does-not-exist", "/api/v1/does-not-exist/", "/api/nothing"])
def test_unknown_api_route_answers_404_envelope(client, path):
    # when
    response = client.get(path)
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_health_live_answers_without_io(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/ready", "/health/ready/"])
def test_health_ready_checks_database_and_broker(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_every_response_carries_a_request_id(client):
    response = client.get("/health/live")
    assert uuid.UUID(response["X-Request-ID"])


def test_a_safe_client_request_id_is_echoed(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"


def test_an_unsafe_client_request_id_is_replaced(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert response["X-Request-ID"] != "<script>alert(1)</script>"
    assert uuid.UUID(response["X-Request-ID"])


@pytest.mark.django_db
def test_openapi_schema_and_swagger_ui_render(client):
    schema = client.get("/api/schema/")
    docs = client.get("/docs")
    assert schema.status_code == 200
    assert b"openapi" in schema.content
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


@pytest.mark.django_db
def test_admin_login_page_renders(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200


def test_wrong_method_on_a_health_probe_is_a_405_envelope(client):
    response = client.post("/health/live")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_favicon_is_served_at_the_site_root(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
