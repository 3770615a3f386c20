"""Password change and reset (contract §3), over the API and on the wallet pages."""

import datetime as dt
import re
import uuid

import pytest
from django.core import mail
from rest_framework.test import APIClient

from clicknback.audit.models import AuditLog
from users.models import RefreshTokenRecord
from users.services import _reset_tokens, password_reset_token
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "N3w!Passw0rd"


def _ip() -> str:
    raw = uuid.uuid4().int
    return f"10.{raw % 250}.{(raw >> 8) % 250}.{(raw >> 16) % 250 + 1}"


def _login(email: str, password: str):
    return APIClient().post(
        "/api/v1/auth/login", {"email": email, "password": password}, format="json", REMOTE_ADDR=_ip()
    )


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- POST /users/me/password ----------------------------------------------------


def test_a_password_change_revokes_refresh_tokens_and_refuses_older_access_tokens(user):
    # given: a signed-in user (one access and one refresh token)
    tokens = _login(user.email, PASSWORD).json()
    client = _bearer(tokens["access_token"])
    # when
    response = client.post("/api/v1/users/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    # then
    assert response.status_code == 204
    assert client.get("/api/v1/users/me").json()["error"]["code"] == "INVALID_TOKEN"
    refreshed = APIClient().post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert refreshed.status_code == 401
    assert not RefreshTokenRecord.objects.filter(user=user, revoked_at__isnull=True, used_at__isnull=True).exists()
    assert _login(user.email, PASSWORD).status_code == 401
    fresh = _login(user.email, NEW_PASSWORD)
    assert fresh.status_code == 200
    assert _bearer(fresh.json()["access_token"]).get("/api/v1/users/me").status_code == 200
    assert AuditLog.objects.filter(action="user.password_changed", resource_id=str(user.pk)).count() == 1


def test_a_wrong_current_password_is_401_and_changes_nothing(user, user_client):
    # when
    response = user_client.post("/api/v1/users/me/password", {"current_password": "nope", "new_password": NEW_PASSWORD})
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"
    assert _login(user.email, PASSWORD).status_code == 200


def test_a_weak_new_password_is_400_with_the_first_failed_rule(user_client):
    # when
    response = user_client.post("/api/v1/users/me/password", {"current_password": PASSWORD, "new_password": "short"})
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "PASSWORD_NOT_COMPLEX_ENOUGH"
    assert "8 characters" in response.json()["error"]["details"]["violations"][0]["reason"]


def test_the_password_change_needs_a_signed_in_user(api_client):
    response = api_client.post(
        "/api/v1/users/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 401


# --- POST /auth/password-reset[/confirm] ------------------------------------------


def _token_from_mail() -> str:
    (message,) = mail.outbox
    match = re.search(r"/wallet/password/reset/([A-Za-z0-9_\-]+\.[A-Za-z0-9\-]+)", message.body)
    assert match, message.body
    return match.group(1)


def test_a_reset_answers_202_either_way_and_emails_only_a_registered_user(user):
    # when
    unknown = APIClient().post("/api/v1/auth/password-reset", {"email": "nobody@example.com"}, format="json")
    known = APIClient().post("/api/v1/auth/password-reset", {"email": user.email.upper()}, format="json")
    # then
    assert unknown.status_code == known.status_code == 202
    assert unknown.content == known.content
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    assert mail.outbox[0].alternatives, "an HTML part too"


def test_a_deactivated_account_gets_no_reset_email():
    # given
    inactive = UserFactory(is_active=False)
    # when
    response = APIClient().post("/api/v1/auth/password-reset", {"email": inactive.email}, format="json")
    # then
    assert response.status_code == 202
    assert mail.outbox == []


def test_the_emailed_link_sets_a_new_password_once_and_revokes_every_session(user):
    # given
    tokens = _login(user.email, PASSWORD).json()
    APIClient().post("/api/v1/auth/password-reset", {"email": user.email}, format="json")
    token = _token_from_mail()
    body = {"token": token, "new_password": NEW_PASSWORD}
    # when
    first = APIClient().post("/api/v1/auth/password-reset/confirm", body, format="json")
    again = APIClient().post(
        "/api/v1/auth/password-reset/confirm", {**body, "new_password": "An0ther!Pass"}, format="json"
    )
    # then
    assert first.status_code == 204
    assert again.status_code == 400 and again.json()["error"]["code"] == "INVALID_RESET_TOKEN"
    assert _login(user.email, NEW_PASSWORD).status_code == 200
    assert _bearer(tokens["access_token"]).get("/api/v1/users/me").status_code == 401
    refreshed = APIClient().post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert refreshed.status_code == 401
    assert AuditLog.objects.filter(action="user.password_reset", resource_id=str(user.pk)).count() == 1


def test_an_expired_reset_token_is_refused(user, monkeypatch, settings):
    # given: a token made now, checked after PASSWORD_RESET_TIMEOUT
    token = password_reset_token(user)
    later = _reset_tokens._now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    monkeypatch.setattr(_reset_tokens, "_now", lambda: later)
    # when
    response = APIClient().post(
        "/api/v1/auth/password-reset/confirm", {"token": token, "new_password": NEW_PASSWORD}, format="json"
    )
    # then
    assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_RESET_TOKEN"
    assert _login(user.email, PASSWORD).status_code == 200


@pytest.mark.parametrize("token", ["garbage", "abc.def", "", "Zm9v.1234-abcdef", "..."])
def test_a_forged_reset_token_is_refused(user, token):
    response = APIClient().post(
        "/api/v1/auth/password-reset/confirm", {"token": token, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code in (400, 422)
    if response.status_code == 400:
        assert response.json()["error"]["code"] == "INVALID_RESET_TOKEN"


def test_another_users_token_does_not_reset_this_user(user, other_user):
    # given: other_user's token with user's id swapped in
    theirs = password_reset_token(other_user).split(".", 1)[1]
    mine_id = password_reset_token(user).split(".", 1)[0]
    # when
    response = APIClient().post(
        "/api/v1/auth/password-reset/confirm",
        {"token": f"{mine_id}.{theirs}", "new_password": NEW_PASSWORD},
        format="json",
    )
    # then
    assert response.status_code == 400


def test_reset_requests_are_throttled_like_login(settings):
    # given
    settings.AUTH_THROTTLE_RATE = "2/min"
    ip = _ip()
    for _ in range(2):
        APIClient().post("/api/v1/auth/password-reset", {"email": "a@example.com"}, format="json", REMOTE_ADDR=ip)
    # when
    response = APIClient().post(
        "/api/v1/auth/password-reset", {"email": "a@example.com"}, format="json", REMOTE_ADDR=ip
    )
    # then
    assert response.status_code == 429 and response.json()["error"]["code"] == "RATE_LIMITED"
    assert "Retry-After" in response


# --- the wallet pages -------------------------------------------------------------


def test_sign_up_creates_the_account_and_signs_in(client):
    # when
    response = client.post("/wallet/signup/", {"email": "New.Person@Example.com", "password": NEW_PASSWORD})
    # then
    assert response.status_code == 302 and response["Location"] == "/wallet/"
    assert client.get("/wallet/").status_code == 200
    assert _login("new.person@example.com", NEW_PASSWORD).status_code == 200


def test_sign_up_shows_the_services_errors_on_the_fields(client, user):
    # when
    taken = client.post("/wallet/signup/", {"email": user.email, "password": NEW_PASSWORD})
    weak = client.post("/wallet/signup/", {"email": "fresh@example.com", "password": "weakpass"})
    # then
    assert taken.status_code == 422 and "already registered" in taken.content.decode()
    assert weak.status_code == 422 and "upper-case" in weak.content.decode()


def test_sign_up_counts_against_the_registration_throttle(client, settings):
    # given
    settings.AUTH_THROTTLE_RATE = "1/min"
    ip = _ip()
    client.post("/wallet/signup/", {"email": "one@example.com", "password": NEW_PASSWORD}, REMOTE_ADDR=ip)
    client.logout()
    # when
    response = client.post("/wallet/signup/", {"email": "two@example.com", "password": NEW_PASSWORD}, REMOTE_ADDR=ip)
    # then
    assert response.status_code == 429 and "Retry-After" in response


def test_the_forgot_and_reset_pages_change_the_password(client, user):
    # when
    sent = client.post("/wallet/password/forgot/", {"email": user.email})
    unknown = client.post("/wallet/password/forgot/", {"email": "nobody@example.com"})
    token = _token_from_mail()
    page = client.get(f"/wallet/password/reset/{token}/")
    done = client.post(f"/wallet/password/reset/{token}/", {"new_password": NEW_PASSWORD})
    used = client.post(f"/wallet/password/reset/{token}/", {"new_password": NEW_PASSWORD})
    # then
    assert sent.status_code == unknown.status_code == 200
    assert "If <strong>" in sent.content.decode() and "If <strong>" in unknown.content.decode()
    assert page.status_code == 200
    assert done.status_code == 302 and done["Location"] == "/wallet/login/"
    assert used.status_code == 400 and "already used or expired" in used.content.decode()
    assert _login(user.email, NEW_PASSWORD).status_code == 200


def test_the_password_page_changes_it_and_keeps_this_browser_signed_in(client, user):
    # given
    client.force_login(user)
    # when
    wrong = client.post("/wallet/password/", {"current_password": "nope", "new_password": NEW_PASSWORD})
    done = client.post("/wallet/password/", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    # then
    assert wrong.status_code == 422 and "not your current password" in wrong.content.decode()
    assert done.status_code == 302
    assert client.get("/wallet/").status_code == 200
    assert _login(user.email, NEW_PASSWORD).status_code == 200
