"""The confirmation job's chunk service: many claimed purchases verified per task, each
with its own lifecycle, written with a constant number of statements."""

import datetime as dt
import uuid
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clicknback.api.middleware import reset_request_id, set_request_id
from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM, Actor
from offers.tests.factories import OfferFactory
from purchases import confirmation
from purchases.confirmation import Outcome, purchase_claim_due, purchase_verify_chunk
from purchases.models import CashbackStatus, Purchase, PurchaseStatus
from purchases.services import purchase_confirm, purchase_reverse
from purchases.tests.factories import confirmed, ingest
from tests.support.funding import fund_wallet
from tests.support.race import run_together
from users.tests.factories import AdminFactory, UserFactory
from wallets.models import LedgerEntry, Wallet
from wallets.reconcile import wallet_reconcile
from wallets.selectors import wallet_ledger_totals

pytestmark = pytest.mark.django_db

BIG_CAP = Decimal("100000.00")


def claim_all(now=None) -> tuple[list[uuid.UUID], uuid.UUID]:
    claims = purchase_claim_due(limit=1000, now=now)
    assert claims
    return [claim.purchase_id for claim in claims], claims[0].token


def status_of(purchase) -> tuple[str, int]:
    purchase.refresh_from_db()
    return purchase.status, purchase.verification_attempts


class MerchantVerifier:
    """Matches everything except ``no`` merchants; raises for ``down`` merchants."""

    no: set = set()
    down: set = set()

    def verify(self, purchase) -> bool:
        if purchase.merchant_id in self.down:
            raise ConnectionError("bank unreachable")
        return purchase.merchant_id not in self.no


@pytest.fixture
def verifier(settings):
    settings.PURCHASE_VERIFIER_CLASS = "purchases.tests.test_confirmation_chunk.MerchantVerifier"
    MerchantVerifier.no, MerchantVerifier.down = set(), set()
    return MerchantVerifier


def test_a_chunk_gives_each_purchase_its_own_outcome(user, other_user, admin_user, verifier, settings, caplog):
    # given: one purchase for every outcome, all in the same claimed chunk
    settings.PURCHASE_MAX_VERIFICATION_ATTEMPTS = 3
    settings.PURCHASE_CONFIRMATION_INTERVAL_SECONDS = 30
    matched, unmatched, down = OfferFactory(), OfferFactory(), OfferFactory()
    verifier.no, verifier.down = {unmatched.merchant_id}, {down.merchant_id}
    good = ingest(user, offer=matched)
    retried = ingest(user, offer=unmatched)
    doomed = ingest(other_user, offer=unmatched)
    Purchase.objects.filter(pk=doomed.pk).update(verification_attempts=2)
    failing = ingest(other_user, offer=down)
    reversed_meanwhile = ingest(user, offer=matched)
    now = timezone.now()
    ids, token = claim_all(now=now)
    purchase_reverse(purchase_id=reversed_meanwhile.pk, actor=Actor.admin(admin_user))
    # when
    counts = purchase_verify_chunk(purchase_ids=ids, claim_token=token, now=now)
    # then
    assert counts == {
        Outcome.CONFIRMED: 1,
        Outcome.RETRY: 1,
        Outcome.REJECTED: 1,
        Outcome.ERROR: 1,
        Outcome.SKIPPED: 1,
    }
    assert status_of(good) == (PurchaseStatus.CONFIRMED, 1)
    assert good.cashback.status == CashbackStatus.AVAILABLE
    assert (good.claim_token, good.claimed_until, good.next_attempt_at) == (None, None, None)
    assert status_of(retried) == (PurchaseStatus.PENDING, 1)
    assert (retried.claim_token, retried.next_attempt_at) == (None, now + dt.timedelta(seconds=30))
    assert status_of(doomed) == (PurchaseStatus.REJECTED, 3)
    assert doomed.status_reason == "The bank found no matching transaction after 3 attempts."
    assert doomed.cashback.status == CashbackStatus.REVERSED
    assert status_of(failing) == (PurchaseStatus.PENDING, 0)  # an error uses no attempt
    assert (failing.claim_token, failing.verification_errors) == (None, 1)
    assert failing.last_verification_error == "ConnectionError: bank unreachable"
    assert now + dt.timedelta(seconds=15) <= failing.next_attempt_at <= now + dt.timedelta(seconds=30)  # backoff
    assert f"failed (first: {failing.pk})" in caplog.text
    assert status_of(reversed_meanwhile) == (PurchaseStatus.REVERSED, 0)
    assert Wallet.objects.get(user=user).available_balance == Decimal("5.00")
    assert Wallet.objects.get(user=other_user).pending_balance == Decimal("5.00")  # only the failing one
    assert wallet_reconcile() == []


