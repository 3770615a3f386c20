"""The confirmation job (API contract §7): claim due purchases, verify each one apart.

* ``purchase_claim_due`` (run by the dispatcher task every beat) claims a batch of
  pending purchases that are due (``next_attempt_at`` passed) and not in flight (no
  live claim), with ``SELECT ... FOR UPDATE SKIP LOCKED``: two dispatchers running at
  once take disjoint batches. A claim is a lease (``claimed_until``) with a token;
  the purchase stays ``pending``, so a worker killed mid-task loses nothing: the claim
  expires and the next dispatcher takes the purchase again with a new token.
* ``purchase_verify_chunk`` (one task per chunk of up to ``PURCHASE_VERIFY_CHUNK_SIZE``
  claimed purchases) asks the bank verifier about the purchases concurrently (up to
  ``PURCHASE_VERIFY_CONCURRENCY`` at once, each in a thread of its own, outside any
  transaction), each with its own deadline ``PURCHASE_VERIFY_TIMEOUT_SECONDS``, and
  commits the outcomes as they arrive: the answers that came in together are written in
  one transaction (the purchases still pending and still carrying the claim token are
  locked by id, then their wallets by id) with a constant number of statements. So a
  slow or hung verification delays no other purchase's outcome: the others are committed
  while it waits, and at its deadline it counts as timed out while its thread is left
  behind. ``purchase_verify`` is the same for one purchase.

Outcomes: a match confirms; no match uses one attempt (rejected after the last); a hard
decline (``verifier.Decline``) rejects at once; an error or a time-out uses no attempt,
is retried with exponential backoff and jitter (``backoff_seconds``) and, after
``PURCHASE_MAX_VERIFICATION_ERRORS`` of them, puts the purchase in the manual review
queue (``review_since``), which the dispatcher no longer claims.

The choice of concurrent verification inside chunked tasks, rather than one task per
purchase, was made by measurement: see docs/purchases-and-wallet.md.
"""

import datetime as dt
import logging
import queue
import random
import threading
import uuid
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from time import monotonic

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from clicknback.audit.services import SYSTEM, audit_record_many
from clicknback.flags.services import flag_evaluate
from purchases.models import Purchase, PurchaseStatus
from purchases.selectors import JOB_FLAG, auto_confirm_scopes
from purchases.services import Decision, notify_confirmation_job, purchases_decide
from purchases.verifier import Decline, verifier_get

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    purchase_id: uuid.UUID
    token: uuid.UUID


def purchase_claim_due(*, limit: int, now: dt.datetime | None = None) -> list[Claim]:
    """Claim up to ``limit`` due pending purchases (none while the job flag is off)."""
    if not flag_evaluate(key=JOB_FLAG):
        return []
    now = now or timezone.now()
    scopes = auto_confirm_scopes()
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            Purchase.objects.select_for_update(skip_locked=True)
            .filter(status=PurchaseStatus.PENDING, review_since__isnull=True)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .filter(scopes.as_q())
            .order_by("next_attempt_at", "created_at")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Purchase.objects.filter(pk__in=ids).update(
                claimed_until=now + dt.timedelta(seconds=settings.PURCHASE_CLAIM_SECONDS), claim_token=token
            )
    return [Claim(purchase_id=purchase_id, token=token) for purchase_id in ids]


