"""Bank verifiers: does the bank know this purchase? Chosen by ``PURCHASE_VERIFIER_CLASS``.

A verifier is any class with ``verify(self, purchase) -> bool | Decline``:

* ``True``: the bank matched the purchase (it is confirmed);
* ``False``: no match yet (one attempt used; retried until the last attempt);
* ``Decline(reason)``: a hard decline, the purchase is rejected at once;
* raising means "could not ask" (the bank is down): no attempt is used, the purchase is
  retried with exponential backoff and goes to manual review after
  ``PURCHASE_MAX_VERIFICATION_ERRORS`` errors or time-outs.

It runs outside any database transaction, in a thread of its own next to the other
verifications of its task, and must not use the database: only the purchase it is
given. Each call has ``PURCHASE_VERIFY_TIMEOUT_SECONDS``; a verifier that talks to a
bank should give its own client that time-out (``deadline_seconds``), since an answer
arriving later is ignored and the purchase counts as timed out.
"""

import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from purchases.models import Purchase


@dataclass(frozen=True)
class Decline:
    """The bank's hard "no": the purchase is rejected with this reason, without more attempts."""

    reason: str = ""


class BankVerifier:
    def verify(self, purchase: Purchase) -> bool | Decline:  # pragma: no cover - interface
        raise NotImplementedError


def deadline_seconds() -> float:
    """How long one verification may take (``PURCHASE_VERIFY_TIMEOUT_SECONDS``)."""
    return float(settings.PURCHASE_VERIFY_TIMEOUT_SECONDS)


class SimulatedBankVerifier(BankVerifier):
    """Matches every purchase on the first attempt, except at ``REJECTION_MERCHANT_IDS``.

    ``PURCHASE_SIMULATOR_LATENCY_MS`` makes each answer take that long, like a real bank.
    """

    def verify(self, purchase: Purchase) -> bool | Decline:
        latency = settings.PURCHASE_SIMULATOR_LATENCY_MS
        if latency > 0:
            time.sleep(latency / 1000)
        rejected = {str(merchant_id).lower() for merchant_id in settings.REJECTION_MERCHANT_IDS}
        return str(purchase.merchant_id).lower() not in rejected


@lru_cache(maxsize=8)
def _verifier_for(path: str) -> BankVerifier:
    return import_string(path)()


def verifier_get() -> BankVerifier:
    return _verifier_for(settings.PURCHASE_VERIFIER_CLASS)
