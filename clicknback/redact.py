"""Payment details never reach the logs.

The API masks destinations everywhere (``payouts.destinations.mask``); logs need the same
care, because error messages quote data. PostgreSQL's ``DETAIL`` and ``CONTEXT`` lines
quote the row or the JSON it refused (``CONTEXT: JSON data, line 1: ...0532013000",
"account_holder": ...``), and Python's own messages quote the values they choke on.

Two layers:

* ``scrub_database_errors(exc)``, called by the API's exception handler before it logs an
  unexpected error, keeps only the first line of every database error in the chain: the
  SQLSTATE message, without the lines that quote data.
* ``RedactingJsonFormatter``, the formatter of every log handler (settings.LOGGING), masks
  what still looks like payment details in every field of a log line: IBAN-shaped
  strings, runs of twelve or more digits, and the values of ``iban``,
  ``account_holder`` and ``card_token`` keys.
"""

import re

from django.db import Error as DatabaseError
from pythonjsonlogger.json import JsonFormatter

MASK = "****"
SECRET_KEYS = ("iban", "account_holder", "card_token")

# Two letters, two check digits, 11 to 30 letters or digits, written together or in
# groups of four; and any run of twelve or more digits (an account number, or an IBAN
# whose start was cut off, as PostgreSQL's CONTEXT lines do).
_IBAN_LIKE = re.compile(
    r"\b[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)\b|(?<![0-9])[0-9]{12,}(?![0-9])",
    re.IGNORECASE,
)
# "iban": "...", 'iban': '...', iban=... (JSON, Python reprs, form or query strings); the
# value runs to its closing quote, or to the end of the text when it was cut off.
_KEYS = "|".join(SECRET_KEYS)
_QUOTED_OR_BARE = r""""(?:[^"\\]|\\.)*(?:"|$)|'(?:[^'\\]|\\.)*(?:'|$)|[^\s,;&}\]]+"""
_KEY_VALUE = re.compile(
    rf"""(?P<key>["']?\b(?:{_KEYS})\b["']?\s*[:=]\s*)(?P<value>{_QUOTED_OR_BARE})""",
    re.IGNORECASE,
)


def _mask_iban(match: re.Match) -> str:
    return MASK + match.group(0).replace(" ", "")[-4:]


def _mask_value(match: re.Match) -> str:
    value = match.group("value")
    quote = value[0] if value[0] in "\"'" else ""
    return f"{match.group('key')}{quote}{MASK}{quote}"


def redact(text: str) -> str:
    """``text`` with payment details masked (an IBAN keeps its last four characters)."""
    return _IBAN_LIKE.sub(_mask_iban, _KEY_VALUE.sub(_mask_value, text))


def _redact_value(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_value(item) for item in value]
    return value


def scrub_database_errors(exc: BaseException) -> None:
    """Cut every database error in ``exc``'s chain down to its first line, in place."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_database_error(current) and current.args and isinstance(current.args[0], str):
            first_line = current.args[0].split("\n", 1)[0]
            current.args = (first_line, *current.args[1:])
        current = current.__cause__ or current.__context__


def _is_database_error(exc: BaseException) -> bool:
    if isinstance(exc, DatabaseError):
        return True
    module = type(exc).__module__
    return module.startswith(("psycopg", "psycopg2"))


class RedactingJsonFormatter(JsonFormatter):
    """The project's JSON log lines, with payment details masked in every field."""

    def process_log_record(self, log_data):
        return _redact_value(super().process_log_record(log_data))
