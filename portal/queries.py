"""Reads behind the wallet pages. Every function is scoped to one user id.

The pages compose three domains (wallets, purchases, payouts) through their selectors,
which keeps the wallets app ignorant of the other two. Nothing here accepts an id
without also filtering on the owner, so a user can never read another user's rows
through a page; a missing owner is a programming error, never "everyone".
"""

import uuid

from django.db.models import QuerySet

from payouts.models import Payout
from payouts.selectors import payout_list
from purchases.filters import MyPurchaseFilter
from purchases.models import Purchase
from purchases.selectors import purchase_list
from statements.selectors import ADJUSTMENT, CASHBACK_CREDIT, CASHBACK_REVERSAL, PAYOUT_DEBIT, WalletTransactionHistory

__all__ = ["ADJUSTMENT", "CASHBACK_CREDIT", "CASHBACK_REVERSAL", "PAYOUT_DEBIT"]


def _owner(user_id: uuid.UUID | None) -> uuid.UUID:
    if not user_id:
        raise ValueError("Wallet page reads need the signed-in user's id.")
    return user_id


def purchases_of(*, user_id: uuid.UUID, status: str | None = None) -> QuerySet[Purchase]:
    """The user's purchases, of one status when ``status`` is one (the API's filter)."""
    return MyPurchaseFilter({"status": status or ""}, queryset=purchase_list(user_id=_owner(user_id))).qs


def purchase_of(*, user_id: uuid.UUID, purchase_id: uuid.UUID | str) -> Purchase | None:
    return purchases_of(user_id=user_id).filter(pk=purchase_id).first()


def payouts_of(*, user_id: uuid.UUID) -> QuerySet[Payout]:
    # ``destination`` (the full IBAN / card token) is never loaded: pages show the mask.
    return payout_list(user_id=_owner(user_id)).defer("destination")


def payout_of(*, user_id: uuid.UUID, payout_id: uuid.UUID | str) -> Payout | None:
    return payouts_of(user_id=user_id).filter(pk=payout_id).first()


def transactions_of(*, user_id: uuid.UUID) -> WalletTransactionHistory:
    """Cashback credits and payout debits, newest first (the API's wallet transactions)."""
    return WalletTransactionHistory(user_id=_owner(user_id))


def transaction_labels(*, user_id: uuid.UUID, rows: list[dict]) -> tuple[dict, dict]:
    """Merchant names of the credits and masked destinations of the debits on one page.

    Two queries per page whatever its size, both still filtered on the owner.
    """
    owner = _owner(user_id)
    purchase_ids = [row["tx_purchase_id"] for row in rows if row["tx_purchase_id"]]
    payout_ids = [row["tx_payout_id"] for row in rows if row["tx_payout_id"]]
    merchants = (
        dict(Purchase.objects.filter(user_id=owner, pk__in=purchase_ids).values_list("pk", "merchant__name"))
        if purchase_ids
        else {}
    )
    destinations = (
        dict(Payout.objects.filter(user_id=owner, pk__in=payout_ids).values_list("pk", "destination_masked"))
        if payout_ids
        else {}
    )
    return merchants, destinations