def _relax_durability() -> None:
    """Commit this group of outcomes without waiting for the WAL flush (``synchronous_commit``).

    Safe because of the lease: should the server crash before the flush, the whole
    transaction (statuses, wallets, ledger, audit of every purchase in it) is lost
    together, each of those purchases is still pending with its claim, and each is
    verified again once its claim expires. The API's own writes keep the default, fully
    durable commit.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


class Outcome:
    SKIPPED = Decision.SKIPPED  # gone, no longer pending, another claim, or the lease expired
    CONFIRMED = Decision.CONFIRMED
    RETRY = "retry"  # no match yet: the next attempt is scheduled
    REJECTED = Decision.REJECTED  # no match after the last attempt, or a hard decline
    FAILED = Decision.FAILED  # the posting was refused (a bug elsewhere): the claim is kept
    ERROR = "error"  # the verifier raised: no attempt used, retried with backoff
    TIMEOUT = "timeout"  # no answer within PURCHASE_VERIFY_TIMEOUT_SECONDS: as an error
    REVIEW = "review"  # an error or time-out that was the last allowed: manual review
    DEFERRED = "deferred"  # not asked in time: the claim is released, not counted


# Asking the bank stops (the rest of the chunk is released, uncounted, for the next
# dispatcher run) once a new verification could not finish, time-out included, before
# only this share of the lease is left, or before this share of the task's soft time
# limit has passed: no lease expires under a verification and no task is killed.
# The first purchase is always asked, so a chunk of one behaves as a single task did.
LEASE_MARGIN_SHARE = 0.25
TIME_LIMIT_SHARE = 0.5
# Answers arriving within this much of each other are committed in one transaction.
COMMIT_LINGER_SECONDS = 0.005


def rejection_reason(attempts: int) -> str:
    return f"The bank found no matching transaction after {attempts} attempts."


def decline_reason(decline: Decline) -> str:
    return f"The bank declined the purchase: {decline.reason}" if decline.reason else "The bank declined the purchase."


def backoff_seconds(errors: int) -> float:
    """The wait before retrying after the ``errors``-th error or time-out: exponential, jittered.

    ``PURCHASE_VERIFY_BACKOFF_SECONDS * 2 ** (errors - 1)``, capped at
    ``PURCHASE_VERIFY_BACKOFF_MAX_SECONDS``, then drawn uniformly from its upper half, so
    purchases that failed together (the bank was down) do not all come back at once.
    """
    base = settings.PURCHASE_VERIFY_BACKOFF_SECONDS * 2 ** max(errors - 1, 0)
    ceiling = min(base, settings.PURCHASE_VERIFY_BACKOFF_MAX_SECONDS)
    return ceiling * (0.5 + random.random() / 2)


@dataclass
class ChunkResult:
    outcomes: dict[uuid.UUID, str] = field(default_factory=dict)
    errors: dict[uuid.UUID, Exception] = field(default_factory=dict)
    seconds: dict[uuid.UUID, float] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return dict(Counter(self.outcomes.values()))


@dataclass(frozen=True)
class Answer:
    """One verification's result: ``verdict`` is True, False or a ``Decline``; or ``error``."""

    verdict: bool | Decline | None = None
    error: Exception | None = None
    timed_out: bool = False


def _budget_seconds(purchases: list[Purchase], now: dt.datetime) -> float:
    # Every purchase here holds a live claim (``claimed_until`` set and in the future).
    leases = [purchase.claimed_until for purchase in purchases if purchase.claimed_until is not None]
    lease_left = (min(leases) - now).total_seconds()
    return min(
        lease_left - settings.PURCHASE_CLAIM_SECONDS * LEASE_MARGIN_SHARE,
        settings.CELERY_TASK_SOFT_TIME_LIMIT * TIME_LIMIT_SHARE,
    )


class _Verifications:
    """Verifications running in daemon threads; answers come back on one queue.

    A verification past its deadline is abandoned: its thread may go on (Python cannot
    stop a thread) but its answer, if any, is dropped, and it no longer takes a slot.
    """

    def __init__(self) -> None:
        self.verifier = verifier_get()
        self.answers: queue.SimpleQueue[tuple[uuid.UUID, Answer, float]] = queue.SimpleQueue()
        self.deadlines: dict[uuid.UUID, float] = {}

    def start(self, purchase: Purchase, timeout: float) -> None:
        self.deadlines[purchase.pk] = monotonic() + timeout
        thread = threading.Thread(target=self._ask, args=(purchase,), name=f"verify-{purchase.pk}", daemon=True)
        thread.start()

    def _ask(self, purchase: Purchase) -> None:
        started = monotonic()
        try:
            verdict = self.verifier.verify(purchase)
            answer = Answer(verdict=verdict if isinstance(verdict, Decline) else bool(verdict))
        except Exception as exc:  # noqa: BLE001 - "could not ask": no attempt is used
            answer = Answer(error=exc)
        self.answers.put((purchase.pk, answer, monotonic() - started))

    def collect(self, *, timeout: float) -> dict[uuid.UUID, tuple[Answer, float]]:
        """Wait up to ``timeout`` for an answer, then take what else arrives at once; add time-outs."""
        got: dict[uuid.UUID, tuple[Answer, float]] = {}
        try:
            item = self.answers.get(timeout=max(timeout, 0.0))
            got[item[0]] = item[1:]
            linger_until = monotonic() + COMMIT_LINGER_SECONDS
            while len(got) < len(self.deadlines):
                item = self.answers.get(timeout=max(linger_until - monotonic(), 0.0))
                got[item[0]] = item[1:]
        except queue.Empty:
            pass
        got = {pk: answer for pk, answer in got.items() if pk in self.deadlines}  # late answers are dropped
        now = monotonic()
        for purchase_id, deadline in self.deadlines.items():
            if purchase_id not in got and deadline <= now:
                got[purchase_id] = (Answer(timed_out=True), settings.PURCHASE_VERIFY_TIMEOUT_SECONDS)
        for purchase_id in got:
            del self.deadlines[purchase_id]
        return got

    def next_deadline(self) -> float:
        return min(self.deadlines.values()) - monotonic()


