"""A bank verifier that takes its time, so a worker can be killed in the middle of work."""

import os
import time

from purchases.verifier import SimulatedBankVerifier


class SlowVerifier(SimulatedBankVerifier):
    def verify(self, purchase) -> bool:
        time.sleep(float(os.environ.get("SLOW_VERIFIER_SECONDS", "0.4")))
        return super().verify(purchase)
