"""``GET /metrics``: what an operator watches when the system runs on many hosts (Prometheus).

* ``clicknback_http_requests_total{route,method,status}`` and
  ``clicknback_http_request_duration_seconds{route,method}`` (histogram): this web
  host's requests (every gunicorn worker of it);
* ``clicknback_confirmation_backlog{state}`` and
  ``clicknback_confirmation_backlog_oldest_age_seconds{state}``: pending purchases by
  the job's last outcome (``new``, ``no_match``, ``verifier_errors``, ``in_review``),
  from the database;
* ``clicknback_review_queue_size``: purchases waiting for an operator;
* ``clicknback_verifications_total{outcome}`` and
  ``clicknback_verification_duration_seconds{outcome}`` (histogram): every verification
  of every worker host, counted in Redis (``purchases/metrics.py``);
* ``clicknback_dispatcher_runs_total``, ``clicknback_dispatcher_claimed_total`` and
  ``clicknback_dispatcher_last_run_timestamp_seconds``.

Protected: with ``METRICS_TOKEN`` set, only ``Authorization: Bearer <token>``; without
it, only clients on loopback or private addresses (the monitoring network).
"""

import hmac
import ipaddress
import logging
import os

from django.conf import settings
from django.db.models import Count, Sum
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from clicknback.outbox.models import Event
from events.models import DeliveryStatus, WebhookDelivery
from purchases.metrics import BUCKETS, dispatches_snapshot, verifications_snapshot
from purchases.selectors import confirmation_backlog

logger = logging.getLogger(__name__)


class JobCollector:
    """The confirmation job's numbers, read at scrape time (one query, two Redis reads)."""

    def collect(self):
        now = timezone.now()
        backlog = GaugeMetricFamily(
            "clicknback_confirmation_backlog", "Pending purchases by the job's last outcome.", labels=["state"]
        )
        age = GaugeMetricFamily(
            "clicknback_confirmation_backlog_oldest_age_seconds",
            "Age of the oldest pending purchase in each state (0 when none).",
            labels=["state"],
        )
        review = 0
        for group in confirmation_backlog():
            backlog.add_metric([group.state], group.count)
            oldest = group.oldest_age(now)
            age.add_metric([group.state], oldest.total_seconds() if oldest else 0.0)
            if group.state == "in_review":
                review = group.count
        yield backlog
        yield age
        yield GaugeMetricFamily("clicknback_review_queue_size", "Purchases waiting in the review queue.", value=review)
        yield from _webhook_metrics()
        try:
            raw = verifications_snapshot()
            dispatcher = dispatches_snapshot()
        except Exception:  # noqa: BLE001 - Redis down: the database metrics are still worth a scrape
            logger.warning("Could not read the job's counters from Redis.", exc_info=True)
            return
        total = CounterMetricFamily("clicknback_verifications", "Verification outcomes.", labels=["outcome"])
        duration = HistogramMetricFamily(
            "clicknback_verification_duration_seconds", "Time the bank took to answer.", labels=["outcome"]
        )
        outcomes = sorted({name.split(":")[1] for name in raw if name.startswith("count:")})
        for outcome in outcomes:
            total.add_metric([outcome], raw.get(f"count:{outcome}", 0))
            if f"timed:{outcome}" in raw:
                buckets = [(str(bound), raw.get(f"le:{outcome}:{bound}", 0)) for bound in BUCKETS]
                buckets.append(("+Inf", raw[f"timed:{outcome}"]))
                duration.add_metric([outcome], buckets, raw.get(f"sum:{outcome}", 0.0))
        yield total
        yield duration
        yield CounterMetricFamily("clicknback_dispatcher_runs", "Dispatcher runs.", value=dispatcher.get("runs", 0))
        yield CounterMetricFamily(
            "clicknback_dispatcher_claimed", "Purchases claimed by the dispatcher.", value=dispatcher.get("claimed", 0)
        )
        yield GaugeMetricFamily(
            "clicknback_dispatcher_last_run_timestamp_seconds",
            "When the dispatcher last ran (Unix time).",
            value=dispatcher.get("last_run", 0),
        )


def _webhook_metrics():
    """Webhook deliveries by outcome (pending, succeeded, failed) and the attempts they took,
    and the events the relay has not taken yet: one query each, from the database, so one
    scrape sees every worker host's deliveries."""
    deliveries = GaugeMetricFamily(
        "clicknback_webhook_deliveries", "Webhook deliveries by outcome.", labels=["outcome"]
    )
    attempts = GaugeMetricFamily(
        "clicknback_webhook_delivery_attempts", "Attempts made by the deliveries in each outcome.", labels=["outcome"]
    )
    counts = dict.fromkeys(DeliveryStatus.values, (0, 0))
    rows = WebhookDelivery.objects.order_by().values("status").annotate(n=Count("id"), tries=Sum("attempts"))
    for row in rows:
        counts[row["status"]] = (row["n"], row["tries"] or 0)
    for outcome, (count, tries) in sorted(counts.items()):
        deliveries.add_metric([outcome], count)
        attempts.add_metric([outcome], tries)
    yield deliveries
    yield attempts
    waiting = Event.objects.filter(relayed_at__isnull=True).count()
    yield GaugeMetricFamily("clicknback_events_waiting", "Events the relay has not taken yet.", value=waiting)


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        supplied = request.headers.get("Authorization", "")
        return hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode())
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from clicknback.api.metrics import LATENCY, REQUESTS

        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(JobCollector())
    return registry


@require_http_methods(["GET"])
def metrics(request):
    if not _allowed(request):
        return HttpResponseForbidden("metrics are for the monitoring network\n", content_type="text/plain")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
