"""Purchase state machine (API contract §6): ingest, confirm, reject, reverse.

Every transition is one ``transaction.atomic()`` that locks, re-reads and then decides:

* Lock order, everywhere: the purchase row first (``select_for_update`` on an existing
  purchase, or the unique ``external_id`` index entry of the purchase being inserted),
  then the user's wallet row (``wallets.services.wallet_lock``). Payouts lock
  payout → wallet, so no two transactions ever wait on each other in opposite orders.
* The monthly cap is read after the wallet lock is taken, so two ingestions for one user
  are serialised on that lock and can never credit more than the cap together.
* ``UNIQUE(external_id)`` is the idempotency guarantee: the purchase insert is the first
  statement of the ingestion's transaction; a concurrent duplicate waits for the first
  transaction, then gets an ``IntegrityError`` that rolls its whole transaction back and
  is turned into ``DuplicatePurchase`` (409), never a 500.
* Ledger rows (through ``wallet_post``) and the audit row are written in the same
  transaction as the state change; the confirmation job is notified after commit (at
  most once a second per process, see ``notify_confirmation_job``).
"""

import logging
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from celery import current_app
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clicknback.audit.services import Actor, audit_record, audit_record_many
from clicknback.errors import NotFound
from clicknback.lookup import uuid_or_not_found
from clicknback.money import format_amount
from clicknback.outbox.services import events_record
from clicknback.request_context import bound_request_id
from purchases.errors import (
    PurchaseNotPending,
)
from purchases.events import purchase_events
from purchases.ingestion import Ingested, Outcome, PurchaseReport, Reporter, purchases_ingest
from purchases.models import CashbackStatus, CashbackTransaction, Purchase, PurchaseStatus
from purchases.reversal import CLEARED_CLAIM as _CLEARED_CLAIM
from purchases.reversal import lock_purchase
from wallets.models import Bucket
from wallets.services import NegativeBalance, WalletBatch, wallets_lock

logger = logging.getLogger(__name__)

SOURCE_TYPE = "purchase"
EXTERNAL_ID_CONSTRAINT = "purchases_purchase_external_id_key"


def purchase_ingest(
    *,
    caller,
    external_id: str,
    user_id: uuid.UUID,
    merchant_id: uuid.UUID,
    amount: Decimal,
    currency: str,
) -> Purchase:
    """Record a user's own purchase (pending) with its pending cashback (§6); the errors
    in the contract's order (403, 409 duplicate, currency, merchant, offer).

    A report of one, through ``purchases.ingestion.purchases_ingest``; ``purchased_at``
    is now.
    """
    report = PurchaseReport(
        external_id=external_id, user_id=user_id, merchant_id=merchant_id, amount=amount, currency=currency
    )
    (result,) = purchases_ingest(reports=[report], reporter=Reporter.user(caller))
    return ingested_or_raise(result)


def ingested_or_raise(result: Ingested) -> Purchase:
    """The purchase a single report created, or the error it got."""
    if result.outcome != Outcome.CREATED:
        assert result.error is not None
        raise result.error
    assert result.purchase is not None
    return result.purchase


# The dispatcher is asked to run at most once per window per process: the first purchase
# committed in a window publishes one dispatch due at the window's end (``countdown``),
# which claims every purchase committed in the window. So no committed purchase waits
# for the dispatcher longer than the window, and a busy process publishes one message a
# second instead of one per purchase.
NOTIFY_WINDOW_SECONDS = 1.0
DISPATCH_TASK = "purchases.tasks.dispatch_purchase_confirmations"
# After a failed notification, skip notifying for a while: while the broker is down each
# request would otherwise wait for its own connection timeout. The beat catches up.
NOTIFY_BACKOFF_SECONDS = 30.0
_notify_lock = threading.Lock()
_notify_paused_until = 0.0
_notify_covered_until = 0.0


def _publish_dispatch(**options) -> None:
    """Queue the dispatcher task, named rather than imported: the job's tasks call these services."""
    current_app.signature(DISPATCH_TASK).apply_async(**options)


def notify_confirmation_job() -> None:
    """Ask the dispatcher to run within the window; a broker outage only delays it to the next beat."""
    global _notify_paused_until, _notify_covered_until
    now = time.monotonic()
    with _notify_lock:
        if now < _notify_paused_until or now < _notify_covered_until:
            return
        _notify_covered_until = now + NOTIFY_WINDOW_SECONDS
    try:
        _publish_dispatch(countdown=NOTIFY_WINDOW_SECONDS, retry=False)
    except Exception:  # noqa: BLE001 - the purchase is committed; the beat will pick it up
        with _notify_lock:
            _notify_paused_until = time.monotonic() + NOTIFY_BACKOFF_SECONDS
            _notify_covered_until = 0.0
        logger.warning("Could not notify the confirmation job; the next beat will.", exc_info=True)


def _not_pending(purchase: Purchase) -> PurchaseNotPending:
    return PurchaseNotPending(
        f"The purchase is {purchase.status}, not pending.", details={"current_status": purchase.status}
    )


