"""Races on real PostgreSQL with real threads (contract §13): replayed batches, repeated
and concurrent returns, batches sharing users. ``reconcile_wallets`` passes after each."""

import random
import threading
import time
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from clicknback.audit.services import SYSTEM
from offers.models import CashbackType
from offers.tests.factories import OfferFactory
from partners.tests.conftest import key_client
from partners.tests.factories import PartnerFactory, create_key, partner_purchase, purchase_body
from purchases.models import CashbackTransaction, Purchase, PurchaseReturn, PurchaseStatus
from purchases.services import purchase_confirm, purchase_return, purchase_reverse
from tests.support.race import run_together
from users.tests.factories import UserFactory
from wallets.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/partner/purchases"
D = Decimal


def assert_reconciled():
    out = StringIO()
    call_command("reconcile_wallets", stdout=out, stderr=StringIO())  # exits non-zero on a mismatch
    assert "0 mismatches" in out.getvalue()


@pytest.fixture
def setup():
    """A partner with a key and a 5 % offer with a cap no test reaches."""
    offer = OfferFactory(monthly_cap=D("100000.00"))
    partner = PartnerFactory(merchants=[offer.merchant])
    _, key = create_key(partner)
    return partner, offer.merchant, key


def post(key: str, path: str, body: dict):
    response = key_client(key).post(path, body, format="json")
    return response.status_code, response.json()


def test_two_identical_batches_of_500_at_once_credit_each_purchase_once(setup):
    # given: 500 items across 50 users, 100.00 each at 5 %
    _, merchant, key = setup
    users = UserFactory.create_batch(50)
    items = [purchase_body(users[i % 50], merchant, external_id=f"twin-{i:03d}") for i in range(500)]
    # when
    results = run_together(2, lambda _: post(key, f"{URL}/batch", {"items": items}))
    # then
    assert [status for status, _ in results] == [200, 200]
    summaries = [body["summary"] for _, body in results]
    assert sum(s["created"] for s in summaries) == 500
    assert sum(s["duplicate"] for s in summaries) == 500
    assert all(s["rejected"] == 0 for s in summaries)
    assert Purchase.objects.count() == CashbackTransaction.objects.count() == 500
    assert LedgerEntry.objects.count() == 500
    assert set(Wallet.objects.values_list("pending_balance", flat=True)) == {D("50.00")}
    assert_reconciled()


@pytest.mark.parametrize("amount", ["30.00", None])
def test_twenty_identical_returns_move_money_once(setup, amount):
    # given: a confirmed purchase, 5.00 available
    partner, merchant, key = setup
    user = UserFactory()
    purchase = partner_purchase(partner, user, merchant=merchant, external_id="same-return")
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
    body = {"return_id": "R-1", "reason": "returned"} | ({"amount": amount} if amount else {})
    # when
    results = run_together(20, lambda _: post(key, f"{URL}/same-return/returns", body))
    # then
    assert Counter(status for status, _ in results) == {200: 20}
    expected = "3.50" if amount else "0.00"
    assert {data["cashback_amount"] for _, data in results} == {expected}
    assert PurchaseReturn.objects.count() == 1
    assert LedgerEntry.objects.filter(reason__in=["cashback_returned", "cashback_reversed"]).count() == 1
    assert Wallet.objects.get(user=user).available_balance == D(expected)
    assert_reconciled()


