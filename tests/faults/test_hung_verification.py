"""One verification that hangs (far longer than every limit) holds back no other purchase.

Real processes, laid out as in production: a control worker (``-B``, the default queue:
beat and the dispatcher) and a verification worker (the verify queue, two processes),
against the test database and a private Redis. The bank never answers for one merchant.
100 purchases, one at that merchant: the 99 others are confirmed within one dispatch
interval (plus their own, instant, verification); the hung one times out at each try,
uses no attempt, is retried after growing gaps and ends in the review queue after
``PURCHASE_MAX_VERIFICATION_ERRORS``. The dispatcher runs every interval throughout and
no worker process is lost.
"""

import time
from decimal import Decimal

import pytest

from tests.conftest import record
from tests.faults.procs import celery_worker, child_env, pytest_database_url, wait_until

PURCHASES = 100
INTERVAL = 1
TIMEOUT = 1
MAX_ERRORS = 3


@pytest.mark.slow
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_hung_verification_delays_no_other_purchase_and_ends_in_review(
    private_redis, workdir, processes, monkeypatch, settings
):
    import purchases.services
    from clicknback.audit.models import AuditLog
    from merchants.tests.factories import MerchantFactory
    from offers.tests.factories import OfferFactory
    from purchases.metrics import dispatches_snapshot
    from purchases.models import Purchase
    from purchases.tests.factories import ingest
    from users.tests.factories import UserFactory

    monkeypatch.setattr(purchases.services, "notify_confirmation_job", lambda: None)  # the beat finds them
    settings.REDIS_URL = private_redis.url  # this process reads the dispatcher's counters
    monkeypatch.setattr("purchases.metrics._client", None)
    offer = OfferFactory(monthly_cap=Decimal("100000.00"))
    hanging_offer = OfferFactory(merchant=MerchantFactory(), monthly_cap=Decimal("100000.00"))
    env = child_env(
        DATABASE_URL=pytest_database_url(),
        REDIS_URL=private_redis.url,
        PURCHASE_VERIFIER_CLASS="tests.faults.slow_verifier.HangingVerifier",
        HANG_MERCHANT_ID=str(hanging_offer.merchant_id),
        PURCHASE_CONFIRMATION_INTERVAL_SECONDS=str(INTERVAL),
        PURCHASE_VERIFY_TIMEOUT_SECONDS=str(TIMEOUT),
        PURCHASE_CLAIM_SECONDS="10",
        PURCHASE_VERIFY_BACKOFF_SECONDS="2",
        PURCHASE_MAX_VERIFICATION_ERRORS=str(MAX_ERRORS),
    )
    control = celery_worker(env, workdir, beat=True, queues="clicknback", concurrency=1)
    verifiers = celery_worker(env, workdir, beat=False, queues="clicknback.verify", concurrency=2)
    processes.extend([control.start(), verifiers.start()])
    assert wait_until(lambda: dispatches_snapshot().get("runs", 0) >= 2, 60), control.output()
    pool = verifiers.children()

    # when: 100 purchases are ingested, one at the merchant whose bank hangs
    users = [UserFactory() for _ in range(5)]
    hung = ingest(users[0], offer=hanging_offer)
    ids = [ingest(users[i % 5], offer=offer).pk for i in range(PURCHASES - 1)]
    started = time.monotonic()
    runs_seen: list[tuple[float, float]] = []
    gaps: dict[int, float] = {}

    def watch() -> bool:
        runs_seen.append((time.monotonic(), dispatches_snapshot().get("runs", 0)))
        row = Purchase.objects.get(pk=hung.pk)
        if row.verification_errors and row.next_attempt_at and row.verification_errors not in gaps:
            gaps[row.verification_errors] = (row.next_attempt_at - row.updated_at).total_seconds()
        return row.review_since is not None

    confirmed_at = None
    while time.monotonic() - started < 60:
        if confirmed_at is None and Purchase.objects.filter(pk__in=ids, status="confirmed").count() == len(ids):
            confirmed_at = time.monotonic() - started
        if watch():
            break
        time.sleep(0.05)
    in_review = time.monotonic() - started

    # then: the 99 within one interval plus their verification (and this machine's slack)
    assert confirmed_at is not None and confirmed_at < INTERVAL + 3, (confirmed_at, verifiers.output())
    assert Purchase.objects.filter(pk__in=ids, status="confirmed").count() == PURCHASES - 1
    # the hung one: no attempt used, growing gaps, in review after MAX_ERRORS time-outs
    hung.refresh_from_db()
    assert (hung.status, hung.verification_attempts, hung.verification_errors) == ("pending", 0, MAX_ERRORS)
    assert hung.review_since is not None and "time-out" in hung.last_verification_error
    assert gaps[2] > gaps[1], gaps
    assert AuditLog.objects.filter(action="purchase.sent_to_review", resource_id=str(hung.pk)).count() == 1
    # the dispatcher kept its pace; no verification worker process was lost or replaced
    beats = [at for (at, runs), (_, before) in zip(runs_seen[1:], runs_seen, strict=False) if runs > before]
    longest = max(b - a for a, b in zip(beats, beats[1:], strict=False))
    assert longest < INTERVAL + 1.5, longest
    assert verifiers.children() == pool and verifiers.proc.poll() is None
    assert "WorkerLostError" not in verifiers.output() and "Hard time limit" not in verifiers.output()
    record(
        "faults",
        f"hung verification: {PURCHASES - 1}/{PURCHASES - 1} others confirmed in {confirmed_at:.1f} s; "
        f"hung one in review after {MAX_ERRORS} time-outs ({in_review:.1f} s), attempts 0, "
        f"dispatcher's longest gap {longest:.2f} s",
    )
