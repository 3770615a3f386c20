import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from clicknback.audit.models import AuditLog
from clicknback.audit.services import Actor
from clicknback.errors import NotFound, ValidationFailed
from payouts.errors import InsufficientBalance, InvalidPayoutTransition, PayoutPolicyViolation
from payouts.models import Payout, PayoutStatus
from payouts.services import payout_process, payout_request
from payouts.tests.factories import CARD_DETAILS, PayoutFactory
from tests.support.funding import fund_wallet
from tests.support.ibans import BANK_DETAILS, IBAN_BAD_CHECKSUM, VALID_IBAN
from wallets.models import LedgerEntry, Wallet
from wallets.selectors import wallet_ledger_totals

pytestmark = pytest.mark.django_db


def _wallet(user) -> Wallet:
    return Wallet.objects.get(user=user)


def _request(user, amount="25.00", method="bank_transfer", details=None) -> Payout:
    return payout_request(user=user, amount=Decimal(amount), method=method, details=details or BANK_DETAILS)


def _assert_wallet_matches_ledger(user):
    wallet = _wallet(user)
    totals = wallet_ledger_totals(wallet_id=wallet.pk)
    for field, total in totals.items():
        assert getattr(wallet, field) == total, field


def test_request_debits_available_and_creates_a_requested_payout(user):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    # when
    payout = _request(user, "25.00")
    # then
    assert payout.status == PayoutStatus.REQUESTED
    assert payout.amount == Decimal("25.00")
    assert _wallet(user).available_balance == Decimal("15.00")
    _assert_wallet_matches_ledger(user)


def test_request_stores_the_full_destination_and_a_masked_copy(user):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    # when
    payout = _request(user)
    # then
    assert payout.destination == {"iban": VALID_IBAN, "account_holder": "Alice Example"}
    assert payout.destination_masked == "****3000"


def test_request_writes_a_ledger_entry_pointing_at_the_payout(user):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    # when
    payout = _request(user, "12.50")
    # then
    entry = LedgerEntry.objects.get(source_type="payout", source_id=payout.pk)
    assert (entry.bucket, entry.amount, entry.actor_id) == ("available", Decimal("-12.50"), user.pk)


def test_request_is_audited_with_the_masked_destination_only(user):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    # when
    payout = _request(user)
    # then
    row = AuditLog.objects.get(action="payout.requested", resource_id=str(payout.pk))
    assert row.actor_type == "user"
    assert row.details["destination"] == "****3000"
    assert VALID_IBAN not in str(row.details)


def test_card_payouts_are_accepted(user):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    # when
    payout = _request(user, method="card", details=CARD_DETAILS)
    # then
    assert (payout.method, payout.destination_masked) == ("card", "****4242")


def test_request_above_available_is_refused_with_the_balances(user):
    # given
    fund_wallet(user, available=Decimal("20.00"))
    # when
    with pytest.raises(InsufficientBalance) as excinfo:
        _request(user, "20.01")
    # then
    assert excinfo.value.details == {"requested_amount": "20.01", "available_balance": "20.00"}
    assert _wallet(user).available_balance == Decimal("20.00")
    assert not Payout.objects.exists()


def test_request_without_a_wallet_is_insufficient_balance(user):
    # when
    with pytest.raises(InsufficientBalance) as excinfo:
        _request(user, "10.00")
    # then
    assert excinfo.value.details["available_balance"] == "0.00"


def test_request_below_the_minimum_is_a_policy_violation(user):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    # when
    with pytest.raises(PayoutPolicyViolation) as excinfo:
        _request(user, "9.99")
    # then
    assert excinfo.value.details["violations"][0]["field"] == "amount"
    assert "minimum" in excinfo.value.details["violations"][0]["reason"]
    assert _wallet(user).available_balance == Decimal("40.00")


