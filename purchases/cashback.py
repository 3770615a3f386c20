"""Cashback arithmetic: pure functions, no database (API contract §1 and §6).

The raw cashback is computed exactly and quantized once (ROUND_HALF_EVEN to 0.01) and is
never more than the purchase amount (a fixed 3.00 on a 0.01 purchase earns 0.01) nor the
offer's ``max_cashback_per_purchase``; the monthly cap then limits what is credited,
never below 0.00.
"""

from decimal import Decimal

from clicknback.money import ZERO, quantize
from offers.models import CashbackType


def cashback_raw(*, amount: Decimal, cashback_type: str, cashback_value: Decimal) -> Decimal:
    """Fixed value, or amount × percent / 100, rounded once; never more than ``amount``."""
    if cashback_type == CashbackType.FIXED:
        raw = quantize(cashback_value)
    elif cashback_type == CashbackType.PERCENT:
        raw = quantize(amount * cashback_value / Decimal(100))
    else:
        raise ValueError(f"Unknown cashback type {cashback_type!r}.")
    return min(raw, quantize(amount))


def cashback_capped(*, raw: Decimal, monthly_cap: Decimal, already_earned: Decimal) -> Decimal:
    """What may be credited: min(raw, cap − already earned this month), never below 0.00."""
    room = monthly_cap - already_earned
    return quantize(max(ZERO, min(raw, room)))


def cashback_for(
    *,
    amount: Decimal,
    cashback_type: str,
    cashback_value: Decimal,
    monthly_cap: Decimal,
    already_earned: Decimal,
    max_per_purchase: Decimal | None = None,
) -> Decimal:
    """The raw cashback, limited by the offer's ``max_cashback_per_purchase`` (when it has
    one), then by what is left of the monthly cap."""
    raw = cashback_raw(amount=amount, cashback_type=cashback_type, cashback_value=cashback_value)
    if max_per_purchase is not None:
        raw = min(raw, quantize(max_per_purchase))
    return cashback_capped(raw=raw, monthly_cap=monthly_cap, already_earned=already_earned)
