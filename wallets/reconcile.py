"""Wallet reconciliation: cached balances against the ledger and against the domain.

1. Each wallet's cached balances must equal the sum of its ledger entries per bucket.
2. Each contributor listed in ``settings.WALLET_RECONCILERS`` (dotted paths, so wallets
   imports neither purchases nor payouts) returns
   ``{user_id: {"pending", "available_minus_owed", "paid"}}``; summed over contributors,
   they must equal the wallet's pending, available − owed and paid balances.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils.module_loading import import_string

from clicknback.money import ZERO
from wallets.models import LedgerEntry, Wallet
from wallets.services import BALANCE_FIELDS

DOMAIN_KEYS = ("pending", "available_minus_owed", "paid")


@dataclass(frozen=True)
class Mismatch:
    user_id: uuid.UUID
    check: str  # "ledger" or "domain"
    field: str
    expected: Decimal
    actual: Decimal

    def __str__(self) -> str:
        return (
            f"user {self.user_id}: {self.check} {self.field}: wallet has {self.actual:.2f}, "
            f"{'ledger' if self.check == 'ledger' else 'domain'} says {self.expected:.2f}"
        )


def _ledger_mismatches(wallets: dict[uuid.UUID, Wallet]) -> list[Mismatch]:
    by_wallet: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(dict)
    rows = LedgerEntry.objects.values("wallet_id", "bucket").annotate(total=Sum("amount")).order_by()
    for row in rows.values_list("wallet_id", "bucket", "total"):
        wallet_id, bucket, total = row
        by_wallet[wallet_id][bucket] = total or ZERO
    mismatches = []
    for wallet in wallets.values():
        sums = by_wallet.get(wallet.pk, {})
        for bucket, field in BALANCE_FIELDS.items():
            expected = sums.get(bucket, ZERO)
            actual = getattr(wallet, field)
            if expected != actual:
                mismatches.append(Mismatch(wallet.user_id, "ledger", field, expected, actual))
    return mismatches


def _domain_mismatches(wallets: dict[uuid.UUID, Wallet]) -> list[Mismatch]:
    expected: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(DOMAIN_KEYS, ZERO))
    for path in settings.WALLET_RECONCILERS:
        for user_id, parts in import_string(path)().items():
            for key in DOMAIN_KEYS:
                expected[user_id][key] += parts.get(key, ZERO)
    mismatches = []
    for user_id in sorted(set(expected) | set(wallets), key=str):
        wallet = wallets.get(user_id) or Wallet(user_id=user_id)
        want = expected.get(user_id) or dict.fromkeys(DOMAIN_KEYS, ZERO)
        actual = {
            "pending": wallet.pending_balance,
            "available_minus_owed": wallet.available_balance - wallet.owed_balance,
            "paid": wallet.paid_balance,
        }
        for key in DOMAIN_KEYS:
            if want[key] != actual[key]:
                mismatches.append(Mismatch(user_id, "domain", key, want[key], actual[key]))
    return mismatches


def wallet_reconcile() -> list[Mismatch]:
    """Every mismatch between wallets, their ledgers and the domain; empty when all agree."""
    wallets = {wallet.user_id: wallet for wallet in Wallet.objects.all()}
    return _ledger_mismatches(wallets) + _domain_mismatches(wallets)
