"""The confirmation job end to end with a real Celery worker (threads pool) and broker."""

import threading
import time
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal

import pytest

from clicknback.audit.models import AuditLog
from clicknback.celery import app
from clicknback.flags.models import FeatureFlag
from clicknback.tests.workers import thread_worker
from offers.tests.factories import OfferFactory
from purchases.models import Purchase, PurchaseStatus
from purchases.selectors import JOB_FLAG
from purchases.tasks import dispatch_purchase_confirmations
from purchases.tests.factories import ingest
from users.tests.factories import UserFactory
from wallets.models import Wallet
from wallets.reconcile import wallet_reconcile

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout: float = 30.0, tick=None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if tick:
            tick()
        time.sleep(0.2)
    return False


@contextmanager
def running_worker(concurrency: int = 4):
    """Purge what earlier tests left in the queue, then run a worker in this process."""
    app.control.purge()
    with thread_worker(concurrency=concurrency, shutdown_timeout=30) as worker:
        yield worker


def pending_count() -> int:
    return Purchase.objects.filter(status=PurchaseStatus.PENDING).count()


def test_ingested_purchases_end_confirmed_by_the_worker():
    # given
    user = UserFactory()
    offer = OfferFactory(monthly_cap=Decimal("1000.00"))
    with running_worker():
        # when: ingestion notifies the job after commit
        purchases = [ingest(user, offer=offer) for _ in range(10)]
        # then
        assert wait_for(lambda: pending_count() == 0)
    assert set(Purchase.objects.values_list("status", flat=True)) == {PurchaseStatus.CONFIRMED}
    assert Wallet.objects.get(user=user).available_balance == Decimal("50.00")
    assert AuditLog.objects.filter(action="purchase.confirmed").count() == len(purchases)
    assert wallet_reconcile() == []


def test_rejection_merchant_purchases_end_rejected_after_the_configured_attempts(settings):
    # given: a 1-second interval, 3 attempts, one merchant the bank never matches
    settings.PURCHASE_CONFIRMATION_INTERVAL_SECONDS = 1
    settings.PURCHASE_MAX_VERIFICATION_ATTEMPTS = 3
    failing = OfferFactory()
    settings.REJECTION_MERCHANT_IDS = [str(failing.merchant_id)]
    user = UserFactory()
    with running_worker():
        # when: the beat is simulated by sending the dispatcher every 200 ms
        doomed = ingest(user, offer=failing)
        fine = ingest(user)
        assert wait_for(lambda: pending_count() == 0, tick=dispatch_purchase_confirmations.delay)
    # then
    doomed.refresh_from_db()
    fine.refresh_from_db()
    assert (doomed.status, doomed.verification_attempts) == (PurchaseStatus.REJECTED, 3)
    assert "3 attempts" in doomed.status_reason
    assert (fine.status, fine.verification_attempts) == (PurchaseStatus.CONFIRMED, 1)
    wallet = Wallet.objects.get(user=user)
    assert (wallet.pending_balance, wallet.available_balance) == (Decimal("0.00"), Decimal("5.00"))
    assert wallet_reconcile() == []


class CountingVerifier:
    """Matches everything and counts how often each purchase was asked about."""

    calls: Counter = Counter()
    lock = threading.Lock()

    def verify(self, purchase) -> bool:
        with self.lock:
            self.calls[purchase.pk] += 1
        time.sleep(0.005)
        return True


def test_two_dispatchers_running_at_once_process_each_purchase_once(settings):
    # given: 60 pending purchases, the job paused while they are created
    settings.PURCHASE_VERIFIER_CLASS = "purchases.tests.test_worker.CountingVerifier"
    settings.PURCHASE_DISPATCH_BATCH_SIZE = 25
    CountingVerifier.calls.clear()
    FeatureFlag.objects.create(key=JOB_FLAG, enabled=False)
    users = [UserFactory() for _ in range(3)]
    offer = OfferFactory(monthly_cap=Decimal("10000.00"))
    purchases = [ingest(users[index % 3], offer=offer) for index in range(60)]
    FeatureFlag.objects.filter(key=JOB_FLAG).delete()
    with running_worker(concurrency=6):
        # when
        dispatch_purchase_confirmations.delay()
        dispatch_purchase_confirmations.delay()
        assert wait_for(lambda: pending_count() == 0)
    # then
    assert CountingVerifier.calls == Counter({purchase.pk: 1 for purchase in purchases})
    assert AuditLog.objects.filter(action="purchase.confirmed").count() == 60
    assert wallet_reconcile() == []
