"""How payout service errors land on the withdrawal form (no database needed)."""

from decimal import Decimal

import pytest

from clicknback.errors import DomainError, ValidationFailed
from clicknback.money import euro
from payouts.errors import InsufficientBalance, PayoutPolicyViolation
from portal import queries
from portal.forms import WithdrawalForm
from portal.withdrawals import attach_service_error


def checked_form() -> WithdrawalForm:
    form = WithdrawalForm({"amount": "10", "method": "bank_transfer", "iban": "X", "account_holder": "A"})
    form.is_valid()
    return form


class IbanRejected(DomainError):
    code = "IBAN_COUNTRY_NOT_SUPPORTED"
    default_message = "We cannot pay to that country."


def test_an_iban_coded_error_without_violations_lands_on_the_iban():
    # given
    form = checked_form()

    # when
    attach_service_error(form, IbanRejected())

    # then
    assert form.errors["iban"] == ["We cannot pay to that country."]


def test_a_policy_violation_without_details_lands_on_the_amount():
    # given
    form = checked_form()

    # when
    attach_service_error(form, PayoutPolicyViolation("Payouts are paused this month."))

    # then
    assert form.errors["amount"] == ["Payouts are paused this month."]


def test_a_policy_violation_naming_no_form_field_lands_on_the_amount():
    # given
    form = checked_form()

    # when
    attach_service_error(
        form,
        PayoutPolicyViolation("Too much.", details={"violations": [{"field": "monthly_limit", "reason": "Over."}]}),
    )

    # then
    assert form.errors["amount"] == ["Over."]


def test_every_policy_violation_is_listed():
    # given
    form = checked_form()
    violations = [{"field": "amount", "reason": "Below the minimum."}, {"field": "amount", "reason": "Over the limit."}]

    # when
    attach_service_error(form, PayoutPolicyViolation("x", details={"violations": violations}))

    # then
    assert form.errors["amount"] == ["Below the minimum.", "Over the limit."]


def test_a_violation_on_an_unknown_field_goes_above_the_form():
    # given
    form = checked_form()

    # when
    attach_service_error(form, ValidationFailed("details must be an object.", field="details", reason="Bad."))

    # then
    assert form.non_field_errors() == ["Bad."]


def test_insufficient_balance_without_a_readable_balance_keeps_the_service_message():
    # given
    form = checked_form()

    # when
    attach_service_error(form, InsufficientBalance("Not enough.", details={"available_balance": "n/a"}))

    # then
    assert form.errors["amount"] == ["Not enough."]


def test_reads_without_an_owner_are_refused():
    # when / then: never "everyone's rows"
    with pytest.raises(ValueError, match="signed-in user"):
        queries.purchases_of(user_id=None)


@pytest.mark.parametrize(
    ("value", "signed", "text"),
    [
        (Decimal("0"), False, "€0.00"),
        (Decimal("1234.5"), False, "€1,234.50"),
        (Decimal("-10"), False, "\u2212€10.00"),
        (Decimal("2.5"), True, "+€2.50"),
        (None, False, "€0.00"),
    ],
)
def test_money_is_shown_in_euros_from_decimals(value, signed, text):
    assert euro(value, signed=signed) == text
