from decimal import Decimal

import pytest

from purchases.tests.factories import confirmed, ingest
from tests.support.funding import fund_wallet

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/me/wallet"


@pytest.mark.parametrize("path", [URL, URL + "/"])
def test_a_user_with_no_activity_gets_zeros(user_client, path):
    # when
    response = user_client.get(path)
    # then
    assert response.status_code == 200
    assert response.json() == {
        "currency": "EUR",
        "pending_balance": "0.00",
        "available_balance": "0.00",
        "paid_balance": "0.00",
        "owed_balance": "0.00",
    }


def test_wallet_shows_the_callers_balances(user, other_user, admin_user, user_client):
    # given
    ingest(user, amount=Decimal("50.00"))
    confirmed(user, admin_user, amount=Decimal("100.00"))
    ingest(other_user)
    # when
    data = user_client.get(URL).json()
    # then
    assert (data["pending_balance"], data["available_balance"]) == ("2.50", "5.00")


def test_wallet_shows_owed_after_a_clawback(user, user_client):
    # given: 3.00 confirmed and paid out, then its purchase reversed
    fund_wallet(user, owed=Decimal("3.00"))
    # when
    data = user_client.get(URL).json()
    # then
    assert (data["available_balance"], data["paid_balance"], data["owed_balance"]) == ("0.00", "3.00", "3.00")


def test_wallet_without_a_token_is_401(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_wallet_uses_two_queries(user, user_client, django_assert_max_num_queries):
    ingest(user)
    with django_assert_max_num_queries(2):
        assert user_client.get(URL).status_code == 200
