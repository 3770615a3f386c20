import pytest


@pytest.fixture(autouse=True)
def _payout_policy_defaults(settings):
    """The contract's defaults, whatever the environment says."""
    settings.PAYOUT_MIN_AMOUNT = "10.00"
    settings.PAYOUT_MONTHLY_LIMIT = "100.00"
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
