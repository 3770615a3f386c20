"""Payout destinations: IBAN normalisation and validation, card tokens, masking.

Pure functions. The full destination is stored on the payout for paying it; everything
shown to people (API, admin, audit details, logs) uses ``mask`` only.

IBANs are checked by schwifty against its copy of the ISO 13616 registry (the country,
its IBAN length and account-number format) and for the ISO 7064 mod-97 check digits;
the registry comes with the package, so no table of lengths is kept here.
"""

import re
from dataclasses import dataclass

from schwifty import IBAN
from schwifty.exceptions import InvalidChecksumDigits, InvalidCountryCode, InvalidLength, SchwiftyException

from clicknback.errors import ValidationFailed
from clicknback.text import CONTROL_CHARACTERS_REASON, has_forbidden_characters
from payouts.models import PayoutMethod

_CARD_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{4,255}$")
MAX_HOLDER_LENGTH = 255
IBAN_SHAPE_REASON = "Must be an IBAN: a country code, two check digits and the account number in that country's format."


@dataclass(frozen=True)
class Destination:
    method: str
    data: dict
    masked: str


def iban_normalise(raw: str) -> str:
    """Remove spaces and upper-case: ``"de89 3704 ..."`` → ``"DE893704..."``."""
    return "".join(raw.split()).upper()


def iban_problem(iban: str) -> str | None:
    """Why a normalised IBAN is not valid, or None when it is."""
    try:
        IBAN(iban)
    except InvalidCountryCode:
        return f"{iban[:2]} is not a country code of the IBAN registry."
    except InvalidLength:
        expected = IBAN(iban, allow_invalid=True).spec.iban_length
        return f"An IBAN from {iban[:2]} has {expected} characters."
    except InvalidChecksumDigits:
        return "The IBAN check digits are wrong (mod-97 checksum)."
    except SchwiftyException:
        return IBAN_SHAPE_REASON
    return None


def mask(value: str) -> str:
    """Only the last four characters survive: ``"****1234"``."""
    return "****" + value[-4:]


def _text(details: dict, name: str) -> str:
    """``details[name]``: a string without control characters (NUL, line breaks, ...), which
    PostgreSQL may refuse (NUL) and a bank file must not carry."""
    value = details.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationFailed(
            f"details.{name} is required.", field=f"details.{name}", reason="This field is required."
        )
    if not isinstance(value, str):
        raise ValidationFailed(f"details.{name} must be a string.", field=f"details.{name}", reason="Must be a string.")
    if has_forbidden_characters(value):
        raise ValidationFailed(
            f"details.{name}: {CONTROL_CHARACTERS_REASON}", field=f"details.{name}", reason=CONTROL_CHARACTERS_REASON
        )
    return value


def destination_parse(*, method: str, details: object) -> Destination:
    """Validate the payout ``details`` for ``method``; raises ``ValidationFailed`` (422)."""
    if not isinstance(details, dict):
        raise ValidationFailed("details must be an object.", field="details", reason="Must be an object.")
    if method == PayoutMethod.BANK_TRANSFER:
        iban = iban_normalise(_text(details, "iban"))
        problem = iban_problem(iban)
        if problem:
            raise ValidationFailed(f"details.iban: {problem}", field="details.iban", reason=problem)
        # The holder's name goes to the bank: one line of text, trimmed.
        holder = _text(details, "account_holder").strip()
        if len(holder) > MAX_HOLDER_LENGTH:
            reason = f"Must be at most {MAX_HOLDER_LENGTH} characters."
            raise ValidationFailed(f"details.account_holder: {reason}", field="details.account_holder", reason=reason)
        return Destination(method=method, data={"iban": iban, "account_holder": holder}, masked=mask(iban))
    if method == PayoutMethod.CARD:
        token = _text(details, "card_token")
        if not _CARD_TOKEN.fullmatch(token):
            reason = "Must be 4 to 255 letters, digits, '-' or '_'."
            raise ValidationFailed(f"details.card_token: {reason}", field="details.card_token", reason=reason)
        return Destination(method=method, data={"card_token": token}, masked=mask(token))
    raise ValidationFailed("Unknown payout method.", field="method", reason="Must be bank_transfer or card.")
