"""The seeded demo users (`make run` prints their logins) see non-trivial wallet pages."""

import pytest
from django.core.management import call_command

from users.models import User

pytestmark = pytest.mark.django_db

DEMO_USERS = ["alice@clicknback.com", "bob@clicknback.com", "dave@clicknback.com"]


@pytest.fixture
def seeded(capsys):
    call_command("seed_demo")
    capsys.readouterr()


@pytest.mark.parametrize("email", DEMO_USERS)
def test_demo_user_sees_purchases_and_transactions(seeded, signed_in, email):
    # given
    client = signed_in(User.objects.get(email=email))

    # when
    transactions = client.get("/wallet/transactions/")
    purchases = client.get("/wallet/purchases/")

    # then
    assert transactions.context["page"].paginator.count >= 3
    assert purchases.context["page"].paginator.count >= 3
    assert len({row["status"]["value"] for row in purchases.context["rows"]}) >= 2


def test_alice_has_money_in_several_buckets_and_a_payout_history(seeded, signed_in):
    # given
    client = signed_in(User.objects.get(email="alice@clicknback.com"))

    # when
    home = client.get("/wallet/")
    payouts = client.get("/wallet/payouts/")

    # then
    balances = home.context["balances"]
    assert sum(value != "€0.00" for value in (balances["available"], balances["pending"], balances["paid"])) >= 2
    assert payouts.context["page"].paginator.count >= 1
