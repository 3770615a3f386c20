"""Verifier errors, time-outs and hard declines; the review queue; the ingestion's request id
carried into the job's rows (API contract §7, §11)."""

import datetime as dt
import threading
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from clicknback.audit.models import AuditLog
from clicknback.request_context import bound_request_id
from purchases import confirmation
from purchases.confirmation import Outcome, backoff_seconds, purchase_claim_due, purchase_verify_chunk
from purchases.models import Purchase, PurchaseStatus
from purchases.selectors import confirmation_backlog
from purchases.tests.factories import ingest
from purchases.verifier import Decline
from wallets.models import LedgerEntry

pytestmark = pytest.mark.django_db


class ScriptedVerifier:
    """Answers per merchant: ``hang`` merchants block until released, ``down`` ones raise,
    ``declined`` ones get a hard decline; the rest match."""

    hang: set = set()
    down: set = set()
    declined: set = set()
    release = threading.Event()

    def verify(self, purchase):
        if purchase.merchant_id in self.hang:
            self.release.wait(30)
            return True
        if purchase.merchant_id in self.down:
            raise ConnectionError("bank unreachable")
        if purchase.merchant_id in self.declined:
            return Decline("card reported stolen")
        return True


@pytest.fixture
def scripted(settings):
    settings.PURCHASE_VERIFIER_CLASS = "purchases.tests.test_verification_errors.ScriptedVerifier"
    settings.PURCHASE_VERIFY_TIMEOUT_SECONDS = 0.3
    settings.PURCHASE_VERIFY_BACKOFF_SECONDS = 10
    settings.PURCHASE_MAX_VERIFICATION_ERRORS = 3
    ScriptedVerifier.hang, ScriptedVerifier.down, ScriptedVerifier.declined = set(), set(), set()
    ScriptedVerifier.release.clear()
    yield ScriptedVerifier
    ScriptedVerifier.release.set()  # no thread is left waiting after the test


def run_once(now=None) -> dict[str, int]:
    claims = purchase_claim_due(limit=1000, now=now)
    if not claims:
        return {}
    return purchase_verify_chunk(purchase_ids=[c.purchase_id for c in claims], claim_token=claims[0].token, now=now)


def test_a_hung_verification_times_out_without_holding_back_the_others(user, scripted):
    # given: 20 purchases, one at a merchant whose bank never answers
    hung = ingest(user)
    scripted.hang = {hung.merchant_id}
    others = [ingest(user, offer=None) for _ in range(19)]
    # when
    started = time.monotonic()
    counts = run_once()
    took = time.monotonic() - started
    # then: the 19 are confirmed, the hung one timed out (no attempt used) and backs off
    assert counts == {Outcome.CONFIRMED: 19, Outcome.TIMEOUT: 1}
    assert took < 2
    assert all(Purchase.objects.get(pk=p.pk).status == PurchaseStatus.CONFIRMED for p in others)
    hung.refresh_from_db()
    assert (hung.status, hung.verification_attempts, hung.verification_errors) == (PurchaseStatus.PENDING, 0, 1)
    assert "time-out" in hung.last_verification_error
    assert hung.claim_token is None and hung.next_attempt_at > timezone.now()


def test_errors_back_off_with_growing_gaps_then_the_purchase_goes_to_review(user, scripted):
    purchase = ingest(user)
    scripted.down = {purchase.merchant_id}
    gaps = []
    now = timezone.now()
    for _ in range(3):
        counts = run_once(now=now)
        purchase.refresh_from_db()
        if purchase.next_attempt_at:
            gaps.append((purchase.next_attempt_at - now).total_seconds())
            now = purchase.next_attempt_at
    # then: 10 s then 20 s (each jittered within its upper half), then review
    assert counts == {Outcome.REVIEW: 1}
    assert 5 <= gaps[0] <= 10 and 10 <= gaps[1] <= 20
    assert (purchase.status, purchase.verification_attempts, purchase.verification_errors) == ("pending", 0, 3)
    assert purchase.review_since is not None and purchase.next_attempt_at is None
    assert purchase.last_verification_error == "ConnectionError: bank unreachable"
    # no longer dispatched, even much later
    assert purchase_claim_due(limit=10, now=now + dt.timedelta(days=30)) == []
    review = AuditLog.objects.get(action="purchase.sent_to_review", resource_id=str(purchase.pk))
    assert review.details["verification_errors"] == 3
    groups = {group.state: group.count for group in confirmation_backlog()}
    assert groups == {"new": 0, "no_match": 0, "verifier_errors": 0, "in_review": 1}