def test_a_chunk_skips_purchases_with_another_claim_or_an_expired_lease(user, settings):
    # given: two dispatcher claims; the first one's lease has expired
    settings.PURCHASE_CLAIM_SECONDS = 60
    offer = OfferFactory(monthly_cap=BIG_CAP)
    stale = ingest(user, offer=offer)
    first = purchase_claim_due(limit=10)[0]
    mine = ingest(user, offer=offer)
    second = purchase_claim_due(limit=10)[0]
    later = timezone.now() + dt.timedelta(seconds=30)
    # when: a chunk naming both purchases with the second token; then with the first, late
    wrong_token = purchase_verify_chunk(purchase_ids=[stale.pk, mine.pk], claim_token=second.token, now=later)
    expired = purchase_verify_chunk(
        purchase_ids=[stale.pk], claim_token=first.token, now=later + dt.timedelta(seconds=31)
    )
    # then
    assert wrong_token == {Outcome.SKIPPED: 1, Outcome.CONFIRMED: 1}
    assert expired == {Outcome.SKIPPED: 1}
    assert status_of(stale) == (PurchaseStatus.PENDING, 0)
    assert status_of(mine) == (PurchaseStatus.CONFIRMED, 1)


def test_a_chunk_delivered_twice_confirms_each_purchase_once(user):
    # given
    offer = OfferFactory(monthly_cap=BIG_CAP)
    purchases = [ingest(user, offer=offer) for _ in range(4)]
    ids, token = claim_all()
    # when
    first = purchase_verify_chunk(purchase_ids=ids, claim_token=token)
    second = purchase_verify_chunk(purchase_ids=ids, claim_token=token)
    # then
    assert (first, second) == ({Outcome.CONFIRMED: 4}, {Outcome.SKIPPED: 4})
    assert AuditLog.objects.filter(action="purchase.confirmed").count() == 4
    assert LedgerEntry.objects.filter(reason="cashback_confirmed").count() == 8
    assert Wallet.objects.get(user=user).available_balance == Decimal("20.00")
    assert {status_of(purchase) for purchase in purchases} == {(PurchaseStatus.CONFIRMED, 1)}


def owing(user) -> None:
    """Leave ``user`` owing 5.00: confirmed cashback paid out, then its purchase reversed."""
    assert fund_wallet(user, owed=Decimal("5.00")).owed_balance == Decimal("5.00")


def written_for(purchase) -> tuple[list, list]:
    ledger = list(
        LedgerEntry.objects.filter(source_id=purchase.pk)
        .exclude(reason="cashback_pending")
        .order_by("id")
        .values_list("bucket", "amount", "currency", "reason", "source_type", "actor_type", "actor_id", "request_id")
    )
    audit = list(
        AuditLog.objects.filter(resource_id=str(purchase.pk))
        .exclude(action="purchase.ingested")
        .values_list("action", "actor_type", "actor_id", "resource_type", "outcome", "details", "request_id")
    )
    return ledger, audit