def test_concurrent_partial_returns_never_take_back_more_than_credited(setup):
    # given: 0.05 credited on 100.00, where rounding each share up would add to more
    partner, _, key = setup
    offer = OfferFactory(cashback_type=CashbackType.FIXED, cashback_value=D("0.05"), monthly_cap=D("1000.00"))
    partner.merchants.add(offer.merchant)
    user = UserFactory()
    partner_purchase(partner, user, merchant=offer.merchant, external_id="many-returns")

    # when: 20 returns of 6.00 (120.00 asked, 100.00 bought)
    def give_back(index):
        body = {"return_id": f"R-{index}", "amount": "6.00", "reason": "returned"}
        return post(key, f"{URL}/many-returns/returns", body)

    results = run_together(20, give_back)
    # then
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 16, 422: 4}
    assert {data["error"]["code"] for status, data in results if status == 422} == {"RETURN_EXCEEDS_PURCHASE"}
    purchase = Purchase.objects.select_related("cashback").get()
    assert purchase.returned_amount == D("96.00")
    taken = sum(PurchaseReturn.objects.values_list("cashback_taken", flat=True))
    assert taken <= D("0.05")
    assert purchase.cashback.returned_amount == taken
    assert Wallet.objects.get(user=user).pending_balance == D("0.05") - taken
    assert_reconciled()


def test_concurrent_returns_of_everything_take_back_exactly_what_was_credited(setup):
    # given: 10.00 credited on 30.00 (thirds), returned in 20 pieces of 1.50 at once
    partner, _, key = setup
    offer = OfferFactory(cashback_type=CashbackType.FIXED, cashback_value=D("10.00"), monthly_cap=D("1000.00"))
    partner.merchants.add(offer.merchant)
    user = UserFactory()
    purchase = partner_purchase(partner, user, merchant=offer.merchant, amount=D("30.00"), external_id="pieces")
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)

    # when
    def give_back(index):
        return post(key, f"{URL}/pieces/returns", {"return_id": f"P-{index}", "amount": "1.50", "reason": "r"})

    results = run_together(20, give_back)
    # then
    assert Counter(status for status, _ in results) == {200: 20}
    purchase.refresh_from_db()
    assert (purchase.status, purchase.returned_amount) == (PurchaseStatus.REVERSED, D("30.00"))
    assert sum(PurchaseReturn.objects.values_list("cashback_taken", flat=True)) == D("10.00")
    wallet = Wallet.objects.get(user=user)
    assert (wallet.available_balance, wallet.owed_balance) == (D("0.00"), D("0.00"))
    assert_reconciled()


def test_batches_sharing_users_in_different_orders_never_deadlock(setup):
    # given: 10 batches, each with one item per user of the same 20, shuffled; each batch
    # also repeats 10 ids shared by all, in its own order
    _, merchant, key = setup
    users = UserFactory.create_batch(20)
    shuffler = random.Random(16)
    batches = []
    for batch in range(10):
        own = [purchase_body(user, merchant, external_id=f"b{batch}-u{n}") for n, user in enumerate(users)]
        shared = [purchase_body(users[n], merchant, external_id=f"shared-{n}") for n in range(10)]
        items = own + shared
        shuffler.shuffle(items)
        batches.append(items)
    # when
    results = run_together(10, lambda index: post(key, f"{URL}/batch", {"items": batches[index]}), timeout=60)
    # then
    assert [status for status, _ in results] == [200] * 10
    assert sum(body["summary"]["created"] for _, body in results) == 200 + 10
    assert sum(body["summary"]["duplicate"] for _, body in results) == 90
    assert Purchase.objects.count() == 210
    per_user = {user.pk: D("5.00") * (10 + (1 if n < 10 else 0)) for n, user in enumerate(users)}
    assert dict(Wallet.objects.values_list("user_id", "pending_balance")) == per_user
    assert_reconciled()


