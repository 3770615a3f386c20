import pytest
from django.test import Client

from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WALLET_PAGES = [
    "/wallet/",
    "/wallet",
    "/wallet/transactions/",
    "/wallet/purchases/",
    "/wallet/payouts/",
    "/wallet/withdraw/",
    "/wallet/purchases/8d7e8f8e-1d4c-4d3a-9a43-5a1f0f7f6b11/",
    "/wallet/payouts/8d7e8f8e-1d4c-4d3a-9a43-5a1f0f7f6b11/",
]


@pytest.mark.parametrize("url", WALLET_PAGES)
def test_anonymous_visitor_is_sent_to_sign_in(url):
    # given
    client = Client()

    # when
    response = client.get(url)

    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/wallet/login/?next=")


def test_anonymous_withdrawal_post_is_sent_to_sign_in_and_creates_nothing():
    # given
    from payouts.models import Payout

    client = Client()

    # when
    response = client.post("/wallet/withdraw/", {"amount": "10.00", "method": "card", "card_token": "tok"})

    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/wallet/login/")
    assert Payout.objects.count() == 0


def test_root_redirects_to_the_wallet():
    # when
    response = Client().get("/")

    # then
    assert response.status_code == 302
    assert response["Location"] == "/wallet/"


def test_sign_in_page_renders_a_labelled_form_with_csrf_token():
    # when
    response = Client().get("/wallet/login/")

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_username">Email</label>' in html
    assert '<label for="id_password">Password</label>' in html


def test_user_signs_in_with_email_and_password_and_lands_on_the_wallet():
    # given
    user = UserFactory(email="alice@example.com")
    client = Client()

    # when
    response = client.post("/wallet/login/", {"username": "alice@example.com", "password": PASSWORD})

    # then
    assert response.status_code == 302
    assert response["Location"] == "/wallet/"
    assert client.get("/wallet/").context["user"].pk == user.pk


def test_sign_in_accepts_the_email_in_any_case():
    # given
    UserFactory(email="bob@example.com")
    client = Client()

    # when
    response = client.post("/wallet/login/", {"username": "  BOB@Example.COM ", "password": PASSWORD})

    # then
    assert response.status_code == 302


def test_sign_in_follows_a_safe_next_url():
    # given
    UserFactory(email="carl@example.com")

    # when
    response = Client().post(
        "/wallet/login/", {"username": "carl@example.com", "password": PASSWORD, "next": "/wallet/payouts/"}
    )

    # then
    assert response["Location"] == "/wallet/payouts/"


def test_sign_in_ignores_a_next_url_on_another_host():
    # given
    UserFactory(email="dora@example.com")

    # when
    response = Client().post(
        "/wallet/login/", {"username": "dora@example.com", "password": PASSWORD, "next": "https://evil.example/"}
    )

    # then
    assert response["Location"] == "/wallet/"


def test_wrong_password_shows_an_error_and_signs_nobody_in():
    # given
    UserFactory(email="erin@example.com")
    client = Client()

    # when
    response = client.post("/wallet/login/", {"username": "erin@example.com", "password": "wrong"})

    # then
    assert response.status_code == 422
    assert "do not match an active account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_inactive_user_cannot_sign_in():
    # given
    UserFactory(email="frank@example.com", is_active=False)
    client = Client()

    # when
    response = client.post("/wallet/login/", {"username": "frank@example.com", "password": PASSWORD})

    # then
    assert response.status_code == 422
    assert "_auth_user_id" not in client.session
    assert client.get("/wallet/").status_code == 302


def test_user_deactivated_after_signing_in_loses_access():
    # given
    user = UserFactory()
    client = Client()
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    # when
    response = client.get("/wallet/")

    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/wallet/login/")


def test_sign_in_without_csrf_token_is_refused():
    # given
    UserFactory(email="gina@example.com")
    client = Client(enforce_csrf_checks=True)

    # when
    response = client.post("/wallet/login/", {"username": "gina@example.com", "password": PASSWORD})

    # then
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_signed_in_user_visiting_sign_in_goes_to_the_wallet(signed_in):
    # given
    client = signed_in(UserFactory())

    # when
    response = client.get("/wallet/login/")

    # then
    assert response.status_code == 302
    assert response["Location"] == "/wallet/"


def test_sign_out_ends_the_session(signed_in):
    # given
    client = signed_in(UserFactory())

    # when
    response = client.post("/wallet/logout/")

    # then
    assert response.status_code == 302
    assert response["Location"] == "/wallet/login/"
    assert client.get("/wallet/").status_code == 302


def test_sign_out_by_get_is_not_allowed(signed_in):
    # given
    client = signed_in(UserFactory())

    # when
    response = client.get("/wallet/logout/")

    # then
    assert response.status_code == 405
    assert client.get("/wallet/").status_code == 200


def test_too_many_sign_in_attempts_are_throttled(settings):
    # given
    settings.AUTH_THROTTLE_RATE = "2/min"
    UserFactory(email="henry@example.com")
    client = Client()
    for _ in range(2):
        client.post("/wallet/login/", {"username": "henry@example.com", "password": "wrong"})

    # when: even the right password is not tried while throttled
    response = client.post("/wallet/login/", {"username": "henry@example.com", "password": PASSWORD})

    # then
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wallet_and_api_sign_ins_share_one_throttle(settings):
    # given
    from rest_framework.test import APIClient

    settings.AUTH_THROTTLE_RATE = "2/min"
    UserFactory(email="iris@example.com")
    api = APIClient()
    for _ in range(2):
        api.post("/api/v1/auth/login", {"email": "iris@example.com", "password": "wrong"}, format="json")

    # when
    response = Client().post("/wallet/login/", {"username": "iris@example.com", "password": PASSWORD})

    # then
    assert response.status_code == 429


def test_throttling_can_be_switched_off(settings):
    # given
    settings.AUTH_THROTTLE_RATE = "off"
    UserFactory(email="jack@example.com")
    client = Client()

    # when
    statuses = [
        client.post("/wallet/login/", {"username": "jack@example.com", "password": "wrong"}).status_code
        for _ in range(8)
    ]

    # then
    assert set(statuses) == {422}
