"""A user's wallet statement: cashback credits, payout debits and cashback reversals in one
list, newest first.

Composition, not a domain: it reads the purchases' cashback rows and the payouts' rows
together, for the API (``GET /users/me/wallet/transactions``) and the wallet pages, so
both list exactly the same rows. Neither ``purchases`` nor ``payouts`` imports it.
"""

import datetime as dt
import functools
import uuid

from django.db import connection

from clicknback.sql import column, table
from payouts.models import Payout
from purchases.models import CashbackTransaction, Purchase, PurchaseReturn, PurchaseStatus
from wallets.models import WalletAdjustment

CASHBACK_CREDIT = "cashback_credit"
PAYOUT_DEBIT = "payout_debit"
CASHBACK_REVERSAL = "cashback_reversal"
ADJUSTMENT = "adjustment"
COMPLETED = "completed"
TRANSACTION_FIELDS = (
    "tx_id", "tx_type", "tx_amount", "tx_status", "tx_purchase_id", "tx_payout_id", "tx_created_at", "tx_reason",
)  # fmt: skip


@functools.cache
def _rows_sql() -> str:
    """Every row of a user's statement (``%s`` placeholders: types, status and user, in order).

    * a credit per cashback transaction;
    * a debit per payout;
    * a reversal per return of a purchase that took cashback back (partial or full;
      ``purchases.PurchaseReturn``), with the return's reason;
    * a reversal per operator's reversal of the cashback left (a reversed purchase whose
      last step was not a return), at the time of the reversal, with its reason;
    * an adjustment per operator's correction (signed: a debit is negative), with its reason.
    """
    credit = functools.partial(column, CashbackTransaction)
    debit = functools.partial(column, Payout)
    back = functools.partial(column, PurchaseReturn)
    purchase = functools.partial(column, Purchase)
    fix = functools.partial(column, WalletAdjustment)
    return (
        f"SELECT {credit('id')} AS tx_id, %s AS tx_type, {credit('amount')} AS tx_amount, "  # noqa: S608 - identifiers from the models  # nosec B608
        f"{credit('status')} AS tx_status, {credit('purchase')} AS tx_purchase_id, NULL::uuid AS tx_payout_id, "
        f"{credit('created_at')} AS tx_created_at, NULL::varchar AS tx_reason "
        f"FROM {table(CashbackTransaction)} WHERE {credit('user')} = %s "
        "UNION ALL "
        f"SELECT {debit('id')}, %s, {debit('amount')}, {debit('status')}, NULL::uuid, {debit('id')}, "
        f"{debit('requested_at')}, NULL::varchar FROM {table(Payout)} WHERE {debit('user')} = %s "
        "UNION ALL "
        f"SELECT {back('id')}, %s, {back('cashback_taken')}, %s, {back('purchase')}, NULL::uuid, "
        f"{back('created_at')}, {back('reason')} FROM {table(PurchaseReturn)} "
        f"INNER JOIN {table(Purchase)} ON {purchase('id')} = {back('purchase')} "
        f"WHERE {purchase('user')} = %s AND {back('cashback_taken')} > 0 "
        "UNION ALL "
        f"SELECT {purchase('id')}, %s, {credit('amount')} - {credit('returned_amount')}, %s, {purchase('id')}, "
        f"NULL::uuid, {credit('updated_at')}, {purchase('status_reason')} FROM {table(Purchase)} "
        f"INNER JOIN {table(CashbackTransaction)} ON {credit('purchase')} = {purchase('id')} "
        f"WHERE {purchase('user')} = %s AND {purchase('status')} = %s "
        f"AND {credit('amount')} > {credit('returned_amount')} "
        f"AND NOT EXISTS (SELECT 1 FROM {table(PurchaseReturn)} AS r "
        f"WHERE r.purchase_id = {purchase('id')} AND r.full) "
        "UNION ALL "
        f"SELECT {fix('id')}, %s, {fix('amount')}, %s, NULL::uuid, NULL::uuid, {fix('created_at')}, {fix('reason')} "
        f"FROM {table(WalletAdjustment)} WHERE {fix('user')} = %s"
    )


