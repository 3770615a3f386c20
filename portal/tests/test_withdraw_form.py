"""What the withdrawal form tells a user: the terms, every problem at once, a suggestion
they can actually withdraw, saved accounts, and the payouts list that explains itself."""

from decimal import Decimal

import pytest

from payouts.models import Payout, PayoutStatus
from payouts.tests.factories import process_payout, request_payout
from portal.tests.test_pages import text_of
from portal.tests.test_withdraw import BANK, field_error, snapshot
from tests.support.funding import fund_wallet
from tests.support.ibans import IBAN_BAD_CHECKSUM, VALID_IBAN
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def holding_19():
    user = UserFactory()
    fund_wallet(user, available=D("19.00"))
    return user


def test_the_page_states_the_minimum_and_what_is_left_of_this_months_limit(signed_in, holding_19, settings):
    # given
    settings.PAYOUT_MIN_AMOUNT, settings.PAYOUT_MONTHLY_LIMIT = "10.00", "100.00"
    fund_wallet(holding_19, available=D("30.00"))
    request_payout(holding_19, amount=D("30.00"))
    # when
    text = text_of(signed_in(holding_19).get("/wallet/withdraw/"))
    # then
    assert "The smallest withdrawal is €10.00" in text
    assert "You can withdraw €70.00 more this month (the monthly limit is €100.00)" in text


def test_the_suggested_amount_is_one_the_user_can_withdraw(signed_in, holding_19):
    # when
    html = signed_in(holding_19).get("/wallet/withdraw/").content.decode()
    # then
    assert 'placeholder="19.00"' in html
    assert "25.00" not in html


def test_an_empty_submit_flags_the_amount_and_the_iban_together(signed_in, holding_19):
    # when
    response = signed_in(holding_19).post("/wallet/withdraw/", {"method": "bank_transfer", "amount": "", "iban": ""})
    # then
    assert response.status_code == 422
    assert field_error(response, "amount") and field_error(response, "iban")
    assert "Please correct 2 problems" in text_of(response)


def test_an_iban_error_does_not_hide_the_below_minimum_error(signed_in, holding_19):
    # given
    before = snapshot(holding_19)
    # when
    response = signed_in(holding_19).post("/wallet/withdraw/", {**BANK, "iban": IBAN_BAD_CHECKSUM, "amount": "5.00"})
    # then
    assert response.status_code == 422
    assert "check digits" in field_error(response, "iban")
    assert "minimum" in field_error(response, "amount")
    assert snapshot(holding_19) == before


def test_more_than_available_and_above_the_monthly_limit_are_both_said(signed_in, holding_19, settings):
    # given
    settings.PAYOUT_MONTHLY_LIMIT = "15.00"
    # when
    response = signed_in(holding_19).post("/wallet/withdraw/", {**BANK, "amount": "18.00"})
    ok = signed_in(holding_19).post("/wallet/withdraw/", {**BANK, "amount": "12.00"})
    over_balance = signed_in(holding_19).post("/wallet/withdraw/", {**BANK, "amount": "50.00"})
    # then
    assert "monthly limit" in field_error(response, "amount")
    assert ok.status_code == 302
    error = field_error(over_balance, "amount")
    assert "monthly limit" in error and "available balance" in error


def test_a_saved_account_is_offered_masked_and_reused(signed_in, holding_19):
    # given: an earlier withdrawal to an IBAN
    fund_wallet(holding_19, available=D("40.00"))
    earlier = request_payout(holding_19, amount=D("10.00"))
    client = signed_in(holding_19)
    # when
    page = client.get("/wallet/withdraw/").content.decode()
    response = client.post(
        "/wallet/withdraw/", {"method": "bank_transfer", "amount": "10.00", "saved": str(earlier.pk), "iban": ""}
    )
    # then
    assert earlier.destination_masked in page and VALID_IBAN not in page
    assert response.status_code == 302
    newest = Payout.objects.filter(user=holding_19).order_by("-requested_at").first()
    assert newest.pk != earlier.pk and newest.destination["iban"] == earlier.destination["iban"]


def test_another_users_saved_account_cannot_be_used(signed_in, holding_19):
    # given
    someone = UserFactory()
    fund_wallet(someone, available=D("40.00"))
    theirs = request_payout(someone, amount=D("10.00"))
    before = snapshot(holding_19)
    # when
    response = signed_in(holding_19).post(
        "/wallet/withdraw/", {"method": "bank_transfer", "amount": "10.00", "saved": str(theirs.pk), "iban": ""}
    )
    # then
    assert response.status_code == 422
    assert snapshot(holding_19) == before


def test_the_payouts_list_marks_given_back_amounts_and_shows_why(signed_in, holding_19):
    # given
    fund_wallet(holding_19, available=D("40.00"))
    failed = process_payout(request_payout(holding_19, amount=D("10.00")), status=PayoutStatus.FAILED)
    # when
    html = signed_in(holding_19).get("/wallet/payouts/").content.decode()
    # then
    assert "amount--void" in html and "Given back" in html
    assert failed.failure_reason and failed.failure_reason in html


def test_the_withdraw_script_is_served_and_allowed_by_the_csp(signed_in, holding_19):
    # when
    page = signed_in(holding_19).get("/wallet/withdraw/")
    # then
    assert '<script src="/static/js/withdraw.js" defer></script>' in page.content.decode()
    assert "script-src 'self'" in page["Content-Security-Policy"]
