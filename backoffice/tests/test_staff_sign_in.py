"""The admin sign-in is locked after repeated failures (django-axes), per account and address."""

import pytest

from users.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"


def _attempt(client, email: str, password: str, ip: str = "10.9.8.7"):
    return client.post(LOGIN, {"username": email, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip)


def test_the_admin_login_locks_an_account_after_the_failure_limit(client, admin_user, settings):
    # given: the limit of failed attempts from one address
    settings.AXES_FAILURE_LIMIT = 3
    answers = [_attempt(client, admin_user.email, "wrong").status_code for _ in range(3)]
    # when: even the right password, from the same address
    locked = _attempt(client, admin_user.email, PASSWORD)
    # then: the attempt that reaches the limit is refused, and so is every one after it
    assert answers == [200, 200, 429]
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_another_address_or_account_is_not_locked_out(client, admin_user, settings):
    # given
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        _attempt(client, admin_user.email, "wrong")
    # when
    elsewhere = _attempt(client, admin_user.email, PASSWORD, ip="10.9.8.8")
    # then
    assert elsewhere.status_code == 302


def test_the_wallet_sign_in_is_not_counted_by_the_admin_lockout(client, user, settings):
    # given: more wallet failures than the admin limit (the wallet has its own throttle, off here)
    settings.AXES_FAILURE_LIMIT = 2
    settings.AUTH_THROTTLE_RATE = "off"
    failures = [
        client.post("/wallet/login/", {"username": user.email, "password": "wrong"}, REMOTE_ADDR="10.9.8.9").status_code
        for _ in range(4)
    ]
    # when
    response = client.post("/wallet/login/", {"username": user.email, "password": PASSWORD}, REMOTE_ADDR="10.9.8.9")
    # then
    assert failures == [422] * 4
    assert response.status_code == 302