def _rows_params(user_id: uuid.UUID) -> list:
    return [
        CASHBACK_CREDIT, user_id,
        PAYOUT_DEBIT, user_id,
        CASHBACK_REVERSAL, COMPLETED, user_id,
        CASHBACK_REVERSAL, COMPLETED, user_id, PurchaseStatus.REVERSED.value,
        ADJUSTMENT, COMPLETED, user_id,
    ]  # fmt: skip


@functools.cache
def _transaction_page_sql() -> str:
    # The window count is taken over every row of the union before OFFSET/LIMIT, so each
    # returned row also carries the total.
    return (
        f"SELECT {', '.join(TRANSACTION_FIELDS)}, COUNT(*) OVER () FROM ({_rows_sql()}) AS tx "  # noqa: S608 - identifiers from the models  # nosec B608
        "ORDER BY tx_created_at DESC, tx_id DESC OFFSET %s LIMIT %s"
    )


@functools.cache
def _transaction_count_sql() -> str:
    return f"SELECT COUNT(*) FROM ({_rows_sql()}) AS tx"  # noqa: S608 - identifiers from the models  # nosec B608


def wallet_transaction_page(*, user_id: uuid.UUID, offset: int, limit: int) -> tuple[list[dict], int]:
    """One page of the user's wallet transactions, newest first, and how many there are.

    One ``cashback_credit`` per cashback transaction, one ``payout_debit`` per payout and
    one ``cashback_reversal`` per return or reversal that took cashback back (a
    ``UNION ALL``, ``_rows_sql``), ordered by time then id, descending; each row is a dict keyed by
    ``TRANSACTION_FIELDS``. One plain-SQL statement: through the ORM the union had to
    be compiled twice per request (count and page), most of the request's cost. The rows
    carry the total in a window count; only a page past the end, which has no row to
    carry it, costs a second statement.
    """
    with connection.cursor() as cursor:
        cursor.execute(_transaction_page_sql(), [*_rows_params(user_id), offset, limit])
        rows = cursor.fetchall()
        if rows:
            total = rows[0][-1]
        elif offset == 0:
            total = 0
        else:
            cursor.execute(_transaction_count_sql(), _rows_params(user_id))
            (total,) = cursor.fetchone()
    return [dict(zip(TRANSACTION_FIELDS, row[:-1], strict=True)) for row in rows], total


class WalletTransactionHistory:
    """A user's whole transaction listing as a lazily read sequence, for Django's ``Paginator``.

    ``count()`` and slices (``history[a:b]``) each run one statement, the same SQL as
    ``wallet_transaction_page``, so the pages and the API list exactly the same rows.
    """

    def __init__(self, *, user_id: uuid.UUID):
        self.user_id = user_id
        self._total: int | None = None

    def count(self) -> int:
        if self._total is None:
            with connection.cursor() as cursor:
                cursor.execute(_transaction_count_sql(), _rows_params(self.user_id))
                (self._total,) = cursor.fetchone()
        return self._total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[dict]:
        if not isinstance(window, slice) or window.step not in (None, 1):
            raise TypeError("WalletTransactionHistory supports contiguous slices only.")
        start, stop = window.start or 0, window.stop
        if start < 0 or stop is None or stop < start:
            raise ValueError("A slice of the history needs 0 <= start <= stop.")
        if stop == start:
            return []
        rows, total = wallet_transaction_page(user_id=self.user_id, offset=start, limit=stop - start)
        self._total = total
        return rows


@functools.cache
def _between_sql() -> str:
    return (
        f"SELECT {', '.join(TRANSACTION_FIELDS)} FROM ({_rows_sql()}) AS tx "  # noqa: S608 - identifiers from the models  # nosec B608
        "WHERE tx_created_at >= %s AND tx_created_at < %s ORDER BY tx_created_at, tx_id"
    )


def wallet_transactions_between(*, user_id: uuid.UUID, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """The statement's rows in [start, end), oldest first (a statement download)."""
    with connection.cursor() as cursor:
        cursor.execute(_between_sql(), [*_rows_params(user_id), start, end])
        return [dict(zip(TRANSACTION_FIELDS, row, strict=True)) for row in cursor.fetchall()]
