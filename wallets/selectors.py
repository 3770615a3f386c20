"""Wallet reads."""

import uuid

from django.db.models import Sum

from clicknback.money import ZERO
from clicknback.rows import RowReader
from wallets.models import LedgerEntry, Wallet
from wallets.services import BALANCE_FIELDS

_wallets_by_user = RowReader(Wallet, by="user")


def wallet_get(*, user_id: uuid.UUID) -> Wallet:
    """The user's wallet, or an unsaved all-zero wallet when there was no activity yet."""
    return _wallets_by_user.get(user_id) or Wallet(user_id=user_id)


def wallet_ledger_totals(*, wallet_id: uuid.UUID) -> dict[str, object]:
    """Sum of ledger entries per balance field (what the cached balances must equal)."""
    sums = dict(
        LedgerEntry.objects.filter(wallet_id=wallet_id)
        .values("bucket")
        .annotate(total=Sum("amount"))
        .values_list("bucket", "total")
    )
    return {field: sums.get(bucket) or ZERO for bucket, field in BALANCE_FIELDS.items()}
