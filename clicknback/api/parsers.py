"""The API's one JSON parser: exact numbers, bounded size and depth, every failure a 422.

* Numbers with a fraction or an exponent become ``JsonNumber``: a ``Decimal`` that
  remembers the text the client sent, so a money field can refuse ``1.5E1`` or
  ``10.00E0`` (both read as whole numbers) and no float ever exists. NaN and Infinity
  (which Python's json accepts) become ``JsonNumber`` too and are refused by the fields.
  Integers stay ``int``.
* The body may not be larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django refuses it
  before reading when the ``Content-Length`` says so; this parser checks what it got) →
  413 ``PAYLOAD_TOO_LARGE``.
* Arrays and objects may not nest deeper than ``API_JSON_MAX_DEPTH`` (default 32; the
  deepest body the API takes has three levels). The depth is measured before decoding,
  so a hostile body never reaches the recursive decoder.
* Anything else that does not decode (bad syntax, a charset that does not exist, bytes
  that are not in it) → 422 ``VALIDATION_ERROR`` on the field ``body``.
"""

import json
import operator
from decimal import Decimal
from itertools import accumulate, count

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from clicknback.errors import PayloadTooLarge

DEFAULT_MAX_DEPTH = 32

# Depth is measured at C speed, about as fast as decoding: strings are cut out with
# str.split('"') once escaped backslashes and quotes are gone, the brackets left become
# weights (an opening one 2, a closing one 0), and the depth after k brackets is the sum
# of the first k weights minus k.
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_BRACKET_WEIGHTS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


class JsonNumber(Decimal):
    """A JSON number with a fraction or an exponent, with the text it was written as."""

    json_text: str

    def __new__(cls, text: str):
        number = super().__new__(cls, text)
        number.json_text = text
        return number


class InvalidJson(ParseError):
    """A body that is not acceptable JSON; ``contract_reason`` is the reason shown to the client."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.contract_reason = reason


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (brackets inside strings ignored)."""
    if "\\" in text:
        text = text.replace("\\\\", "").replace('\\"', "")
    outside_strings = "".join(text.split('"')[::2])
    weights = outside_strings.encode("utf-8", "surrogatepass").translate(_BRACKET_WEIGHTS, _NOT_BRACKETS)
    return max(map(operator.sub, accumulate(weights), count(1)), default=0)


def max_body_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def max_depth() -> int:
    return getattr(settings, "API_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)


def json_decode(raw: bytes, encoding: str = "utf-8"):
    """Decode a request body; raises ``PayloadTooLarge`` or ``InvalidJson``."""
    limit = max_body_bytes()
    if limit is not None and len(raw) > limit:
        raise PayloadTooLarge(limit)
    try:
        text = raw.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        raise InvalidJson(f"The body is not valid {encoding} text.") from None
    depth_limit = max_depth()
    if nesting_depth(text) > depth_limit:
        raise InvalidJson(f"The body nests arrays and objects deeper than {depth_limit} levels.")
    try:
        return json.loads(text, parse_float=JsonNumber, parse_constant=JsonNumber)
    except ValueError as exc:
        # JSONDecodeError, and int() refusing an integer of thousands of digits.
        raise InvalidJson(f"The body is not valid JSON: {_short(exc)}") from None
    except RecursionError:
        raise InvalidJson("The body nests arrays and objects too deeply.") from None


def _short(exc: ValueError) -> str:
    message = exc.msg if isinstance(exc, json.JSONDecodeError) else "a number is too long"
    position = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
    return f"{message}{position}."


class DecimalJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding") or "utf-8"
        raw = stream.read() if stream is not None else b""
        if not raw:
            return {}
        return json_decode(raw, encoding)
