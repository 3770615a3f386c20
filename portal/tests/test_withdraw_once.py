"""Submitting the same withdrawal form twice (double click, reload, back button) withdraws once."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from payouts.models import IdempotencyKey, Payout
from tests.support.funding import fund_wallet
from tests.support.ibans import VALID_IBAN
from tests.support.race import run_together
from users.tests.factories import UserFactory
from wallets.selectors import wallet_get

BANK = {"method": "bank_transfer", "iban": VALID_IBAN, "account_holder": "Alice Example"}


def form_key_of(response) -> str:
    return re.search(r'name="form_key" value="([0-9a-f]+)"', response.content.decode()).group(1)


@pytest.fixture
def funded_user(db):
    user = UserFactory()
    fund_wallet(user, available=Decimal("40.00"))
    return user


@pytest.mark.django_db
def test_each_rendered_form_carries_a_fresh_one_time_key(signed_in, funded_user):
    # given
    client = signed_in(funded_user)

    # when
    keys = {form_key_of(client.get("/wallet/withdraw/")) for _ in range(3)}

    # then
    assert len(keys) == 3


@pytest.mark.django_db
def test_the_same_form_sent_twice_withdraws_once(signed_in, funded_user):
    # given
    client = signed_in(funded_user)
    key = form_key_of(client.get("/wallet/withdraw/"))

    # when
    first = client.post("/wallet/withdraw/", {"amount": "10.00", **BANK, "form_key": key}, follow=True)
    second = client.post("/wallet/withdraw/", {"amount": "10.00", **BANK, "form_key": key}, follow=True)

    # then
    assert Payout.objects.filter(user=funded_user).count() == 1
    assert wallet_get(user_id=funded_user.pk).available_balance == Decimal("30.00")
    assert "Withdrawal of €10.00 to ****3000 requested." in first.content.decode()
    assert "Withdrawal of €10.00 to ****3000 was already requested." in second.content.decode()


@pytest.mark.django_db
def test_a_refused_form_can_be_corrected_and_sent_with_the_same_key(signed_in, funded_user):
    # given
    client = signed_in(funded_user)
    key = form_key_of(client.get("/wallet/withdraw/"))
    refused = client.post("/wallet/withdraw/", {"amount": "90.00", **BANK, "form_key": key})

    # when
    accepted = client.post("/wallet/withdraw/", {"amount": "20.00", **BANK, "form_key": form_key_of(refused)})

    # then
    assert refused.status_code == 422
    assert form_key_of(refused) == key
    assert accepted.status_code == 302
    assert Payout.objects.get(user=funded_user).amount == Decimal("20.00")


@pytest.mark.django_db
def test_a_used_form_resent_with_other_values_is_refused_with_a_new_key(signed_in, funded_user):
    # given
    client = signed_in(funded_user)
    key = form_key_of(client.get("/wallet/withdraw/"))
    client.post("/wallet/withdraw/", {"amount": "10.00", **BANK, "form_key": key})

    # when
    response = client.post("/wallet/withdraw/", {"amount": "15.00", **BANK, "form_key": key})

    # then
    assert response.status_code == 422
    assert "This form was already used for another withdrawal." in response.content.decode()
    assert form_key_of(response) != key
    assert Payout.objects.filter(user=funded_user).count() == 1


@pytest.mark.django_db
def test_a_tampered_key_is_ignored(signed_in, funded_user):
    # when
    response = signed_in(funded_user).post("/wallet/withdraw/", {"amount": "10.00", **BANK, "form_key": "x" * 300})

    # then
    assert response.status_code == 302
    assert Payout.objects.filter(user=funded_user).count() == 1
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_form_keys_do_not_collide_with_api_keys(signed_in, funded_user):
    # given
    client = signed_in(funded_user)
    key = form_key_of(client.get("/wallet/withdraw/"))

    # when
    client.post("/wallet/withdraw/", {"amount": "10.00", **BANK, "form_key": key})

    # then
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == [f"wallet-form:{key}"]


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_of_one_form_withdraw_once():
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("40.00"))
    key = "a" * 32
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(user)

    def submit(index):
        return clients[index].post("/wallet/withdraw/", {"amount": "25.00", **BANK, "form_key": key}).status_code

    # when
    statuses = run_together(2, submit)

    # then: one payout; the other request replayed it or saw it in flight, both redirect
    assert statuses == [302, 302]
    assert Payout.objects.filter(user=user).count() == 1
    assert wallet_get(user_id=user.pk).available_balance == Decimal("15.00")
