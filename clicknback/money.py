"""Money helpers: every amount is a ``Decimal`` in EUR cents precision.

Rounding rule (the API contract §1): cashback is computed exactly and quantized once to
0.01 with ROUND_HALF_EVEN ("banker's rounding"). No float ever touches an amount.
"""

import re
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("9999999999.99")
CURRENCY = "EUR"
SUPPORTED_CURRENCIES = frozenset({CURRENCY})
MAX_DIGITS = 14
DECIMAL_PLACES = 2


def quantize(value: Decimal | int) -> Decimal:
    """Round ``value`` to cents with ROUND_HALF_EVEN (the one rounding rule)."""
    if isinstance(value, float):
        raise TypeError("Money must never be a float.")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


# The one lexical form of an amount in a request (contract §1): up to ten integer digits
# and at most two decimal places, ASCII digits only, no sign (or a leading minus where a
# negative amount makes sense), no exponent, no spaces, no underscores. The API's schema
# publishes these very patterns; ``[0-9]`` rather than ``\d`` because Python's ``\d``
# also matches other scripts' digits ("\uff11\uff10", "\u0661\u0660").
AMOUNT_PATTERN = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,2})?$")
SIGNED_AMOUNT_PATTERN = re.compile(r"^-?[0-9]{1,10}(\.[0-9]{1,2})?$")
_DIGITS = re.compile(r"[0-9]+")


def amount_text_problem(text: str, *, signed: bool = False) -> str | None:
    """Why ``text`` is not an amount as the contract writes one, or None when it is."""
    pattern = SIGNED_AMOUNT_PATTERN if signed else AMOUNT_PATTERN
    if pattern.fullmatch(text):
        return None
    body = text[1:] if text[:1] in "+-" else text
    if body.lower().lstrip("s") in {"nan", "inf", "infinity"}:
        return "NaN and Infinity are not amounts."
    if text[:1] == "-" and not signed and SIGNED_AMOUNT_PATTERN.fullmatch(text):
        return "Must not be negative."
    whole, dot, places = body.partition(".")
    if _DIGITS.fullmatch(whole or "0") and (not dot or _DIGITS.fullmatch(places)):
        if len(whole) > 10:
            return f"Must not exceed {MAX_AMOUNT}."
        if len(places) > DECIMAL_PLACES:
            return "At most two decimal places are allowed."
    if "e" in text.lower():
        return "Exponent notation is not accepted."
    return "Must be a decimal number like 12.34: ASCII digits, at most two decimal places, no exponent or spaces."


def parse_amount(raw: object, *, signed: bool = False) -> Decimal:
    """Parse a client-supplied amount: a decimal string, an int, or a ``Decimal``.

    A string must match ``AMOUNT_PATTERN`` (``SIGNED_AMOUNT_PATTERN`` when ``signed``)
    exactly. A ``Decimal`` is judged by how it is written (``str()``), so ``1E+3`` and
    ``1.001`` are refused; a JSON number keeps the text the client sent (see
    ``clicknback.api.parsers.JsonNumber``), so ``1.5E1`` is refused too. Floats never
    count. ``-0`` and ``-0.00`` are zero. Raises ``ValueError`` with a human sentence.
    """
    if isinstance(raw, bool) or raw is None or isinstance(raw, float):
        raise ValueError("Must be a decimal number with at most two decimal places.")
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, Decimal):
        text = getattr(raw, "json_text", None) or str(raw)
    else:
        raise ValueError("Must be a decimal number.")
    problem = amount_text_problem(text, signed=signed)
    if problem:
        raise ValueError(problem)
    value = Decimal(text)
    return quantize(ZERO if value.is_zero() else value)


def format_amount(value: Decimal) -> str:
    return f"{quantize(value):.2f}"


MINUS = "\u2212"  # a real minus sign reads better than a hyphen in tables


def euro(value: Decimal | None, *, signed: bool = False) -> str:
    """``Decimal("1234.5")`` → ``"€1,234.50"`` for pages (the API uses ``format_amount``); never a float.

    ``signed=True`` prefixes a plus for positive amounts (ledger-style columns).
    """
    amount = quantize(value if value is not None else Decimal("0"))
    text = f"€{abs(amount):,.2f}"
    if amount < 0:
        return f"{MINUS}{text}"
    if signed and amount > 0:
        return f"+{text}"
    return text
