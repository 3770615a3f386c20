"""Presentation helpers shared by the wallet pages and the back office."""

from decimal import Decimal

from clicknback.money import quantize

MINUS = "\u2212"  # a real minus sign reads better than a hyphen in tables


def euro(value: Decimal | None, *, signed: bool = False) -> str:
    """``Decimal("1234.5")`` → ``"€1,234.50"``; never touches a float.

    ``signed=True`` prefixes a plus for positive amounts (ledger-style columns).
    """
    amount = quantize(value if value is not None else Decimal("0"))
    text = f"€{abs(amount):,.2f}"
    if amount < 0:
        return f"{MINUS}{text}"
    if signed and amount > 0:
        return f"+{text}"
    return text
