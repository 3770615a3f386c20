import pytest
from django.test import Client


@pytest.fixture
def staff_client(admin_user) -> Client:
    """A browser-like client with an admin (staff) session."""
    client = Client()
    client.force_login(admin_user)
    return client
