"""Bank verifiers: does the bank know this purchase? Chosen by ``PURCHASE_VERIFIER_CLASS``.

A verifier is any class with ``verify(self, purchase) -> bool`` (``True`` = the bank
matched the purchase). It runs outside any database transaction, so it may be slow.
Raising means "could not ask": the attempt is not counted and the purchase is claimed
again once its claim expires.
"""

from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from purchases.models import Purchase


class BankVerifier:
    def verify(self, purchase: Purchase) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


class SimulatedBankVerifier(BankVerifier):
    """Matches every purchase on the first attempt, except at ``REJECTION_MERCHANT_IDS``."""

    def verify(self, purchase: Purchase) -> bool:
        rejected = {str(merchant_id).lower() for merchant_id in settings.REJECTION_MERCHANT_IDS}
        return str(purchase.merchant_id).lower() not in rejected


@lru_cache(maxsize=8)
def _verifier_for(path: str) -> BankVerifier:
    return import_string(path)()


def verifier_get() -> BankVerifier:
    return _verifier_for(settings.PURCHASE_VERIFIER_CLASS)
