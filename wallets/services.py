"""The wallet ledger: the only code that changes balances.

Every movement happens inside the caller's ``transaction.atomic()`` with the wallet row
locked by ``wallet_lock``; ``wallet_post`` applies signed bucket deltas to the locked
row and appends one ledger entry per delta in the same transaction. Wallets know
nothing of purchases or payouts: entries record a ``source_type``/``source_id``.

Jobs that move many wallets at once lock them with ``wallets_lock`` (one statement, in
primary-key order) and post through a ``WalletBatch``: the same validation and ledger
entries as ``wallet_post``, written with one UPDATE for all the wallets and one INSERT
for all the entries.
"""

import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from clicknback.api.middleware import get_request_id
from clicknback.audit.services import Actor
from clicknback.errors import DomainError
from clicknback.money import ZERO, quantize
from clicknback.rows import RowReader, RowWriter
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


# Every wallet mutation starts here, so the locking read skips the ORM's query compilation.
_lock_wallet_of_user = RowReader(Wallet, by="user", for_update=True)
# ... and ends with these two writes, built once as well.
_wallet_writer = RowWriter(Wallet)
_ledger_writer = RowWriter(LedgerEntry)


def wallet_lock(*, user_id: uuid.UUID) -> Wallet:
    """Lock (creating if needed) the user's wallet row for the current transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("wallet_lock must be called inside transaction.atomic().")
    wallet = _lock_wallet_of_user.get(user_id)
    if wallet is None:
        Wallet.objects.bulk_create([Wallet(user_id=user_id)], ignore_conflicts=True)
        wallet = _lock_wallet_of_user.get(user_id)
    return wallet


def wallets_lock(*, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Wallet]:
    """Lock (creating if needed) several users' wallets, in primary-key order, in one statement.

    The order is the same for every caller, so two transactions locking overlapping sets
    never deadlock. Should a wallet be missing (ingestion creates them, so only as a
    fallback), the missing ones are inserted and the whole set is locked again.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("wallets_lock must be called inside transaction.atomic().")
    user_ids = set(user_ids)
    if not user_ids:
        return {}
    locked = Wallet.objects.select_for_update().filter(user_id__in=user_ids).order_by("pk")
    wallets = {wallet.user_id: wallet for wallet in locked}
    if len(wallets) < len(user_ids):
        Wallet.objects.bulk_create(
            [Wallet(user_id=user_id) for user_id in user_ids - wallets.keys()], ignore_conflicts=True
        )
        wallets = {wallet.user_id: wallet for wallet in locked.all()}
    return wallets


def _changes(movements: Iterable[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    """The non-zero movements, quantized to cents."""
    changes: list[tuple[str, Decimal]] = []
    for bucket, amount in movements:
        amount = quantize(amount)
        if amount != ZERO:
            changes.append((bucket, amount))
    return changes


def _apply(wallet: Wallet, changes: list[tuple[str, Decimal]]) -> list[str]:
    """Apply the changes to the in-memory wallet; return the changed fields.

    Raises ``NegativeBalance`` (and changes nothing) if any bucket would go below zero.
    """
    new_values: dict[str, Decimal] = {}
    for bucket, amount in changes:
        field = BALANCE_FIELDS[bucket]
        new_values[field] = new_values.get(field, getattr(wallet, field)) + amount
    for field, value in new_values.items():
        if value < ZERO:
            raise NegativeBalance(details={"bucket": field, "balance": f"{getattr(wallet, field):.2f}"})
    for field, value in new_values.items():
        setattr(wallet, field, value)
    return list(new_values)


def _entries(
    wallet: Wallet,
    changes: list[tuple[str, Decimal]],
    *,
    reason: str,
    source_type: str,
    source_id: uuid.UUID,
    actor: Actor,
) -> list[LedgerEntry]:
    request_id = get_request_id() or ""
    return [
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
    changes = _changes(movements)
    if not changes:
        return wallet
    fields = _apply(wallet, changes)
    _wallet_writer.update(wallet, fields)  # and updated_at (auto_now)
    _ledger_writer.insert(
        _entries(wallet, changes, reason=reason, source_type=source_type, source_id=source_id, actor=actor)
    )
    return wallet


# One UPDATE for a batch of locked wallets: new balances in BALANCE_FIELDS order.
_BULK_UPDATE_SQL = """
UPDATE wallets_wallet AS w
SET pending_balance = v.pending_balance, available_balance = v.available_balance,
    paid_balance = v.paid_balance, owed_balance = v.owed_balance, updated_at = %s
FROM unnest(%s::uuid[], %s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[])
    AS v(id, pending_balance, available_balance, paid_balance, owed_balance)
WHERE w.id = v.id
"""


class WalletBatch:
    """Postings to many wallets locked by ``wallets_lock``, written together by ``write()``.

    ``post`` validates and applies each posting to the in-memory wallet at once, exactly
    like ``wallet_post`` (so a later posting sees the balances left by an earlier one, and
    a refused posting raises ``NegativeBalance`` and changes nothing); ``write`` then
    stores every changed wallet with one UPDATE and every ledger entry with one INSERT,
    inside the caller's transaction.
    """

    def __init__(self) -> None:
        self._wallets: dict[uuid.UUID, Wallet] = {}
        self._entries: list[LedgerEntry] = []

    def post(
        self,
        *,
        wallet: Wallet,
        movements: Iterable[tuple[str, Decimal]],
        reason: str,
        source_type: str,
        source_id: uuid.UUID,
        actor: Actor,
    ) -> Wallet:
        changes = _changes(movements)
        if not changes:
            return wallet
        _apply(wallet, changes)
        self._wallets[wallet.pk] = wallet
        self._entries.extend(
            _entries(wallet, changes, reason=reason, source_type=source_type, source_id=source_id, actor=actor)
        )
        return wallet

    def write(self) -> None:
        if not self._wallets:
            return
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("WalletBatch.write must be called inside transaction.atomic().")
        wallets = list(self._wallets.values())
        now = timezone.now()
        for wallet in wallets:
            wallet.updated_at = now
        balances = [[getattr(wallet, field) for wallet in wallets] for field in BALANCE_FIELDS.values()]
        with connection.cursor() as cursor:
            cursor.execute(_BULK_UPDATE_SQL, [now, [wallet.pk for wallet in wallets], *balances])
        LedgerEntry.objects.bulk_create(self._entries)
        self._wallets.clear()
        self._entries = []