def test_the_chunk_writes_the_same_ledger_and_audit_rows_as_the_single_confirmation(user, other_user):
    # given: two users in the same situation, each owing 5.00, each with a 3.00 then a 5.00
    # cashback pending (the first settles 3.00 of the debt, the second the remaining 2.00)
    offer = OfferFactory(monthly_cap=BIG_CAP)
    owing(user)
    owing(other_user)
    batch = [ingest(user, offer=offer, amount=Decimal("60.00")), ingest(user, offer=offer)]
    single = [ingest(other_user, offer=offer, amount=Decimal("60.00")), ingest(other_user, offer=offer)]
    claims = purchase_claim_due(limit=10)
    token = claims[0].token
    ids = [claim.purchase_id for claim in claims if claim.purchase_id in {p.pk for p in batch}]
    assert ids == [p.pk for p in batch]  # claimed oldest first
    request = set_request_id("req-chunk")
    try:
        # when: one chunk for the first user; the one-by-one service for the other
        counts = purchase_verify_chunk(purchase_ids=ids, claim_token=token)
        for purchase in single:
            purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
    finally:
        reset_request_id(request)
    # then
    assert counts == {Outcome.CONFIRMED: 2}
    for chunked, alone in zip(batch, single, strict=True):
        assert written_for(chunked) == written_for(alone)
    first_ledger, first_audit = written_for(batch[0])
    assert [(bucket, amount) for bucket, amount, *_ in first_ledger] == [
        ("pending", Decimal("-3.00")),
        ("owed", Decimal("-3.00")),
    ]
    assert first_audit[0][5] == {"cashback_amount": "3.00", "owed_settled": "3.00"}
    assert first_ledger[0][-1] == "req-chunk"
    wallets = {wallet.user_id: wallet for wallet in Wallet.objects.filter(user__in=[user, other_user])}
    mine, theirs = wallets[user.pk], wallets[other_user.pk]
    assert (mine.pending_balance, mine.available_balance, mine.owed_balance) == (
        theirs.pending_balance,
        theirs.available_balance,
        theirs.owed_balance,
    )
    assert (mine.available_balance, mine.owed_balance) == (Decimal("3.00"), Decimal("0.00"))
    for wallet in (mine, theirs):
        assert wallet_ledger_totals(wallet_id=wallet.pk) == {
            field: getattr(wallet, field)
            for field in ("pending_balance", "available_balance", "paid_balance", "owed_balance")
        }
    assert wallet_reconcile() == []


def test_rejections_write_the_same_rows_as_the_single_rejection(user, other_user, verifier, settings):
    # given
    settings.PURCHASE_MAX_VERIFICATION_ATTEMPTS = 1
    offer = OfferFactory()
    verifier.no = {offer.merchant_id}
    chunked, alone = ingest(user, offer=offer), ingest(other_user, offer=offer)
    claims = purchase_claim_due(limit=10)
    # when
    counts = purchase_verify_chunk(purchase_ids=[chunked.pk], claim_token=claims[0].token)
    confirmation.purchase_verify(purchase_id=alone.pk, claim_token=claims[0].token)
    # then
    assert counts == {Outcome.REJECTED: 1}
    assert written_for(chunked) == written_for(alone)
    ledger, audit = written_for(chunked)
    assert [(bucket, amount, reason) for bucket, amount, _, reason, *_ in ledger] == [
        ("pending", Decimal("-5.00"), "cashback_rejected")
    ]
    assert audit[0][5] == {
        "reason": "The bank found no matching transaction after 1 attempts.",
        "cashback_amount": "5.00",
    }


def statements_for(count: int) -> int:
    user = UserFactory()
    offer = OfferFactory(monthly_cap=BIG_CAP)
    purchases = [ingest(user, offer=offer) for _ in range(count)]
    ids, token = claim_all()
    with CaptureQueriesContext(connection) as queries:
        assert purchase_verify_chunk(purchase_ids=ids, claim_token=token) == {Outcome.CONFIRMED: count}
    assert {status_of(purchase)[0] for purchase in purchases} == {PurchaseStatus.CONFIRMED}
    return len(queries)


def test_a_chunk_costs_the_same_number_of_statements_whatever_its_size(db):
    # when
    small = statements_for(2)
    large = statements_for(25)
    # then: read, SET LOCAL, the transitions' savepoint, lock purchases, lock wallets,
    # purchases, cashback, wallets, ledger, audit, release (plus the test's savepoint and
    # its release)
    assert small == large
    assert large <= 13