def _verify_chunk(
    *, purchase_ids: Sequence[uuid.UUID | str], claim_token: uuid.UUID | str, now: dt.datetime | None
) -> ChunkResult:
    now = now or timezone.now()
    token = uuid.UUID(str(claim_token))
    ids = list(dict.fromkeys(uuid.UUID(str(purchase_id)) for purchase_id in purchase_ids))
    result = ChunkResult(outcomes=dict.fromkeys(ids, Outcome.SKIPPED))
    live = Purchase.objects.filter(pk__in=ids, status=PurchaseStatus.PENDING, claim_token=token, claimed_until__gt=now)
    by_id = {purchase.pk: purchase for purchase in live}
    if not by_id:
        return result
    waiting = deque(by_id[purchase_id] for purchase_id in ids if purchase_id in by_id)  # in claim order
    budget = _budget_seconds(list(waiting), now)
    timeout = float(settings.PURCHASE_VERIFY_TIMEOUT_SECONDS)
    concurrency = max(1, settings.PURCHASE_VERIFY_CONCURRENCY)
    running = _Verifications()
    started = monotonic()
    asked = 0
    deferred: list[uuid.UUID] = []
    while waiting or running.deadlines:
        while waiting and len(running.deadlines) < concurrency:
            if asked and monotonic() - started + timeout > budget:
                deferred.extend(purchase.pk for purchase in waiting)
                waiting.clear()
                break
            running.start(waiting.popleft(), timeout)
            asked += 1
        answers = running.collect(timeout=running.next_deadline()) if running.deadlines else {}
        # Start the next verifications before writing these outcomes: they wait on the bank
        # while this thread waits on the database.
        while waiting and len(running.deadlines) < concurrency and monotonic() - started + timeout <= budget:
            running.start(waiting.popleft(), timeout)
            asked += 1
        if answers or (deferred and not running.deadlines):
            with transaction.atomic():  # schedules count from the claim's ``now``
                _relax_durability()
                _decide(by_id=by_id, answers=answers, deferred=deferred, token=token, now=now, result=result)
            deferred = []
    return result


def _decide(
    *,
    by_id: dict[uuid.UUID, Purchase],
    answers: dict[uuid.UUID, tuple[Answer, float]],
    deferred: list[uuid.UUID],
    token: uuid.UUID,
    now: dt.datetime,
    result: ChunkResult,
) -> None:
    """Write one group of outcomes in the caller's transaction: schedule the next attempts,
    back off after errors (or send to review), release what was not asked, then confirm
    or reject through the purchase transitions (``purchases_decide``).

    The purchases only rescheduled are written first, so every purchase row is locked
    before any wallet row, as in every other transition. The ledger and audit rows carry
    each purchase's ingestion request id.
    """
    confirm: list[uuid.UUID] = []
    reject: dict[uuid.UUID, str] = {}
    retry: list[uuid.UUID] = []
    failed: dict[uuid.UUID, Answer] = {}
    for purchase_id, (answer, seconds) in answers.items():
        result.seconds[purchase_id] = seconds
        if answer.error is not None or answer.timed_out:
            failed[purchase_id] = answer
        elif isinstance(answer.verdict, Decline):
            reject[purchase_id] = decline_reason(answer.verdict)
        elif answer.verdict:
            confirm.append(purchase_id)
        else:
            attempts = by_id[purchase_id].verification_attempts + 1
            if attempts >= settings.PURCHASE_MAX_VERIFICATION_ATTEMPTS:
                reject[purchase_id] = rejection_reason(attempts)
            else:
                retry.append(purchase_id)
    still_ours = Purchase.objects.filter(status=PurchaseStatus.PENDING, claim_token=token)
    touched = [*retry, *failed, *deferred]
    locked = (
        set(still_ours.filter(pk__in=touched).select_for_update().order_by("pk").values_list("pk", flat=True))
        if touched
        else set()
    )
    rescheduled = [purchase_id for purchase_id in retry if purchase_id in locked]
    if rescheduled:
        still_ours.filter(pk__in=rescheduled).update(
            claimed_until=None,
            claim_token=None,
            next_attempt_at=now + dt.timedelta(seconds=settings.PURCHASE_CONFIRMATION_INTERVAL_SECONDS),
            updated_at=timezone.now(),
            verification_attempts=F("verification_attempts") + 1,
        )
        result.outcomes.update(dict.fromkeys(rescheduled, Outcome.RETRY))
    _back_off(
        purchases=[by_id[purchase_id] for purchase_id in failed if purchase_id in locked],
        answers=failed,
        now=now,
        result=result,
    )
    released = [purchase_id for purchase_id in deferred if purchase_id in locked]
    if released:
        # Not asked in time: the claim is given back (as if its lease had expired) so the
        # next dispatcher run takes the purchase at once; no attempt is counted.
        still_ours.filter(pk__in=released).update(claimed_until=None, claim_token=None)
        result.outcomes.update(dict.fromkeys(released, Outcome.DEFERRED))
    request_ids = {purchase_id: by_id[purchase_id].ingest_request_id for purchase_id in [*confirm, *reject]}
    decided = purchases_decide(
        confirm=confirm, reject=reject, actor=SYSTEM, claim_token=token, count_attempt=True, request_ids=request_ids
    )
    result.outcomes.update(decided.outcomes)
    result.errors.update(decided.errors)


