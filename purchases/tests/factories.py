"""Purchases are created through ``purchase_ingest`` so wallets and ledgers always match."""

import itertools
from decimal import Decimal

from clicknback.audit.services import Actor
from offers.tests.factories import OfferFactory
from purchases.models import Purchase
from purchases.services import purchase_confirm, purchase_ingest, purchase_reverse

_sequence = itertools.count(1)


def next_external_id() -> str:
    return f"ext-{next(_sequence):06d}"


def ingest(user, *, offer=None, amount: Decimal = Decimal("100.00"), external_id: str | None = None) -> Purchase:
    offer = offer or OfferFactory()
    return purchase_ingest(
        caller=user,
        external_id=external_id or next_external_id(),
        user_id=user.pk,
        merchant_id=offer.merchant_id,
        amount=amount,
        currency="EUR",
    )


def confirmed(user, admin, **kwargs) -> Purchase:
    purchase = ingest(user, **kwargs)
    return purchase_confirm(purchase_id=purchase.pk, actor=Actor.admin(admin))


def reversed_(user, admin, **kwargs) -> Purchase:
    purchase = ingest(user, **kwargs)
    return purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin))
