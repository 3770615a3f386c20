"""A bank verifier that takes its time, so a worker can be killed in the middle of work."""

import os
import time

from purchases.verifier import SimulatedBankVerifier


class SlowVerifier(SimulatedBankVerifier):
    def verify(self, purchase) -> bool:
        time.sleep(float(os.environ.get("SLOW_VERIFIER_SECONDS", "0.4")))
        return super().verify(purchase)


class HangingVerifier(SimulatedBankVerifier):
    """Never answers for the merchant ``HANG_MERCHANT_ID`` (an hour, far past every limit)."""

    def verify(self, purchase) -> bool:
        if str(purchase.merchant_id) == os.environ.get("HANG_MERCHANT_ID"):
            time.sleep(3600)
        return super().verify(purchase)
