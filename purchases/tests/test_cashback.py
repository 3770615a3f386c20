from decimal import Decimal

import pytest

from offers.models import CashbackType
from purchases.cashback import cashback_capped, cashback_for, cashback_raw


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [
        ("10.50", "5", "0.52"),
        ("49.50", "5", "2.48"),
        ("2.50", "5", "0.12"),
        ("33.33", "10", "3.33"),
        ("200.00", "2.5", "5.00"),
        ("0.01", "5", "0.00"),
        ("0.10", "5", "0.00"),
        ("0.30", "5", "0.02"),
        ("9999999999.99", "20", "2000000000.00"),
    ],
)
def test_percent_cashback_is_computed_exactly_and_rounded_half_even_once(amount, percent, expected):
    # when
    raw = cashback_raw(amount=Decimal(amount), cashback_type=CashbackType.PERCENT, cashback_value=Decimal(percent))
    # then
    assert raw == Decimal(expected)
    assert str(raw) == expected


@pytest.mark.parametrize("amount", ["3.00", "3.01", "100.00", "9999999999.99"])
def test_fixed_cashback_is_the_offer_value_whatever_amount_covers_it(amount):
    # when
    raw = cashback_raw(amount=Decimal(amount), cashback_type=CashbackType.FIXED, cashback_value=Decimal("3.00"))
    # then
    assert raw == Decimal("3.00")


@pytest.mark.parametrize(
    ("cashback_type", "value", "amount", "expected"),
    [
        (CashbackType.FIXED, "3.00", "0.01", "0.01"),
        (CashbackType.FIXED, "3.00", "1.00", "1.00"),
        (CashbackType.FIXED, "3.00", "2.99", "2.99"),
        (CashbackType.FIXED, "9999999999.99", "0.50", "0.50"),
        (CashbackType.PERCENT, "20", "0.01", "0.00"),
        (CashbackType.PERCENT, "20", "0.03", "0.01"),
    ],
)
def test_cashback_never_exceeds_the_purchase_amount(cashback_type, value, amount, expected):
    # when
    raw = cashback_raw(amount=Decimal(amount), cashback_type=cashback_type, cashback_value=Decimal(value))
    # then
    assert raw == Decimal(expected)
    assert raw <= Decimal(amount)


def test_amount_ceiling_applies_before_the_monthly_cap():
    # given: a fixed 3.00 on a 0.50 purchase is worth 0.50, with 2.00 of room left this month
    # when
    credited = cashback_for(
        amount=Decimal("0.50"),
        cashback_type=CashbackType.FIXED,
        cashback_value=Decimal("3.00"),
        monthly_cap=Decimal("20.00"),
        already_earned=Decimal("18.00"),
    )
    # then: the amount bounds it first, the cap has room for it
    assert credited == Decimal("0.50")


def test_monthly_cap_still_limits_a_cashback_bounded_by_the_amount():
    # when: 0.50 from the amount ceiling, 0.20 of room left
    credited = cashback_for(
        amount=Decimal("0.50"),
        cashback_type=CashbackType.FIXED,
        cashback_value=Decimal("3.00"),
        monthly_cap=Decimal("20.00"),
        already_earned=Decimal("19.80"),
    )
    # then
    assert credited == Decimal("0.20")


def test_unknown_cashback_type_is_refused():
    with pytest.raises(ValueError):
        cashback_raw(amount=Decimal("1.00"), cashback_type="bogus", cashback_value=Decimal("3.00"))


@pytest.mark.parametrize(
    ("raw", "cap", "earned", "expected"),
    [
        ("5.00", "50.00", "0.00", "5.00"),
        ("5.00", "50.00", "47.50", "2.50"),
        ("5.00", "50.00", "50.00", "0.00"),
        ("5.00", "20.00", "25.00", "0.00"),
        ("0.00", "50.00", "0.00", "0.00"),
    ],
)
def test_monthly_cap_limits_the_credit_and_never_goes_below_zero(raw, cap, earned, expected):
    # when
    credited = cashback_capped(raw=Decimal(raw), monthly_cap=Decimal(cap), already_earned=Decimal(earned))
    # then
    assert credited == Decimal(expected)


def test_cashback_for_rounds_before_applying_the_cap():
    # given: 10.50 at 5 % is 0.525 → 0.52, and 0.53 of room is left
    # when
    credited = cashback_for(
        amount=Decimal("10.50"),
        cashback_type=CashbackType.PERCENT,
        cashback_value=Decimal("5.00"),
        monthly_cap=Decimal("50.00"),
        already_earned=Decimal("49.47"),
    )
    # then
    assert credited == Decimal("0.52")
