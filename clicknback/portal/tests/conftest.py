import pytest
from django.test import Client


@pytest.fixture
def signed_in():
    """``signed_in(user)`` → a Django test client with a session for that user."""

    def make(user, **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(user)
        return client

    return make
