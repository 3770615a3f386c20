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
from collections.abc import Sequence
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
    max_cashback_per_purchase: Decimal | None = None
    # For the event of the purchase (its §6 shape names the merchant); read in the same statement.
    merchant_name: str = field(default="", compare=False)


@functools.cache
def _offer_terms_sql() -> str:
    offer = functools.partial(column, Offer)
    names = ("id", "merchant", "cashback_type", "cashback_value", "monthly_cap", "max_cashback_per_purchase")
    columns = ", ".join(offer(name) for name in names)
    columns += f", {column(Merchant, 'name')}"
    # One row per asked (merchant, day) that has an offer; a merchant has at most one
    # active offer, so at most one row per pair.
    return (
        f"SELECT k.i, {columns} FROM unnest(%s::int[], %s::uuid[], %s::date[]) AS k(i, merchant_id, day) "  # noqa: S608 - identifiers from the models, values are parameters  # nosec B608
        f"INNER JOIN {table(Offer)} ON {offer('merchant')} = k.merchant_id "
        f"INNER JOIN {table(Merchant)} ON {offer('merchant')} = {column(Merchant, 'id')} "
        f"WHERE {column(Merchant, 'active')} AND {offer('status')} = %s "
        f"AND {offer('start_date')} <= k.day AND {offer('end_date')} >= k.day"
    )


def offer_terms_for_purchases(
    *, wanted: Sequence[tuple[uuid.UUID, dt.date]]
) -> dict[tuple[uuid.UUID, dt.date], OfferTerms]:
    """The terms of the offer a purchase earns at each (merchant, day) asked, in one statement.

    The rule is ``offers.selectors.offers_valid_on`` (an active offer of an active
    merchant, valid on the day, bounds inclusive; at most one per merchant), written
    here without model instances; ``purchases/tests/test_selectors.py`` holds the two
    equal. A change to the rule changes both. Pairs with no offer are absent.
    """
    pairs = list(dict.fromkeys(wanted))
    if not pairs:
        return {}
    params: list = [list(range(len(pairs))), [m for m, _ in pairs], [d for _, d in pairs], OfferStatus.ACTIVE.value]
    with connection.cursor() as cursor:
        cursor.execute(_offer_terms_sql(), params)
        rows = cursor.fetchall()
    found: dict[tuple[uuid.UUID, dt.date], OfferTerms] = {}
    for index, *terms in rows:
        found.setdefault(pairs[index], OfferTerms(*terms))
    return found


def offer_terms_for_purchase(*, merchant_id: uuid.UUID, on_date: dt.date) -> OfferTerms | None:
    """The terms of the offer a purchase at this merchant earns on ``on_date``, or None."""
    return offer_terms_for_purchases(wanted=[(merchant_id, on_date)]).get((merchant_id, on_date))


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
        f"SELECT k.i, SUM({cashback('amount')} - {cashback('returned_amount')}) "  # noqa: S608 - identifiers from the models, values are parameters  # nosec B608
        f"FROM unnest(%s::int[], %s::uuid[], %s::uuid[], %s::timestamptz[], %s::timestamptz[]) "
        f"AS k(i, user_id, offer_id, lo, hi) "
        f"INNER JOIN {table(CashbackTransaction)} "
        f"ON {cashback('user')} = k.user_id AND {cashback('offer')} = k.offer_id "
        f"AND {cashback('purchased_at')} >= k.lo AND {cashback('purchased_at')} < k.hi "
        f"WHERE {cashback('status')} IN (%s, %s) GROUP BY k.i"
    )


CapKey = tuple[uuid.UUID, uuid.UUID, dt.datetime]  # (user, offer, first instant of the UTC month)


def cap_key(*, user_id: uuid.UUID, offer_id: uuid.UUID, moment: dt.datetime) -> CapKey:
    return user_id, offer_id, month_bounds(moment)[0]


def cashback_earned_in_months(*, keys: Sequence[CapKey]) -> dict[CapKey, Decimal]:
    """Cashback each user earned from each offer in each UTC month asked, in one statement:
    pending and available count (less what returns took back), reversed does not (so a
    reversal or a return frees room). The month is the purchase's ``purchased_at``."""
    keys = list(dict.fromkeys(keys))
    earned = dict.fromkeys(keys, ZERO)
    if not keys:
        return earned
    params: list = [
        list(range(len(keys))),
        [user for user, _, _ in keys],
        [offer for _, offer, _ in keys],
        [start for _, _, start in keys],
        [month_bounds(start)[1] for _, _, start in keys],
        CashbackStatus.PENDING.value,
        CashbackStatus.AVAILABLE.value,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_earned_sql(), params)
        for index, total in cursor.fetchall():
            earned[keys[index]] = ZERO if total is None else total
    return earned


def cashback_earned_in_month(*, user_id: uuid.UUID, offer_id: uuid.UUID, moment: dt.datetime) -> Decimal:
    """``cashback_earned_in_months`` for one user, offer and month."""
    key = cap_key(user_id=user_id, offer_id=offer_id, moment=moment)
    return cashback_earned_in_months(keys=[key])[key]


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
