"""The confirmation job (API contract §7): claim due purchases, verify each one.

* ``purchase_claim_due`` (run by the dispatcher task every beat) claims a batch of
  pending purchases that are due (``next_attempt_at`` passed) and not in flight (no
  live claim), with ``SELECT ... FOR UPDATE SKIP LOCKED``: two dispatchers running at
  once take disjoint batches. A claim is a lease (``claimed_until``) with a token;
  the purchase stays ``pending``, so a worker killed mid-task loses nothing: the claim
  expires and the next dispatcher takes the purchase again with a new token.
* ``purchase_verify_chunk`` (one task per chunk of up to ``PURCHASE_VERIFY_CHUNK_SIZE``
  claimed purchases) asks the bank verifier about each purchase outside any
  transaction, then, in one transaction, locks the purchases still pending and still
  carrying their claim token (ordered by id), then their wallets (ordered by id), and
  confirms each, schedules its next attempt, or rejects it after the last, writing the
  whole chunk with a constant number of statements. Every purchase keeps its own
  attempts, lease and outcome; ``purchase_verify`` is the same for one purchase.
"""

import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from time import monotonic

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from clicknback.audit.services import SYSTEM
from clicknback.flags.services import flag_evaluate
from purchases.models import Purchase, PurchaseStatus
from purchases.selectors import JOB_FLAG, auto_confirm_scopes
from purchases.services import Decision, purchases_decide
from purchases.verifier import verifier_get

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
            .filter(status=PurchaseStatus.PENDING)
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
    """Commit this attempt without waiting for the WAL flush (PostgreSQL ``synchronous_commit``).

    Safe because of the lease: should the server crash before the flush, the whole
    transaction (statuses, wallets, ledger, audit of every purchase of the chunk) is lost
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
    REJECTED = Decision.REJECTED  # no match after the last attempt
    FAILED = Decision.FAILED  # the verifier raised (or the posting was refused): not counted
    DEFERRED = "deferred"  # not asked in time: the claim is released, not counted


# Asking the bank about a chunk stops (the rest is released, uncounted, for the next
# dispatcher run) when only this share of the lease is left, or once this share of the
# task's soft time limit has passed: a slow verifier must neither let the leases of the
# purchases still waiting in the chunk expire under it nor get the task killed mid-chunk.
# The first purchase is always asked, so a chunk of one behaves as a single task did.
LEASE_MARGIN_SHARE = 0.25
TIME_LIMIT_SHARE = 0.5


def rejection_reason(attempts: int) -> str:
    return f"The bank found no matching transaction after {attempts} attempts."


@dataclass
class ChunkResult:
    outcomes: dict[uuid.UUID, str] = field(default_factory=dict)
    errors: dict[uuid.UUID, Exception] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return dict(Counter(self.outcomes.values()))


def _verify_seconds(purchases: list[Purchase], now: dt.datetime) -> float:
    # Every purchase here holds a live claim (``claimed_until`` set and in the future).
    leases = [purchase.claimed_until for purchase in purchases if purchase.claimed_until is not None]
    lease_left = (min(leases) - now).total_seconds()
    return min(
        lease_left - settings.PURCHASE_CLAIM_SECONDS * LEASE_MARGIN_SHARE,
        settings.CELERY_TASK_SOFT_TIME_LIMIT * TIME_LIMIT_SHARE,
    )


def _ask_bank(purchases: list[Purchase], now: dt.datetime, result: ChunkResult) -> tuple[dict, list]:
    """Ask the verifier about each purchase, outside any transaction.

    Returns ``({purchase_id: matched}, [purchase ids not asked in time])``; a verifier
    error is recorded in ``result`` and the purchase is left alone.
    """
    verifier = verifier_get()
    seconds = _verify_seconds(purchases, now)
    started = monotonic()
    matched: dict[uuid.UUID, bool] = {}
    deferred: list[uuid.UUID] = []
    for index, purchase in enumerate(purchases):
        if index and monotonic() - started >= seconds:
            deferred.append(purchase.pk)
            continue
        try:
            matched[purchase.pk] = bool(verifier.verify(purchase))
        except Exception as exc:  # noqa: BLE001 - "could not ask": the attempt is not counted
            result.errors[purchase.pk] = exc
            result.outcomes[purchase.pk] = Outcome.FAILED
    return matched, deferred


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
    purchases = [by_id[purchase_id] for purchase_id in ids if purchase_id in by_id]  # in claim order
    matched, deferred = _ask_bank(purchases, now, result)
    if matched or deferred:
        with transaction.atomic():
            _relax_durability()
            _decide(by_id=by_id, matched=matched, deferred=deferred, token=token, now=now, result=result)
    return result


def _decide(
    *,
    by_id: dict[uuid.UUID, Purchase],
    matched: dict[uuid.UUID, bool],
    deferred: list[uuid.UUID],
    token: uuid.UUID,
    now: dt.datetime,
    result: ChunkResult,
) -> None:
    """Schedule the next attempts and release what was not asked, then confirm or reject
    through the purchase transitions (``purchases_decide``), all in the caller's transaction.

    The purchases only rescheduled are written first, so every purchase row is locked
    before any wallet row, as in every other transition.
    """
    confirm = [purchase_id for purchase_id, ok in matched.items() if ok]
    reject: dict[uuid.UUID, str] = {}
    retry: list[uuid.UUID] = []
    for purchase_id, ok in matched.items():
        if ok:
            continue
        attempts = by_id[purchase_id].verification_attempts + 1
        if attempts >= settings.PURCHASE_MAX_VERIFICATION_ATTEMPTS:
            reject[purchase_id] = rejection_reason(attempts)
        else:
            retry.append(purchase_id)
    still_ours = Purchase.objects.filter(status=PurchaseStatus.PENDING, claim_token=token)
    if retry:
        next_attempt_at = now + dt.timedelta(seconds=settings.PURCHASE_CONFIRMATION_INTERVAL_SECONDS)
        rescheduled = set(
            still_ours.filter(pk__in=retry).select_for_update().order_by("pk").values_list("pk", flat=True)
        )
        still_ours.filter(pk__in=rescheduled).update(
            claimed_until=None,
            claim_token=None,
            next_attempt_at=next_attempt_at,
            updated_at=timezone.now(),
            verification_attempts=F("verification_attempts") + 1,
        )
        result.outcomes.update(dict.fromkeys(rescheduled, Outcome.RETRY))
    if deferred:
        # Not asked in time: the claim is given back (as if its lease had expired) so the
        # next dispatcher run takes the purchase at once; no attempt is counted.
        released = set(
            still_ours.filter(pk__in=deferred).select_for_update().order_by("pk").values_list("pk", flat=True)
        )
        still_ours.filter(pk__in=released).update(claimed_until=None, claim_token=None)
        result.outcomes.update(dict.fromkeys(released, Outcome.DEFERRED))
    decided = purchases_decide(confirm=confirm, reject=reject, actor=SYSTEM, claim_token=token, count_attempt=True)
    result.outcomes.update(decided.outcomes)
    result.errors.update(decided.errors)


def purchase_verify_chunk(
    *, purchase_ids: Sequence[uuid.UUID | str], claim_token: uuid.UUID | str, now: dt.datetime | None = None
) -> dict[str, int]:
    """One verification attempt for each purchase of a claimed chunk; safe to run twice.

    Returns how many purchases had each ``Outcome``. A verifier error for one purchase
    is logged (one line per chunk); that purchase keeps its claim (retaken once it
    expires), the others go on.
    """
    result = _verify_chunk(purchase_ids=purchase_ids, claim_token=claim_token, now=now)
    if result.errors:
        purchase_id, error = next(iter(result.errors.items()))
        logger.warning(
            "Verification of %d purchase(s) failed (first: %s); they are retried once their claims expire.",
            len(result.errors),
            purchase_id,
            exc_info=(type(error), error, error.__traceback__),
        )
    return result.counts()


def purchase_verify(
    *, purchase_id: uuid.UUID | str, claim_token: uuid.UUID | str, now: dt.datetime | None = None
) -> str:
    """One verification attempt for one claimed purchase (a chunk of one); safe to run twice.

    A verifier error is raised after the attempt was left uncounted.
    """
    result = _verify_chunk(purchase_ids=[purchase_id], claim_token=claim_token, now=now)
    (outcome,) = result.outcomes.values()
    error = next(iter(result.errors.values()), None)
    if error is not None:
        raise error
    return outcome
