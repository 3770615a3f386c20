"""A Celery worker killed with SIGKILL in the middle of confirmations loses nothing.

A real ``celery worker -B`` (pool processes and embedded beat) runs against the test
database and a private Redis, with a verifier slow enough to be caught mid-task. Once
some purchases are confirmed, the whole worker process group gets SIGKILL. A new
worker is started; after it, every purchase is confirmed exactly once: one
``purchase.confirmed`` audit row and one pair of ``cashback_confirmed`` ledger entries
per purchase, and every wallet equals its ledger.
"""

from decimal import Decimal

import pytest
from django.db.models import Count

from tests.conftest import record
from tests.faults.procs import celery_worker, child_env, pytest_database_url, wait_until

PURCHASES = 16


def _confirmed_count(ids) -> int:
    from purchases.models import Purchase

    return Purchase.objects.filter(pk__in=ids, status="confirmed").count()


@pytest.mark.slow
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_purchases_are_confirmed_exactly_once_after_the_worker_is_killed_mid_batch(
    private_redis, workdir, processes, monkeypatch
):
    # given pending purchases (the job is not notified: the worker's beat finds them)
    import purchases.services
    from clicknback.audit.models import AuditLog
    from offers.tests.factories import OfferFactory
    from purchases.tests.factories import ingest
    from users.tests.factories import UserFactory
    from wallets.models import LedgerEntry, Wallet
    from wallets.selectors import wallet_ledger_totals

    monkeypatch.setattr(purchases.services, "notify_confirmation_job", lambda: None)
    offer = OfferFactory(monthly_cap=Decimal("1000.00"))
    users = [UserFactory() for _ in range(4)]
    ids = [ingest(users[i % 4], offer=offer, amount=Decimal("10.00") + i).pk for i in range(PURCHASES)]
    env = child_env(
        DATABASE_URL=pytest_database_url(),
        REDIS_URL=private_redis.url,
        PURCHASE_VERIFIER_CLASS="tests.faults.slow_verifier.SlowVerifier",
        SLOW_VERIFIER_SECONDS="0.4",
        PURCHASE_CONFIRMATION_INTERVAL_SECONDS="1",
        PURCHASE_CLAIM_SECONDS="3",
        PURCHASE_VERIFY_TIMEOUT_SECONDS="2",
        PURCHASE_VERIFY_CONCURRENCY="1",  # one at a time, each committed as it arrives: a kill lands mid-chunk
        CELERY_VISIBILITY_TIMEOUT="4",
    )

    # when a worker starts confirming and is killed with SIGKILL part-way through
    first = celery_worker(env, workdir)
    processes.append(first.start())
    assert wait_until(lambda: _confirmed_count(ids) >= 3, 60), first.output()
    first.kill()  # SIGKILL to the worker, its pool processes and its beat
    at_kill = _confirmed_count(ids)

    # and a new worker is started
    second = celery_worker(env, workdir)
    processes.append(second.start())
    done = wait_until(lambda: _confirmed_count(ids) == PURCHASES, 90, 0.25)
    second.kill()

    # then every purchase is confirmed, exactly once
    assert done, second.output()
    assert at_kill < PURCHASES, "the kill came too late to interrupt anything"
    confirmations = dict(
        AuditLog.objects.filter(action="purchase.confirmed", resource_id__in=[str(i) for i in ids])
        .values("resource_id")
        .annotate(n=Count("id"))
        .values_list("resource_id", "n")
    )
    assert confirmations == {str(i): 1 for i in ids}
    ledger = (
        LedgerEntry.objects.filter(source_type="purchase", source_id__in=ids, reason="cashback_confirmed")
        .values("source_id", "bucket")
        .annotate(n=Count("id"))
    )
    assert len(ledger) == 2 * PURCHASES and all(row["n"] == 1 for row in ledger)
    for wallet in Wallet.objects.filter(user__in=users):
        assert wallet.pending_balance == Decimal("0.00")
        assert wallet_ledger_totals(wallet_id=wallet.pk) == {
            "pending_balance": wallet.pending_balance,
            "available_balance": wallet.available_balance,
            "paid_balance": wallet.paid_balance,
            "owed_balance": wallet.owed_balance,
        }
    record(
        "faults",
        f"worker SIGKILL: {PURCHASES} purchases, killed after {at_kill} confirmed; "
        f"after restart {PURCHASES}/{PURCHASES} confirmed, each exactly once",
    )
