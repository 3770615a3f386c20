"""The scale-out test's client host: ``python -m tests.scaleout.driver WORKDIR COUNT WEB_URL...``.

Seeds users and an offer (through PgBouncer, like every other host), ingests COUNT
purchases through the web hosts in turn (each request with its own ``X-Request-ID``),
writes the number confirmed so far to ``WORKDIR/progress`` (the test kills a worker host
when it sees enough), waits until every purchase is decided, then checks that each was
confirmed exactly once and carries its request id, runs ``reconcile_wallets``, and
writes the findings to ``WORKDIR/result.json``.
"""

import io
import json
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import django

USERS = 20
DEADLINE_SECONDS = 90


def post(url: str, token: str, body: dict, request_id: str) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")  # noqa: S310 - test network
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("X-Request-ID", request_id)
    for attempt in range(3):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  # nosec B310
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            if attempt == 2:
                raise
            time.sleep(0.5)
    return 0


def main(workdir: Path, count: int, webs: list[str]) -> None:
    django.setup()
    from django.core.management import call_command
    from django.db.models import Count
    from rest_framework_simplejwt.tokens import AccessToken

    from clicknback.audit.models import AuditLog
    from offers.tests.factories import OfferFactory
    from purchases.models import Purchase
    from users.tests.factories import UserFactory
    from wallets.models import LedgerEntry

    users = [UserFactory() for _ in range(USERS)]
    offer = OfferFactory(monthly_cap=Decimal("1000000.00"))
    tokens = {user.pk: str(AccessToken.for_user(user)) for user in users}
    prefix = f"so-{int(time.time())}-"
    statuses: list[int] = []

    def ingest(index: int) -> None:
        user = users[index % USERS]
        body = {
            "external_id": f"{prefix}{index:05d}",
            "user_id": str(user.pk),
            "merchant_id": str(offer.merchant_id),
            "amount": "10.00",
            "currency": "EUR",
        }
        web = webs[index % len(webs)]
        statuses.append(post(f"{web}/api/v1/purchases", tokens[user.pk], body, f"{prefix}req-{index:05d}"))

    def ingest_all() -> None:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(ingest, range(count)))

    ingestion = threading.Thread(target=ingest_all)
    started = time.monotonic()
    ingestion.start()
    ours = Purchase.objects.filter(external_id__startswith=prefix)
    while time.monotonic() - started < DEADLINE_SECONDS:
        decided = ours.exclude(status="pending").count()
        (workdir / "progress").write_text(str(decided))
        if decided >= count:
            break
        time.sleep(0.25)
    ingestion.join(timeout=30)
    seconds = time.monotonic() - started
    ids = [str(pk) for pk in ours.values_list("pk", flat=True)]
    confirmations = (
        AuditLog.objects.filter(action="purchase.confirmed", resource_id__in=ids)
        .values("resource_id")
        .annotate(n=Count("id"))
    )
    per_purchase = {row["resource_id"]: row["n"] for row in confirmations}
    ledger = (
        LedgerEntry.objects.filter(source_id__in=ids, reason="cashback_confirmed")
        .values("source_id", "bucket")
        .annotate(n=Count("id"))
    )
    carried = AuditLog.objects.filter(
        action="purchase.confirmed", resource_id__in=ids, request_id__startswith=f"{prefix}req-"
    ).count()
    report = io.StringIO()
    try:
        call_command("reconcile_wallets", stdout=report, stderr=report)
        reconciled = True
    except SystemExit as exc:
        reconciled = not exc.code
    result = {
        "ingested": len(ids),
        "created": statuses.count(201),
        "statuses": sorted(set(statuses)),
        "confirmed": ours.filter(status="confirmed").count(),
        "seconds": round(seconds, 1),
        "exactly_once": len(per_purchase) == len(ids) and set(per_purchase.values()) == {1},
        "ledger_pairs_once": len(ledger) == 2 * len(ids) and all(row["n"] == 1 for row in ledger),
        "request_ids_carried": carried,
        "reconciled": reconciled,
        "reconcile_output": report.getvalue().strip()[-300:],
    }
    (workdir / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:])
