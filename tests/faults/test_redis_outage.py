"""Redis (the broker) stops: ingestion keeps answering 201, readiness says 503, and once
Redis is back the dispatcher confirms every purchase made during the outage.

Real processes: a gunicorn web server and a ``celery worker -B`` against the test
database and a private Redis that this test stops and starts again (empty, so every
message queued before the outage is gone: recovery must come from the database).
"""

from decimal import Decimal

import pytest
from django.db.models import Count
from rest_framework_simplejwt.tokens import AccessToken

from tests.conftest import record
from tests.faults.procs import (
    celery_worker,
    child_env,
    free_port,
    http,
    pytest_database_url,
    wait_http_ready,
    wait_until,
    web_server,
)

DURING_OUTAGE = 3


def _statuses(ids):
    from purchases.models import Purchase

    return list(Purchase.objects.filter(pk__in=ids).values_list("status", flat=True))


@pytest.mark.slow
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_ingestion_survives_a_broker_outage_and_nothing_is_lost(private_redis, workdir, processes):
    # given a web server and a worker on a private Redis
    from clicknback.audit.models import AuditLog
    from offers.tests.factories import OfferFactory
    from users.tests.factories import UserFactory

    user = UserFactory()
    offer = OfferFactory(monthly_cap=Decimal("1000.00"))
    token = str(AccessToken.for_user(user))
    env = child_env(
        DATABASE_URL=pytest_database_url(),
        REDIS_URL=private_redis.url,
        PURCHASE_CONFIRMATION_INTERVAL_SECONDS="1",
        PURCHASE_CLAIM_SECONDS="5",
        PURCHASE_VERIFY_TIMEOUT_SECONDS="3",
        CELERY_VISIBILITY_TIMEOUT="10",
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes.append(web_server(env, port).start())
    processes.append(celery_worker(env, workdir).start())
    assert wait_http_ready(base), processes[0].output()

    def buy(n: int):
        body = {"external_id": f"outage-{user.pk}-{n}", "user_id": str(user.pk),
                "merchant_id": str(offer.merchant_id), "amount": "20.00", "currency": "EUR"}  # fmt: skip
        return http("POST", f"{base}/api/v1/purchases", body=body, token=token)

    status, first, _ = buy(0)
    assert status == 201, first
    assert wait_until(lambda: _statuses([first["id"]]) == ["confirmed"], 60), processes[1].output()

    # when Redis stops
    private_redis.stop()
    answers = [buy(n) for n in range(1, DURING_OUTAGE + 1)]
    ready_status, ready_body, _ = http("GET", f"{base}/health/ready")

    # then ingestion still answers 201 and readiness reports the broker
    assert [status for status, _, _ in answers] == [201] * DURING_OUTAGE, answers
    # bounded, though not fast: each request waits for the failed enqueue (see RELIABILITY.md)
    assert max(seconds for _, _, seconds in answers) < 15
    assert ready_status == 503
    assert ready_body == {"status": "unavailable", "checks": {"database": "ok", "broker": "unavailable"}}
    ids = [body["id"] for _, body, _ in answers]
    assert set(_statuses(ids)) == {"pending"}

    # when Redis comes back (empty)
    private_redis.start()

    # then the dispatcher confirms every purchase made during the outage, exactly once
    assert wait_until(lambda: set(_statuses(ids)) == {"confirmed"}, 90, 0.25), processes[1].output()
    assert http("GET", f"{base}/health/ready")[0] == 200
    confirmations = (
        AuditLog.objects.filter(action="purchase.confirmed", resource_id__in=ids)
        .values("resource_id")
        .annotate(n=Count("id"))
    )
    assert sorted(row["n"] for row in confirmations) == [1] * DURING_OUTAGE
    latencies = "/".join(f"{seconds:.1f}" for _, _, seconds in answers)
    record(
        "faults",
        f"Redis stopped: {DURING_OUTAGE} purchases ingested during the outage, all 201 (latencies {latencies}s), "
        f"/health/ready 503; Redis restarted empty: {DURING_OUTAGE}/{DURING_OUTAGE} confirmed exactly once",
    )