# Every transition out of pending clears the confirmation job's bookkeeping (and the
# review queue): one definition, with the purchase lock, in purchases.reversal.


class Decision:
    """What ``purchases_decide`` did with one purchase."""

    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    SKIPPED = "skipped"  # gone, no longer pending, or no longer carrying the claim
    FAILED = "failed"  # the wallet refused the posting (a bug elsewhere): nothing changed


@dataclass
class Decided:
    outcomes: dict[uuid.UUID, str] = field(default_factory=dict)
    errors: dict[uuid.UUID, Exception] = field(default_factory=dict)
    purchases: dict[uuid.UUID, Purchase] = field(default_factory=dict)


def purchases_decide(
    *,
    confirm: Sequence[uuid.UUID] = (),
    reject: Mapping[uuid.UUID, str] | None = None,
    actor: Actor,
    claim_token: uuid.UUID | None = None,
    count_attempt: bool = False,
    strict: bool = False,
    request_ids: Mapping[uuid.UUID, str] | None = None,
) -> Decided:
    """pending → confirmed for ``confirm``, pending → rejected (with its reason) for ``reject``.

    The one implementation of both transitions, for one purchase (an admin, a partner)
    or many (the confirmation job). In one transaction: the purchases are locked (by id),
    re-read and checked (pending, and still carrying ``claim_token`` when one is given),
    then their users' wallets (by id), then each is decided in the order given — so an
    owed balance is settled by the earliest confirmations first. Confirmed cashback
    moves from pending to available, settling owed first (``WalletBatch.credit``);
    rejected cashback leaves pending. ``count_attempt`` adds the job's verification
    attempt. With ``strict`` an unknown purchase is ``NotFound`` and one that is not
    pending is ``PurchaseNotPending``; otherwise they are skipped.
    """
    reject = dict(reject or {})
    request_ids = request_ids or {}
    wanted = list(dict.fromkeys([*confirm, *reject]))
    result = Decided(outcomes=dict.fromkeys(wanted, Decision.SKIPPED))
    if not wanted:
        return result
    with transaction.atomic():
        # The cashback rows are locked too: a locked row waited for is re-read as the other
        # transaction left it, a joined row that is not locked is not (purchases.reversal._lock).
        # The merchant is read along, not locked: the events carry its name.
        locked = (
            Purchase.objects.select_for_update(of=("self", "cashback"))
            .select_related("cashback", "merchant")
            .filter(cashback__isnull=False)
            .order_by("pk")
        )
        try:
            by_id = {purchase.pk: purchase for purchase in locked.filter(pk__in=wanted)}
        except (ValueError, DjangoValidationError):
            by_id = {}
        if strict:
            for purchase_id in wanted:
                if purchase_id not in by_id:
                    raise NotFound("purchase", purchase_id)
                if by_id[purchase_id].status != PurchaseStatus.PENDING:
                    raise _not_pending(by_id[purchase_id])
        live = [
            by_id[purchase_id]
            for purchase_id in wanted
            if purchase_id in by_id
            and by_id[purchase_id].status == PurchaseStatus.PENDING
            and (claim_token is None or by_id[purchase_id].claim_token == claim_token)
        ]
        if not live:
            return result
        wallets = wallets_lock(user_ids={purchase.user_id for purchase in live})
        batch = WalletBatch()
        confirmed: list[Purchase] = []
        rejected: dict[str, list[Purchase]] = {}
        audit: list[tuple[str, uuid.UUID, dict]] = []
        for purchase in live:
            wallet = wallets[purchase.user_id]
            amount = purchase.cashback.remaining
            with bound_request_id(request_ids.get(purchase.pk)):  # the job's ledger rows
                try:
                    if purchase.pk in reject:
                        reason = reject[purchase.pk][:500]
                        batch.post(
                            wallet=wallet,
                            movements=[(Bucket.PENDING, -amount)],
                            reason="cashback_rejected",
                            source_type=SOURCE_TYPE,
                            source_id=purchase.pk,
                            actor=actor,
                        )
                        rejected.setdefault(reason, []).append(purchase)
                        audit.append(
                            (
                                "purchase.rejected",
                                purchase.pk,
                                {"reason": reason, "cashback_amount": format_amount(amount)},
                            )
                        )
                        result.outcomes[purchase.pk] = Decision.REJECTED
                    else:
                        settled = batch.credit(
                            wallet=wallet,
                            amount=amount,
                            taken_from=Bucket.PENDING,
                            reason="cashback_confirmed",
                            source_type=SOURCE_TYPE,
                            source_id=purchase.pk,
                            actor=actor,
                        )
                        confirmed.append(purchase)
                        audit.append(
                            (
                                "purchase.confirmed",
                                purchase.pk,
                                {"cashback_amount": format_amount(amount), "owed_settled": format_amount(settled)},
                            )
                        )
                        result.outcomes[purchase.pk] = Decision.CONFIRMED
                except NegativeBalance as exc:  # a bug elsewhere: this purchase waits, the others go on
                    if strict:
                        raise
                    result.errors[purchase.pk] = exc
                    result.outcomes[purchase.pk] = Decision.FAILED
        changed = timezone.now()
        fields: dict[str, object] = {**_CLEARED_CLAIM, "updated_at": changed}
        if count_attempt:
            fields["verification_attempts"] = F("verification_attempts") + 1
        if confirmed:
            Purchase.objects.filter(pk__in=[p.pk for p in confirmed]).update(status=PurchaseStatus.CONFIRMED, **fields)
            CashbackTransaction.objects.filter(purchase_id__in=[p.pk for p in confirmed]).update(
                status=CashbackStatus.AVAILABLE, updated_at=changed
            )
        for reason, purchases in rejected.items():
            Purchase.objects.filter(pk__in=[p.pk for p in purchases]).update(
                status=PurchaseStatus.REJECTED, status_reason=reason, **fields
            )
        if rejected:
            CashbackTransaction.objects.filter(
                purchase_id__in=[p.pk for purchases in rejected.values() for p in purchases]
            ).update(status=CashbackStatus.REVERSED, updated_at=changed)
        batch.write()
        audit_record_many(actor=actor, resource_type=SOURCE_TYPE, records=audit, request_ids=request_ids)
        for purchase in confirmed:
            _settled_in_memory(purchase, PurchaseStatus.CONFIRMED, CashbackStatus.AVAILABLE, changed)
        for reason, purchases in rejected.items():
            for purchase in purchases:
                _settled_in_memory(purchase, PurchaseStatus.REJECTED, CashbackStatus.REVERSED, changed)
                purchase.status_reason = reason
        events_record(
            purchase_events("purchase.confirmed", confirmed)
            + purchase_events("purchase.rejected", [p for purchases in rejected.values() for p in purchases])
        )
    result.purchases = {purchase.pk: purchase for purchase in live}
    return result


