"""The confirmation job's services: claims (leases with SKIP LOCKED), attempts, flags."""

import datetime as dt
import itertools
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from clicknback.audit.models import AuditLog
from clicknback.flags.models import FeatureFlag, ScopeType
from clicknback.flags.services import flag_evaluate
from offers.tests.factories import OfferFactory
from purchases.confirmation import Outcome, purchase_claim_due, purchase_verify
from purchases.models import CashbackStatus, Purchase, PurchaseStatus
from purchases.selectors import AUTO_CONFIRM_FLAG, JOB_FLAG, auto_confirm_scopes
from purchases.tests.factories import ingest
from tests.support.race import run_together
from users.tests.factories import UserFactory
from wallets.models import Wallet
from wallets.reconcile import wallet_reconcile

pytestmark = pytest.mark.django_db


@pytest.fixture
def rejecting_offer(settings):
    offer = OfferFactory()
    settings.REJECTION_MERCHANT_IDS = [str(offer.merchant_id)]
    return offer


def flag(key, enabled, scope_type=ScopeType.GLOBAL, scope_id=None):
    return FeatureFlag.objects.create(key=key, enabled=enabled, scope_type=scope_type, scope_id=scope_id)


def claim_one(now=None):
    claims = purchase_claim_due(limit=10, now=now)
    assert len(claims) == 1
    return claims[0]


# --- claims --------------------------------------------------------------------


def test_dispatcher_claims_due_pending_purchases_with_a_lease(user, settings):
    # given
    settings.PURCHASE_CLAIM_SECONDS = 120
    purchase = ingest(user)
    now = timezone.now()
    # when
    claims = purchase_claim_due(limit=10, now=now)
    # then
    purchase.refresh_from_db()
    assert [claim.purchase_id for claim in claims] == [purchase.pk]
    assert purchase.claim_token == claims[0].token
    assert purchase.claimed_until == now + dt.timedelta(seconds=120)
    assert purchase.status == PurchaseStatus.PENDING


def test_a_claimed_purchase_is_not_claimed_again_while_its_lease_lives(user):
    ingest(user)
    claim_one()
    assert purchase_claim_due(limit=10) == []


def test_a_claim_left_by_a_dead_worker_is_retaken_after_it_expires(user, settings):
    # given: claimed, and the worker died before running the task
    settings.PURCHASE_CLAIM_SECONDS = 60
    purchase = ingest(user)
    lost = claim_one()
    later = timezone.now() + dt.timedelta(seconds=61)
    # when
    retaken = claim_one(now=later)
    # then: the new claim works, the stale one does nothing
    assert retaken.token != lost.token
    assert purchase_verify(purchase_id=purchase.pk, claim_token=lost.token, now=later) == Outcome.SKIPPED
    assert purchase_verify(purchase_id=purchase.pk, claim_token=retaken.token, now=later) == Outcome.CONFIRMED


def test_the_dispatcher_claims_at_most_its_batch(user):
    for _ in range(5):
        ingest(user)
    assert len(purchase_claim_due(limit=3)) == 3
    assert len(purchase_claim_due(limit=3)) == 2
    assert purchase_claim_due(limit=3) == []


def test_purchases_not_yet_due_are_not_claimed(user):
    purchase = ingest(user)
    Purchase.objects.filter(pk=purchase.pk).update(next_attempt_at=timezone.now() + dt.timedelta(minutes=1))
    assert purchase_claim_due(limit=10) == []


def test_only_pending_purchases_are_claimed(user, admin_client):
    purchase = ingest(user)
    admin_client.post(f"/api/v1/purchases/{purchase.pk}/confirmation")
    assert purchase_claim_due(limit=10) == []


def test_the_global_job_flag_off_pauses_the_dispatcher(user):
    # given
    ingest(user)
    flag(JOB_FLAG, False)
    # when / then
    assert purchase_claim_due(limit=10) == []


def test_auto_confirm_off_for_a_user_keeps_their_purchases_pending(user, other_user):
    # given
    flag(AUTO_CONFIRM_FLAG, False, ScopeType.USER, user.pk)
    ingest(user)
    theirs = ingest(other_user)
    # when
    claims = purchase_claim_due(limit=10)
    # then
    assert [claim.purchase_id for claim in claims] == [theirs.pk]