def test_minimum_follows_the_setting(user, settings):
    # given
    settings.PAYOUT_MIN_AMOUNT = "5.00"
    fund_wallet(user, available=Decimal("40.00"))
    # when
    payout = _request(user, "5.00")
    # then
    assert payout.amount == Decimal("5.00")


def test_request_above_what_remains_of_the_monthly_limit_is_refused(user):
    # given
    fund_wallet(user, available=Decimal("500.00"))
    _request(user, "60.00")
    _request(user, "30.00")
    # when
    with pytest.raises(PayoutPolicyViolation) as excinfo:
        _request(user, "10.01")
    # then
    assert excinfo.value.details["monthly_remaining"] == "10.00"
    assert Payout.objects.count() == 2
    assert _wallet(user).available_balance == Decimal("410.00")


def test_monthly_limit_can_be_used_exactly(user):
    # given
    fund_wallet(user, available=Decimal("500.00"))
    _request(user, "90.00")
    # when
    payout = _request(user, "10.00")
    # then
    assert payout.status == PayoutStatus.REQUESTED


def test_failed_payouts_do_not_count_toward_the_monthly_limit(user, admin_user):
    # given
    fund_wallet(user, available=Decimal("500.00"))
    first = _request(user, "100.00")
    payout_process(payout_id=first.pk, status="failed", actor=Actor.of(admin_user), failure_reason="bank said no")
    # when
    payout = _request(user, "100.00")
    # then
    assert payout.status == PayoutStatus.REQUESTED


def test_completed_and_processing_payouts_count_toward_the_monthly_limit(user, admin_user):
    # given
    fund_wallet(user, available=Decimal("500.00"))
    first = _request(user, "50.00")
    second = _request(user, "50.00")
    payout_process(payout_id=first.pk, status="completed", actor=Actor.of(admin_user))
    payout_process(payout_id=second.pk, status="processing", actor=Actor.of(admin_user))
    # when / then
    with pytest.raises(PayoutPolicyViolation):
        _request(user, "10.00")


def test_payouts_of_previous_months_do_not_count(user):
    # given
    fund_wallet(user, available=Decimal("500.00"))
    old = PayoutFactory(user=user, amount=Decimal("100.00"))
    last_month = timezone.now().replace(day=1) - dt.timedelta(days=1)
    Payout.objects.filter(pk=old.pk).update(requested_at=last_month)
    # when
    payout = _request(user, "100.00")
    # then
    assert payout.amount == Decimal("100.00")


def test_monthly_limit_follows_the_setting(user, settings):
    # given
    settings.PAYOUT_MONTHLY_LIMIT = "1000.00"
    fund_wallet(user, available=Decimal("500.00"))
    # when
    payout = _request(user, "400.00")
    # then
    assert payout.amount == Decimal("400.00")


def test_an_invalid_iban_is_refused_before_anything_changes(user):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    # when
    with pytest.raises(ValidationFailed):
        _request(user, details={"iban": IBAN_BAD_CHECKSUM, "account_holder": "A"})
    # then
    assert not Payout.objects.exists()
    assert _wallet(user).available_balance == Decimal("40.00")


# --- processing --------------------------------------------------------------


@pytest.fixture
def requested(user):
    fund_wallet(user, available=Decimal("50.00"))
    return _request(user, "30.00")


def test_processing_keeps_balances_and_sets_no_processed_at(requested, admin_user):
    # when
    payout = payout_process(payout_id=requested.pk, status="processing", actor=Actor.of(admin_user))
    # then
    wallet = _wallet(requested.user)
    assert payout.status == PayoutStatus.PROCESSING
    assert payout.processed_at is None
    assert (wallet.available_balance, wallet.paid_balance) == (Decimal("20.00"), Decimal("0.00"))


def test_completing_moves_the_amount_to_paid(requested, admin_user):
    # when
    payout = payout_process(
        payout_id=requested.pk, status="completed", actor=Actor.of(admin_user), external_reference="BANK-1"
    )
    # then
    wallet = _wallet(requested.user)
    assert (payout.status, payout.external_reference) == ("completed", "BANK-1")
    assert payout.processed_at is not None
    assert (wallet.available_balance, wallet.paid_balance) == (Decimal("20.00"), Decimal("30.00"))
    _assert_wallet_matches_ledger(requested.user)


