"""The API's input fields take exactly the JSON types and forms the schema publishes."""

import datetime as dt
import importlib
import uuid
from decimal import Decimal

import pytest
from django.apps import apps
from rest_framework import serializers

from clicknback.api.fields import (
    MoneyField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictDateTimeField,
    StrictEmailField,
    StrictListField,
    StrictUUIDField,
)
from clicknback.api.parsers import JsonNumber
from clicknback.money import AMOUNT_PATTERN, SIGNED_AMOUNT_PATTERN
from clicknback.text import TEXT_PATTERN

STRICT = (
    MoneyField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictDateTimeField,
    StrictEmailField,
    StrictListField,
    StrictUUIDField,
)


def _input_serializers():
    for config in apps.get_app_configs():
        try:
            importlib.import_module(f"{config.name}.serializers")
        except ModuleNotFoundError:
            continue
    seen, stack = [], [serializers.Serializer]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__name__.endswith("InputSerializer") and cls.__module__.split(".")[0] in {
            "clicknback", "users", "merchants", "offers", "purchases", "wallets", "payouts",
        "partners",
        }:  # fmt: skip
            seen.append(cls)
    return sorted(seen, key=lambda cls: cls.__name__)


def _refuses(field, value) -> bool:
    try:
        field.run_validation(value)
    except serializers.ValidationError:
        return True
    return False


@pytest.mark.parametrize("serializer", _input_serializers(), ids=lambda cls: cls.__name__)
def test_every_input_serializer_uses_the_strict_fields(serializer):
    from payouts.serializers import PayoutDetailsField

    # then: no DRF field that coerces (CharField, BooleanField, UUIDField, ...) is left
    loose = {
        name: type(field).__name__
        for name, field in serializer().fields.items()
        if not isinstance(field, (*STRICT, PayoutDetailsField))
    }
    assert not loose, f"{serializer.__name__} has fields that coerce: {loose}"


def test_there_are_input_serializers_to_check():
    assert len(_input_serializers()) >= 10


@pytest.mark.parametrize("value", [12345, 1.5, JsonNumber("1.5"), True, None, ["x"], {"a": "b"}])
def test_a_text_field_takes_only_a_string(value):
    assert _refuses(StrictCharField(allow_null=False), value)


@pytest.mark.parametrize(
    "value",
    ["  padded-x  ", " lead", "trail ", "a\x00b", "a\nb", "a\tb", "a\u0007b", "a\u202eb", "a\u2028b", "\ufeffa"],
)
def test_a_text_field_refuses_control_characters_and_whitespace_at_the_ends(value):
    assert _refuses(StrictCharField(), value)


@pytest.mark.parametrize("value", ["padded-x", "Zoë Ünal", "a b", "😀", "O'Brien & Söhne"])
def test_a_text_field_keeps_what_it_takes_exactly(value):
    assert StrictCharField().run_validation(value) == value


def test_a_password_field_takes_any_string_but_no_other_type():
    field = StrictCharField(printable=False)
    assert field.run_validation("  a\tb  ") == "  a\tb  "
    assert _refuses(field, 12345)
    assert _refuses(field, "a\x00b")


@pytest.mark.parametrize("value", ["yes", "true", "True", 1, 0, "1", "on", None, JsonNumber("1.0")])
def test_a_boolean_field_takes_only_true_and_false(value):
    field = StrictBooleanField()
    assert _refuses(field, value)
    assert field.run_validation(True) is True
    assert field.run_validation(False) is False


@pytest.mark.parametrize("value", [1, "ACTIVE", " active", "active\n", ["active"], True])
def test_a_choice_field_takes_only_one_of_its_strings(value):
    field = StrictChoiceField(choices=["active", "inactive"])
    assert _refuses(field, value)
    assert field.run_validation("active") == "active"


@pytest.mark.parametrize(
    "value",
    [1, 2**100, "urn:uuid:6f1c1a2e-9c1d-4d2e-8e55-0f6b1f0e3c11", "{6f1c1a2e-9c1d-4d2e-8e55-0f6b1f0e3c11}",
     "6f1c1a2e9c1d4d2e8e550f6b1f0e3c11", "6f1c1a2e-9c1d-4d2e-8e55-0f6b1f0e3c11 "],
)  # fmt: skip
def test_a_uuid_field_takes_only_the_hyphenated_string(value):
    field = StrictUUIDField()
    assert _refuses(field, value)
    assert field.run_validation("6F1C1A2E-9C1D-4D2E-8E55-0F6B1F0E3C11") == uuid.UUID(
        "6f1c1a2e-9c1d-4d2e-8e55-0f6b1f0e3c11"
    )


