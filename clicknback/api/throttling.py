"""Throttles whose rate is a setting read on every request (``"off"`` disables one),
counted in the cache (Redis): per user, or per partner key (``partners.throttles``).

They fail open: while the cache is unreachable, requests are let through (and a warning
logged) rather than refused, so a Redis outage never stops ingestion or payouts, which
need only PostgreSQL.
"""

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

# Cache keys this process has used, so tests can forget them (``reset_throttles``).
_touched_keys: set[str] = set()


class SettingRateThrottle(SimpleRateThrottle):
    rate_setting = ""

    def __init__(self):  # the rate is read per request, not at class creation
        pass

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - the cache (Redis) is down: count nothing, refuse nothing
            logger.warning("Throttle %s could not reach the cache; the request is let through.", self.scope)
            return True

    def get_rate(self):
        rate = getattr(settings, self.rate_setting, None)
        if not rate or str(rate).strip().lower() == "off":
            return None
        return rate

    def get_ident(self, request) -> str:
        return str(request.user.pk)

    def get_cache_key(self, request, view):
        key = self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        _touched_keys.add(key)
        return key


class PurchaseIngestThrottle(SettingRateThrottle):
    """Purchase ingestion per user (§9)."""

    scope = "purchase_ingest"
    rate_setting = "PURCHASE_THROTTLE_RATE"


class PayoutRequestThrottle(SettingRateThrottle):
    """Payout requests per user (§9)."""

    scope = "payout_request"
    rate_setting = "PAYOUT_THROTTLE_RATE"


def reset_throttles() -> None:
    """Forget the counters this process created (used between tests)."""
    if _touched_keys:
        keys = list(_touched_keys)
        _touched_keys.clear()
        SimpleRateThrottle.cache.delete_many(keys)
