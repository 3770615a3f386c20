"""Serializer fields for API input: exactly the JSON types and forms the schema publishes.

DRF's own fields coerce: ``CharField`` takes ``12345`` as ``"12345"`` and trims,
``BooleanField`` takes ``"yes"``, ``UUIDField`` takes an integer, ``DateField`` takes
``"20261121"``. Every input serializer uses the ``Strict*`` fields and ``MoneyField``
instead (``clicknback/tests/test_fields.py`` walks them all), which take only the JSON
type the schema names, in the one form it documents, and store it as sent.
"""

import datetime as dt
import re
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clicknback.money import AMOUNT_PATTERN, MAX_AMOUNT, SIGNED_AMOUNT_PATTERN, format_amount, parse_amount
from clicknback.text import CONTROL_CHARACTERS_REASON, TEXT_PATTERN, has_forbidden_characters, text_problem

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DATETIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)


class TextValidator(RegexValidator):
    """``TEXT_PATTERN`` as a validator; drf-spectacular publishes its regex as the pattern."""

    regex = TEXT_PATTERN

    def __call__(self, value):
        problem = text_problem(str(value))
        if problem:
            raise DjangoValidationError(problem, code="invalid")


class StrictCharField(serializers.CharField):
    """A JSON string, kept exactly as sent (never trimmed, never converted from a number).

    By default it is one line of text with no control characters and no whitespace at
    either end (``TEXT_PATTERN``, published in the schema): names, identifiers, reasons,
    codes. ``printable=False`` takes any string (passwords); DRF still refuses NUL and
    lone surrogates.
    """

    def __init__(self, *, printable: bool = True, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        if printable:
            self.validators.append(TextValidator())

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class NoControlCharactersValidator:
    """Refuses control characters anywhere (``clicknback.text``), without a published pattern."""

    def __call__(self, value):
        if has_forbidden_characters(str(value)):
            raise DjangoValidationError(CONTROL_CHARACTERS_REASON, code="invalid")


class StrictEmailField(serializers.EmailField):
    """A JSON string that is an email address with no control characters. Whitespace
    around it is trimmed, like the lower-casing, as part of normalising an address."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(NoControlCharactersValidator())

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A JSON string that is one of the choices (``1`` is not ``"1"``)."""

    default_error_messages = {"invalid_choice": "Must be one of: {choices}."}

    def to_internal_value(self, data):
        if not isinstance(data, str) or data not in self.choice_strings_to_values:
            self.fail("invalid_choice", choices=", ".join(self.choice_strings_to_values))
        return self.choice_strings_to_values[data]


class StrictBooleanField(serializers.BooleanField):
    """JSON ``true`` or ``false``; not ``"true"``, ``"yes"``, ``1`` or ``"on"``."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid")


class StrictUUIDField(serializers.UUIDField):
    """A JSON string holding a UUID in its usual 8-4-4-4-12 hex form (not an integer, not
    ``urn:uuid:`` or braces)."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _UUID.fullmatch(data):
            self.fail("invalid", value=None)
        return uuid.UUID(data)


class StrictDateField(serializers.DateField):
    """A JSON string ``YYYY-MM-DD`` (not the other ISO 8601 forms Python would read)."""

    def to_internal_value(self, value):
        if isinstance(value, str) and _DATE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.fail("invalid", format="YYYY-MM-DD")


class StrictDateTimeField(serializers.DateTimeField):
    """A JSON string ``YYYY-MM-DDTHH:MM:SS[.ffffff]`` with ``Z`` or an explicit offset
    (a time without its zone is refused, never guessed); stored as the instant it names."""

    def to_internal_value(self, value):
        if isinstance(value, str) and _DATETIME.fullmatch(value):
            try:
                return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)
            except (ValueError, OverflowError):  # out of the calendar once moved to UTC
                pass
        self.fail("invalid", format="YYYY-MM-DDTHH:MM:SSZ (or an explicit offset)")


class StrictListField(serializers.ListField):
    """A JSON array (not an object, a string or a form's repeated keys). Without a
    ``child`` its items are taken as they are, for the caller to validate one by one."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class MoneyField(serializers.Field):
    """An amount: a JSON number or a decimal string, in the one form ``pattern`` allows.

    ``pattern`` is ``clicknback.money.AMOUNT_PATTERN`` (``SIGNED_AMOUNT_PATTERN`` with
    ``allow_negative``): the schema publishes that very regex, and a JSON number is held
    to it too, by the text the client wrote (so ``1.5E1`` is refused). ``-0.00`` is zero
    where negatives are allowed, and no amount where they are not. Renders ``"12.34"``.
    """

    default_error_messages = {"invalid": "{reason}"}

    def __init__(
        self,
        *,
        min_value: Decimal | None = None,
        max_value: Decimal | None = None,
        allow_zero: bool = False,
        allow_negative: bool = False,
        **kwargs,
    ):
        self.min_value = min_value
        self.max_value = max_value
        self.allow_zero = allow_zero
        self.allow_negative = allow_negative
        super().__init__(**kwargs)

    @property
    def pattern(self) -> re.Pattern:
        return SIGNED_AMOUNT_PATTERN if self.allow_negative else AMOUNT_PATTERN

    def to_internal_value(self, data):
        try:
            value = parse_amount(data, signed=self.allow_negative)
        except ValueError as exc:
            self.fail("invalid", reason=str(exc))
        if value == 0 and not self.allow_zero:
            self.fail("invalid", reason="Must not be 0." if self.allow_negative else "Must be greater than 0.")
        if self.min_value is not None and value < self.min_value:
            self.fail("invalid", reason=f"Must be at least {format_amount(self.min_value)}.")
        if self.max_value is not None and value > self.max_value:
            self.fail("invalid", reason=f"Must be at most {format_amount(self.max_value)}.")
        return value

    def to_representation(self, value):
        return format_amount(value)


class MoneyFieldSchema(OpenApiSerializerFieldExtension):
    """The schema of one ``MoneyField``: its pattern, and its bounds for JSON numbers."""

    target_class = MoneyField

    def map_serializer_field(self, auto_schema, direction):
        field: MoneyField = self.target
        if field.min_value is not None:
            low, exclusive = field.min_value, False
        elif field.allow_negative:
            low, exclusive = -MAX_AMOUNT, False
        else:
            low, exclusive = Decimal(0), not field.allow_zero
        high = field.max_value if field.max_value is not None else MAX_AMOUNT
        number = {"type": "number", "multipleOf": 0.01, "minimum": _json_number(low), "maximum": _json_number(high)}
        if exclusive:
            number["exclusiveMinimum"] = True
        bounds = f"{'more than' if exclusive else 'from'} {format_amount(low)} to {format_amount(high)}"
        return {
            "oneOf": [{"type": "string", "pattern": field.pattern.pattern, "example": "25.00"}, number],
            "description": f"A decimal {bounds}: a JSON number or a string, at most two decimal places, no exponent.",
        }


def _json_number(value: Decimal) -> int | float:
    # The schema document is JSON: its bounds are numbers (the only floats in this module).
    return int(value) if value == value.to_integral_value() else float(value)


@extend_schema_field(OpenApiTypes.STR)
class MoneyOutputField(serializers.Field):
    """Read-only money rendered as a two-place decimal string."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None else format_amount(value)
