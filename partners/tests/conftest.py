"""Partner fixtures: a partner linked to a merchant with a 5 % offer, its key, a client
sending ``Authorization: Api-Key <key>``."""

import pytest
from rest_framework.test import APIClient

from offers.tests.factories import OfferFactory
from partners.tests.factories import PartnerFactory, create_key


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def offer(db):
    """An active 5 % offer capped at 50.00, valid from 30 days ago to 30 days ahead."""
    return OfferFactory()


@pytest.fixture
def merchant(offer):
    return offer.merchant


@pytest.fixture
def partner(merchant):
    return PartnerFactory(merchants=[merchant])


@pytest.fixture
def partner_key_row_and_key(partner):
    return create_key(partner)


@pytest.fixture
def partner_key_row(partner_key_row_and_key):
    return partner_key_row_and_key[0]


@pytest.fixture
def partner_key(partner_key_row_and_key) -> str:
    return partner_key_row_and_key[1]


@pytest.fixture
def partner_client(partner_key) -> APIClient:
    return key_client(partner_key)


@pytest.fixture
def other_partner(db):
    """A second partner with its own merchant and offer."""
    return PartnerFactory(merchants=[OfferFactory().merchant])


@pytest.fixture
def other_partner_client(other_partner) -> APIClient:
    return key_client(create_key(other_partner)[1])
