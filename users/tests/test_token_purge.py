"""Expired refresh-token records are purged; the tokens rotated from them keep working."""

import datetime as dt

import pytest
from django.utils import timezone

from users.models import RefreshTokenRecord
from users.services import refresh_tokens_purge
from users.tasks import purge_expired_refresh_tokens
from users.tests.factories import PASSWORD
from users.tokens import RotatingRefreshToken

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


def _login(client, user) -> str:
    return client.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json").json()["refresh_token"]


def _refresh(client, token: str):
    return client.post(REFRESH, {"refresh_token": token}, format="json")


def _record(token: str) -> RefreshTokenRecord:
    return RefreshTokenRecord.objects.get(jti=RotatingRefreshToken(token)["jti"])


def _expire(token: str) -> None:
    RefreshTokenRecord.objects.filter(jti=RotatingRefreshToken(token)["jti"]).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )


def test_purge_deletes_the_expired_records_only(api_client, user, other_user):
    # given
    expired = _login(api_client, user)
    live = _login(api_client, user)
    other = _login(api_client, other_user)
    _expire(expired)

    # when
    deleted = refresh_tokens_purge()

    # then
    assert deleted == 1
    remaining = set(RefreshTokenRecord.objects.values_list("jti", flat=True))
    assert remaining == {_record(live).jti, _record(other).jti}


def test_a_token_rotated_from_a_purged_record_still_refreshes(api_client, user):
    # given: A was used to get B, then A's record expired and was purged
    token_a = _login(api_client, user)
    token_b = _refresh(api_client, token_a).json()["refresh_token"]
    _expire(token_a)
    refresh_tokens_purge()

    # when
    response = _refresh(api_client, token_b)

    # then
    assert response.status_code == 200
    assert _record(token_b).parent_id is None
    assert not RefreshTokenRecord.objects.filter(jti=RotatingRefreshToken(token_a)["jti"]).exists()


def test_reuse_below_a_purged_record_still_revokes_the_descendants(api_client, user):
    # given: A → B (used) → C; A's record is purged
    token_a = _login(api_client, user)
    token_b = _refresh(api_client, token_a).json()["refresh_token"]
    token_c = _refresh(api_client, token_b).json()["refresh_token"]
    _expire(token_a)
    refresh_tokens_purge()

    # when: B is replayed
    replay = _refresh(api_client, token_b)

    # then
    assert replay.json()["error"]["code"] == "TOKEN_REVOKED"
    assert _record(token_c).revoked_at is not None


def test_purge_works_through_batches(api_client, user, monkeypatch):
    # given: more expired records than one batch holds, chained parent to child
    import users.services

    monkeypatch.setattr(users.services, "PURGE_BATCH", 2)
    token = _login(api_client, user)
    tokens = [token]
    for _ in range(4):
        token = _refresh(api_client, token).json()["refresh_token"]
        tokens.append(token)
    for expired in tokens[:-1]:
        _expire(expired)

    # when
    deleted = refresh_tokens_purge()

    # then
    assert deleted == 4
    assert list(RefreshTokenRecord.objects.values_list("jti", flat=True)) == [_record(tokens[-1]).jti]


def test_beat_runs_the_purge_task_hourly(api_client, user):
    # given
    from django.conf import settings

    _expire(_login(api_client, user))

    # when
    deleted = purge_expired_refresh_tokens()

    # then
    assert deleted == 1
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-refresh-tokens"]
    assert entry == {"task": purge_expired_refresh_tokens.name, "schedule": 3600.0}
