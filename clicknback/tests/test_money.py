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
