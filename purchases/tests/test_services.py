"""The state machine's money movements, the monthly cap and the refusals."""

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM, Actor
from clicknback.errors import Forbidden
from merchants.tests.factories import MerchantFactory
from offers.models import CashbackType, OfferStatus
from offers.tests.factories import OfferFactory
from purchases.errors import (
    DuplicatePurchase,
    MerchantNotEligible,
    OfferNotAvailable,
    PurchaseAlreadyReversed,
    PurchaseNotPending,
    PurchaseNotReversible,
    UnsupportedCurrency,
)
from purchases.models import CashbackStatus, CashbackTransaction, Purchase, PurchaseStatus
from purchases.services import purchase_confirm, purchase_ingest, purchase_reject, purchase_reverse
from purchases.tests.factories import confirmed, ingest
from wallets.models import Bucket, LedgerEntry, Wallet
from wallets.reconcile import wallet_reconcile
from wallets.services import wallet_lock, wallet_post

pytestmark = pytest.mark.django_db


def balances(user) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    wallet = Wallet.objects.get(user=user)
    return wallet.pending_balance, wallet.available_balance, wallet.paid_balance, wallet.owed_balance


def d(value: str) -> Decimal:
    return Decimal(value)


def spend(user, amount: Decimal) -> None:
    """Move ``amount`` from available to paid, as a completed payout would."""
    with transaction.atomic():
        wallet_post(
            wallet=wallet_lock(user_id=user.pk),
            movements=[(Bucket.AVAILABLE, -amount), (Bucket.PAID, amount)],
            reason="test_payout",
            source_type="test",
            source_id=uuid.uuid4(),
            actor=SYSTEM,
        )


# --- ingestion ---------------------------------------------------------------


def test_ingestion_creates_a_pending_purchase_its_cashback_and_credits_pending(user):
    # given
    offer = OfferFactory()
    # when
    purchase = ingest(user, offer=offer, amount=d("100.00"))
    # then
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.PENDING
    assert purchase.offer_id == offer.pk
    assert purchase.currency == "EUR"
    cashback = CashbackTransaction.objects.get(purchase=purchase)
    assert (cashback.amount, cashback.status) == (d("5.00"), CashbackStatus.PENDING)
    assert balances(user) == (d("5.00"), d("0.00"), d("0.00"), d("0.00"))
    entry = LedgerEntry.objects.get(source_id=purchase.pk)
    assert (entry.bucket, entry.amount, entry.reason) == ("pending", d("5.00"), "cashback_pending")
    assert AuditLog.objects.filter(action="purchase.ingested", resource_id=str(purchase.pk)).count() == 1


def test_ingestion_stores_the_currency_upper_case(user):
    # given
    offer = OfferFactory()
    # when
    purchase = purchase_ingest(
        caller=user, external_id="x-1", user_id=user.pk, merchant_id=offer.merchant_id, amount=d("10"), currency="eur"
    )
    # then
    purchase.refresh_from_db()
    assert purchase.currency == "EUR"


def test_ingestion_for_another_user_is_forbidden_even_for_an_admin(admin_user, user):
    # given
    offer = OfferFactory()
    # when / then
    with pytest.raises(Forbidden):
        purchase_ingest(
            caller=admin_user,
            external_id="x-1",
            user_id=user.pk,
            merchant_id=offer.merchant_id,
            amount=d("10.00"),
            currency="EUR",
        )
    assert not Purchase.objects.exists()


def test_a_second_ingestion_with_the_same_external_id_is_a_duplicate_and_credits_nothing(user):
    # given
    offer = OfferFactory()
    first = ingest(user, offer=offer, external_id="dup-1")
    # when
    with pytest.raises(DuplicatePurchase) as caught:
        ingest(user, offer=offer, external_id="dup-1", amount=d("999.00"))
    # then
    assert caught.value.details["purchase_id"] == str(first.pk)
    assert caught.value.details["previously_processed_amount"] == "100.00"
    assert Purchase.objects.count() == 1
    assert balances(user)[0] == d("5.00")


def test_an_integrity_error_after_the_insert_is_not_mistaken_for_a_duplicate(user, monkeypatch):
    # given: a later write of the transaction fails on a constraint
    from django.db import IntegrityError

    from purchases import ingestion

    real_send_together = ingestion.send_together

    def written_then_failed(*writes):
        real_send_together(*writes)
        raise IntegrityError("a later write failed")

    monkeypatch.setattr(ingestion, "send_together", written_then_failed)
    # when / then: the error surfaces (a 500), it is not reported as a duplicate
    with pytest.raises(IntegrityError):
        ingest(user, external_id="late-failure")
    # and the whole ingestion rolled back
    assert not Purchase.objects.exists()
    assert not CashbackTransaction.objects.exists()
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_ingestion_leaves_nothing_outside_any_transaction(user, monkeypatch):
    # given
    from django.db import IntegrityError

    from purchases import ingestion

    real_send_together = ingestion.send_together

    def written_then_failed(*writes):
        real_send_together(*writes)
        raise IntegrityError("a later write failed")

    monkeypatch.setattr(ingestion, "send_together", written_then_failed)
    # when
    with pytest.raises(IntegrityError):
        ingest(user, external_id="late-failure")
    # then
    assert not Purchase.objects.exists()
    assert not Wallet.objects.filter(user=user, pending_balance__gt=0).exists()


