"""Offset/limit pagination with the contract's envelope and bounds (§1.2)."""

import re

from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from clicknback.errors import ValidationFailed

# Offsets beyond a 32-bit integer can never address a row; refusing them keeps every
# echoed value a safe JSON integer.
MAX_OFFSET = 2_147_483_647


# Query parameters are text: an integer is ASCII digits and nothing else (int() would
# also take " 5", "+5", "1_0", "\uff15" and "\u0665").
_DIGITS = re.compile(r"[0-9]+")
_NEGATIVE = re.compile(r"-[0-9]+")


def parse_page_params(query_params, default_limit: int) -> tuple[int, int]:
    def _int(name: str, default: int, low: int, high: int) -> int:
        raw = query_params.get(name)
        if raw is None or raw == "":
            return default
        bound = f"between {low} and {high}"
        if _NEGATIVE.fullmatch(raw):
            raise ValidationFailed(f"{name} must be {bound}.", field=name, reason=f"Must be {bound}.")
        if not _DIGITS.fullmatch(raw):
            reason = "Must be an integer written with the digits 0-9."
            raise ValidationFailed(f"{name} must be an integer.", field=name, reason=reason)
        # Past ten digits it is out of range whatever it says; int() never sees a huge string.
        value = int(raw) if len(raw.lstrip("0")) <= 10 else high + 1
        if value < low or value > high:
            raise ValidationFailed(f"{name} must be {bound}.", field=name, reason=f"Must be {bound}.")
        return value

    return _int("offset", 0, 0, MAX_OFFSET), _int("limit", default_limit, 1, 100)


class OffsetLimitPagination(BasePagination):
    """``{"data": [...], "pagination": {"offset", "limit", "total"}}``; default limit 20."""

    default_limit = 20

    def paginate_queryset(self, queryset, request, view=None):
        self.offset, self.limit = parse_page_params(request.query_params, self.default_limit)
        self.total = queryset.count()
        if self.total == 0 or self.offset >= self.total:
            return []
        return list(queryset[self.offset : self.offset + self.limit])

    def paginate_with(self, request, fetch):
        """Like ``paginate_queryset`` for a selector that reads a page and its total at once.

        ``fetch(offset, limit)`` returns ``(rows, total)``.
        """
        self.offset, self.limit = parse_page_params(request.query_params, self.default_limit)
        rows, self.total = fetch(self.offset, self.limit)
        return rows

    def get_paginated_response(self, data):
        return Response({"data": data, "pagination": {"offset": self.offset, "limit": self.limit, "total": self.total}})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["data", "pagination"],
            "properties": {
                "data": schema,
                "pagination": {
                    "type": "object",
                    "required": ["offset", "limit", "total"],
                    "properties": {
                        "offset": {"type": "integer", "minimum": 0},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                        "total": {"type": "integer", "minimum": 0},
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "offset",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": self.default_limit},
            },
        ]


class SmallPagination(OffsetLimitPagination):
    """Purchases, wallet transactions, payouts and audit logs: default limit 10."""

    default_limit = 10