def test_auto_confirm_off_for_a_merchant_keeps_its_purchases_pending(user):
    # given
    blocked_offer = OfferFactory()
    flag(AUTO_CONFIRM_FLAG, False, ScopeType.MERCHANT, blocked_offer.merchant_id)
    ingest(user, offer=blocked_offer)
    other = ingest(user)
    # when / then
    assert [claim.purchase_id for claim in purchase_claim_due(limit=10)] == [other.pk]


def test_auto_confirm_off_globally_lets_through_only_users_and_merchants_enabled_explicitly(user, other_user):
    # given
    offer = OfferFactory()
    flag(AUTO_CONFIRM_FLAG, False)
    flag(AUTO_CONFIRM_FLAG, True, ScopeType.USER, user.pk)
    ingest(user)  # merchant falls back to global (off)
    ingest(other_user, offer=offer)  # user falls back to global (off)
    flag(AUTO_CONFIRM_FLAG, True, ScopeType.MERCHANT, offer.merchant_id)
    allowed = ingest(user, offer=offer)
    # when / then
    assert [claim.purchase_id for claim in purchase_claim_due(limit=10)] == [allowed.pk]


def test_bulk_scopes_agree_with_flag_evaluate_for_every_combination():
    # given: every combination of global / user / merchant flags
    users = [uuid.uuid4() for _ in range(3)]
    merchants = [uuid.uuid4() for _ in range(3)]
    for global_, user_flag, merchant_flag in itertools.product([None, True, False], repeat=3):
        FeatureFlag.objects.filter(key=AUTO_CONFIRM_FLAG).delete()
        if global_ is not None:
            flag(AUTO_CONFIRM_FLAG, global_)
        if user_flag is not None:
            flag(AUTO_CONFIRM_FLAG, user_flag, ScopeType.USER, users[0])
        if merchant_flag is not None:
            flag(AUTO_CONFIRM_FLAG, merchant_flag, ScopeType.MERCHANT, merchants[0])
        scopes = auto_confirm_scopes()
        for user_id, merchant_id in itertools.product(users[:2], merchants[:2]):
            expected = flag_evaluate(key=AUTO_CONFIRM_FLAG, scope_type=ScopeType.USER, scope_id=user_id) and (
                flag_evaluate(key=AUTO_CONFIRM_FLAG, scope_type=ScopeType.MERCHANT, scope_id=merchant_id)
            )
            # then
            assert scopes.allows(user_id=user_id, merchant_id=merchant_id) == expected


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_claim_disjoint_batches():
    # given
    user = UserFactory()
    offer = OfferFactory(monthly_cap=Decimal("100000.00"))
    purchases = {ingest(user, offer=offer).pk for _ in range(40)}
    # when
    results = run_together(2, lambda _: purchase_claim_due(limit=30))
    # then
    first, second = ({claim.purchase_id for claim in result} for result in results)
    assert not first & second
    assert first | second == purchases
    assert len(set(Purchase.objects.filter(claim_token__isnull=False).values_list("claim_token", flat=True))) == 2


# --- verification attempts -------------------------------------------------------


def test_a_matched_purchase_is_confirmed_on_the_first_attempt(user):
    # given
    purchase = ingest(user)
    claim = claim_one()
    # when
    outcome = purchase_verify(purchase_id=purchase.pk, claim_token=claim.token)
    # then
    purchase.refresh_from_db()
    assert outcome == Outcome.CONFIRMED
    assert (purchase.status, purchase.verification_attempts) == (PurchaseStatus.CONFIRMED, 1)
    assert (purchase.claim_token, purchase.claimed_until) == (None, None)
    assert purchase.cashback.status == CashbackStatus.AVAILABLE
    assert Wallet.objects.get(user=user).available_balance == Decimal("5.00")
    assert AuditLog.objects.get(action="purchase.confirmed").actor_type == "system"