def test_a_duplicate_is_refused_before_an_unknown_merchant(user):
    # given
    first = ingest(user, external_id="dup-1")
    # when
    with pytest.raises(DuplicatePurchase) as caught:
        purchase_ingest(
            caller=user,
            external_id="dup-1",
            user_id=user.pk,
            merchant_id=uuid.uuid4(),
            amount=d("10.00"),
            currency="EUR",
        )
    # then
    assert caught.value.details["purchase_id"] == str(first.pk)


def test_a_duplicate_is_refused_before_an_unsupported_currency(user):
    # given
    offer = OfferFactory()
    ingest(user, offer=offer, external_id="dup-1")
    # when / then
    with pytest.raises(DuplicatePurchase):
        purchase_ingest(
            caller=user,
            external_id="dup-1",
            user_id=user.pk,
            merchant_id=offer.merchant_id,
            amount=d("10.00"),
            currency="USD",
        )


def test_a_duplicate_from_another_user_does_not_reveal_the_purchase_id(user, other_user):
    # given
    offer = OfferFactory()
    ingest(user, offer=offer, external_id="dup-1")
    # when
    with pytest.raises(DuplicatePurchase) as caught:
        ingest(other_user, offer=offer, external_id="dup-1")
    # then
    assert "purchase_id" not in caught.value.details
    assert caught.value.details["external_id"] == "dup-1"


@pytest.mark.parametrize("currency", ["USD", "GBP", "EURO"])
def test_non_eur_currency_is_unsupported(user, currency):
    offer = OfferFactory()
    with pytest.raises(UnsupportedCurrency):
        purchase_ingest(
            caller=user,
            external_id="x",
            user_id=user.pk,
            merchant_id=offer.merchant_id,
            amount=d("1"),
            currency=currency,
        )
    assert not Purchase.objects.exists()


def test_inactive_merchant_is_not_eligible(user):
    offer = OfferFactory(merchant=MerchantFactory(active=False))
    with pytest.raises(MerchantNotEligible):
        ingest(user, offer=offer)


def test_merchant_without_an_offer_valid_today_has_no_offer_available(user):
    today = timezone.now().date()
    offer = OfferFactory(start_date=today + dt.timedelta(days=1), end_date=today + dt.timedelta(days=10))
    with pytest.raises(OfferNotAvailable):
        ingest(user, offer=offer)
    offer.status = OfferStatus.INACTIVE
    offer.start_date = today
    offer.save()
    with pytest.raises(OfferNotAvailable):
        ingest(user, offer=offer)


def test_fixed_offer_credits_its_value(user):
    offer = OfferFactory(cashback_type=CashbackType.FIXED, cashback_value=d("3.00"), monthly_cap=d("20.00"))
    ingest(user, offer=offer, amount=d("10.00"))
    assert balances(user)[0] == d("3.00")


def test_fixed_offer_never_credits_more_than_the_purchase_amount(user):
    # given: a fixed 3.00 offer
    offer = OfferFactory(cashback_type=CashbackType.FIXED, cashback_value=d("3.00"), monthly_cap=d("20.00"))
    # when: a purchase of 0.01
    purchase = ingest(user, offer=offer, amount=d("0.01"))
    # then
    assert CashbackTransaction.objects.get(purchase=purchase).amount == d("0.01")
    assert balances(user)[0] == d("0.01")


# --- monthly cap -------------------------------------------------------------


def test_monthly_cap_limits_cashback_across_several_purchases(user):
    # given: 5 % with a cap of 12.00
    offer = OfferFactory(monthly_cap=d("12.00"))
    # when: 5.00 + 5.00 + 5.00 (only 2.00 left) + 5.00 (nothing left)
    amounts = [CashbackTransaction.objects.get(purchase=ingest(user, offer=offer)).amount for _ in range(4)]
    # then
    assert amounts == [d("5.00"), d("5.00"), d("2.00"), d("0.00")]
    assert balances(user)[0] == d("12.00")