def _error_text(answer: Answer) -> str:
    if answer.timed_out:
        return f"No answer within {settings.PURCHASE_VERIFY_TIMEOUT_SECONDS} s (time-out)."
    error = answer.error
    return f"{type(error).__name__}: {error}"[:255]


def _back_off(*, purchases: list[Purchase], answers: dict[uuid.UUID, Answer], now: dt.datetime, result: ChunkResult):
    """Errors and time-outs: no attempt used; the next try after a backoff, or manual review."""
    if not purchases:
        return
    reviewed: list[tuple[str, uuid.UUID, dict]] = []
    changed = timezone.now()
    for purchase in purchases:
        answer = answers[purchase.pk]
        errors = purchase.verification_errors + 1
        fields: dict[str, object] = {
            "claimed_until": None,
            "claim_token": None,
            "verification_errors": errors,
            "last_verification_error": _error_text(answer),
            "updated_at": changed,
        }
        if errors >= settings.PURCHASE_MAX_VERIFICATION_ERRORS:
            fields.update(review_since=now, next_attempt_at=None)
            reviewed.append(
                (
                    "purchase.sent_to_review",
                    purchase.pk,
                    {"verification_errors": errors, "last_error": fields["last_verification_error"]},
                )
            )
            result.outcomes[purchase.pk] = Outcome.REVIEW
        else:
            fields["next_attempt_at"] = now + dt.timedelta(seconds=backoff_seconds(errors))
            result.outcomes[purchase.pk] = Outcome.TIMEOUT if answer.timed_out else Outcome.ERROR
        if answer.error is not None:
            result.errors[purchase.pk] = answer.error
        Purchase.objects.filter(pk=purchase.pk).update(**fields)
    if reviewed:
        audit_record_many(
            actor=SYSTEM,
            resource_type="purchase",
            records=reviewed,
            request_ids={purchase.pk: purchase.ingest_request_id for purchase in purchases},
        )


def purchase_verify_chunk(
    *, purchase_ids: Sequence[uuid.UUID | str], claim_token: uuid.UUID | str, now: dt.datetime | None = None
) -> dict[str, int]:
    """One verification attempt for each purchase of a claimed chunk; safe to run twice.

    Returns how many purchases had each ``Outcome``. Verifier errors are logged (one
    line per chunk); those purchases are retried after their backoff, the others go on.
    """
    result = _verify_chunk(purchase_ids=purchase_ids, claim_token=claim_token, now=now)
    _observe(result)
    if result.errors:
        purchase_id, error = next(iter(result.errors.items()))
        logger.warning(
            "Verification of %d purchase(s) failed (first: %s); they are retried after a backoff.",
            len(result.errors),
            purchase_id,
            exc_info=(type(error), error, error.__traceback__),
        )
    timed_out = [pk for pk, outcome in result.outcomes.items() if outcome == Outcome.TIMEOUT]
    if timed_out:
        logger.warning("Verification of %d purchase(s) timed out (first: %s).", len(timed_out), timed_out[0])
    counts = result.counts()
    if counts.get(Outcome.DEFERRED):
        notify_confirmation_job()  # released purchases are due now: the dispatcher takes them within a second
    return counts


def _observe(result: ChunkResult) -> None:
    from purchases.metrics import verifications_observe

    verifications_observe(outcomes=result.outcomes, seconds=result.seconds)


def purchase_verify(
    *, purchase_id: uuid.UUID | str, claim_token: uuid.UUID | str, now: dt.datetime | None = None
) -> str:
    """One verification attempt for one claimed purchase (a chunk of one); safe to run twice.

    A verifier error is raised once its bookkeeping (error count, backoff) is committed.
    """
    result = _verify_chunk(purchase_ids=[purchase_id], claim_token=claim_token, now=now)
    _observe(result)
    (outcome,) = result.outcomes.values()
    error = next(iter(result.errors.values()), None)
    if error is not None:
        raise error
    return outcome