def test_the_backoff_is_capped(settings):
    settings.PURCHASE_VERIFY_BACKOFF_SECONDS = 30
    settings.PURCHASE_VERIFY_BACKOFF_MAX_SECONDS = 600
    assert 15 <= backoff_seconds(1) <= 30
    assert 300 <= backoff_seconds(20) <= 600


def test_a_bank_that_is_down_rejects_nothing_and_everything_is_confirmed_once_it_recovers(user, scripted):
    purchases = [ingest(user) for _ in range(5)]
    scripted.down = {p.merchant_id for p in purchases}
    now = timezone.now()
    assert run_once(now=now) == {Outcome.ERROR: 5}
    assert run_once(now=now + dt.timedelta(seconds=11)) == {Outcome.ERROR: 5}
    scripted.down = set()
    assert run_once(now=now + dt.timedelta(minutes=2)) == {Outcome.CONFIRMED: 5}
    assert not Purchase.objects.filter(status=PurchaseStatus.REJECTED).exists()


def test_a_hard_decline_rejects_at_once(user, scripted):
    purchase = ingest(user)
    scripted.declined = {purchase.merchant_id}
    assert run_once() == {Outcome.REJECTED: 1}
    purchase.refresh_from_db()
    assert (purchase.status, purchase.verification_attempts) == (PurchaseStatus.REJECTED, 1)
    assert purchase.status_reason == "The bank declined the purchase: card reported stolen"


def test_the_job_writes_its_rows_with_the_ingestion_request_id(user, scripted):
    with bound_request_id("req-ingest-1"):
        purchase = ingest(user)
    with bound_request_id("req-ingest-2"):
        declined = ingest(user)
    scripted.declined = {declined.merchant_id}
    run_once()
    confirmed_rows = LedgerEntry.objects.filter(source_id=purchase.pk, reason="cashback_confirmed")
    assert {row.request_id for row in confirmed_rows} == {"req-ingest-1"}
    assert AuditLog.objects.get(action="purchase.confirmed").request_id == "req-ingest-1"
    assert AuditLog.objects.get(action="purchase.rejected").request_id == "req-ingest-2"
    assert LedgerEntry.objects.get(source_id=declined.pk, reason="cashback_rejected").request_id == "req-ingest-2"


@pytest.fixture
def in_review(user, scripted, settings):
    settings.PURCHASE_MAX_VERIFICATION_ERRORS = 1
    purchases = [ingest(user) for _ in range(3)]
    scripted.down = {p.merchant_id for p in purchases}
    assert run_once() == {Outcome.REVIEW: 3}
    scripted.down = set()
    return purchases


def test_the_review_queue_shows_the_last_error_and_acts_through_the_services(client, admin_user, in_review):
    client.force_login(admin_user)
    url = reverse("admin:purchases_purchaseinreview_changelist")
    page = client.get(url).content.decode()
    assert "ConnectionError: bank unreachable" in page
    assert all(p.external_id in page for p in in_review)
    confirm, reject, requeue = in_review
    for action, purchase in (("confirm_selected", confirm), ("reject_selected", reject), ("requeue_selected", requeue)):
        response = client.post(url, {"action": action, "_selected_action": [str(purchase.pk)]})
        assert response.status_code == 302
    assert Purchase.objects.get(pk=confirm.pk).status == PurchaseStatus.CONFIRMED
    assert Purchase.objects.get(pk=reject.pk).status == PurchaseStatus.REJECTED
    requeued = Purchase.objects.get(pk=requeue.pk)
    assert (requeued.status, requeued.review_since, requeued.verification_errors) == ("pending", None, 0)
    actions = set(AuditLog.objects.filter(actor_type="admin").values_list("action", flat=True))
    assert actions == {"purchase.confirmed", "purchase.rejected", "purchase.requeued"}
    assert client.get(url).content.decode().count("bank unreachable") == 0  # the queue is empty
    # the job takes the re-queued purchase again at once
    assert run_once() == {Outcome.CONFIRMED: 1}


def test_the_dashboard_shows_the_backlog_by_outcome(client, admin_user, in_review, user):
    ingest(user)
    client.force_login(admin_user)
    page = client.get(reverse("backoffice-dashboard")).content.decode()
    assert 'id="backlog-by-outcome"' in page
    assert "In manual review" in page and "Not asked yet" in page


def test_a_late_answer_of_an_abandoned_verification_is_dropped(user, scripted, monkeypatch):
    purchase = ingest(user)
    scripted.hang = {purchase.merchant_id}
    assert run_once() == {Outcome.TIMEOUT: 1}
    scripted.release.set()  # the abandoned thread answers now, into a queue nobody reads
    time.sleep(0.05)
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.PENDING
    assert confirmation.COMMIT_LINGER_SECONDS < 0.1