def test_an_unmatched_purchase_is_retried_after_the_interval(user, rejecting_offer, settings):
    # given
    settings.PURCHASE_CONFIRMATION_INTERVAL_SECONDS = 30
    purchase = ingest(user, offer=rejecting_offer)
    claim = claim_one()
    now = timezone.now()
    # when
    outcome = purchase_verify(purchase_id=purchase.pk, claim_token=claim.token, now=now)
    # then
    purchase.refresh_from_db()
    assert outcome == Outcome.RETRY
    assert (purchase.status, purchase.verification_attempts) == (PurchaseStatus.PENDING, 1)
    assert purchase.next_attempt_at == now + dt.timedelta(seconds=30)
    assert purchase.claim_token is None
    assert purchase_claim_due(limit=10, now=now + dt.timedelta(seconds=29)) == []
    assert len(purchase_claim_due(limit=10, now=now + dt.timedelta(seconds=30))) == 1


def test_an_unmatched_purchase_is_rejected_after_the_last_attempt(user, rejecting_offer, settings):
    # given
    settings.PURCHASE_MAX_VERIFICATION_ATTEMPTS = 3
    settings.PURCHASE_CONFIRMATION_INTERVAL_SECONDS = 1
    purchase = ingest(user, offer=rejecting_offer)
    now = timezone.now()
    outcomes = []
    # when
    for attempt in range(3):
        moment = now + dt.timedelta(seconds=2 * attempt)
        claim = claim_one(now=moment)
        outcomes.append(purchase_verify(purchase_id=purchase.pk, claim_token=claim.token, now=moment))
    # then
    purchase.refresh_from_db()
    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.REJECTED]
    assert (purchase.status, purchase.verification_attempts) == (PurchaseStatus.REJECTED, 3)
    assert "3 attempts" in purchase.status_reason
    assert Wallet.objects.get(user=user).pending_balance == Decimal("0.00")
    assert purchase_claim_due(limit=10, now=now + dt.timedelta(hours=1)) == []
    assert wallet_reconcile() == []


def test_an_attempt_that_finds_the_purchase_no_longer_pending_does_nothing(user, admin_client):
    # given
    purchase = ingest(user)
    claim = claim_one()
    admin_client.patch(f"/api/v1/purchases/{purchase.pk}/reverse")
    # when
    outcome = purchase_verify(purchase_id=purchase.pk, claim_token=claim.token)
    # then
    purchase.refresh_from_db()
    assert outcome == Outcome.SKIPPED
    assert (purchase.status, purchase.verification_attempts) == (PurchaseStatus.REVERSED, 0)


def test_a_task_whose_claim_expired_does_nothing(user, settings):
    settings.PURCHASE_CLAIM_SECONDS = 10
    purchase = ingest(user)
    claim = claim_one()
    outcome = purchase_verify(
        purchase_id=purchase.pk, claim_token=claim.token, now=timezone.now() + dt.timedelta(seconds=11)
    )
    purchase.refresh_from_db()
    assert outcome == Outcome.SKIPPED
    assert purchase.status == PurchaseStatus.PENDING


def test_a_task_run_twice_confirms_once(user):
    purchase = ingest(user)
    claim = claim_one()
    first = purchase_verify(purchase_id=purchase.pk, claim_token=claim.token)
    second = purchase_verify(purchase_id=purchase.pk, claim_token=claim.token)
    assert (first, second) == (Outcome.CONFIRMED, Outcome.SKIPPED)
    assert AuditLog.objects.filter(action="purchase.confirmed").count() == 1


def test_a_task_for_an_unknown_purchase_does_nothing(db):
    assert purchase_verify(purchase_id=uuid.uuid4(), claim_token=uuid.uuid4()) == Outcome.SKIPPED


class ExplodingVerifier:
    def verify(self, purchase):
        raise ConnectionError("bank unreachable")


def test_a_verifier_failure_leaves_the_purchase_pending_without_counting_an_attempt(user, settings):
    # given
    settings.PURCHASE_VERIFIER_CLASS = "purchases.tests.test_confirmation.ExplodingVerifier"
    purchase = ingest(user)
    claim = claim_one()
    # when
    with pytest.raises(ConnectionError):
        purchase_verify(purchase_id=purchase.pk, claim_token=claim.token)
    # then
    purchase.refresh_from_db()
    assert (purchase.status, purchase.verification_attempts) == (PurchaseStatus.PENDING, 0)


def test_the_simulator_matches_except_at_rejection_merchants(user, rejecting_offer):
    from purchases.verifier import SimulatedBankVerifier

    assert SimulatedBankVerifier().verify(ingest(user)) is True
    assert SimulatedBankVerifier().verify(ingest(user, offer=rejecting_offer)) is False
