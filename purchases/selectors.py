"""Purchase reads: detail, lists with the contract's filters, the monthly cap sum, and the
feature-flag scopes of the confirmation job.

The two reads of every ingestion (the offer that credits it and the monthly cap sum) are
plain SQL (``clicknback.sql``): built through the ORM they cost several times more Python
than the statement itself (query building and model instances), on the hottest write
path. Tests hold each one equal to its ORM twin.
"""

import datetime as dt
import functools
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Min, Q, QuerySet

from clicknback.errors import NotFound
from clicknback.flags.models import FeatureFlag, ScopeType
from clicknback.lookup import get_object_or_not_found
from clicknback.money import ZERO
from clicknback.sql import column, table
from merchants.models import Merchant
from merchants.selectors import merchant_get
from offers.models import Offer, OfferStatus
from purchases.models import CashbackStatus, CashbackTransaction, Purchase, PurchaseStatus

AUTO_CONFIRM_FLAG = "purchase_auto_confirm"
JOB_FLAG = "purchase_confirmation_job"


def _base() -> QuerySet[Purchase]:
    # merchant (name) and the reverse one-to-one cashback row are joined: a page of
    # purchases costs one query whatever its size.
    return Purchase.objects.select_related("merchant", "cashback")


def purchase_get(*, purchase_id: uuid.UUID | str) -> Purchase:
    """The purchase with its merchant and cashback; ``NotFound`` for unknown or malformed ids."""
    return get_object_or_not_found(_base(), "purchase", pk=purchase_id)


def purchase_list(*, user_id: uuid.UUID | None = None) -> QuerySet[Purchase]:
    """Purchases newest first, of one user when ``user_id`` is given; the list filters
    (``purchases.filters``) narrow it."""
    queryset = _base()
    if user_id:
        queryset = queryset.filter(user_id=user_id)
    return queryset.order_by("-created_at", "-id")


def purchase_external_get(*, external_id: str) -> Purchase | None:
    return Purchase.objects.filter(external_id=external_id).first()


def merchant_eligible(*, merchant_id: uuid.UUID) -> Merchant | None:
    """The merchant if it exists and is active, else None."""
    try:
        merchant = merchant_get(merchant_id=merchant_id)
    except NotFound:
        return None
    return merchant if merchant.active else None


@dataclass(frozen=True)
class OfferTerms:
    """What an ingestion needs of the offer that credits the purchase."""

    offer_id: uuid.UUID
    merchant_id: uuid.UUID
    cashback_type: str
    cashback_value: Decimal
    monthly_cap: Decimal


@functools.cache
def _offer_terms_sql() -> str:
    offer = functools.partial(column, Offer)
    columns = ", ".join(offer(name) for name in ("id", "merchant", "cashback_type", "cashback_value", "monthly_cap"))
    return (
        f"SELECT {columns} FROM {table(Offer)} "  # noqa: S608 - identifiers from the models, values are parameters  # nosec B608
        f"INNER JOIN {table(Merchant)} ON {offer('merchant')} = {column(Merchant, 'id')} "
        f"WHERE {offer('merchant')} = %s AND {column(Merchant, 'active')} AND {offer('status')} = %s "
        f"AND {offer('start_date')} <= %s AND {offer('end_date')} >= %s LIMIT 1"
    )


def offer_terms_for_purchase(*, merchant_id: uuid.UUID, on_date: dt.date) -> OfferTerms | None:
    """The terms of the offer a purchase at this merchant earns on ``on_date``, or None.

    The rule is ``offers.selectors.offers_valid_on`` (an active offer of an active
    merchant, valid on ``on_date``, bounds inclusive; at most one per merchant), written
    here as one statement without model instances; ``purchases/tests/test_selectors.py``
    holds the two equal. A change to the rule changes both.
    """
    with connection.cursor() as cursor:
        cursor.execute(_offer_terms_sql(), [merchant_id, OfferStatus.ACTIVE.value, on_date, on_date])
        row = cursor.fetchone()
    return None if row is None else OfferTerms(*row)


