import uuid

import pytest

from users.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _client_ip() -> str:
    raw = uuid.uuid4().int
    return f"10.{raw % 250}.{(raw >> 8) % 250}.{(raw >> 16) % 250 + 1}"


def test_sixth_login_in_a_minute_from_one_ip_is_429_with_retry_after(client, user, settings):
    # given
    settings.AUTH_THROTTLE_RATE = "5/min"
    ip = _client_ip()
    body = {"email": user.email, "password": PASSWORD}
    for _ in range(5):
        assert client.post("/api/v1/auth/login", body, "application/json", REMOTE_ADDR=ip).status_code == 200
    # when
    response = client.post("/api/v1/auth/login", body, "application/json", REMOTE_ADDR=ip)
    # then
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert 0 < int(response["Retry-After"]) <= 60


def test_login_throttle_counts_per_client_ip(client, user, settings):
    # given
    settings.AUTH_THROTTLE_RATE = "2/min"
    body = {"email": user.email, "password": PASSWORD}
    first_ip = _client_ip()
    for _ in range(2):
        client.post("/api/v1/auth/login", body, "application/json", REMOTE_ADDR=first_ip)
    # when
    response = client.post("/api/v1/auth/login", body, "application/json", REMOTE_ADDR=_client_ip())
    # then
    assert response.status_code == 200


def test_registration_is_throttled_per_ip(client, settings):
    # given
    settings.AUTH_THROTTLE_RATE = "2/min"
    ip = _client_ip()
    for n in range(2):
        body = {"email": f"r{n}@example.com", "password": PASSWORD}
        assert client.post("/api/v1/users", body, "application/json", REMOTE_ADDR=ip).status_code == 201
    # when
    response = client.post(
        "/api/v1/users", {"email": "r9@example.com", "password": PASSWORD}, "application/json", REMOTE_ADDR=ip
    )
    # then
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert response.has_header("Retry-After")


def test_throttle_off_disables_it(client, user, settings):
    # given
    settings.AUTH_THROTTLE_RATE = "off"
    ip = _client_ip()
    body = {"email": user.email, "password": "Wr0ng!Pass"}
    # when
    statuses = {
        client.post("/api/v1/auth/login", body, "application/json", REMOTE_ADDR=ip).status_code for _ in range(8)
    }
    # then
    assert statuses == {401}


def test_failed_logins_count_towards_the_limit(client, user, settings):
    # given
    settings.AUTH_THROTTLE_RATE = "3/min"
    ip = _client_ip()
    for _ in range(3):
        client.post("/api/v1/auth/login", {"email": user.email, "password": "nope"}, "application/json", REMOTE_ADDR=ip)
    # when
    response = client.post(
        "/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, "application/json", REMOTE_ADDR=ip
    )
    # then
    assert response.status_code == 429


def test_refresh_is_not_throttled(client, user, settings):
    # given
    settings.AUTH_THROTTLE_RATE = "1/min"
    ip = _client_ip()
    token = client.post(
        "/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, "application/json", REMOTE_ADDR=ip
    ).json()["refresh_token"]
    # when
    statuses = []
    for _ in range(3):
        response = client.post("/api/v1/auth/refresh", {"refresh_token": token}, "application/json", REMOTE_ADDR=ip)
        statuses.append(response.status_code)
        token = response.json().get("refresh_token", token)
    # then
    assert statuses == [200, 200, 200]
