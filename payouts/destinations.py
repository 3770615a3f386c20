"""Payout destinations: IBAN normalisation and mod-97 check, card tokens, masking.

Pure functions. The full destination is stored on the payout for paying it; everything
shown to people (API, admin, audit details, logs) uses ``mask`` only.
"""

import re
from dataclasses import dataclass

from clicknback.errors import ValidationFailed
from payouts.models import PayoutMethod

# IBAN length per country (ISO 13616 registry). Countries missing here still get the
# generic shape and checksum checks.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_CARD_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{4,255}$")
MAX_HOLDER_LENGTH = 255


@dataclass(frozen=True)
class Destination:
    method: str
    data: dict
    masked: str


def iban_normalise(raw: str) -> str:
    """Remove spaces and upper-case: ``"de89 3704 ..."`` → ``"DE893704..."``."""
    return "".join(raw.split()).upper()


def iban_checksum_ok(iban: str) -> bool:
    """ISO 7064 mod-97-10: move the first four characters to the end, letters → 10..35."""
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def iban_problem(iban: str) -> str | None:
    """Why a normalised IBAN is not valid, or None when it is."""
    if not _IBAN_SHAPE.match(iban):
        return "Must be an IBAN: a country code, two check digits and up to 30 letters or digits."
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return f"An IBAN from {iban[:2]} has {expected} characters."
    if not iban_checksum_ok(iban):
        return "The IBAN check digits are wrong (mod-97 checksum)."
    return None


def mask(value: str) -> str:
    """Only the last four characters survive: ``"****1234"``."""
    return "****" + value[-4:]


def _text(details: dict, name: str) -> str:
    value = details.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationFailed(
            f"details.{name} is required.", field=f"details.{name}", reason="This field is required."
        )
    if not isinstance(value, str):
        raise ValidationFailed(f"details.{name} must be a string.", field=f"details.{name}", reason="Must be a string.")
    return value.strip()


def destination_parse(*, method: str, details: object) -> Destination:
    """Validate the payout ``details`` for ``method``; raises ``ValidationFailed`` (422)."""
    if not isinstance(details, dict):
        raise ValidationFailed("details must be an object.", field="details", reason="Must be an object.")
    if method == PayoutMethod.BANK_TRANSFER:
        iban = iban_normalise(_text(details, "iban"))
        problem = iban_problem(iban)
        if problem:
            raise ValidationFailed(f"details.iban: {problem}", field="details.iban", reason=problem)
        holder = _text(details, "account_holder")
        if len(holder) > MAX_HOLDER_LENGTH:
            reason = f"Must be at most {MAX_HOLDER_LENGTH} characters."
            raise ValidationFailed(f"details.account_holder: {reason}", field="details.account_holder", reason=reason)
        return Destination(method=method, data={"iban": iban, "account_holder": holder}, masked=mask(iban))
    if method == PayoutMethod.CARD:
        token = _text(details, "card_token")
        if not _CARD_TOKEN.match(token):
            reason = "Must be 4 to 255 letters, digits, '-' or '_'."
            raise ValidationFailed(f"details.card_token: {reason}", field="details.card_token", reason=reason)
        return Destination(method=method, data={"card_token": token}, masked=mask(token))
    raise ValidationFailed("Unknown payout method.", field="method", reason="Must be bank_transfer or card.")
