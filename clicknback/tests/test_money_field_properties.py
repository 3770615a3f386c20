"""Properties of the money field against the pattern the schema publishes.

* Every string the field accepts matches the pattern.
* Every string the pattern matches is accepted (within the field's range).
* A JSON number is accepted exactly when its text would be.
"""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from clicknback.api.fields import MoneyField
from clicknback.api.parsers import JsonNumber
from clicknback.money import AMOUNT_PATTERN, SIGNED_AMOUNT_PATTERN

FIELDS = {
    "amount": MoneyField(),
    "percentage": MoneyField(allow_zero=True, max_value=Decimal("20")),
    "signed": MoneyField(allow_negative=True, allow_zero=True),
}
PROPERTY_SETTINGS = settings(
    max_examples=300, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Text that looks like an amount, and text that is almost one: digits from several
# scripts, signs, separators, exponents, spaces.
AMOUNTISH = st.text(alphabet="0123456789.-+eE_, \t\n１٠۹", max_size=16)


def _accepts(field: MoneyField, value) -> bool:
    try:
        field.run_validation(value)
    except serializers.ValidationError:
        return False
    return True


def _in_range(field: MoneyField, text: str) -> bool:
    value = Decimal(text)
    if value == 0:
        return field.allow_zero
    if field.max_value is not None and value > field.max_value:
        return False
    return field.allow_negative or value > 0


@PROPERTY_SETTINGS
@given(name=st.sampled_from(sorted(FIELDS)), text=st.one_of(AMOUNTISH, st.text(max_size=16)))
def test_every_string_the_field_accepts_matches_the_published_pattern(name, text):
    field = FIELDS[name]
    if _accepts(field, text):
        assert field.pattern.fullmatch(text)


@PROPERTY_SETTINGS
@given(
    name=st.sampled_from(sorted(FIELDS)),
    text=st.one_of(st.from_regex(AMOUNT_PATTERN, fullmatch=True), st.from_regex(SIGNED_AMOUNT_PATTERN, fullmatch=True)),
)
def test_every_string_the_pattern_matches_is_accepted_within_range(name, text):
    field = FIELDS[name]
    if field.pattern.fullmatch(text) and _in_range(field, text):
        value = field.run_validation(text)
        assert value == Decimal(text)
        assert value.as_tuple().exponent == -2


@PROPERTY_SETTINGS
@given(
    name=st.sampled_from(sorted(FIELDS)),
    text=st.one_of(
        st.from_regex(r"^-?(0|[1-9][0-9]{0,11})(\.[0-9]{1,3})?([eE][-+]?[0-9]{1,3})?$", fullmatch=True),
        st.sampled_from(["NaN", "Infinity", "-Infinity"]),
    ),
)
def test_a_json_number_is_accepted_exactly_when_its_text_would_be(name, text):
    # given a JSON number as the parser hands it over (integers arrive as int)
    field = FIELDS[name]
    number = int(text) if text.lstrip("-").isdigit() else JsonNumber(text)
    # then
    assert _accepts(field, number) == _accepts(field, str(number) if isinstance(number, int) else text)
    if _accepts(field, number):
        assert field.pattern.fullmatch(str(number) if isinstance(number, int) else text)
