"""Verifications by outcome and duration, counted for the whole system in Redis.

The job runs in many worker processes on many hosts; the web's ``/metrics`` (any web
host) reads these counters back, so one scrape sees every verification. One round trip
per chunk; a Redis failure only loses counts, never a purchase (and pauses counting for
a while, so a broker outage costs the job no time-outs).
"""

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# Upper bounds (seconds) of the duration histogram; "+Inf" is implied.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PAUSE_SECONDS = 30.0
_lock = threading.Lock()
_client: redis.Redis | None = None
_paused_until = 0.0


def _key() -> str:
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}:metrics:verifications"


def _redis() -> redis.Redis:
    global _client
    with _lock:
        if _client is None:
            _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        return _client


def verifications_observe(*, outcomes: Mapping[Any, str], seconds: Mapping[Any, float]) -> None:
    """Count each purchase's outcome; add the verifications' durations to the histogram."""
    global _paused_until
    if not outcomes or time.monotonic() < _paused_until:
        return
    fields: dict[str, float] = {}
    for purchase_id, outcome in outcomes.items():
        fields[f"count:{outcome}"] = fields.get(f"count:{outcome}", 0) + 1
        took = seconds.get(purchase_id)
        if took is None:
            continue
        fields[f"sum:{outcome}"] = fields.get(f"sum:{outcome}", 0.0) + took
        fields[f"timed:{outcome}"] = fields.get(f"timed:{outcome}", 0) + 1
        for bound in BUCKETS:
            if took <= bound:
                fields[f"le:{outcome}:{bound}"] = fields.get(f"le:{outcome}:{bound}", 0) + 1
    try:
        pipe = _redis().pipeline(transaction=False)
        for name, value in fields.items():
            if name.startswith("sum:"):
                pipe.hincrbyfloat(_key(), name, value)
            else:
                pipe.hincrby(_key(), name, int(value))
        pipe.execute()
    except redis.RedisError:
        _paused_until = time.monotonic() + PAUSE_SECONDS
        logger.warning("Could not count verifications in Redis; counting pauses.", exc_info=True)


def _dispatch_key() -> str:
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}:metrics:dispatcher"


def dispatches_observe(*, claimed: int) -> None:
    """One dispatcher run: how many runs so far, when the last one ran, purchases claimed."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.hincrby(_dispatch_key(), "runs", 1)
        pipe.hincrby(_dispatch_key(), "claimed", claimed)
        pipe.hset(_dispatch_key(), "last_run", time.time())
        pipe.execute()
    except redis.RedisError:
        _paused_until = time.monotonic() + PAUSE_SECONDS
        logger.warning("Could not count dispatcher runs in Redis; counting pauses.", exc_info=True)


def dispatches_snapshot() -> dict[str, float]:
    return _decoded(_redis().hgetall(_dispatch_key()))


def verifications_snapshot() -> dict[str, float]:
    """The raw counters (``count:<outcome>``, ``sum:<outcome>``, ``timed:<outcome>``, ``le:<outcome>:<bound>``)."""
    return _decoded(_redis().hgetall(_key()))


def _decoded(raw: Any) -> dict[str, float]:
    return {(name.decode() if isinstance(name, bytes) else name): float(value) for name, value in raw.items()}
