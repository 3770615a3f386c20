"""Payment details never reach the logs."""

import json
import logging

import pytest
from django.db import DataError

from clicknback.redact import RedactingJsonFormatter, redact, scrub_database_errors

IBAN = "DE89370400440532013000"


@pytest.mark.parametrize(
    "text",
    [
        f'{{"iban": "{IBAN}", "account_holder": "Alice Example"}}',
        "{'iban': 'de89 3704 0044 0532 0130 00', 'card_token': 'tok_visa_4242'}",
        f"iban={IBAN}&amount=10",
        f"payout to {IBAN} failed",
        "payout to DE89 3704 0044 0532 0130 00 failed",
        'CONTEXT:  JSON data, line 1: ...9370400440532013000", "account_holder": "Al\\u0000...',
    ],
)
def test_payment_details_are_masked_wherever_they_appear(text):
    # when
    masked = redact(text)
    # then: at most the last four characters are left, as the API shows them
    assert "0532" not in masked
    assert "Alice Example" not in masked
    assert "tok_visa" not in masked


def test_what_is_not_a_payment_detail_is_left_alone():
    text = "purchase 6f1c1a2e-9c1d-4d2e-8e55-0f6b1f0e3c11 for 9999999999.99 EUR, request abc-123"
    assert redact(text) == text


def test_database_errors_lose_the_lines_that_quote_data():
    # given a DataError as psycopg raises it, chained from the driver's error
    try:
        try:
            raise ValueError(f'bad value\nDETAIL:  x\nCONTEXT:  JSON data, line 1: {{"iban": "{IBAN}"')
        except ValueError as driver_error:
            raise DataError(f"unsupported Unicode escape sequence\nCONTEXT: {IBAN}") from driver_error
    except DataError as exc:
        error = exc
    # when
    scrub_database_errors(error)
    # then: the database error keeps its first line only (other errors are the formatter's job)
    assert str(error) == "unsupported Unicode escape sequence"
    assert IBAN not in str(error)


def test_the_log_formatter_masks_every_field_of_a_line():
    # given
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "paying %s", (IBAN,), None)
    record.extra_details = {"iban": IBAN}
    # when
    line = RedactingJsonFormatter("%(message)s %(extra_details)s").format(record)
    # then
    assert IBAN not in line
    assert json.loads(line)["message"] == "paying ****3000"
