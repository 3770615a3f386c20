"""The wallet ledger: the only code that changes balances.

Every movement happens inside the caller's ``transaction.atomic()`` with the wallet rows
locked, by ``wallet_lock`` (one user) or ``wallets_lock`` (several, in primary-key order).
Wallets know nothing of purchases or payouts: entries record a ``source_type``/``source_id``.

A ``WalletBatch`` is the one way balances are written: ``post`` validates and applies
signed bucket movements to the in-memory wallets at once (so a later posting sees what
an earlier one left, and a refused posting raises ``NegativeBalance`` and changes
nothing); ``write`` then stores every changed wallet with one UPDATE and every ledger
entry with one INSERT (or ``writes`` hands both to the caller's ``send_together``, next
to the movement's other rows). ``wallet_post`` is a batch of one posting, written at once.

``WalletBatch.credit`` is the one place where money becomes available: it settles any
clawback debt (``owed``) first, and only the rest reaches ``available`` (confirmed
cashback, a failed payout's refund, an operator's credit).
"""

import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clicknback.audit.services import Actor
from clicknback.errors import DomainError
from clicknback.money import ZERO, quantize
from clicknback.request_context import get_request_id
from clicknback.rows import RowReader, RowWriter, Write, send_together
from wallets.models import Bucket, LedgerEntry, Wallet

BALANCE_FIELDS: dict[str, str] = {
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
# ... and ends with the wallet update and the ledger insert, built once per shape as well.
_wallet_writer = RowWriter(Wallet)
_ledger_writer = RowWriter(LedgerEntry)
_BALANCES = tuple(BALANCE_FIELDS.values())


def wallet_lock(*, user_id: uuid.UUID) -> Wallet:
    """Lock (creating if needed) the user's wallet row for the current transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("wallet_lock must be called inside transaction.atomic().")
    wallet = _lock_wallet_of_user.get(user_id)
    if wallet is None:
        Wallet.objects.bulk_create([Wallet(user_id=user_id)], ignore_conflicts=True)
        wallet = _lock_wallet_of_user.get(user_id)
    assert wallet is not None  # it existed, or the insert above has just made it
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


# One UPDATE for the changed wallets of a batch: new balances in BALANCE_FIELDS order.
_UPDATE_SQL = """
UPDATE wallets_wallet AS w
SET pending_balance = v.pending_balance, available_balance = v.available_balance,
    paid_balance = v.paid_balance, owed_balance = v.owed_balance, updated_at = %s
FROM unnest(%s::uuid[], %s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[])
    AS v(id, pending_balance, available_balance, paid_balance, owed_balance)
WHERE w.id = v.id
"""


class WalletBatch:
    """Postings to wallets locked by ``wallet_lock``/``wallets_lock``, stored by ``write()``."""

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
        """Apply signed ``(bucket, amount)`` movements; zero ones are skipped.

        Raises ``NegativeBalance`` (and changes nothing) if any bucket would go below zero.
        """
        changes = _changes(movements)
        if not changes:
            return wallet
        _apply(wallet, changes)
        self._wallets[wallet.pk] = wallet
        self._entries.extend(
            _entries(wallet, changes, reason=reason, source_type=source_type, source_id=source_id, actor=actor)
        )
        return wallet

    def credit(
        self,
        *,
        wallet: Wallet,
        amount: Decimal,
        reason: str,
        source_type: str,
        source_id: uuid.UUID,
        actor: Actor,
        taken_from: str | None = None,
    ) -> Decimal:
        """Credit ``amount``, settling owed first; the rest becomes available. Returns what settled owed.

        ``taken_from`` names the bucket the money leaves in the same posting (pending, for
        confirmed cashback); without it the money comes from outside the wallet.
        """
        amount = quantize(amount)
        settled = min(wallet.owed_balance, amount)
        movements: list[tuple[str, Decimal]] = [(Bucket.OWED, -settled), (Bucket.AVAILABLE, amount - settled)]
        if taken_from is not None:
            movements.insert(0, (taken_from, -amount))
        self.post(
            wallet=wallet,
            movements=movements,
            reason=reason,
            source_type=source_type,
            source_id=source_id,
            actor=actor,
        )
        return settled

    def writes(self) -> list[Write]:
        """The changed wallets' UPDATE and their ledger entries' INSERT, built for ``send_together``.

        The batch is emptied: each posting is written once, by whoever sends these.
        """
        if not self._wallets:
            return []
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("WalletBatch writes must be made inside transaction.atomic().")
        wallets = list(self._wallets.values())
        if len(wallets) == 1:  # the common case: a plain one-row UPDATE, built once
            update = _wallet_writer.updating(wallets[0], _BALANCES)
        else:
            now = timezone.now()
            for wallet in wallets:
                wallet.updated_at = now
            balances = [[getattr(wallet, field) for wallet in wallets] for field in BALANCE_FIELDS.values()]
            update = Write(
                model=Wallet,
                sql=_UPDATE_SQL,
                params=[now, [wallet.pk for wallet in wallets], *balances],
                expected_rows=len(wallets),
            )
        entries = _ledger_writer.inserting(self._entries)
        self._wallets.clear()
        self._entries = []
        return [update, entries]

    def write(self) -> None:
        """Store the changed wallets (one UPDATE) and their ledger entries (one INSERT), now."""
        send_together(*self.writes())


def wallet_post(
    *,
    wallet: Wallet,
    movements: Iterable[tuple[str, Decimal]],
    reason: str,
    source_type: str,
    source_id: uuid.UUID,
    actor: Actor,
) -> Wallet:
    """Apply and store signed ``(bucket, amount)`` movements on a wallet locked by ``wallet_lock``."""
    batch = WalletBatch()
    batch.post(
        wallet=wallet, movements=movements, reason=reason, source_type=source_type, source_id=source_id, actor=actor
    )
    batch.write()
    return wallet