def _settled_in_memory(purchase: Purchase, status: str, cashback_status: str, changed) -> None:
    """Reflect the stored transition on the instance returned to the caller."""
    purchase.status = status
    purchase.updated_at = changed
    for name, value in _CLEARED_CLAIM.items():
        setattr(purchase, name, value)
    purchase.cashback.status = cashback_status
    purchase.cashback.updated_at = changed


def purchase_confirm(*, purchase_id: uuid.UUID | str, actor: Actor) -> Purchase:
    """pending → confirmed (admin, partner approval). 404; 409 PURCHASE_NOT_PENDING otherwise."""
    purchase_id = uuid_or_not_found(purchase_id, "purchase")
    return purchases_decide(confirm=[purchase_id], actor=actor, strict=True).purchases[purchase_id]


def purchase_reject(*, purchase_id: uuid.UUID | str, reason: str, actor: Actor) -> Purchase:
    """pending → rejected with ``reason``. 404; 409 PURCHASE_NOT_PENDING otherwise."""
    purchase_id = uuid_or_not_found(purchase_id, "purchase")
    return purchases_decide(reject={purchase_id: reason}, actor=actor, strict=True).purchases[purchase_id]


# Reversal and returns take cashback back: purchases/reversal.py (re-exported here).
from purchases.reversal import purchase_return, purchase_reverse  # noqa: E402

__all__ = [
    "Decided",
    "Decision",
    "ingested_or_raise",
    "notify_confirmation_job",
    "purchase_confirm",
    "purchase_ingest",
    "purchase_reject",
    "purchase_requeue",
    "purchase_return",
    "purchase_reverse",
    "purchases_decide",
]


def purchase_requeue(*, purchase_id: uuid.UUID | str, actor: Actor) -> Purchase:
    """Give a pending purchase back to the confirmation job (an operator, from the review queue).

    Its verifier errors are forgotten (the last one's text is kept for the record), it
    leaves the review queue and is due at once; attempts already used stay used.
    404; 409 PURCHASE_NOT_PENDING otherwise.
    """
    purchase_id = uuid_or_not_found(purchase_id, "purchase")
    with transaction.atomic():
        purchase = lock_purchase(purchase_id)
        if purchase.status != PurchaseStatus.PENDING:
            raise _not_pending(purchase)
        errors, was_in_review = purchase.verification_errors, purchase.review_since is not None
        purchase.verification_errors = 0
        purchase.review_since = None
        purchase.claimed_until = purchase.claim_token = None
        purchase.next_attempt_at = timezone.now()
        purchase.save(
            update_fields=[
                "verification_errors",
                "review_since",
                "claimed_until",
                "claim_token",
                "next_attempt_at",
                "updated_at",
            ]
        )
        audit_record(
            actor=actor,
            action="purchase.requeued",
            resource_type=SOURCE_TYPE,
            resource_id=purchase.pk,
            details={"verification_errors": errors, "was_in_review": was_in_review},
        )
    transaction.on_commit(notify_confirmation_job)
    return purchase
