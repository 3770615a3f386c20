"""Project-wide pytest fixtures: API clients, users and tokens."""

import decimal

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken


@pytest.fixture(autouse=True)
def _decimal_float_trap():
    """Mixing floats into Decimal arithmetic raises, so a float can't sneak into money."""
    context = decimal.getcontext()
    previous = context.traps[decimal.FloatOperation]
    context.traps[decimal.FloatOperation] = True
    yield
    context.traps[decimal.FloatOperation] = previous


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_catalog_cache(settings):
    """Tests write offers with factories (no invalidation): the catalog cache is opt-in."""
    settings.CATALOG_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _reset_confirmation_notify_window(monkeypatch):
    """Each test starts with no dispatcher notification pending in this process: a window
    opened by an earlier test would otherwise swallow this test's notification (its
    message may have been purged from the queue since)."""
    from purchases import services

    monkeypatch.setattr(services, "_notify_paused_until", 0.0)
    monkeypatch.setattr(services, "_notify_covered_until", 0.0)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def bearer_for(user) -> str:
    return f"Bearer {AccessToken.for_user(user)}"


@pytest.fixture
def user(db):
    from users.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from users.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def admin_user(db):
    from users.tests.factories import AdminFactory

    return AdminFactory()


@pytest.fixture
def client_for():
    """``client_for(user)`` → an APIClient sending that user's bearer token."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=bearer_for(user))
        return client

    return make


@pytest.fixture
def user_client(user, client_for):
    return client_for(user)


@pytest.fixture
def admin_client(admin_user, client_for):
    return client_for(admin_user)


@pytest.fixture(autouse=True)
def _reset_auth_throttles():
    """Login/registration throttle counters (Redis) never leak from one test into another."""
    from clicknback.api.throttling import reset_throttles
    from users.throttles import reset_auth_throttles

    reset_auth_throttles()
    reset_throttles()
    yield


@pytest.fixture(autouse=True)
def _per_user_throttles_off(settings):
    """Tests send many requests from one user or key in a second; the throttle tests turn
    the per-user and per-key rates back on."""
    settings.PURCHASE_THROTTLE_RATE = "off"
    settings.PAYOUT_THROTTLE_RATE = "off"
    settings.PARTNER_RATE_LIMIT = "off"
