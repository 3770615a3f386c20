"""Races on real PostgreSQL: threads released together by a barrier, one connection each.

The overdraft race uses PAYOUT_RACE_THREADS threads (default 100, the acceptance
number); lower it on a shared server whose max_connections is 100.
"""

import os
from collections import Counter
from decimal import Decimal

import pytest

from payouts.models import Payout
from payouts.services import payout_request
from tests.support.funding import fund_wallet
from tests.support.ibans import BANK_DETAILS
from tests.support.race import run_together
from wallets.models import Wallet
from wallets.selectors import wallet_ledger_totals

RACE_THREADS = int(os.environ.get("PAYOUT_RACE_THREADS", "100"))


def _outcome(response) -> tuple[int, str | None]:
    body = response.json()
    return response.status_code, body.get("error", {}).get("code") if isinstance(body, dict) else None


def _assert_wallet_matches_ledger(user) -> Wallet:
    wallet = Wallet.objects.get(user=user)
    for field, total in wallet_ledger_totals(wallet_id=wallet.pk).items():
        assert getattr(wallet, field) == total, field
    return wallet


@pytest.mark.django_db(transaction=True)
def test_overdraft_race_exactly_k_withdrawals_succeed(user, client_for, settings):
    # given: available = k × a, many more concurrent requests of a
    settings.PAYOUT_MONTHLY_LIMIT = "1000000.00"
    k, amount = 7, Decimal("10.00")
    fund_wallet(user, available=k * amount)
    body = {"amount": "10.00", "method": "bank_transfer", "details": BANK_DETAILS}

    def withdraw(_):
        return _outcome(client_for(user).post("/api/v1/users/payouts", body, format="json"))

    # when
    results = run_together(RACE_THREADS, withdraw)
    # then
    counts = Counter(results)
    assert counts == {(201, None): k, (409, "INSUFFICIENT_BALANCE"): RACE_THREADS - k}, counts
    wallet = _assert_wallet_matches_ledger(user)
    assert wallet.available_balance == Decimal("0.00")
    assert Payout.objects.filter(user=user).count() == k


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_exceed_the_monthly_limit(user, client_for):
    # given: plenty of money, limit 100.00, 20 requests of 30.00
    fund_wallet(user, available=Decimal("1000.00"))
    body = {"amount": "30.00", "method": "card", "details": {"card_token": "tok_visa_4242"}}

    def withdraw(_):
        return _outcome(client_for(user).post("/api/v1/users/payouts", body, format="json"))

    # when
    results = run_together(20, withdraw)
    # then
    assert Counter(results) == {(201, None): 3, (422, "PAYOUT_POLICY_VIOLATION"): 17}
    assert _assert_wallet_matches_ledger(user).available_balance == Decimal("910.00")


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_requests_with_one_idempotency_key_make_one_payout(user, client_for):
    # given
    fund_wallet(user, available=Decimal("100.00"))
    body = {"amount": "20.00", "method": "bank_transfer", "details": BANK_DETAILS}

    def withdraw(_):
        response = client_for(user).post("/api/v1/users/payouts", body, format="json", HTTP_IDEMPOTENCY_KEY="once")
        return response.status_code, response.json()

    # when
    results = run_together(20, withdraw)
    # then
    assert all(status in (201, 409) for status, _ in results), results
    created = {body["id"] for status, body in results if status == 201}
    conflicts = {body["error"]["code"] for status, body in results if status == 409}
    assert len(created) == 1
    assert conflicts <= {"IDEMPOTENCY_KEY_IN_USE"}
    assert Payout.objects.filter(user=user).count() == 1
    assert _assert_wallet_matches_ledger(user).available_balance == Decimal("80.00")
    # and then: the key replays, and refuses another body
    replay = client_for(user).post("/api/v1/users/payouts", body, format="json", HTTP_IDEMPOTENCY_KEY="once")
    other = client_for(user).post(
        "/api/v1/users/payouts", {**body, "amount": "25.00"}, format="json", HTTP_IDEMPOTENCY_KEY="once"
    )
    assert (replay.status_code, replay.json()["id"]) == (201, created.pop())
    assert (other.status_code, other.json()["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")


@pytest.mark.django_db(transaction=True)
def test_concurrent_processing_completes_or_fails_a_payout_once(user, admin_user, client_for):
    # given
    fund_wallet(user, available=Decimal("50.00"))
    payout = payout_request(user=user, amount=Decimal("30.00"), method="bank_transfer", details=BANK_DETAILS)
    targets = ["completed", "failed"] * 10

    def process(index):
        response = client_for(admin_user).patch(
            f"/api/v1/admin/payouts/{payout.pk}/process", {"status": targets[index]}, format="json"
        )
        return _outcome(response)

    # when
    results = run_together(len(targets), process)
    # then
    counts = Counter(results)
    assert counts[(200, None)] == 1, counts
    assert counts[(409, "INVALID_PAYOUT_TRANSITION")] == len(targets) - 1
    payout.refresh_from_db()
    wallet = _assert_wallet_matches_ledger(user)
    if payout.status == "completed":
        assert (wallet.available_balance, wallet.paid_balance) == (Decimal("20.00"), Decimal("30.00"))
    else:
        assert (wallet.available_balance, wallet.paid_balance) == (Decimal("50.00"), Decimal("0.00"))


@pytest.mark.django_db(transaction=True)
def test_withdrawals_racing_confirmations_and_reversals_leave_every_wallet_reconciled(
    user, admin_user, client_for, settings
):
    # given: available = k × a from confirmed cashback, plus purchases waiting to be
    # confirmed and confirmed ones about to be reversed, all for the same wallet
    from django.core.management import call_command

    from clicknback.audit.services import Actor
    from offers.tests.factories import OfferFactory
    from purchases.services import purchase_confirm, purchase_reverse
    from purchases.tests.factories import confirmed, ingest
    from wallets.reconcile import wallet_reconcile

    settings.PAYOUT_MONTHLY_LIMIT = "1000000.00"
    offer = OfferFactory(cashback_value=Decimal("10.00"), monthly_cap=Decimal("1000000.00"))
    k = 7
    for _ in range(k):
        confirmed(user, admin_user, offer=offer, amount=Decimal("100.00"))  # 10.00 each
    to_confirm = [ingest(user, offer=offer, amount=Decimal("100.00")) for _ in range(10)]
    to_reverse = [confirmed(user, admin_user, offer=offer, amount=Decimal("100.00")) for _ in range(10)]
    wallet = Wallet.objects.get(user=user)
    assert wallet.available_balance == Decimal("170.00")
    actor = Actor.admin(admin_user)
    jobs = [("confirm", p.pk) for p in to_confirm] + [("reverse", p.pk) for p in to_reverse]
    jobs += [("withdraw", None)] * (RACE_THREADS - len(jobs))
    body = {"amount": "10.00", "method": "card", "details": {"card_token": "tok_visa_4242"}}

    def work(index):
        kind, purchase_id = jobs[index]
        if kind == "confirm":
            purchase_confirm(purchase_id=purchase_id, actor=actor)
            return "confirmed"
        if kind == "reverse":
            purchase_reverse(purchase_id=purchase_id, actor=actor)
            return "reversed"
        return _outcome(client_for(user).post("/api/v1/users/payouts", body, format="json"))

    # when
    results = run_together(len(jobs), work)
    # then
    assert not [r for r in results if isinstance(r, BaseException)], results
    counts = Counter(results)
    assert counts["confirmed"] == 10 and counts["reversed"] == 10
    withdrawn = counts[(201, None)]
    assert withdrawn + counts[(409, "INSUFFICIENT_BALANCE")] == len(jobs) - 20, counts
    assert Payout.objects.filter(user=user).count() == withdrawn
    wallet = _assert_wallet_matches_ledger(user)
    # 17 × 10.00 earned and kept, 10 × 10.00 reversed: available − owed = 170 + 100 − 100 − withdrawn
    assert wallet.available_balance - wallet.owed_balance == Decimal("170.00") - withdrawn * Decimal("10.00")
    assert min(wallet.available_balance, wallet.owed_balance, wallet.pending_balance) >= Decimal("0.00")
    assert wallet_reconcile() == []
    call_command("reconcile_wallets")