@pytest.mark.parametrize(
    "value", ["20261121", "2026-W47-1", "２０２６-１１-２１", "2026-02-30", 20261121, "2026-11-21 "]
)
def test_a_date_field_takes_only_yyyy_mm_dd(value):
    field = StrictDateField()
    assert _refuses(field, value)
    assert field.run_validation("2026-11-21") == dt.date(2026, 11, 21)


@pytest.mark.parametrize(
    "value", ["2026-11-21T10:15:00", "2026-11-21 10:15:00Z", "20261121T101500Z", 1764000000, "2026-11-31T10:15:00Z"]
)
def test_a_datetime_field_takes_only_iso_8601_with_a_zone(value):
    field = StrictDateTimeField()
    assert _refuses(field, value)
    assert field.run_validation("2026-11-21T11:15:00+01:00") == dt.datetime(2026, 11, 21, 10, 15, tzinfo=dt.UTC)
    assert field.run_validation("2026-11-21T10:15:00.5Z") == dt.datetime(2026, 11, 21, 10, 15, 0, 500000, tzinfo=dt.UTC)


def test_an_email_field_takes_a_string_without_control_characters_and_normalises_the_ends():
    field = StrictEmailField()
    assert _refuses(field, 12345)
    assert _refuses(field, '"a\u0007b"@example.com')
    assert field.run_validation("  a@example.com ") == "a@example.com"


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        (MoneyField(), "10.5", Decimal("10.50")),
        (MoneyField(), 10, Decimal("10.00")),
        (MoneyField(), JsonNumber("10.5"), Decimal("10.50")),
        (MoneyField(allow_zero=True), "0", Decimal("0.00")),
        (MoneyField(allow_zero=True), "007.50", Decimal("7.50")),
        (MoneyField(allow_negative=True), "-5.00", Decimal("-5.00")),
        (MoneyField(allow_negative=True, allow_zero=True), "-0.00", Decimal("0.00")),
    ],
)
def test_money_takes_a_number_or_a_string_of_the_documented_form(field, raw, expected):
    value = field.run_validation(raw)
    assert value == expected
    assert str(value) == str(expected)


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        (MoneyField(allow_zero=True), "-0.00"),
        (MoneyField(allow_zero=True), JsonNumber("-0.00")),
        (MoneyField(allow_negative=True), "-0.00"),
        (MoneyField(), JsonNumber("1.5E1")),
        (MoneyField(), JsonNumber("1E-2")),
        (MoneyField(), JsonNumber("NaN")),
        (MoneyField(), 1.5),
        (MoneyField(), True),
        (MoneyField(max_value=Decimal("20")), "20.01"),
        (MoneyField(min_value=Decimal("10")), "9.99"),
    ],
)
def test_money_refuses_what_the_schema_does_not_say(field, raw):
    assert _refuses(field, raw)


def test_the_schema_publishes_the_very_patterns_the_fields_validate_with(client, db):
    # given
    from merchants.serializers import MerchantCreateInputSerializer

    schema = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    merchant = schema["MerchantCreateInputRequest"]["properties"]
    # then: money
    percentage = MerchantCreateInputSerializer().fields["default_cashback_percentage"]
    assert percentage.pattern is AMOUNT_PATTERN
    strings = [branch for branch in merchant["default_cashback_percentage"]["oneOf"] if branch["type"] == "string"]
    assert strings == [{"type": "string", "pattern": AMOUNT_PATTERN.pattern, "example": "25.00"}]
    assert MoneyField(allow_negative=True).pattern is SIGNED_AMOUNT_PATTERN
    # and text
    assert merchant["name"]["pattern"] == TEXT_PATTERN.pattern


def test_the_schema_bounds_json_numbers_as_the_field_does(client, db):
    schema = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    percentage = schema["MerchantCreateInputRequest"]["properties"]["default_cashback_percentage"]
    amount = schema["PurchaseCreateInputRequest"]["properties"]["amount"]
    number = next(branch for branch in percentage["oneOf"] if branch["type"] == "number")
    assert (number["minimum"], number["maximum"], number.get("exclusiveMinimum")) == (0, 20, None)
    number = next(branch for branch in amount["oneOf"] if branch["type"] == "number")
    assert (number["minimum"], number["exclusiveMinimum"]) == (0, True)
