"""Streamed CSV exports of purchases and payouts for a date range.

Rows come from ``.values_list(...).iterator(chunk_size=...)`` (a server-side cursor on
PostgreSQL) and are written one line at a time into a ``StreamingHttpResponse``, so an
export of millions of rows never sits in memory. Payout destinations are exported
masked only; the full IBAN / card token never leaves the database this way.
"""

import csv
import datetime as dt
from collections.abc import Iterable, Iterator

from payouts.models import Payout
from purchases.models import Purchase

CHUNK_SIZE = 2000
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection);
# text columns that users or partners control are prefixed with a quote.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

PURCHASE_COLUMNS = [
    ("id", "id"),
    ("external_id", "external_id"),
    ("user_id", "user_id"),
    ("user_email", "user__email"),
    ("merchant_id", "merchant_id"),
    ("merchant_name", "merchant__name"),
    ("offer_id", "offer_id"),
    ("amount", "amount"),
    ("currency", "currency"),
    ("status", "status"),
    ("cashback_amount", "cashback__amount"),
    ("cashback_status", "cashback__status"),
    ("status_reason", "status_reason"),
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
]
PAYOUT_COLUMNS = [
    ("id", "id"),
    ("user_id", "user_id"),
    ("user_email", "user__email"),
    ("amount", "amount"),
    ("currency", "currency"),
    ("method", "method"),
    ("status", "status"),
    ("destination", "destination_masked"),  # masked: last four characters only
    ("external_reference", "external_reference"),
    ("failure_reason", "failure_reason"),
    ("requested_at", "requested_at"),
    ("processed_at", "processed_at"),
]
TEXT_COLUMNS = {
    "external_id",
    "user_email",
    "merchant_name",
    "status_reason",
    "external_reference",
    "failure_reason",
}


class _Line:
    """A write-only file: ``csv.writer`` hands back each formatted line."""

    def write(self, value: str) -> str:
        return value


def _cell(name: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = str(value)
    if name in TEXT_COLUMNS and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _day_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return start, end


def purchase_rows(*, date_from: dt.date, date_to: dt.date, status: str = "") -> Iterable[tuple]:
    """Purchases created on the inclusive UTC days ``date_from``..``date_to``, oldest first."""
    start, end = _day_bounds(date_from, date_to)
    queryset = Purchase.objects.filter(created_at__gte=start, created_at__lt=end)
    if status:
        queryset = queryset.filter(status=status)
    return (
        queryset.order_by("created_at", "id")
        .values_list(*(source for _, source in PURCHASE_COLUMNS))
        .iterator(chunk_size=CHUNK_SIZE)
    )


def payout_rows(*, date_from: dt.date, date_to: dt.date, status: str = "") -> Iterable[tuple]:
    """Payouts requested on the inclusive UTC days ``date_from``..``date_to``, oldest first."""
    start, end = _day_bounds(date_from, date_to)
    queryset = Payout.objects.filter(requested_at__gte=start, requested_at__lt=end)
    if status:
        queryset = queryset.filter(status=status)
    return (
        queryset.order_by("requested_at", "id")
        .values_list(*(source for _, source in PAYOUT_COLUMNS))
        .iterator(chunk_size=CHUNK_SIZE)
    )


def csv_lines(columns: list[tuple[str, str]], rows: Iterable[tuple]) -> Iterator[str]:
    """The header, then one CSV line per row, produced lazily."""
    writer = csv.writer(_Line())
    names = [name for name, _ in columns]
    yield writer.writerow(names)
    for row in rows:
        yield writer.writerow([_cell(name, value) for name, value in zip(names, row, strict=True)])
