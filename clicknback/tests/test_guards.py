"""Requests that used to reach code that failed on them: NUL characters, HEAD, the probes."""

import io

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/purchases?status=%00", "status"),
        ("/api/v1/admin/audit-logs?action=a%00b", "action"),
        ("/api/v1/merchants?active=true&x%00=1", "x\\0"),
        ("/api/v1/offers?offset=%00", "offset"),
    ],
)
def test_a_nul_in_an_api_query_is_a_422_naming_the_parameter(admin_client, path, field):
    # when
    response = admin_client.get(path)
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"]["violations"] == [
        {"field": field, "reason": "Must not contain NUL characters."}
    ]


@pytest.mark.django_db
def test_a_nul_in_an_api_path_names_nothing(admin_client):
    response = admin_client.get("/api/v1/merchants/%00")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.django_db
def test_a_nul_in_a_header_is_refused(user_client):
    response = user_client.post("/api/v1/users/payouts", {}, format="json", HTTP_IDEMPOTENCY_KEY="a\x00b")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == "Idempotency-Key"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/wallet/?page=%00", "/admin/purchases/purchase/?status__exact=%00", "/x%00y/"])
def test_a_nul_anywhere_else_is_a_400(client, admin_user, path):
    client.force_login(admin_user)
    response = client.get(path)
    assert response.status_code == 400


def test_a_probe_answers_other_methods_with_the_405_envelope_even_without_a_csrf_token():
    # given a client that enforces CSRF like a browser session would meet it
    client = Client(enforce_csrf_checks=True)
    for method in ("post", "put", "patch", "delete"):
        # when
        response = getattr(client, method)("/health/live")
        # then
        assert response.status_code == 405, method
        assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
        assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("path", ["/health/nope", "/health/live/extra", "/health/"])
def test_an_unknown_probe_is_the_json_404_envelope(client, path, settings):
    settings.DEBUG = True  # even where Django would show its HTML debug page
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_an_unknown_api_route_is_a_404_for_a_post_without_a_csrf_token():
    response = Client(enforce_csrf_checks=True).post("/api/v1/nothing-here", {})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def _wsgi(method: str, path: str):
    """Call the WSGI application directly: Django's test client strips HEAD bodies itself."""
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, dict(headers)

    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(),
    }  # fmt: skip
    body = b"".join(WSGIHandler()(environ, start_response))
    return captured["status"], captured["headers"], body


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/live", "/api/v1/nothing-here", "/api/schema/"])
def test_a_head_response_has_the_get_headers_and_no_body(path):
    # when
    get_status, get_headers, get_body = _wsgi("GET", path)
    head_status, head_headers, head_body = _wsgi("HEAD", path)
    # then
    assert get_body
    assert head_body == b""
    assert head_status == get_status
    assert head_headers["Content-Type"] == get_headers["Content-Type"]
    assert head_headers["Content-Length"] == str(len(get_body))


@pytest.mark.parametrize("supplied", ["abc-123\n", "abc-123\r\nSet-Cookie: x=1", "a" * 129])
def test_a_request_id_is_echoed_only_when_all_of_it_is_safe(client, supplied):
    response = client.get("/health/live", HTTP_X_REQUEST_ID=supplied)
    assert response.status_code == 200
    assert response["X-Request-ID"] != supplied
