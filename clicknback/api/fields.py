"""Serializer fields shared by every API: money that is never a float."""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clicknback.money import MAX_AMOUNT, format_amount, parse_amount


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": r"^-?\d{1,10}(\.\d{1,2})?$", "example": "25.00"},
            {"type": "number", "multipleOf": 0.01, "maximum": float(MAX_AMOUNT)},
        ]
    }
)
class MoneyField(serializers.Field):
    """Accepts a JSON number or decimal string with at most two places; renders "12.34"."""

    default_error_messages = {"invalid": "{reason}"}

    def __init__(
        self, *, min_value: Decimal | None = None, max_value: Decimal | None = None, allow_zero=False, **kwargs
    ):
        self.min_value = min_value
        self.max_value = max_value
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            value = parse_amount(data)
        except ValueError as exc:
            self.fail("invalid", reason=str(exc))
        if value < 0 or (value == 0 and not self.allow_zero):
            self.fail("invalid", reason="Must be greater than 0." if not self.allow_zero else "Must not be negative.")
        if self.min_value is not None and value < self.min_value:
            self.fail("invalid", reason=f"Must be at least {format_amount(self.min_value)}.")
        if self.max_value is not None and value > self.max_value:
            self.fail("invalid", reason=f"Must be at most {format_amount(self.max_value)}.")
        return value

    def to_representation(self, value):
        return format_amount(value)


@extend_schema_field(OpenApiTypes.STR)
class MoneyOutputField(serializers.Field):
    """Read-only money rendered as a two-place decimal string."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None else format_amount(value)