def test_completing_a_processing_payout_is_allowed(requested, admin_user):
    # given
    payout_process(payout_id=requested.pk, status="processing", actor=Actor.of(admin_user))
    # when
    payout = payout_process(payout_id=requested.pk, status="completed", actor=Actor.of(admin_user))
    # then
    assert payout.status == "completed"
    assert _wallet(requested.user).paid_balance == Decimal("30.00")


def test_failing_refunds_the_amount_to_available(requested, admin_user):
    # when
    payout = payout_process(
        payout_id=requested.pk, status="failed", actor=Actor.of(admin_user), failure_reason="IBAN closed"
    )
    # then
    wallet = _wallet(requested.user)
    assert (payout.status, payout.failure_reason) == ("failed", "IBAN closed")
    assert payout.processed_at is not None
    assert (wallet.available_balance, wallet.paid_balance) == (Decimal("50.00"), Decimal("0.00"))
    _assert_wallet_matches_ledger(requested.user)


def test_failing_a_processing_payout_refunds_it(requested, admin_user):
    # given
    payout_process(payout_id=requested.pk, status="processing", actor=Actor.of(admin_user))
    # when
    payout_process(payout_id=requested.pk, status="failed", actor=Actor.of(admin_user))
    # then
    assert _wallet(requested.user).available_balance == Decimal("50.00")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("completed", "completed"),
        ("completed", "failed"),
        ("completed", "processing"),
        ("failed", "failed"),
        ("failed", "completed"),
        ("processing", "processing"),
    ],
)
def test_invalid_transitions_are_refused_and_change_nothing(requested, admin_user, first, second):
    # given
    payout_process(payout_id=requested.pk, status=first, actor=Actor.of(admin_user))
    before = _wallet(requested.user)
    entries = LedgerEntry.objects.count()
    # when
    with pytest.raises(InvalidPayoutTransition) as excinfo:
        payout_process(payout_id=requested.pk, status=second, actor=Actor.of(admin_user))
    # then
    after = _wallet(requested.user)
    assert excinfo.value.details["current_status"] == first
    assert (after.available_balance, after.paid_balance) == (before.available_balance, before.paid_balance)
    assert LedgerEntry.objects.count() == entries
    assert Payout.objects.get(pk=requested.pk).status == first


def test_invalid_transition_lists_what_is_allowed(requested, admin_user):
    # given
    payout_process(payout_id=requested.pk, status="processing", actor=Actor.of(admin_user))
    # when
    with pytest.raises(InvalidPayoutTransition) as excinfo:
        payout_process(payout_id=requested.pk, status="requested", actor=Actor.of(admin_user))
    # then
    assert excinfo.value.details == {"current_status": "processing", "allowed": ["completed", "failed"]}


@pytest.mark.parametrize("payout_id", [uuid.uuid4(), "not-a-uuid", "123"])
def test_processing_an_unknown_payout_is_not_found(admin_user, payout_id):
    with pytest.raises(NotFound):
        payout_process(payout_id=payout_id, status="completed", actor=Actor.of(admin_user))


def test_every_transition_is_audited_with_its_actor(requested, admin_user):
    # when
    payout_process(payout_id=requested.pk, status="processing", actor=Actor.of(admin_user))
    payout_process(payout_id=requested.pk, status="completed", actor=Actor.of(admin_user), external_reference="R-9")
    # then
    rows = AuditLog.objects.filter(resource_type="payout", resource_id=str(requested.pk)).order_by("occurred_at")
    assert [row.action for row in rows] == ["payout.requested", "payout.processing", "payout.completed"]
    assert rows[2].actor_type == "admin" and rows[2].actor_id == admin_user.pk
    assert rows[2].details["external_reference"] == "R-9"
