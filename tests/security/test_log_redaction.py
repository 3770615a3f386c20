"""A payout that fails inside the database leaves no payment details in the logs.

Before, a NUL in ``details.account_holder`` reached PostgreSQL, which refused the JSON
and quoted it (with the IBAN) in its error's CONTEXT line; the API logged that error in
full. The destination check now refuses such a holder, so the test forces the same
database failure by handing the service a destination that skipped the check.
"""

import io
import logging
from decimal import Decimal

import pytest

from payouts.destinations import Destination, mask
from tests.support.funding import fund_wallet
from tests.support.ibans import VALID_IBAN

HOLDER = "Alice\x00Example"


@pytest.fixture
def project_log():
    """What the project's own log handler writes, with its own formatter."""
    formatter = next(
        handler.formatter
        for handler in logging.getLogger().handlers
        if handler.formatter.__class__.__name__ == "RedactingJsonFormatter"
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


@pytest.mark.django_db
def test_a_payout_failing_in_the_database_logs_no_payment_details(user, user_client, monkeypatch, caplog, project_log):
    # given: funds, and a destination that reaches PostgreSQL with a NUL in it
    fund_wallet(user, available=Decimal("50.00"))
    unchecked = Destination(
        method="bank_transfer", data={"iban": VALID_IBAN, "account_holder": HOLDER}, masked=mask(VALID_IBAN)
    )
    monkeypatch.setattr("payouts.services.destination_parse", lambda **kwargs: unchecked)
    body = {"amount": "10.00", "method": "bank_transfer", "details": {"iban": VALID_IBAN, "account_holder": "x"}}
    user_client.raise_request_exception = False
    # when
    with caplog.at_level(logging.INFO):
        response = user_client.post("/api/v1/users/payouts", body, format="json")
    # then: a 500 in the envelope, logged without the IBAN or the holder
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_SERVER_ERROR"
    assert any(record.levelno == logging.ERROR for record in caplog.records)
    for text in (caplog.text, project_log.getvalue()):
        assert "DataError" in text or "Unhandled" in text
        assert VALID_IBAN not in text
        assert VALID_IBAN[4:] not in text  # not even with its start cut off, as PostgreSQL quotes it
        assert "Alice" not in text