def test_a_zero_cashback_purchase_still_flows_to_confirmed(user, admin_user):
    # given
    offer = OfferFactory(monthly_cap=d("5.00"))
    ingest(user, offer=offer)
    purchase = ingest(user, offer=offer)
    # when
    purchase_confirm(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    # then
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.CONFIRMED
    assert purchase.cashback.amount == d("0.00")
    assert balances(user) == (d("5.00"), d("0.00"), d("0.00"), d("0.00"))


def test_the_cap_is_per_user(user, other_user):
    offer = OfferFactory(monthly_cap=d("5.00"))
    ingest(user, offer=offer)
    ingest(other_user, offer=offer)
    assert balances(other_user)[0] == d("5.00")


def test_a_reversal_frees_room_under_the_cap(user, admin_user):
    # given
    offer = OfferFactory(monthly_cap=d("8.00"))
    first = ingest(user, offer=offer)
    # when
    purchase_reverse(purchase_id=first.pk, actor=Actor.admin(admin_user))
    second = ingest(user, offer=offer)
    # then
    assert second.cashback.amount == d("5.00")


def test_cashback_earned_in_a_previous_month_does_not_count(user):
    # given: a full cap earned last month
    offer = OfferFactory(monthly_cap=d("5.00"))
    old = ingest(user, offer=offer)
    last_month = timezone.now().replace(day=1) - dt.timedelta(days=2)
    CashbackTransaction.objects.filter(purchase=old).update(purchased_at=last_month)
    # when
    purchase = ingest(user, offer=offer)
    # then
    assert purchase.cashback.amount == d("5.00")


# --- transitions -------------------------------------------------------------


def test_confirm_moves_cashback_from_pending_to_available(user, admin_user):
    # given
    purchase = ingest(user)
    # when
    result = purchase_confirm(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    # then
    assert result.status == PurchaseStatus.CONFIRMED
    assert CashbackTransaction.objects.get(purchase=purchase).status == CashbackStatus.AVAILABLE
    assert balances(user) == (d("0.00"), d("5.00"), d("0.00"), d("0.00"))
    assert AuditLog.objects.filter(action="purchase.confirmed", actor_id=admin_user.pk).count() == 1


def test_confirm_of_a_non_pending_purchase_is_refused_and_changes_nothing(user, admin_user):
    # given
    purchase = confirmed(user, admin_user)
    # when
    with pytest.raises(PurchaseNotPending) as caught:
        purchase_confirm(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    # then
    assert caught.value.details == {"current_status": "confirmed"}
    assert balances(user) == (d("0.00"), d("5.00"), d("0.00"), d("0.00"))
    assert LedgerEntry.objects.count() == 3


def test_reject_takes_back_the_pending_cashback(user):
    # given
    purchase = ingest(user)
    # when
    purchase_reject(purchase_id=purchase.pk, reason="bank said no", actor=SYSTEM)
    # then
    purchase.refresh_from_db()
    assert (purchase.status, purchase.status_reason) == (PurchaseStatus.REJECTED, "bank said no")
    assert purchase.cashback.status == CashbackStatus.REVERSED
    assert balances(user) == (d("0.00"), d("0.00"), d("0.00"), d("0.00"))


def test_reject_of_a_non_pending_purchase_is_refused(user, admin_user):
    purchase = confirmed(user, admin_user)
    with pytest.raises(PurchaseNotPending):
        purchase_reject(purchase_id=purchase.pk, reason="late", actor=SYSTEM)


def test_reverse_of_a_pending_purchase_takes_back_pending(user, admin_user):
    # given
    purchase = ingest(user)
    # when
    purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    # then
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.REVERSED
    assert purchase.cashback.status == CashbackStatus.REVERSED
    assert balances(user) == (d("0.00"), d("0.00"), d("0.00"), d("0.00"))


def test_reverse_of_a_confirmed_purchase_takes_back_available(user, admin_user):
    # given
    purchase = confirmed(user, admin_user)
    # when
    purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    # then
    assert balances(user) == (d("0.00"), d("0.00"), d("0.00"), d("0.00"))


def test_reverse_moves_what_available_cannot_cover_into_owed(user, admin_user):
    # given: 5.00 confirmed, then 3.00 of it paid out
    purchase = confirmed(user, admin_user)
    spend(user, d("3.00"))
    # when
    purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    # then
    assert balances(user) == (d("0.00"), d("0.00"), d("3.00"), d("3.00"))


def test_owed_is_settled_from_later_confirmed_cashback_before_available(user, admin_user):
    # given: owed 3.00 after a clawback
    purchase = confirmed(user, admin_user)
    spend(user, d("3.00"))
    purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    later = ingest(user, amount=d("40.00"))  # 2.00 cashback, another offer
    bigger = ingest(user, amount=d("100.00"))  # 5.00 cashback
    # when
    purchase_confirm(purchase_id=later.pk, actor=SYSTEM)
    # then: all of it settles the debt
    assert balances(user) == (d("5.00"), d("0.00"), d("3.00"), d("1.00"))
    # when
    purchase_confirm(purchase_id=bigger.pk, actor=SYSTEM)
    # then: 1.00 settles the rest, 4.00 reaches available
    assert balances(user) == (d("0.00"), d("4.00"), d("3.00"), d("0.00"))


def test_reversing_twice_is_already_reversed(user, admin_user):
    purchase = confirmed(user, admin_user)
    purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    with pytest.raises(PurchaseAlreadyReversed):
        purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))
    assert LedgerEntry.objects.filter(reason="cashback_reversed").count() == 1


def test_a_rejected_purchase_is_not_reversible(user, admin_user):
    purchase = ingest(user)
    purchase_reject(purchase_id=purchase.pk, reason="no", actor=SYSTEM)
    with pytest.raises(PurchaseNotReversible):
        purchase_reverse(purchase_id=purchase.pk, actor=Actor.admin(admin_user))


def test_reconcile_finds_nothing_after_every_transition(user, other_user, admin_user):
    # given
    offer = OfferFactory(monthly_cap=d("12.00"))
    ingest(user, offer=offer)
    confirmed(user, admin_user, offer=offer)
    purchase_reverse(purchase_id=confirmed(other_user, admin_user).pk, actor=Actor.admin(admin_user))
    purchase_reject(purchase_id=ingest(other_user).pk, reason="no", actor=SYSTEM)
    # when / then
    assert wallet_reconcile() == []


# --- notifying the confirmation job ----------------------------------------------


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def notify(monkeypatch):
    """``notify_confirmation_job`` with a fresh throttle, a fake clock and recorded publishes."""
    from purchases import services

    clock = FakeClock()
    published = []
    monkeypatch.setattr(services, "time", clock)
    monkeypatch.setattr(services, "_notify_paused_until", 0.0)
    monkeypatch.setattr(services, "_notify_covered_until", 0.0)
    monkeypatch.setattr(services, "_publish_dispatch", lambda **kw: published.append(kw))
    return SimpleNamespace(call=services.notify_confirmation_job, clock=clock, published=published)


def test_notifications_within_a_window_publish_one_dispatch_due_at_its_end(notify):
    # given
    from purchases.services import NOTIFY_WINDOW_SECONDS

    # when: three purchases commit within one window
    notify.call()
    notify.clock.now += 0.5
    notify.call()
    notify.clock.now += NOTIFY_WINDOW_SECONDS / 2 - 0.01
    notify.call()
    # then: one dispatch, due when the window closes, so it claims all three
    assert notify.published == [{"countdown": NOTIFY_WINDOW_SECONDS, "retry": False}]


def test_a_notification_after_the_window_publishes_again(notify):
    # given
    from purchases.services import NOTIFY_WINDOW_SECONDS

    notify.call()
    # when
    notify.clock.now += NOTIFY_WINDOW_SECONDS
    notify.call()
    # then
    assert len(notify.published) == 2


@pytest.mark.django_db(transaction=True)
def test_a_committed_ingestion_notifies_the_dispatcher(notify, user):
    # when
    ingest(user)
    # then
    assert len(notify.published) == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_ingestion_notifies_nobody(notify, user):
    # given
    ingest(user, external_id="dup-1")
    notify.clock.now += 60
    # when
    with pytest.raises(DuplicatePurchase):
        ingest(user, external_id="dup-1")
    # then
    assert len(notify.published) == 1


def test_a_broker_outage_does_not_fail_the_ingestion_and_pauses_notifications(monkeypatch, notify):
    # given: a broker that refuses connections
    from purchases import services

    calls = []

    def refuse(*args, **kwargs):
        calls.append(1)
        raise ConnectionError("broker down")

    monkeypatch.setattr(services, "_publish_dispatch", refuse)
    # when: a second purchase commits after the window, still within the pause
    services.notify_confirmation_job()
    notify.clock.now += services.NOTIFY_WINDOW_SECONDS + 1
    services.notify_confirmation_job()
    # then: only the first call waited for the broker
    assert calls == [1]
    assert services._notify_paused_until == 1000.0 + services.NOTIFY_BACKOFF_SECONDS


def test_notifications_resume_when_the_pause_is_over(monkeypatch, notify):
    # given: a failed publish paused notifications
    from purchases import services

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    with monkeypatch.context() as patch:
        patch.setattr(services, "_publish_dispatch", refuse)
        services.notify_confirmation_job()
    # when
    notify.clock.now += services.NOTIFY_BACKOFF_SECONDS
    services.notify_confirmation_job()
    # then
    assert notify.published == [{"countdown": services.NOTIFY_WINDOW_SECONDS, "retry": False}]
