from decimal import Decimal

import pytest
from django.utils import timezone

from payouts.models import Payout
from payouts.selectors import payout_month_used
from purchases.models import CashbackStatus, CashbackTransaction
from tests.support.funding import fund_wallet
from users.tests.factories import UserFactory
from wallets.reconcile import wallet_reconcile

pytestmark = pytest.mark.django_db


def balances(wallet) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return wallet.pending_balance, wallet.available_balance, wallet.paid_balance, wallet.owed_balance


def test_available_and_pending_arrive_as_cashback_and_reconcile():
    # given
    user = UserFactory()
    # when
    wallet = fund_wallet(user, available=Decimal("40.00"), pending=Decimal("2.50"))
    # then
    assert balances(wallet) == (Decimal("2.50"), Decimal("40.00"), Decimal("0.00"), Decimal("0.00"))
    assert sorted(CashbackTransaction.objects.filter(user=user).values_list("status", "amount")) == [
        (CashbackStatus.AVAILABLE, Decimal("40.00")),
        (CashbackStatus.PENDING, Decimal("2.50")),
    ]
    assert wallet_reconcile() == []


def test_funding_twice_adds_up():
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("10.00"))
    # when
    wallet = fund_wallet(user, available=Decimal("0.01"))
    # then
    assert wallet.available_balance == Decimal("10.01")
    assert wallet_reconcile() == []


def test_owed_is_a_reversal_after_a_payout_of_last_month():
    # given
    user = UserFactory()
    # when
    wallet = fund_wallet(user, owed=Decimal("4.00"), pending=Decimal("1.00"))
    # then
    assert balances(wallet) == (Decimal("1.00"), Decimal("0.00"), Decimal("4.00"), Decimal("4.00"))
    payout = Payout.objects.get(user=user)
    assert (payout.status, payout.amount) == ("completed", Decimal("4.00"))
    assert wallet_reconcile() == []


def test_owing_leaves_this_months_payout_limit_untouched():
    # given
    user = UserFactory()
    # when
    fund_wallet(user, owed=Decimal("4.00"))
    # then
    month_start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    assert payout_month_used(user_id=user.pk, since=month_start) == Decimal("0.00")


def test_an_empty_call_creates_the_wallet():
    # given
    user = UserFactory()
    # when
    wallet = fund_wallet(user)
    # then
    assert balances(wallet) == (Decimal("0.00"),) * 4


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ({}, {"owed": Decimal("1.00"), "available": Decimal("1.00")}),
        ({"available": Decimal("1.00")}, {"owed": Decimal("1.00")}),
        ({"owed": Decimal("1.00")}, {"owed": Decimal("1.00")}),
        ({"owed": Decimal("1.00")}, {"available": Decimal("1.00")}),
    ],
)
def test_states_the_services_cannot_reach_are_refused(first, then):
    # given
    user = UserFactory()
    fund_wallet(user, **first)
    # when / then
    with pytest.raises(ValueError):
        fund_wallet(user, **then)
