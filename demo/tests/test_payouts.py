from decimal import Decimal

import pytest

from demo import payouts as demo
from demo import users as users_demo
from offers.tests.factories import OfferFactory
from payouts.models import Payout
from purchases.tests.factories import confirmed
from users.models import User
from wallets.reconcile import wallet_reconcile

pytestmark = pytest.mark.django_db


def test_seed_skips_without_demo_users():
    assert demo.seed().startswith("skipped")


def test_seed_makes_payouts_in_every_status_where_the_balance_allows_and_is_idempotent(admin_user):
    # given: alice has 50.00 available, bob has 5.00, dave nothing
    users_demo.seed()
    offer = OfferFactory(cashback_value=Decimal("10.00"), monthly_cap=Decimal("1000.00"))
    alice = User.objects.get(email="alice@clicknback.com")
    bob = User.objects.get(email="bob@clicknback.com")
    confirmed(alice, admin_user, offer=offer, amount=Decimal("500.00"))
    confirmed(bob, admin_user, offer=offer, amount=Decimal("50.00"))
    # when
    first = demo.seed()
    second = demo.seed()
    # then
    statuses = sorted(Payout.objects.filter(user=alice).values_list("status", flat=True))
    assert statuses == ["completed", "failed", "processing", "requested"]
    assert not Payout.objects.filter(user=bob).exists()
    assert first.startswith("4 payouts created")
    assert second.startswith("0 payouts created")
    assert Payout.objects.count() == 4
    assert wallet_reconcile() == []


def test_seed_stops_when_the_balance_runs_out(admin_user):
    # given: 25.00 available covers the failed (refunded) one and two more
    users_demo.seed()
    offer = OfferFactory(cashback_value=Decimal("10.00"), monthly_cap=Decimal("1000.00"))
    alice = User.objects.get(email="alice@clicknback.com")
    confirmed(alice, admin_user, offer=offer, amount=Decimal("250.00"))
    # when
    demo.seed()
    # then
    statuses = sorted(Payout.objects.filter(user=alice).values_list("status", flat=True))
    assert statuses == ["completed", "failed", "processing"]
