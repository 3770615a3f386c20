"""The wallet ledger: the only code that changes balances.

Every movement happens inside the caller's ``transaction.atomic()`` with the wallet row
locked by ``wallet_lock``; ``wallet_post`` applies signed bucket deltas to the locked
row and appends one ledger entry per delta in the same transaction. Wallets know
nothing of purchases or payouts: entries record a ``source_type``/``source_id``.
"""

import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from clicknback.api.middleware import get_request_id
from clicknback.audit.services import Actor
from clicknback.errors import DomainError
from clicknback.money import ZERO, quantize
from wallets.models import Bucket, LedgerEntry, Wallet

BALANCE_FIELDS = {
    Bucket.PENDING: "pending_balance",
    Bucket.AVAILABLE: "available_balance",
    Bucket.PAID: "paid_balance",
    Bucket.OWED: "owed_balance",
}


class NegativeBalance(DomainError):
    """A movement would take a bucket below zero: a bug in the caller, never a user error."""

    code = "NEGATIVE_BALANCE"
    http_status = 409
    default_message = "The wallet cannot go below zero."


def wallet_lock(*, user_id: uuid.UUID) -> Wallet:
    """Lock (creating if needed) the user's wallet row for the current transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("wallet_lock must be called inside transaction.atomic().")
    wallet = Wallet.objects.select_for_update().filter(user_id=user_id).first()
    if wallet is None:
        Wallet.objects.bulk_create([Wallet(user_id=user_id)], ignore_conflicts=True)
        wallet = Wallet.objects.select_for_update().get(user_id=user_id)
    return wallet


def wallets_lock(*, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Wallet]:
    """Lock several wallets in a stable order so two transactions never deadlock."""
    return {user_id: wallet_lock(user_id=user_id) for user_id in sorted(set(user_ids), key=str)}


def wallet_post(
    *,
    wallet: Wallet,
    movements: Iterable[tuple[str, Decimal]],
    reason: str,
    source_type: str,
    source_id: uuid.UUID,
    actor: Actor,
) -> Wallet:
    """Apply signed ``(bucket, amount)`` movements to a wallet locked by ``wallet_lock``.

    Zero movements are skipped. Raises ``NegativeBalance`` (and changes nothing) if any
    bucket would go below zero.
    """
    changes: list[tuple[str, Decimal]] = []
    for bucket, amount in movements:
        amount = quantize(amount)
        if amount != ZERO:
            changes.append((bucket, amount))
    if not changes:
        return wallet
    new_values = {}
    for bucket, amount in changes:
        field = BALANCE_FIELDS[bucket]
        new_values[field] = new_values.get(field, getattr(wallet, field)) + amount
    for field, value in new_values.items():
        if value < ZERO:
            raise NegativeBalance(details={"bucket": field, "balance": f"{getattr(wallet, field):.2f}"})
    for field, value in new_values.items():
        setattr(wallet, field, value)
    wallet.save(update_fields=[*new_values, "updated_at"])
    request_id = get_request_id() or ""
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                wallet=wallet,
                bucket=bucket,
                amount=amount,
                currency=wallet.currency,
                reason=reason,
                source_type=source_type,
                source_id=source_id,
                actor_type=actor.type,
                actor_id=actor.id,
                request_id=request_id,
            )
            for bucket, amount in changes
        ]
    )
    return wallet
