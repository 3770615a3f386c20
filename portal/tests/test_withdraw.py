import re
from decimal import Decimal

import pytest
from django import forms
from django.test import Client

from clicknback.errors import DomainError, ValidationFailed
from payouts.models import Payout, PayoutStatus
from portal.withdrawals import attach_service_error
from tests.support.funding import fund_wallet
from tests.support.ibans import IBAN_BAD_CHECKSUM, VALID_IBAN
from users.tests.factories import UserFactory
from wallets.models import LedgerEntry
from wallets.selectors import wallet_get

pytestmark = pytest.mark.django_db

BANK = {"method": "bank_transfer", "iban": VALID_IBAN, "account_holder": "Alice Example"}


def field_error(response, name: str) -> str | None:
    match = re.search(rf'<p class="field__error" id="id_{name}_error">(.*?)</p>', response.content.decode(), re.S)
    return match.group(1).strip() if match else None


@pytest.fixture
def funded_user():
    user = UserFactory()
    fund_wallet(user, available=Decimal("40.00"))
    return user


def snapshot(user):
    wallet = wallet_get(user_id=user.pk)
    return (
        wallet.available_balance,
        wallet.paid_balance,
        Payout.objects.filter(user=user).count(),
        LedgerEntry.objects.filter(wallet__user=user).count(),
    )


def test_withdraw_page_shows_the_form_and_the_available_balance(signed_in, funded_user):
    # when
    response = signed_in(funded_user).get("/wallet/withdraw/")

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="withdraw-available">€40.00<' in html
    for name, label in [("amount", "Amount (€)"), ("iban", "IBAN"), ("account_holder", "Account holder")]:
        assert f'<label for="id_{name}">{label}</label>' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_withdrawal_creates_a_requested_payout_and_lowers_available(signed_in, funded_user):
    # given
    client = signed_in(funded_user)

    # when
    response = client.post("/wallet/withdraw/", {"amount": "25.50", **BANK}, follow=True)

    # then
    payout = Payout.objects.get(user=funded_user)
    assert (payout.amount, payout.status, payout.method) == (Decimal("25.50"), PayoutStatus.REQUESTED, "bank_transfer")
    assert payout.destination_masked == "****3000"
    assert wallet_get(user_id=funded_user.pk).available_balance == Decimal("14.50")
    assert response.redirect_chain == [("/wallet/payouts/", 302)]
    assert "Withdrawal of €25.50 to ****3000 requested." in response.content.decode()


def test_withdrawal_by_card_uses_the_card_token(signed_in, funded_user):
    # when
    signed_in(funded_user).post("/wallet/withdraw/", {"amount": "10", "method": "card", "card_token": "tok_visa_4242"})

    # then
    payout = Payout.objects.get(user=funded_user)
    assert payout.method == "card"
    assert payout.destination_masked.endswith("4242")


def test_withdrawal_is_audited_as_the_user(signed_in, funded_user):
    # given
    from clicknback.audit.models import AuditLog

    # when
    signed_in(funded_user).post("/wallet/withdraw/", {"amount": "10.00", **BANK})

    # then
    entry = AuditLog.objects.get(action="payout.requested")
    assert (entry.actor_type, entry.actor_id) == ("user", funded_user.pk)


def test_bad_iban_shows_an_inline_error_and_changes_nothing(signed_in, funded_user):
    # given
    before = snapshot(funded_user)

    # when
    response = signed_in(funded_user).post("/wallet/withdraw/", {"amount": "10.00", **BANK, "iban": IBAN_BAD_CHECKSUM})

    # then
    assert response.status_code == 422
    assert field_error(response, "iban")
    assert 'aria-describedby="id_iban_error"' in response.content.decode()
    assert field_error(response, "amount") is None
    assert snapshot(funded_user) == before


def test_missing_account_holder_is_shown_next_to_that_field(signed_in, funded_user):
    # given
    before = snapshot(funded_user)

    # when
    response = signed_in(funded_user).post("/wallet/withdraw/", {"amount": "10.00", **BANK, "account_holder": ""})

    # then
    assert response.status_code == 422
    assert field_error(response, "account_holder")
    assert snapshot(funded_user) == before


def test_card_without_token_is_shown_next_to_the_token_field(signed_in, funded_user):
    # when
    response = signed_in(funded_user).post("/wallet/withdraw/", {"amount": "10.00", "method": "card"})

    # then
    assert response.status_code == 422
    assert field_error(response, "card_token")
    assert Payout.objects.count() == 0


def test_more_than_available_shows_insufficient_balance_on_the_amount(signed_in):
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("12.00"))
    before = snapshot(user)

    # when
    response = signed_in(user).post("/wallet/withdraw/", {"amount": "20.00", **BANK})

    # then
    assert response.status_code == 422
    assert field_error(response, "amount") == ("Your available balance is €12.00; you cannot withdraw more than that.")
    assert snapshot(user) == before


def test_below_the_minimum_shows_the_policy_on_the_amount(signed_in, funded_user):
    # given
    before = snapshot(funded_user)

    # when
    response = signed_in(funded_user).post("/wallet/withdraw/", {"amount": "5.00", **BANK})

    # then
    assert response.status_code == 422
    assert "minimum payout is 10.00" in field_error(response, "amount")
    assert snapshot(funded_user) == before


@pytest.mark.parametrize("amount", ["abc", "", "10.001", "1e3", "NaN", "-5"])
def test_a_malformed_amount_is_refused_inline(signed_in, funded_user, amount):
    # given
    before = snapshot(funded_user)

    # when
    response = signed_in(funded_user).post("/wallet/withdraw/", {"amount": amount, **BANK})

    # then
    assert response.status_code == 422
    assert field_error(response, "amount")
    assert snapshot(funded_user) == before


def test_an_unknown_method_is_refused_inline(signed_in, funded_user):
    # when
    response = signed_in(funded_user).post("/wallet/withdraw/", {"amount": "10.00", "method": "cash"})

    # then
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert Payout.objects.count() == 0


def test_the_form_keeps_what_the_user_typed_after_an_error(signed_in, funded_user):
    # when
    response = signed_in(funded_user).post(
        "/wallet/withdraw/", {"amount": "10.00", **BANK, "iban": "XX00", "account_holder": "Ann Other"}
    )

    # then
    html = response.content.decode()
    assert 'value="Ann Other"' in html
    assert 'value="10.00"' in html


def test_withdrawal_without_csrf_token_is_refused(funded_user):
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(funded_user)

    # when
    response = client.post("/wallet/withdraw/", {"amount": "10.00", **BANK})

    # then
    assert response.status_code == 403
    assert Payout.objects.count() == 0


def test_unknown_service_error_is_shown_above_the_form():
    # given
    from portal.forms import WithdrawalForm

    form = WithdrawalForm({"amount": "10", "method": "card", "card_token": "t"})
    form.is_valid()

    # when
    attach_service_error(form, DomainError("The payout service is paused."))

    # then
    assert form.non_field_errors() == ["The payout service is paused."]


def test_violation_with_a_dotted_field_lands_on_the_last_segment():
    # given
    from portal.forms import WithdrawalForm

    form = WithdrawalForm({"amount": "10", "method": "bank_transfer"})
    form.is_valid()

    # when
    attach_service_error(form, ValidationFailed("bad", field="details.iban", reason="Checksum is wrong."))

    # then
    assert form.errors["iban"] == ["Checksum is wrong."]
    assert isinstance(form, forms.Form)