def test_batches_and_lifecycle_calls_on_the_same_users_never_deadlock(setup):
    # given: 15 purchases of 5 users; while batches for the same users are ingested, five
    # are approved, five declined and five partly returned
    partner, merchant, key = setup
    users = UserFactory.create_batch(5)
    existing = [partner_purchase(partner, users[n % 5], merchant=merchant, external_id=f"life-{n}") for n in range(15)]

    def work(index):
        if index < 5:
            items = [purchase_body(user, merchant, external_id=f"mix{index}-{n}") for n, user in enumerate(users)]
            return post(key, f"{URL}/batch", {"items": items[::-1] if index % 2 else items})
        purchase = existing[index - 5]
        if index < 10:
            return post(key, f"{URL}/{purchase.external_id}/approve", {})
        if index < 15:
            return post(key, f"{URL}/{purchase.external_id}/decline", {"reason": "no"})
        return post(key, f"{URL}/{purchase.external_id}/returns", {"return_id": "x", "amount": "10.00", "reason": "r"})

    # when
    results = run_together(20, work, timeout=60)
    # then
    assert all(status == 200 for status, _ in results), results
    assert Purchase.objects.count() == 15 + 25
    assert_reconciled()


def _blocked_on_a_lock(timeout: float = 10.0) -> None:
    """Wait until another connection waits for a row lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("no transaction ever waited for the lock")


def _while_held(first, second):
    """Run ``first`` in a transaction that stays open until ``second`` (in another thread)
    waits for its lock; then commit it and let ``second`` finish. Returns their results."""
    holding, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            result = first()
            holding.set()
            release.wait(10)
        return result

    def wait_then_release():
        holding.wait(10)
        _blocked_on_a_lock()
        release.set()

    def run_second():
        holding.wait(10)
        return second()

    results = run_together([hold, run_second, wait_then_release])
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results[:2]


def test_a_return_waiting_for_another_sees_what_it_took_back(setup):
    # given: 10.00 credited on 30.00
    partner, _, _ = setup
    offer = OfferFactory(cashback_type=CashbackType.FIXED, cashback_value=D("10.00"), monthly_cap=D("1000.00"))
    partner.merchants.add(offer.merchant)
    user = UserFactory()
    purchase = partner_purchase(partner, user, merchant=offer.merchant, amount=D("30.00"))

    def give_back(return_id, amount):
        return lambda: purchase_return(
            purchase_id=purchase.pk, return_id=return_id, amount=amount, reason="r", actor=SYSTEM
        )

    # when: a third, then (waiting for the first's lock) everything left
    _while_held(give_back("a", D("10.00")), give_back("b", None))
    # then
    assert list(PurchaseReturn.objects.order_by("created_at").values_list("cashback_taken", flat=True)) == [
        D("3.33"),
        D("6.67"),
    ]
    assert Wallet.objects.get(user=user).pending_balance == D("0.00")
    assert_reconciled()


def test_an_approval_waiting_for_a_return_confirms_only_what_is_left(setup):
    # given: 5.00 pending
    partner, merchant, _ = setup
    user = UserFactory()
    purchase = partner_purchase(partner, user, merchant=merchant)
    partner_purchase(partner, user, merchant=merchant)  # 5.00 more pending, so no balance goes negative

    # when: 40 % returned (2.00 taken back) while the approval waits
    _while_held(
        lambda: purchase_return(purchase_id=purchase.pk, return_id="r", amount=D("40.00"), reason="r", actor=SYSTEM),
        lambda: purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM),
    )
    # then
    wallet = Wallet.objects.get(user=user)
    assert (wallet.pending_balance, wallet.available_balance) == (D("5.00"), D("3.00"))
    assert_reconciled()


def test_a_reversal_waiting_for_a_return_takes_back_only_what_is_left(setup):
    # given: 5.00 confirmed
    partner, merchant, _ = setup
    user = UserFactory()
    purchase = partner_purchase(partner, user, merchant=merchant)
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)

    # when: 40 % returned (2.00 taken back) while an admin's reversal waits
    _while_held(
        lambda: purchase_return(purchase_id=purchase.pk, return_id="r", amount=D("40.00"), reason="r", actor=SYSTEM),
        lambda: purchase_reverse(purchase_id=purchase.pk, actor=SYSTEM),
    )
    # then
    wallet = Wallet.objects.get(user=user)
    assert (wallet.available_balance, wallet.owed_balance) == (D("0.00"), D("0.00"))
    assert_reconciled()
