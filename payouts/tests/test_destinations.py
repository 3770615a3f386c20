import pytest

from clicknback.errors import ValidationFailed
from payouts.destinations import IBAN_SHAPE_REASON, destination_parse, iban_normalise, iban_problem, mask
from tests.support.ibans import (
    IBAN_BAD_CHECKSUM,
    IBAN_GB,
    IBAN_TOO_SHORT,
    IBANS_MALFORMED,
    VALID_IBAN,
    VALID_IBAN_TYPED,
    VALID_IBANS,
)


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_well_known_ibans_pass_the_mod97_check(iban):
    # when / then
    assert iban_problem(iban) is None


def test_iban_is_normalised_by_removing_spaces_and_upper_casing():
    # when
    normalised = iban_normalise(" gb82 west 1234 5698 7654 32 ")
    # then
    assert normalised == IBAN_GB


def test_a_changed_digit_breaks_the_checksum():
    # given
    iban = IBAN_BAD_CHECKSUM
    # when / then
    assert "mod-97" in iban_problem(iban)


def test_a_wrong_length_for_the_country_is_refused():
    # when
    problem = iban_problem(IBAN_TOO_SHORT)
    # then
    assert "DE has 22 characters" in problem


@pytest.mark.parametrize("iban", IBANS_MALFORMED)
def test_malformed_ibans_are_refused(iban):
    assert iban_problem(iban) is not None


def test_mask_keeps_only_the_last_four_characters():
    assert mask(IBAN_GB) == "****5432"


def test_bank_destination_is_normalised_and_masked():
    # when
    destination = destination_parse(
        method="bank_transfer", details={"iban": VALID_IBAN_TYPED, "account_holder": " Alice "}
    )
    # then
    assert destination.data == {"iban": VALID_IBAN, "account_holder": "Alice"}
    assert destination.masked == "****3000"


def test_card_destination_keeps_the_token_and_masks_it():
    # when
    destination = destination_parse(method="card", details={"card_token": "tok_visa_4242"})
    # then
    assert destination.data == {"card_token": "tok_visa_4242"}
    assert destination.masked == "****4242"


@pytest.mark.parametrize(
    ("method", "details", "field"),
    [
        ("bank_transfer", {"account_holder": "A"}, "details.iban"),
        ("bank_transfer", {"iban": VALID_IBAN}, "details.account_holder"),
        ("bank_transfer", {"iban": IBAN_BAD_CHECKSUM, "account_holder": "A"}, "details.iban"),
        ("bank_transfer", {"iban": 12, "account_holder": "A"}, "details.iban"),
        ("bank_transfer", {"iban": VALID_IBAN, "account_holder": "x" * 256}, "details.account_holder"),
        ("card", {}, "details.card_token"),
        ("card", {"card_token": "ab"}, "details.card_token"),
        ("card", {"card_token": "tok with spaces"}, "details.card_token"),
        ("card", [], "details"),
    ],
)
def test_invalid_details_name_the_offending_field(method, details, field):
    # when
    with pytest.raises(ValidationFailed) as excinfo:
        destination_parse(method=method, details=details)
    # then
    assert excinfo.value.details["violations"][0]["field"] == field


def test_a_country_outside_the_iban_registry_is_refused():
    # when
    problem = iban_problem("XX89370400440532013000")
    # then
    assert "XX is not a country code" in problem


def test_an_account_number_not_in_the_countrys_format_is_refused():
    # given: a German account number is 18 digits
    iban = "DE89ABCDEFGH0532013000"
    # when / then
    assert iban_problem(iban) == IBAN_SHAPE_REASON


@pytest.mark.parametrize("iban", ["DE00370400440532013000", "DE01370400440532013000", "DE99370400440532013000"])
def test_other_check_digits_for_the_same_account_are_refused(iban):
    assert "mod-97" in iban_problem(iban)


def test_a_wrong_length_names_the_length_from_the_registry():
    # when / then: Malta's IBANs are 31 characters, Norway's 15
    assert "MT has 31 characters" in iban_problem("MT84MALT011000012345MTLCAST001")
    assert "NO has 15 characters" in iban_problem("NO93860111179470")


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({"iban": "DE89370400440532013000", "account_holder": "Alice\x00Example"}, "details.account_holder"),
        ({"iban": "DE89370400440532013000", "account_holder": "Alice\nExample"}, "details.account_holder"),
        ({"iban": "DE89370400440532013000", "account_holder": "Alice\tExample"}, "details.account_holder"),
        ({"iban": "DE89370400440532013000", "account_holder": "Alice\u0007"}, "details.account_holder"),
        ({"iban": "DE89370400440532013000", "account_holder": "Alice\u202eelpmaxE"}, "details.account_holder"),
        ({"iban": "DE89370400440532013000", "account_holder": "Alice\ud800"}, "details.account_holder"),
        ({"iban": "DE89370400440532013000", "account_holder": "Alice\n"}, "details.account_holder"),
        ({"iban": "DE89\x00370400440532013000", "account_holder": "Alice"}, "details.iban"),
        ({"iban": "DE89370400440532013000\n", "account_holder": "Alice"}, "details.iban"),
    ],
)
def test_text_that_goes_to_a_bank_refuses_nul_and_control_characters(details, field):
    # when
    with pytest.raises(ValidationFailed) as excinfo:
        destination_parse(method="bank_transfer", details=details)
    # then
    assert excinfo.value.details["violations"][0]["field"] == field


@pytest.mark.parametrize("token", ["tok_visa_4242\n", " tok_visa_4242", "tok_visa_4242\x00"])
def test_a_card_token_is_taken_exactly_as_sent(token):
    with pytest.raises(ValidationFailed):
        destination_parse(method="card", details={"card_token": token})
