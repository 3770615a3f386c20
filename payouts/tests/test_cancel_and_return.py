"""A user's cancel of a requested payout, and a completed transfer that bounced (§9)."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from clicknback.audit.models import AuditLog
from payouts.models import PayoutStatus
from payouts.tests.factories import process_payout, request_payout
from tests.support.funding import fund_wallet
from tests.support.race import run_together
from wallets.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db
D = Decimal


def _wallet(user) -> tuple[Decimal, Decimal, Decimal]:
    wallet = Wallet.objects.get(user=user)
    return wallet.available_balance, wallet.paid_balance, wallet.owed_balance


def test_the_owner_cancels_a_requested_payout_and_gets_the_amount_back(user, client_for):
    # given
    fund_wallet(user, available=D("40.00"))
    payout = request_payout(user, amount=D("25.00"))
    # when
    response = client_for(user).post(f"/api/v1/users/payouts/{payout.pk}/cancel")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert _wallet(user) == (D("40.00"), D("0.00"), D("0.00"))
    assert LedgerEntry.objects.filter(source_id=payout.pk, reason="payout_cancelled").count() == 1
    assert AuditLog.objects.filter(action="payout.cancelled", resource_id=str(payout.pk)).count() == 1
    call_command("reconcile_wallets", verbosity=0)


def test_a_cancel_settles_owed_first(user, client_for):
    # given: a payout requested, then a clawback the wallet could not cover
    fund_wallet(user, available=D("30.00"))
    payout = request_payout(user, amount=D("30.00"))
    fund_wallet(user, owed=D("5.00"))
    # when
    client_for(user).post(f"/api/v1/users/payouts/{payout.pk}/cancel")
    # then: 5.00 settles what is owed, 25.00 is available again
    available, _, owed = _wallet(user)
    assert owed == D("0.00")
    assert available == D("25.00")


@pytest.mark.parametrize("status", ["processing", "completed", "failed"])
def test_only_a_requested_payout_can_be_cancelled(user, client_for, status):
    # given
    fund_wallet(user, available=D("40.00"))
    payout = process_payout(request_payout(user, amount=D("25.00")), status=status)
    before = _wallet(user)
    # when
    response = client_for(user).post(f"/api/v1/users/payouts/{payout.pk}/cancel")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INVALID_PAYOUT_TRANSITION"
    assert response.json()["error"]["details"]["current_status"] == status
    assert _wallet(user) == before


def test_another_users_payout_cannot_be_cancelled(user, other_user, client_for):
    # given
    fund_wallet(user, available=D("40.00"))
    payout = request_payout(user, amount=D("25.00"))
    # when
    response = client_for(other_user).post(f"/api/v1/users/payouts/{payout.pk}/cancel")
    # then
    assert response.status_code == 404
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REQUESTED


def test_a_cancelled_payout_does_not_count_toward_the_monthly_limit(user, client_for, settings):
    # given: the whole monthly limit requested, then cancelled
    settings.PAYOUT_MONTHLY_LIMIT = "30.00"
    fund_wallet(user, available=D("60.00"))
    payout = request_payout(user, amount=D("30.00"))
    client_for(user).post(f"/api/v1/users/payouts/{payout.pk}/cancel")
    # when
    again = request_payout(user, amount=D("30.00"))
    # then
    assert again.status == PayoutStatus.REQUESTED


@pytest.mark.django_db(transaction=True)
def test_concurrent_cancels_refund_once(user, client_for):
    # given
    fund_wallet(user, available=D("40.00"))
    payout = request_payout(user, amount=D("25.00"))

    def cancel(_):
        return client_for(user).post(f"/api/v1/users/payouts/{payout.pk}/cancel").status_code

    # when
    statuses = run_together(8, cancel)
    # then
    assert sorted(statuses) == [200] + [409] * 7
    assert _wallet(user)[0] == D("40.00")
    call_command("reconcile_wallets", verbosity=0)


def test_a_completed_transfer_that_bounced_is_returned_to_available(user, admin_client):
    # given
    fund_wallet(user, available=D("40.00"))
    payout = process_payout(request_payout(user, amount=D("25.00")), status="completed")
    assert _wallet(user) == (D("15.00"), D("25.00"), D("0.00"))
    # when
    response = admin_client.patch(
        f"/api/v1/admin/payouts/{payout.pk}/process",
        {"status": "returned", "failure_reason": "Account closed"},
        format="json",
    )
    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["failure_reason"]) == ("returned", "Account closed")
    assert _wallet(user) == (D("40.00"), D("0.00"), D("0.00"))
    assert AuditLog.objects.filter(action="payout.returned", resource_id=str(payout.pk)).count() == 1
    call_command("reconcile_wallets", verbosity=0)


def test_a_return_needs_a_reason_and_a_completed_payout(user, admin_client):
    # given
    fund_wallet(user, available=D("40.00"))
    completed = process_payout(request_payout(user, amount=D("10.00")), status="completed")
    requested = request_payout(user, amount=D("10.00"))
    # when
    no_reason = admin_client.patch(
        f"/api/v1/admin/payouts/{completed.pk}/process", {"status": "returned"}, format="json"
    )
    not_completed = admin_client.patch(
        f"/api/v1/admin/payouts/{requested.pk}/process", {"status": "returned", "failure_reason": "x"}, format="json"
    )
    # then
    assert no_reason.status_code == 422
    assert not_completed.status_code == 409
    assert not_completed.json()["error"]["details"]["current_status"] == "requested"


def test_the_wallet_page_cancels_after_a_confirmation(user, client):
    # given
    fund_wallet(user, available=D("40.00"))
    payout = request_payout(user, amount=D("25.00"))
    client.force_login(user)
    # when
    detail = client.get(f"/wallet/payouts/{payout.pk}/")
    confirm = client.get(f"/wallet/payouts/{payout.pk}/cancel/")
    done = client.post(f"/wallet/payouts/{payout.pk}/cancel/")
    # then
    assert "Cancel this withdrawal" in detail.content.decode()
    assert "Yes, cancel it" in confirm.content.decode()
    payout.refresh_from_db()
    assert done.status_code == 302 and payout.status == PayoutStatus.CANCELLED
    assert "Cancel this withdrawal" not in client.get(f"/wallet/payouts/{payout.pk}/").content.decode()