class ClockedVerifier:
    """Every question to the bank takes 3 s of the fake clock."""

    clock = [0.0]

    def verify(self, purchase) -> bool:
        self.clock[0] += 3
        return True


def test_purchases_that_could_not_be_asked_in_time_are_released_uncounted(user, settings, monkeypatch):
    # given: a 10 s lease (asking stops once a verification could end with 2.5 s left),
    # a 3 s time-out, one verification at a time, a bank taking 3 s of the fake clock
    settings.PURCHASE_CLAIM_SECONDS = 10
    settings.PURCHASE_VERIFY_TIMEOUT_SECONDS = 3
    settings.PURCHASE_VERIFY_CONCURRENCY = 1
    settings.PURCHASE_VERIFIER_CLASS = "purchases.tests.test_confirmation_chunk.ClockedVerifier"
    ClockedVerifier.clock[0] = 0.0
    monkeypatch.setattr(confirmation, "monotonic", lambda: ClockedVerifier.clock[0])
    offer = OfferFactory(monthly_cap=BIG_CAP)
    purchases = [ingest(user, offer=offer) for _ in range(5)]
    now = timezone.now()
    ids, token = claim_all(now=now)
    # when
    counts = purchase_verify_chunk(purchase_ids=ids, claim_token=token, now=now)
    # then: asked at 0 and 3 s (done by 6 <= 7.5 s); one asked at 6 s could end after 7.5 s
    assert counts == {Outcome.CONFIRMED: 2, Outcome.DEFERRED: 3}
    statuses = Counter(status_of(purchase) for purchase in purchases)
    assert statuses == {(PurchaseStatus.CONFIRMED, 1): 2, (PurchaseStatus.PENDING, 0): 3}
    assert len(purchase_claim_due(limit=10, now=now)) == 3


def test_a_purchase_whose_posting_is_refused_waits_while_the_others_are_confirmed(user, other_user):
    # given: a wallet whose pending balance was lost (a bug elsewhere)
    offer = OfferFactory(monthly_cap=BIG_CAP)
    broken = ingest(user, offer=offer)
    fine = ingest(other_user, offer=offer)
    Wallet.objects.filter(user=user).update(pending_balance=Decimal("0.00"))
    ids, token = claim_all()
    # when
    counts = purchase_verify_chunk(purchase_ids=ids, claim_token=token)
    # then
    assert counts == {Outcome.FAILED: 1, Outcome.CONFIRMED: 1}
    assert status_of(broken) == (PurchaseStatus.PENDING, 0)
    assert status_of(fine) == (PurchaseStatus.CONFIRMED, 1)
    assert Wallet.objects.get(user=user).pending_balance == Decimal("0.00")
    assert not LedgerEntry.objects.filter(source_id=broken.pk, reason="cashback_confirmed").exists()


# --- the tasks -------------------------------------------------------------------


