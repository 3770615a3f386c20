"""The dashboard's numbers: a fixed, small number of aggregate queries, whatever the volume.

"Today" is the current UTC calendar day (the contract's definition). Today's confirmed
and rejected purchases are counted from the audit log, which records each transition
once, when it happens (a purchase's own row only says what it is now).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from clicknback.audit.models import AuditLog
from clicknback.money import ZERO
from payouts.models import Payout, PayoutStatus
from purchases.models import CashbackStatus, CashbackTransaction
from purchases.selectors import BacklogGroup, confirmation_backlog

CHART_DAYS = 30


@dataclass(frozen=True)
class TodayPurchases:
    ingested: int
    confirmed: int
    rejected: int


@dataclass(frozen=True)
class Backlog:
    pending: int
    oldest_created_at: dt.datetime | None

    def oldest_age(self, now: dt.datetime) -> dt.timedelta | None:
        return now - self.oldest_created_at if self.oldest_created_at else None


@dataclass(frozen=True)
class PayoutsWaiting:
    requested: int
    requested_amount: Decimal
    processing: int
    processing_amount: Decimal
    oldest_requested_at: dt.datetime | None


@dataclass(frozen=True)
class DailySeries:
    days: list[dt.date]
    credited: list[Decimal]
    paid_out: list[Decimal]


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def today_purchases(*, today: dt.date) -> TodayPurchases:
    start, end = day_start(today), day_start(today + dt.timedelta(days=1))
    counts = AuditLog.objects.filter(
        resource_type="purchase",
        action__in=("purchase.ingested", "purchase.confirmed", "purchase.rejected"),
        occurred_at__gte=start,
        occurred_at__lt=end,
    ).aggregate(
        ingested=Count("id", filter=Q(action="purchase.ingested")),
        confirmed=Count("id", filter=Q(action="purchase.confirmed")),
        rejected=Count("id", filter=Q(action="purchase.rejected")),
    )
    return TodayPurchases(**counts)


def pending_backlog(groups: list[BacklogGroup] | None = None) -> Backlog:
    """Every pending purchase: the sum of the job's backlog groups (``confirmation_backlog``)."""
    groups = confirmation_backlog() if groups is None else groups
    oldest = [group.oldest_created_at for group in groups if group.oldest_created_at is not None]
    return Backlog(pending=sum(group.count for group in groups), oldest_created_at=min(oldest, default=None))


def payouts_waiting() -> PayoutsWaiting:
    requested = Q(status=PayoutStatus.REQUESTED)
    processing = Q(status=PayoutStatus.PROCESSING)
    row = Payout.objects.filter(requested | processing).aggregate(
        requested=Count("id", filter=requested),
        requested_amount=Sum("amount", filter=requested),
        processing=Count("id", filter=processing),
        processing_amount=Sum("amount", filter=processing),
        oldest=Min("requested_at"),
    )
    return PayoutsWaiting(
        requested=row["requested"],
        requested_amount=row["requested_amount"] or ZERO,
        processing=row["processing"],
        processing_amount=row["processing_amount"] or ZERO,
        oldest_requested_at=row["oldest"],
    )


def daily_cashback_and_payouts(*, today: dt.date, days: int = CHART_DAYS) -> DailySeries:
    """Per UTC day over the last ``days`` days (today included): cashback credited to
    wallets (by the day it was recorded, leaving out reversed cashback) and payouts
    completed (by the day they were paid). Two grouped queries."""
    first = today - dt.timedelta(days=days - 1)
    start, end = day_start(first), day_start(today + dt.timedelta(days=1))
    credited = dict(
        CashbackTransaction.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(status=CashbackStatus.REVERSED)
        .annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
        .values("day")
        .annotate(total=Sum("amount"))
        .values_list("day", "total")
        .order_by()
    )
    paid = dict(
        Payout.objects.filter(status=PayoutStatus.COMPLETED, processed_at__gte=start, processed_at__lt=end)
        .annotate(day=TruncDate("processed_at", tzinfo=dt.UTC))
        .values("day")
        .annotate(total=Sum("amount"))
        .values_list("day", "total")
        .order_by()
    )
    all_days = [first + dt.timedelta(days=offset) for offset in range(days)]
    return DailySeries(
        days=all_days,
        credited=[credited.get(day) or ZERO for day in all_days],
        paid_out=[paid.get(day) or ZERO for day in all_days],
    )


def utc_today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()