def month_bounds(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[first instant of the UTC calendar month of ``moment``, first instant of the next)."""
    moment = moment.astimezone(dt.UTC)
    start = dt.datetime(moment.year, moment.month, 1, tzinfo=dt.UTC)
    end = dt.datetime(moment.year + (moment.month == 12), moment.month % 12 + 1, 1, tzinfo=dt.UTC)
    return start, end


@functools.cache
def _earned_sql() -> str:
    cashback = functools.partial(column, CashbackTransaction)
    return (
        f"SELECT SUM({cashback('amount')}) "  # noqa: S608 - identifiers from the models, values are parameters  # nosec B608
        f"FROM {table(CashbackTransaction)} WHERE {cashback('user')} = %s AND {cashback('offer')} = %s "
        f"AND {cashback('created_at')} >= %s AND {cashback('created_at')} < %s AND {cashback('status')} IN (%s, %s)"
    )


def cashback_earned_in_month(*, user_id: uuid.UUID, offer_id: uuid.UUID, moment: dt.datetime) -> Decimal:
    """Cashback this user earned from this offer in the UTC month of ``moment``:
    pending and available count, reversed does not (so a reversal frees room)."""
    start, end = month_bounds(moment)
    params: list[uuid.UUID | dt.datetime | str] = [
        user_id,
        offer_id,
        start,
        end,
        CashbackStatus.PENDING.value,
        CashbackStatus.AVAILABLE.value,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_earned_sql(), params)
        (total,) = cursor.fetchone()
    return ZERO if total is None else total


@dataclass(frozen=True)
class AutoConfirmScopes:
    """``purchase_auto_confirm`` resolved for every scope in one read.

    Equivalent to calling ``flag_evaluate`` for a user and for a merchant (the scoped
    flag wins, else the global one, else enabled) but without one query per purchase.
    """

    global_enabled: bool = True
    users: dict[uuid.UUID, bool] = field(default_factory=dict)
    merchants: dict[uuid.UUID, bool] = field(default_factory=dict)

    def allows(self, *, user_id: uuid.UUID, merchant_id: uuid.UUID) -> bool:
        return self.users.get(user_id, self.global_enabled) and self.merchants.get(merchant_id, self.global_enabled)

    def as_q(self) -> Q:
        """A filter on purchases keeping only those this flag lets through."""
        condition = Q()
        for prefix, scoped in (("user_id", self.users), ("merchant_id", self.merchants)):
            if self.global_enabled:
                blocked = [scope_id for scope_id, enabled in scoped.items() if not enabled]
                if blocked:
                    condition &= ~Q(**{f"{prefix}__in": blocked})
            else:
                allowed = [scope_id for scope_id, enabled in scoped.items() if enabled]
                condition &= Q(**{f"{prefix}__in": allowed})
        return condition


def auto_confirm_scopes() -> AutoConfirmScopes:
    rows = FeatureFlag.objects.filter(key=AUTO_CONFIRM_FLAG).values_list("scope_type", "scope_id", "enabled")
    global_enabled = True
    users: dict[uuid.UUID, bool] = {}
    merchants: dict[uuid.UUID, bool] = {}
    for scope_type, scope_id, enabled in rows:
        if scope_id is None:  # the global flag: a CHECK constraint ties a null scope_id to it
            global_enabled = enabled
        elif scope_type == ScopeType.USER:
            users[scope_id] = enabled
        elif scope_type == ScopeType.MERCHANT:
            merchants[scope_id] = enabled
    return AutoConfirmScopes(global_enabled=global_enabled, users=users, merchants=merchants)


@dataclass(frozen=True)
class BacklogGroup:
    """Pending purchases in one state of the confirmation job: how many, since when the oldest."""

    state: str
    label: str
    count: int
    oldest_created_at: dt.datetime | None

    def oldest_age(self, now: dt.datetime) -> dt.timedelta | None:
        return now - self.oldest_created_at if self.oldest_created_at else None


# The confirmation backlog by the last outcome of each pending purchase (one query).
BACKLOG_STATES = {
    "new": ("Not asked yet", Q(review_since__isnull=True, verification_attempts=0, verification_errors=0)),
    "no_match": ("No match yet", Q(review_since__isnull=True, verification_attempts__gt=0, verification_errors=0)),
    "verifier_errors": ("Verifier errors, backing off", Q(review_since__isnull=True, verification_errors__gt=0)),
    "in_review": ("In manual review", Q(review_since__isnull=False)),
}


def confirmation_backlog() -> list[BacklogGroup]:
    aggregates: dict[str, Count | Min] = {}
    for state, (_label, condition) in BACKLOG_STATES.items():
        aggregates[f"{state}_count"] = Count("id", filter=condition)
        aggregates[f"{state}_oldest"] = Min("created_at", filter=condition)
    row = Purchase.objects.filter(status=PurchaseStatus.PENDING).aggregate(**aggregates)
    return [
        BacklogGroup(state, label, row[f"{state}_count"], row[f"{state}_oldest"])
        for state, (label, _condition) in BACKLOG_STATES.items()
    ]


def review_queue() -> QuerySet[Purchase]:
    """Pending purchases waiting for an operator after repeated verifier errors, oldest first."""
    return Purchase.objects.filter(status=PurchaseStatus.PENDING, review_since__isnull=False).order_by("review_since")
