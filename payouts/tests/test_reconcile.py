from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from clicknback.audit.services import Actor
from offers.tests.factories import OfferFactory
from payouts.reconcile import contribution
from payouts.services import payout_process, payout_request
from payouts.tests.factories import PayoutFactory
from purchases.tests.factories import confirmed
from tests.support.ibans import BANK_DETAILS
from wallets.reconcile import wallet_reconcile

pytestmark = pytest.mark.django_db


def test_contribution_takes_every_payout_not_failed_and_pays_completed_ones(user, other_user):
    # given
    PayoutFactory(user=user, amount=Decimal("10.00"), status="requested")
    PayoutFactory(user=user, amount=Decimal("20.00"), status="processing")
    PayoutFactory(user=user, amount=Decimal("30.00"), status="completed")
    PayoutFactory(user=user, amount=Decimal("40.00"), status="failed")
    PayoutFactory(user=other_user, amount=Decimal("15.00"), status="failed")
    # when
    result = contribution()
    # then
    assert result[user.pk] == {
        "pending": Decimal("0.00"),
        "available_minus_owed": Decimal("-60.00"),
        "paid": Decimal("30.00"),
    }
    assert result[other_user.pk] == {
        "pending": Decimal("0.00"),
        "available_minus_owed": Decimal("0.00"),
        "paid": Decimal("0.00"),
    }


def test_contribution_is_empty_without_payouts(db):
    assert contribution() == {}


def test_payouts_contributor_is_registered(settings):
    assert "payouts.reconcile.contribution" in settings.WALLET_RECONCILERS


@pytest.fixture
def payouts_in_every_state(user, admin_user):
    offer = OfferFactory(cashback_value=Decimal("10.00"), monthly_cap=Decimal("10000.00"))
    confirmed(user, admin_user, offer=offer, amount=Decimal("900.00"))
    made = [
        payout_request(user=user, amount=Decimal("20.00"), method="bank_transfer", details=BANK_DETAILS)
        for _ in range(4)
    ]
    actor = Actor.admin(admin_user)
    payout_process(payout_id=made[1].pk, status="processing", actor=actor)
    payout_process(payout_id=made[2].pk, status="completed", actor=actor, external_reference="R")
    payout_process(payout_id=made[3].pk, status="failed", actor=actor)
    return made


def test_reconcile_passes_with_payouts_in_every_state(payouts_in_every_state, capsys):
    # when
    call_command("reconcile_wallets")
    # then
    assert wallet_reconcile() == []
    assert "0 mismatches" in capsys.readouterr().out


def test_reconcile_reports_a_paid_balance_that_disagrees_with_completed_payouts(payouts_in_every_state, user):
    # given: the cached balance and its ledger both corrupted, so only the domain check sees it
    with connection.cursor() as cursor:
        cursor.execute("UPDATE wallets_wallet SET paid_balance = paid_balance + 1 WHERE user_id = %s", [user.pk])
        cursor.execute(
            "INSERT INTO wallets_ledgerentry (wallet_id, bucket, amount, currency, reason, source_type, source_id,"
            " actor_type, request_id, created_at) SELECT id, 'paid', 1, 'EUR', 'corrupt', 'test', gen_random_uuid(),"
            " 'system', '', now() FROM wallets_wallet WHERE user_id = %s",
            [user.pk],
        )
    # when
    mismatches = wallet_reconcile()
    # then
    assert [(m.check, m.field) for m in mismatches] == [("domain", "paid")]
