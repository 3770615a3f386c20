import pytest

from clicknback.errors import ValidationFailed
from payouts.destinations import IBAN_SHAPE_REASON, destination_parse, iban_normalise, iban_problem, mask


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "BE68539007547034",
        "NO9386011117947",
    ],
)
def test_well_known_ibans_pass_the_mod97_check(iban):
    # when / then
    assert iban_problem(iban) is None


def test_iban_is_normalised_by_removing_spaces_and_upper_casing():
    # when
    normalised = iban_normalise(" gb82 west 1234 5698 7654 32 ")
    # then
    assert normalised == "GB82WEST12345698765432"


def test_a_changed_digit_breaks_the_checksum():
    # given
    iban = "DE89370400440532013001"
    # when / then
    assert "mod-97" in iban_problem(iban)


def test_a_wrong_length_for_the_country_is_refused():
    # when
    problem = iban_problem("DE8937040044053201300")
    # then
    assert "DE has 22 characters" in problem


@pytest.mark.parametrize("iban", ["", "1234", "DEXX370400440532013000", "DE89-3704-0044", "DE89370400440532013000ÄÄ"])
def test_malformed_ibans_are_refused(iban):
    assert iban_problem(iban) is not None


def test_mask_keeps_only_the_last_four_characters():
    assert mask("GB82WEST12345698765432") == "****5432"


def test_bank_destination_is_normalised_and_masked():
    # when
    destination = destination_parse(
        method="bank_transfer", details={"iban": "de89 3704 0044 0532 0130 00", "account_holder": " Alice "}
    )
    # then
    assert destination.data == {"iban": "DE89370400440532013000", "account_holder": "Alice"}
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
        ("bank_transfer", {"iban": "DE89370400440532013000"}, "details.account_holder"),
        ("bank_transfer", {"iban": "DE89370400440532013001", "account_holder": "A"}, "details.iban"),
        ("bank_transfer", {"iban": 12, "account_holder": "A"}, "details.iban"),
        ("bank_transfer", {"iban": "DE89370400440532013000", "account_holder": "x" * 256}, "details.account_holder"),
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
