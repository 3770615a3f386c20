"""Test data through the real services, so balances always match the ledgers."""

import itertools
from decimal import Decimal

from clicknback.audit.services import SYSTEM, Actor
from offers.tests.factories import OfferFactory
from payouts.models import Payout
from payouts.services import payout_process, payout_request
from purchases.models import Purchase
from purchases.services import purchase_confirm, purchase_ingest, purchase_reject, purchase_reverse

VALID_IBAN = "DE89370400440532013000"  # the textbook example; passes mod-97
BANK_DETAILS = {"iban": VALID_IBAN, "account_holder": "Alice Example"}

_external_ids = itertools.count(1)


def purchase(
    *, user, amount: Decimal, offer=None, status: str = "pending", merchant_name: str | None = None
) -> Purchase:
    """Ingest a purchase for ``user`` (5 % offer unless given) and move it to ``status``."""
    if offer is None:
        offer = OfferFactory(**({"merchant__name": merchant_name} if merchant_name else {}))
    created = purchase_ingest(
        caller=user,
        external_id=f"ext-{user.pk.hex[:8]}-{next(_external_ids)}",
        user_id=user.pk,
        merchant_id=offer.merchant_id,
        amount=amount,
        currency="EUR",
    )
    if status == "confirmed":
        purchase_confirm(purchase_id=created.pk, actor=SYSTEM)
    if status == "rejected":
        purchase_reject(purchase_id=created.pk, reason="No matching bank transaction.", actor=SYSTEM)
    if status == "reversed":
        purchase_reverse(purchase_id=created.pk, actor=SYSTEM, reason="test")
    return Purchase.objects.select_related("merchant", "cashback").get(pk=created.pk)


def available_cashback(*, user, cashback: Decimal, merchant_name: str | None = None) -> Purchase:
    """A confirmed purchase worth exactly ``cashback`` (a 5 % offer, so amount = 20 × cashback)."""
    return purchase(user=user, amount=cashback * 20, status="confirmed", merchant_name=merchant_name)


def payout(*, user, amount: Decimal, details: dict | None = None, method: str = "bank_transfer") -> Payout:
    return payout_request(user=user, amount=amount, method=method, details=details or dict(BANK_DETAILS))


def process(*, payout: Payout, status: str, admin=None, reference: str = "BANK-REF-1") -> Payout:
    actor = Actor.admin(admin) if admin else SYSTEM
    return payout_process(
        payout_id=payout.pk,
        status=status,
        actor=actor,
        external_reference=reference if status == "completed" else "",
        failure_reason="Bank refused the transfer." if status == "failed" else "",
    )
