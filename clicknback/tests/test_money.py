from decimal import Decimal

import pytest

from clicknback.money import parse_amount, quantize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5", Decimal("5.00")),
        ("5.5", Decimal("5.50")),
        (Decimal("7.25"), Decimal("7.25")),
        (12, Decimal("12.00")),
        ("9999999999.99", Decimal("9999999999.99")),
    ],
)
def test_parse_amount_accepts_numbers_and_decimal_strings(raw, expected):
    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "1.001",
        Decimal("1.001"),
        "NaN",
        "Infinity",
        "-inf",
        "1e3",
        Decimal("1E+3"),
        "10000000000.00",
        "abc",
        "",
        None,
        1.5,
        True,
    ],
)
def test_parse_amount_rejects_what_the_contract_forbids(raw):
    with pytest.raises(ValueError):
        parse_amount(raw)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.525", "0.52"), ("2.475", "2.48"), ("0.125", "0.12"), ("3.333", "3.33"), ("5.000", "5.00")],
)
def test_quantize_rounds_half_to_even(value, expected):
    assert quantize(Decimal(value)) == Decimal(expected)


def test_quantize_refuses_floats():
    with pytest.raises(TypeError):
        quantize(0.1)


@pytest.mark.parametrize(
    "raw",
    [
        "1_000",
        "+10.00",
        ".5",
        "5.",
        " 10.00 ",
        "10.00\n",
        "１０",
        "١٠",
        "1.5E1",
        "1E-2",
        "10.00E0",
        "-0.00",
        "-10.00",
        "10,00",
        "99999999999",
        Decimal("-0.00"),
    ],
)
def test_parse_amount_takes_only_the_documented_form(raw):
    with pytest.raises(ValueError):
        parse_amount(raw)


def test_a_json_number_is_judged_by_the_text_the_client_wrote():
    from clicknback.api.parsers import JsonNumber

    # then: 10.00E0 is 10 in value, but not in the form the contract allows
    assert parse_amount(JsonNumber("10.50")) == Decimal("10.50")
    with pytest.raises(ValueError, match="Exponent"):
        parse_amount(JsonNumber("10.00E0"))


@pytest.mark.parametrize(("raw", "expected"), [("-0.00", "0.00"), ("-0", "0.00"), ("-12.5", "-12.50")])
def test_a_signed_amount_takes_a_minus_and_reads_minus_zero_as_zero(raw, expected):
    # when
    value = parse_amount(raw, signed=True)
    # then
    assert value == Decimal(expected)
    assert str(value) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("-5", "Must not be negative."),
        ("10.123", "At most two decimal places are allowed."),
        ("12345678901", "Must not exceed 9999999999.99."),
        ("NaN", "NaN and Infinity are not amounts."),
        ("1e5", "Exponent notation is not accepted."),
    ],
)
def test_a_refused_amount_says_why(raw, reason):
    with pytest.raises(ValueError) as refused:
        parse_amount(raw)
    assert str(refused.value) == reason
