"""Clawback end to end: cashback withdrawn, then its purchase reversed (contract §6, §8)."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from clicknback.audit.services import Actor
from offers.tests.factories import OfferFactory
from payouts.services import payout_process, payout_request
from purchases.services import purchase_confirm, purchase_reverse
from purchases.tests.factories import confirmed, ingest
from tests.support.ibans import BANK_DETAILS
from wallets.models import Wallet
from wallets.reconcile import wallet_reconcile

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer():
    """10 % cashback, generous cap: a 200.00 purchase earns 20.00."""
    return OfferFactory(cashback_value=Decimal("10.00"), monthly_cap=Decimal("10000.00"))


def _balances(user) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    wallet = Wallet.objects.get(user=user)
    return wallet.pending_balance, wallet.available_balance, wallet.paid_balance, wallet.owed_balance


def _withdraw(user, amount: str):
    return payout_request(user=user, amount=Decimal(amount), method="bank_transfer", details=BANK_DETAILS)


def test_reversing_withdrawn_cashback_moves_the_shortfall_to_owed(user, admin_user, offer):
    # given: 20.00 cashback confirmed, then entirely withdrawn
    purchase = confirmed(user, admin_user, offer=offer, amount=Decimal("200.00"))
    _withdraw(user, "20.00")
    # when
    purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    # then
    assert _balances(user) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("20.00"))
    assert wallet_reconcile() == []


def test_reversal_takes_what_available_still_has_and_owes_the_rest(user, admin_user, offer):
    # given: 20.00 confirmed, 15.00 withdrawn → 5.00 left
    purchase = confirmed(user, admin_user, offer=offer, amount=Decimal("200.00"))
    _withdraw(user, "15.00")
    # when
    purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    # then
    assert _balances(user) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("15.00"))
    assert wallet_reconcile() == []


def test_later_confirmed_cashback_settles_the_debt_before_reaching_available(user, admin_user, offer):
    # given: owed 20.00 after a clawback, then a 30.00 cashback pending
    purchase = confirmed(user, admin_user, offer=offer, amount=Decimal("200.00"))
    payout = _withdraw(user, "20.00")
    payout_process(payout_id=payout.pk, status="completed", actor=Actor.admin(admin_user))
    purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    later = ingest(user, offer=offer, amount=Decimal("300.00"))
    # when
    purchase_confirm(purchase_id=later.pk, actor=Actor.admin(admin_user))
    # then
    assert _balances(user) == (Decimal("0.00"), Decimal("10.00"), Decimal("20.00"), Decimal("0.00"))
    assert wallet_reconcile() == []


def test_a_debt_cannot_be_withdrawn_while_owed(user, admin_user, offer):
    # given: owed 20.00, and a smaller confirmed cashback that only reduces the debt
    purchase = confirmed(user, admin_user, offer=offer, amount=Decimal("200.00"))
    _withdraw(user, "20.00")
    purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    confirmed(user, admin_user, offer=offer, amount=Decimal("150.00"))
    # when / then
    assert _balances(user)[1:] == (Decimal("0.00"), Decimal("0.00"), Decimal("5.00"))
    from payouts.errors import InsufficientBalance

    with pytest.raises(InsufficientBalance):
        _withdraw(user, "10.00")


def test_a_failed_payout_refund_settles_the_debt_first(user, admin_user, offer):
    # given: 20.00 withdrawn, its purchase reversed → owed 20.00
    purchase = confirmed(user, admin_user, offer=offer, amount=Decimal("200.00"))
    payout = _withdraw(user, "20.00")
    purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    # when: the bank transfer fails and the 20.00 comes back
    payout_process(payout_id=payout.pk, status="failed", actor=Actor.admin(admin_user), failure_reason="closed")
    # then: the debt is cleared, nothing becomes withdrawable
    assert _balances(user) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert wallet_reconcile() == []


def test_a_partial_failed_refund_settles_part_of_the_debt_and_frees_the_rest(user, admin_user, offer):
    # given: 20.00 and 30.00 confirmed; 40.00 withdrawn; the 30.00 purchase reversed → owed 20.00
    confirmed(user, admin_user, offer=offer, amount=Decimal("200.00"))
    big = confirmed(user, admin_user, offer=offer, amount=Decimal("300.00"))
    payout = _withdraw(user, "40.00")
    purchase_reverse(purchase_id=big.pk, actor=Actor.admin(admin_user))
    assert _balances(user)[1:] == (Decimal("0.00"), Decimal("0.00"), Decimal("20.00"))
    # when
    payout_process(payout_id=payout.pk, status="failed", actor=Actor.admin(admin_user))
    # then
    assert _balances(user) == (Decimal("0.00"), Decimal("20.00"), Decimal("0.00"), Decimal("0.00"))
    assert wallet_reconcile() == []


def test_clawback_through_the_api_and_reconcile_command(user, admin_user, offer, client_for, capsys):
    # given
    purchase = confirmed(user, admin_user, offer=offer, amount=Decimal("200.00"))
    created = client_for(user).post(
        "/api/v1/users/payouts", {"amount": "20.00", "method": "bank_transfer", "details": BANK_DETAILS}, format="json"
    )
    # when
    reversed_response = client_for(admin_user).patch(f"/api/v1/purchases/{purchase.pk}/reverse", format="json")
    # then
    assert (created.status_code, reversed_response.status_code) == (201, 200)
    wallet = client_for(user).get("/api/v1/users/me/wallet").json()
    assert (wallet["available_balance"], wallet["owed_balance"]) == ("0.00", "20.00")
    types = [
        (item["type"], item["status"])
        for item in client_for(user).get("/api/v1/users/me/wallet/transactions").json()["data"]
    ]
    # newest first: the reversal that created the debt, the payout, the credit it took back
    assert types == [
        ("cashback_reversal", "completed"),
        ("payout_debit", "requested"),
        ("cashback_credit", "reversed"),
    ]
    call_command("reconcile_wallets")
    assert "0 mismatches" in capsys.readouterr().out
