"""Money helpers: every amount is a ``Decimal`` in EUR cents precision.

Rounding rule (the API contract §1): cashback is computed exactly and quantized once to
0.01 with ROUND_HALF_EVEN ("banker's rounding"). No float ever touches an amount.
"""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

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


def parse_amount(raw: object) -> Decimal:
    """Parse a client-supplied amount (JSON number already parsed as Decimal, int or str).

    Raises ``ValueError`` with a human sentence when the value is not an acceptable
    amount: floats, NaN/Infinity, exponent notation, more than two decimal places, or a
    value beyond ``MAX_AMOUNT``.
    """
    if isinstance(raw, bool) or raw is None or isinstance(raw, float):
        raise ValueError("Must be a decimal number with at most two decimal places.")
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if (
            not text
            or any(ch in text for ch in "eE")
            or text.lower().lstrip("+-") in {"nan", "inf", "infinity", "snan"}
        ):
            raise ValueError("Must be a plain decimal number (no exponent, NaN or Infinity).")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError("Must be a decimal number.") from exc
    else:
        raise ValueError("Must be a decimal number.")
    if not value.is_finite():
        raise ValueError("NaN and Infinity are not amounts.")
    if "E" in str(raw).upper() and not isinstance(raw, int):
        raise ValueError("Exponent notation is not accepted.")
    exponent = value.as_tuple().exponent  # an int: NaN and Infinity were refused above
    if isinstance(exponent, int) and exponent < -DECIMAL_PLACES:
        raise ValueError("At most two decimal places are allowed.")
    if abs(value) > MAX_AMOUNT:
        raise ValueError(f"Must not exceed {MAX_AMOUNT}.")
    return quantize(value)


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
