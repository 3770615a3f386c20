"""JSON parser that keeps numbers exact: floats are parsed as ``Decimal``."""

import json
from decimal import Decimal

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class NonFiniteNumber(str):
    """Marks NaN/Infinity literals so amount fields can refuse them with a 422."""


def _parse_constant(name: str) -> NonFiniteNumber:
    return NonFiniteNumber(name)


class DecimalJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        try:
            raw = stream.read() if stream is not None else b""
            if not raw:
                return {}
            return json.loads(raw.decode(encoding), parse_float=Decimal, parse_constant=_parse_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