def test_the_dispatcher_sends_one_task_per_chunk_of_claims(
    user, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from purchases import tasks

    # given
    settings.PURCHASE_VERIFY_CHUNK_SIZE = 2
    offer = OfferFactory(monthly_cap=BIG_CAP)
    purchases = {ingest(user, offer=offer).pk for _ in range(5)}
    sent = []
    monkeypatch.setattr(tasks.verify_purchases, "apply_async", lambda args, **kwargs: sent.append(args))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_purchase_confirmations() == 5
    # then
    assert [len(ids) for ids, _ in sent] == [2, 2, 1]
    assert {uuid.UUID(pk) for ids, _ in sent for pk in ids} == purchases
    assert len({token for _, token in sent}) == 1
    assert Purchase.objects.get(pk=uuid.UUID(sent[0][0][0])).claim_token == uuid.UUID(sent[0][1])


def test_the_chunk_task_and_the_single_task_still_queued_at_deploy_both_confirm(user):
    from purchases.tasks import verify_purchase, verify_purchases

    # given
    offer = OfferFactory(monthly_cap=BIG_CAP)
    one, two = ingest(user, offer=offer), ingest(user, offer=offer)
    ids, token = claim_all()
    # when
    single = verify_purchase(str(one.pk), str(token))
    chunk = verify_purchases([str(pk) for pk in ids], str(token))
    # then
    assert (single, chunk) == (Outcome.CONFIRMED, {Outcome.CONFIRMED: 1, Outcome.SKIPPED: 1})
    assert {status_of(one)[0], status_of(two)[0]} == {PurchaseStatus.CONFIRMED}


# --- concurrency -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_overlapping_chunks_and_admin_reversals_at_once_confirm_each_purchase_once():
    # given: 3 users, 30 pending purchases claimed by three dispatchers (chunks spanning
    # every wallet), two confirmed purchases per user to be reversed by an admin meanwhile
    users = [UserFactory() for _ in range(3)]
    admin = AdminFactory()
    offer = OfferFactory(monthly_cap=BIG_CAP)
    to_reverse = [confirmed(users[i % 3], admin, offer=offer) for i in range(6)]
    pending = [ingest(users[i % 3], offer=offer) for i in range(30)]
    chunks = [purchase_claim_due(limit=10) for _ in range(3)]
    work = [
        *[
            lambda chunk=chunk: purchase_verify_chunk(
                purchase_ids=[c.purchase_id for c in chunk], claim_token=chunk[0].token
            )
            for chunk in chunks * 2  # every chunk delivered twice
        ],
        *[lambda pk=p.pk: purchase_reverse(purchase_id=pk, actor=Actor.admin(admin)) for p in to_reverse],
    ]
    # when
    results = run_together(work)
    # then
    errors = [result for result in results if isinstance(result, BaseException)]
    assert not errors, errors
    outcomes = Counter()
    for result in results[:6]:
        outcomes.update(result)
    assert outcomes == {Outcome.CONFIRMED: 30, Outcome.SKIPPED: 30}
    assert Counter(Purchase.objects.filter(pk__in=[p.pk for p in pending]).values_list("status", flat=True)) == {
        PurchaseStatus.CONFIRMED: 30
    }
    confirmations = Counter(
        AuditLog.objects.filter(action="purchase.confirmed", resource_id__in=[str(p.pk) for p in pending]).values_list(
            "resource_id", flat=True
        )
    )
    assert set(confirmations.values()) == {1} and len(confirmations) == 30
    for user in users:
        wallet = Wallet.objects.get(user=user)
        assert (wallet.pending_balance, wallet.available_balance, wallet.owed_balance) == (
            Decimal("0.00"),
            Decimal("50.00"),  # 2 × 5.00 confirmed then reversed, 10 × 5.00 confirmed by the job
            Decimal("0.00"),
        )
    assert wallet_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_chunks_in_opposite_wallet_orders_do_not_deadlock():
    # given: many users; chunk A lists them in one order, chunk B in the reverse order
    users = [UserFactory() for _ in range(8)]
    offer = OfferFactory(monthly_cap=BIG_CAP)
    for user in users * 2:
        ingest(user, offer=offer)
    first, second = purchase_claim_due(limit=8), purchase_claim_due(limit=8)
    chunks = [
        ([c.purchase_id for c in first], first[0].token),
        ([c.purchase_id for c in reversed(second)], second[0].token),
    ]
    # when
    results = run_together(
        4, lambda index: purchase_verify_chunk(purchase_ids=chunks[index % 2][0], claim_token=chunks[index % 2][1])
    )
    # then
    assert not [result for result in results if isinstance(result, BaseException)], results
    assert sum(result.get(Outcome.CONFIRMED, 0) for result in results) == 16
    assert {wallet.available_balance for wallet in Wallet.objects.filter(user__in=users)} == {Decimal("10.00")}
    assert wallet_reconcile() == []
    with transaction.atomic():  # nothing left locked
        assert Wallet.objects.select_for_update(nowait=True).filter(user__in=users).count() == 8
