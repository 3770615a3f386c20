import datetime as dt
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.support.race import run_together
from users.models import RefreshTokenRecord
from users.tests.factories import PASSWORD, UserFactory
from users.tokens import RotatingRefreshToken

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


def login(client, email, password=PASSWORD):
    return client.post(LOGIN, {"email": email, "password": password}, format="json")


def refresh(client, token):
    return client.post(REFRESH, {"refresh_token": token}, format="json")


@pytest.mark.django_db
def test_login_returns_the_contract_token_pair(api_client, user):
    # when
    response = login(api_client, user.email)
    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert AccessToken(body["access_token"])["sub"] == str(user.pk)
    assert RefreshTokenRecord.objects.filter(user=user, used_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_login_access_token_authenticates_the_user(api_client, user):
    # given
    token = login(api_client, user.email).json()["access_token"]
    # when
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api_client.get("/api/v1/users/me")
    # then
    assert response.status_code == 200
    assert response.json()["id"] == str(user.pk)


@pytest.mark.django_db
def test_login_email_is_case_insensitive(api_client, user):
    # when
    response = login(api_client, user.email.upper())
    # then
    assert response.status_code == 200


@pytest.mark.django_db
def test_login_with_wrong_password_is_401_invalid_credentials(api_client, user):
    # when
    response = login(api_client, user.email, "Wr0ng!Pass")
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"
    assert not RefreshTokenRecord.objects.exists()


@pytest.mark.django_db
def test_login_with_unknown_email_is_indistinguishable_from_wrong_password(api_client, user):
    # when
    unknown = login(api_client, "nobody@example.com")
    wrong = login(api_client, user.email, "Wr0ng!Pass")
    # then
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["error"] == wrong.json()["error"]


@pytest.mark.django_db
def test_login_with_unknown_email_still_hashes_the_password(api_client, monkeypatch):
    # given
    calls = []
    import users.services as services

    real = services.make_password
    monkeypatch.setattr(services, "make_password", lambda raw: calls.append(raw) or real(raw))
    # when
    response = login(api_client, "nobody@example.com", "Any!Passw0rd")
    # then
    assert response.status_code == 401
    assert calls == ["Any!Passw0rd"]


@pytest.mark.django_db
def test_login_with_correct_password_on_deactivated_account_is_401_user_inactive(api_client):
    # given
    user = UserFactory(is_active=False)
    # when
    response = login(api_client, user.email)
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "USER_INACTIVE"
    assert response.json()["error"]["details"] == {"user_id": str(user.pk)}


@pytest.mark.django_db
def test_login_with_wrong_password_on_deactivated_account_is_invalid_credentials(api_client):
    # given
    user = UserFactory(is_active=False)
    # when
    response = login(api_client, user.email, "Wr0ng!Pass")
    # then
    assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"


@pytest.mark.django_db
def test_login_without_password_is_422(api_client, user):
    # when
    response = api_client.post(LOGIN, {"email": user.email}, format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == "password"


@pytest.mark.django_db
def test_login_ignores_a_bad_bearer_header(api_client, user):
    # given
    api_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    # when
    response = login(api_client, user.email)
    # then
    assert response.status_code == 200


@pytest.mark.django_db
def test_refresh_returns_a_new_pair_and_marks_the_old_token_used(api_client, user):
    # given
    first = login(api_client, user.email).json()
    # when
    response = refresh(api_client, first["refresh_token"])
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["refresh_token"] != first["refresh_token"]
    old = RotatingRefreshToken(first["refresh_token"])
    new = RotatingRefreshToken(body["refresh_token"])
    record = RefreshTokenRecord.objects.get(jti=new["jti"])
    assert record.parent_id == old["jti"]
    assert RefreshTokenRecord.objects.get(jti=old["jti"]).used_at is not None


@pytest.mark.django_db
def test_the_new_refresh_token_can_be_refreshed_again(api_client, user):
    # given
    second = refresh(api_client, login(api_client, user.email).json()["refresh_token"]).json()
    # when
    response = refresh(api_client, second["refresh_token"])
    # then
    assert response.status_code == 200


@pytest.mark.django_db
def test_reusing_a_refresh_token_is_401_token_revoked(api_client, user):
    # given
    token = login(api_client, user.email).json()["refresh_token"]
    assert refresh(api_client, token).status_code == 200
    # when
    response = refresh(api_client, token)
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_REVOKED"


@pytest.mark.django_db
def test_reuse_revokes_every_token_issued_from_the_stolen_one(api_client, user):
    # given: stolen token A → B (used) → C (current)
    token_a = login(api_client, user.email).json()["refresh_token"]
    token_b = refresh(api_client, token_a).json()["refresh_token"]
    token_c = refresh(api_client, token_b).json()["refresh_token"]
    # when: the thief replays A
    replay = refresh(api_client, token_a)
    # then: the legitimate holder's C is dead too
    assert replay.json()["error"]["code"] == "TOKEN_REVOKED"
    response = refresh(api_client, token_c)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_REVOKED"
    assert RefreshTokenRecord.objects.get(jti=RotatingRefreshToken(token_c)["jti"]).revoked_at is not None


@pytest.mark.django_db
def test_reuse_does_not_revoke_the_users_other_sessions(api_client, user):
    # given
    stolen = login(api_client, user.email).json()["refresh_token"]
    other_session = login(api_client, user.email).json()["refresh_token"]
    refresh(api_client, stolen)
    # when
    refresh(api_client, stolen)
    # then
    assert refresh(api_client, other_session).status_code == 200


@pytest.mark.django_db
def test_reuse_is_audited(api_client, user):
    # given
    from clicknback.audit.models import AuditLog

    token = login(api_client, user.email).json()["refresh_token"]
    refresh(api_client, token)
    # when
    refresh(api_client, token)
    # then
    row = AuditLog.objects.get(action="auth.refresh_token_reused")
    assert row.resource_id == str(user.pk)
    assert row.details["descendants_revoked"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.x", "Bearer x"])
def test_garbage_refresh_token_is_401_invalid_refresh_token(api_client, garbage):
    # when
    response = refresh(api_client, garbage)
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_REFRESH_TOKEN"


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"refresh_token": ""}, {"refresh_token": None}])
def test_missing_or_blank_refresh_token_is_422(api_client, body):
    # when
    response = api_client.post(REFRESH, body, format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.django_db
def test_non_string_refresh_token_is_422(api_client):
    # when
    response = api_client.post(REFRESH, {"refresh_token": {"a": 1}}, format="json")
    # then
    assert response.status_code == 422


@pytest.mark.django_db
def test_tampered_refresh_token_is_401_invalid_refresh_token(api_client, user):
    # given
    token = login(api_client, user.email).json()["refresh_token"]
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    # when
    response = refresh(api_client, tampered)
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_REFRESH_TOKEN"


@pytest.mark.django_db
def test_token_signed_with_another_key_is_401_invalid_refresh_token(api_client, user):
    # given
    import jwt

    forged = jwt.encode(
        {"token_type": "refresh", "sub": str(user.pk), "jti": uuid.uuid4().hex, "exp": 4102444800},
        "not-the-key-" * 4,
        algorithm="HS256",
    )
    # when
    response = refresh(api_client, forged)
    # then
    assert response.json()["error"]["code"] == "INVALID_REFRESH_TOKEN"


@pytest.mark.django_db
def test_access_token_presented_as_refresh_token_is_401_invalid_refresh_token(api_client, user):
    # given
    access = login(api_client, user.email).json()["access_token"]
    # when
    response = refresh(api_client, access)
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_REFRESH_TOKEN"


@pytest.mark.django_db
def test_expired_refresh_token_is_401_invalid_refresh_token(api_client, user):
    # given
    token = RotatingRefreshToken.for_user(user)
    token.set_exp(from_time=timezone.now() - dt.timedelta(days=31))
    RefreshTokenRecord.objects.create(
        jti=token["jti"],
        user=user,
        issued_at=timezone.now() - dt.timedelta(days=31),
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    # when
    response = refresh(api_client, str(token))
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_REFRESH_TOKEN"


@pytest.mark.django_db
def test_validly_signed_but_never_issued_refresh_token_is_invalid(api_client, user):
    # given
    token = RotatingRefreshToken.for_user(user)
    # when
    response = refresh(api_client, str(token))
    # then
    assert response.json()["error"]["code"] == "INVALID_REFRESH_TOKEN"


@pytest.mark.django_db
def test_refresh_for_a_deactivated_user_is_401_user_inactive(api_client, user):
    # given
    token = login(api_client, user.email).json()["refresh_token"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    # when
    response = refresh(api_client, token)
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "USER_INACTIVE"


@pytest.mark.django_db
def test_expired_access_token_is_401_expired_token(api_client, user):
    # given
    token = AccessToken.for_user(user)
    token.set_exp(from_time=timezone.now() - dt.timedelta(hours=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    # when
    response = api_client.get("/api/v1/users/me")
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "EXPIRED_TOKEN"


@pytest.mark.django_db
def test_tampered_access_token_is_401_invalid_token(api_client, user):
    # given
    token = str(AccessToken.for_user(user))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token[:-3]}xyz")
    # when
    response = api_client.get("/api/v1/users/me")
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


@pytest.mark.django_db
def test_refresh_token_used_as_access_token_is_401_invalid_token(api_client, user):
    # given
    token = login(api_client, user.email).json()["refresh_token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    # when
    response = api_client.get("/api/v1/users/me")
    # then
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


@pytest.mark.django_db
def test_access_token_of_a_deactivated_user_is_401_user_inactive(api_client):
    # given
    user = UserFactory(is_active=False)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    # when
    response = api_client.get("/api/v1/users/me")
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "USER_INACTIVE"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_of_one_token_let_exactly_one_succeed():
    # given
    user = UserFactory()
    token = login(APIClient(), user.email).json()["refresh_token"]

    def refresh_once(_):
        response = refresh(APIClient(), token)
        return response.status_code, response.json().get("error", {}).get("code")

    # when
    results = run_together(2, refresh_once)
    # then
    assert sorted(results) == [(200, None), (401, "TOKEN_REVOKED")]
    assert RefreshTokenRecord.objects.filter(parent_id=RotatingRefreshToken(token)["jti"]).count() == 1
