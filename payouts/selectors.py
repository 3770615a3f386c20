"""Payout reads: single payout, the user's and the admin's lists, the month's total."""

import functools
import uuid
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from clicknback.lookup import get_object_or_not_found
from clicknback.money import ZERO
from clicknback.sql import column, table
from payouts.models import Payout, PayoutStatus


def payout_get(*, payout_id: uuid.UUID | str) -> Payout:
    return get_object_or_not_found(Payout, "payout", pk=payout_id)


@functools.cache
def _month_used_sql() -> str:
    payout = functools.partial(column, Payout)
    return (
        f"SELECT SUM({payout('amount')}) FROM {table(Payout)} "  # noqa: S608 - identifiers from the models  # nosec B608
        f"WHERE {payout('user')} = %s AND {payout('requested_at')} >= %s AND {payout('status')} NOT IN (%s, %s, %s)"
    )


def payout_month_used(*, user_id: uuid.UUID, since: datetime) -> Decimal:
    """What the user requested since ``since`` (the month's start): every payout but those that
    gave the money back (failed, cancelled, returned).

    Plain SQL (``clicknback.sql``): it runs under the wallet lock of every payout request,
    where the ORM's ``aggregate()`` cost several times the statement.
    """
    with connection.cursor() as cursor:
        refunded = [PayoutStatus.FAILED.value, PayoutStatus.CANCELLED.value, PayoutStatus.RETURNED.value]
        cursor.execute(_month_used_sql(), [user_id, since, *refunded])
        (total,) = cursor.fetchone()
    return ZERO if total is None else total


def payout_list(*, user_id: uuid.UUID | None = None) -> QuerySet[Payout]:
    """Newest first (``requested_at`` desc, then id), of one user when ``user_id`` is given;
    the list filters (``payouts.filters``) narrow it. One query per page, no joins needed."""
    queryset = Payout.objects.all()
    if user_id is not None:
        queryset = queryset.filter(user_id=user_id)
    return queryset.order_by("-requested_at", "-id")
