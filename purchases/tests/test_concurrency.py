"""Races on real PostgreSQL with real threads: idempotency, transitions, the cap."""

from collections import Counter
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from clicknback.audit.services import SYSTEM, Actor
from conftest import bearer_for
from offers.tests.factories import OfferFactory
from purchases.errors import DuplicatePurchase, PurchaseAlreadyReversed, PurchaseNotPending
from purchases.models import CashbackTransaction, Purchase, PurchaseStatus
from purchases.services import purchase_confirm, purchase_ingest, purchase_reject, purchase_reverse
from purchases.tests.factories import confirmed, ingest
from tests.support.race import run_together
from users.tests.factories import AdminFactory, UserFactory
from wallets.models import LedgerEntry, Wallet
from wallets.reconcile import wallet_reconcile

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_identical_ingestions_create_one_purchase_and_nineteen_409():
    # given
    user = UserFactory()
    offer = OfferFactory()
    body = {
        "external_id": "race-1",
        "user_id": str(user.pk),
        "merchant_id": str(offer.merchant_id),
        "amount": "100.00",
        "currency": "EUR",
    }
    token = bearer_for(user)

    def post(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=token)
        response = client.post("/api/v1/purchases", body, format="json")
        return response.status_code, response.json()

    # when
    results = run_together(20, post)
    # then
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 409: 19}
    assert {data["error"]["code"] for status, data in results if status == 409} == {"DUPLICATE_PURCHASE"}
    assert Purchase.objects.count() == 1
    assert CashbackTransaction.objects.count() == 1
    assert Wallet.objects.get(user=user).pending_balance == Decimal("5.00")
    assert wallet_reconcile() == []


def test_fifty_simultaneous_ingestions_for_one_user_add_up_in_pending():
    # given: amounts 1.00 .. 50.00 at 10 % on five offers, caps never reached
    user = UserFactory()
    offers = [OfferFactory(cashback_value=Decimal("10.00"), monthly_cap=Decimal("1000.00")) for _ in range(5)]

    def buy(index):
        offer = offers[index % 5]
        return purchase_ingest(
            caller=user,
            external_id=f"fifty-{index}",
            user_id=user.pk,
            merchant_id=offer.merchant_id,
            amount=Decimal(index + 1),
            currency="EUR",
        )

    # when
    results = run_together(50, buy)
    # then
    assert all(isinstance(result, Purchase) for result in results), results
    expected = sum(CashbackTransaction.objects.values_list("amount", flat=True))
    assert expected == Decimal("127.50")
    assert Wallet.objects.get(user=user).pending_balance == expected
    assert wallet_reconcile() == []


def test_simultaneous_ingestions_never_exceed_the_monthly_cap():
    # given: 30 purchases of 5.00 cashback each against a cap of 42.00
    user = UserFactory()
    offer = OfferFactory(monthly_cap=Decimal("42.00"))

    # when
    results = run_together(30, lambda index: ingest(user, offer=offer, external_id=f"cap-{index}"))
    # then
    assert all(isinstance(result, Purchase) for result in results), results
    amounts = sorted(CashbackTransaction.objects.values_list("amount", flat=True))
    assert sum(amounts) == Decimal("42.00")
    assert amounts.count(Decimal("2.00")) == 1
    assert Wallet.objects.get(user=user).pending_balance == Decimal("42.00")
    assert wallet_reconcile() == []


def test_confirm_racing_reject_exactly_one_wins():
    # given
    user, admin = UserFactory(), AdminFactory()
    for round_ in range(5):
        purchase = ingest(user, external_id=f"round-{round_}")
        work = [
            lambda pk=purchase.pk: purchase_confirm(purchase_id=pk, actor=Actor.admin(admin)),
            lambda pk=purchase.pk: purchase_reject(purchase_id=pk, reason="no match", actor=SYSTEM),
        ]
        # when
        results = run_together(work)
        # then
        winners = [result for result in results if isinstance(result, Purchase)]
        losers = [result for result in results if isinstance(result, PurchaseNotPending)]
        assert (len(winners), len(losers)) == (1, 1), results
        assert Purchase.objects.get(pk=purchase.pk).status == winners[0].status
        assert LedgerEntry.objects.filter(source_id=purchase.pk).count() in {2, 3}
    assert wallet_reconcile() == []


def test_confirm_racing_reverse_leaves_the_purchase_reversed_and_balances_consistent():
    # given
    user, admin = UserFactory(), AdminFactory()
    for round_ in range(5):
        purchase = ingest(user, external_id=f"round-{round_}")
        work = [
            lambda pk=purchase.pk: purchase_confirm(purchase_id=pk, actor=Actor.admin(admin)),
            lambda pk=purchase.pk: purchase_reverse(purchase_id=pk, actor=Actor.admin(admin)),
        ]
        # when
        confirm_result, reverse_result = run_together(work)
        # then: reverse always wins; confirm either came first (and was reversed) or lost
        assert isinstance(reverse_result, Purchase), reverse_result
        assert isinstance(confirm_result, (Purchase, PurchaseNotPending)), confirm_result
        assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.REVERSED
    wallet = Wallet.objects.get(user=user)
    assert (wallet.pending_balance, wallet.available_balance, wallet.owed_balance) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert wallet_reconcile() == []


def test_two_simultaneous_reversals_exactly_one_wins():
    # given
    user, admin = UserFactory(), AdminFactory()
    purchase = confirmed(user, admin)
    # when
    results = run_together(2, lambda _: purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin)))
    # then
    assert sorted(type(result).__name__ for result in results) == ["Purchase", "PurchaseAlreadyReversed"]
    assert any(isinstance(result, PurchaseAlreadyReversed) for result in results)
    assert LedgerEntry.objects.filter(source_id=purchase.pk, reason="cashback_reversed").count() == 1
    assert wallet_reconcile() == []


def test_two_simultaneous_confirmations_exactly_one_wins():
    user, admin = UserFactory(), AdminFactory()
    purchase = ingest(user)
    results = run_together(2, lambda _: purchase_confirm(purchase_id=purchase.pk, actor=Actor.admin(admin)))
    assert sorted(type(result).__name__ for result in results) == ["Purchase", "PurchaseNotPending"]
    assert Wallet.objects.get(user=user).available_balance == Decimal("5.00")
    assert wallet_reconcile() == []


def test_duplicate_ingestions_through_the_service_raise_the_domain_error():
    user = UserFactory()
    offer = OfferFactory()
    results = run_together(10, lambda _: ingest(user, offer=offer, external_id="same"))
    assert Counter(type(result) for result in results) == {Purchase: 1, DuplicatePurchase: 9}
