"""Purchases are created through ``purchase_ingest`` and moved on by the transition
services, so wallets, ledgers and audit rows always match."""

import itertools
from decimal import Decimal

from clicknback.audit.services import SYSTEM, Actor
from offers.tests.factories import OfferFactory
from purchases.models import Purchase, PurchaseStatus
from purchases.services import purchase_confirm, purchase_ingest, purchase_reject, purchase_reverse

REJECTION_REASON = "No matching bank transaction."

_sequence = itertools.count(1)


def next_external_id() -> str:
    return f"ext-{next(_sequence):06d}"


def ingest(
    user,
    *,
    offer=None,
    amount: Decimal = Decimal("100.00"),
    external_id: str | None = None,
    merchant_name: str | None = None,
) -> Purchase:
    """A pending purchase of ``user``; without ``offer``, at a new merchant
    (``merchant_name`` if given) with a 5 % offer capped at 50.00."""
    offer = offer or OfferFactory(**({"merchant__name": merchant_name} if merchant_name else {}))
    return purchase_ingest(
        caller=user,
        external_id=external_id or next_external_id(),
        user_id=user.pk,
        merchant_id=offer.merchant_id,
        amount=amount,
        currency="EUR",
    )


def purchase(user, *, status: str = PurchaseStatus.PENDING, admin=None, **kwargs) -> Purchase:
    """A purchase ingested for ``user`` (``kwargs`` as for ``ingest``), then moved to
    ``status`` by ``admin``, or by the system when no admin is given."""
    created = ingest(user, **kwargs)
    actor = Actor.admin(admin) if admin else SYSTEM
    if status == PurchaseStatus.CONFIRMED:
        return purchase_confirm(purchase_id=created.pk, actor=actor)
    if status == PurchaseStatus.REJECTED:
        return purchase_reject(purchase_id=created.pk, reason=REJECTION_REASON, actor=actor)
    if status == PurchaseStatus.REVERSED:
        return purchase_reverse(purchase_id=created.pk, actor=actor)
    if status != PurchaseStatus.PENDING:
        raise ValueError(f"unknown purchase status {status!r}")
    return created


def confirmed(user, admin=None, **kwargs) -> Purchase:
    return purchase(user, status=PurchaseStatus.CONFIRMED, admin=admin, **kwargs)
