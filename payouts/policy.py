"""The payout policy (contract §9): the minimum and what remains of the monthly limit.

One definition, used by ``payout_request`` under the wallet lock (the rule) and by the
withdrawal page to show the terms and every problem of a form at once (a preview: the
service decides again under the lock).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from clicknback.money import ZERO, format_amount, quantize
from payouts.selectors import payout_month_used


def payout_min_amount() -> Decimal:
    return quantize(Decimal(str(settings.PAYOUT_MIN_AMOUNT)))


def payout_monthly_limit() -> Decimal:
    return quantize(Decimal(str(settings.PAYOUT_MONTHLY_LIMIT)))


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def monthly_remaining(*, user_id, now: datetime, limit: Decimal) -> Decimal:
    return max(limit - payout_month_used(user_id=user_id, since=month_start(now)), ZERO)


def policy_violations(*, amount: Decimal, minimum: Decimal, limit: Decimal, remaining: Decimal) -> list[dict]:
    """Every rule ``amount`` breaks, as ``{field, reason}`` violations (none: allowed)."""
    violations = []
    if amount < minimum:
        violations.append({"field": "amount", "reason": f"The minimum payout is {format_amount(minimum)}."})
    if amount > remaining:
        violations.append(
            {
                "field": "amount",
                "reason": f"Only {format_amount(remaining)} of the monthly limit of "
                f"{format_amount(limit)} remains this month.",
            }
        )
    return violations


@dataclass(frozen=True)
class PayoutTerms:
    """What a user may withdraw now (read without the lock: for showing, not deciding)."""

    minimum: Decimal
    limit: Decimal
    remaining: Decimal
    available: Decimal

    @property
    def most(self) -> Decimal:
        return min(self.remaining, self.available)


def payout_terms(*, user_id, available: Decimal) -> PayoutTerms:
    limit = payout_monthly_limit()
    return PayoutTerms(
        minimum=payout_min_amount(),
        limit=limit,
        remaining=monthly_remaining(user_id=user_id, now=timezone.now(), limit=limit),
        available=available,
    )
