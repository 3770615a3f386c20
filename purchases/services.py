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

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from celery import current_app
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from clicknback.audit.services import Actor, audit_inserting, audit_record, audit_record_many, audit_row
from clicknback.errors import DomainError, Forbidden, NotFound
from clicknback.lookup import get_object_or_not_found, uuid_or_not_found
from clicknback.money import SUPPORTED_CURRENCIES, ZERO, format_amount
from clicknback.request_context import bound_request_id, get_request_id
from clicknback.rows import RowWriter, send_together
from purchases.cashback import cashback_for
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
from purchases.selectors import (
    cashback_earned_in_month,
    merchant_eligible,
    offer_terms_for_purchase,
    purchase_external_get,
)
from wallets.models import Bucket
from wallets.services import NegativeBalance, WalletBatch, wallet_lock, wallet_post, wallets_lock

logger = logging.getLogger(__name__)

SOURCE_TYPE = "purchase"
EXTERNAL_ID_CONSTRAINT = "purchases_purchase_external_id_key"


def _duplicate(existing: Purchase, caller_id: uuid.UUID) -> DuplicatePurchase:
    details = {
        "external_id": existing.external_id,
        "previously_created_at": existing.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "previously_processed_amount": format_amount(existing.amount),
    }
    if existing.user_id == caller_id:
        details["purchase_id"] = str(existing.pk)
    return DuplicatePurchase(f"A purchase with external_id {existing.external_id!r} already exists.", details=details)


def _is_external_id_violation(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    return constraint is None or constraint == EXTERNAL_ID_CONSTRAINT or "external_id" in constraint


def _duplicate_of(external_id: str, caller_id: uuid.UUID) -> DuplicatePurchase:
    """The 409 for an ``external_id`` whose insert hit the unique constraint."""
    existing = purchase_external_get(external_id=external_id)
    if existing is None:  # the other transaction rolled back after all
        return DuplicatePurchase(details={"external_id": external_id})
    return _duplicate(existing, caller_id)


def _refusal(
    *, caller_id: uuid.UUID, external_id: str, currency: str, supported: bool, merchant_id: uuid.UUID
) -> DomainError:
    """Why a purchase with no offer to credit is refused, in the contract's order (§6)."""
    existing = purchase_external_get(external_id=external_id)
    if existing is not None:
        return _duplicate(existing, caller_id)
    if not supported:
        return UnsupportedCurrency(f"Currency {currency!r} is not supported; use EUR.", details={"currency": currency})
    if merchant_eligible(merchant_id=merchant_id) is None:
        return MerchantNotEligible(details={"merchant_id": str(merchant_id)})
    return OfferNotAvailable(details={"merchant_id": str(merchant_id)})


# Every accepted purchase writes these two rows: statements built once (clicknback/rows.py).
_purchase_writer = RowWriter(Purchase)
_cashback_writer = RowWriter(CashbackTransaction)


def purchase_ingest(
    *,
    caller,
    external_id: str,
    user_id: uuid.UUID,
    merchant_id: uuid.UUID,
    amount: Decimal,
    currency: str,
) -> Purchase:
    """Record a purchase (pending) with its pending cashback.

    The errors follow the contract's order (403, 409 duplicate, currency, merchant,
    offer), but an accepted purchase pays for no check that cannot fail: the offer
    lookup (joined with its merchant: active, valid today) is the only read before the
    transaction, and ``UNIQUE(external_id)`` decides duplicates. Only when there is no
    offer to credit are the checks run one by one to name the right error; the
    duplicate check comes first there, so a duplicate still wins over every later error.
    """
    if user_id != caller.pk:
        raise Forbidden("A purchase can only be recorded for yourself.", reason="ownership")
    normalized_currency = currency.strip().upper()
    supported = normalized_currency in SUPPORTED_CURRENCIES
    now = timezone.now()
    on_date = now.astimezone(dt.UTC).date()
    offer = offer_terms_for_purchase(merchant_id=merchant_id, on_date=on_date) if supported else None
    if offer is None:
        raise _refusal(
            caller_id=caller.pk,
            external_id=external_id,
            currency=currency,
            supported=supported,
            merchant_id=merchant_id,
        )

    actor = Actor.of(caller)
    inserted = False
    try:
        # The insert is the transaction's first statement: when it hits the unique
        # constraint the whole transaction rolls back, so no savepoint is needed.
        with transaction.atomic():
            purchase = Purchase(
                external_id=external_id,
                user_id=user_id,
                merchant_id=offer.merchant_id,
                offer_id=offer.offer_id,
                amount=amount,
                currency=normalized_currency,
                status=PurchaseStatus.PENDING,
                next_attempt_at=now,
                ingest_request_id=get_request_id() or "",
            )
            _purchase_writer.insert([purchase])
            inserted = True
            wallet = wallet_lock(user_id=user_id)
            earned = cashback_earned_in_month(user_id=user_id, offer_id=offer.offer_id, moment=now)
            credited = cashback_for(
                amount=amount,
                cashback_type=offer.cashback_type,
                cashback_value=offer.cashback_value,
                monthly_cap=offer.monthly_cap,
                already_earned=earned,
            )
            cashback = CashbackTransaction(
                purchase=purchase,
                user_id=user_id,
                offer_id=offer.offer_id,
                amount=credited,
                currency=normalized_currency,
                status=CashbackStatus.PENDING,
            )
            postings = WalletBatch()
            postings.post(
                wallet=wallet,
                movements=[(Bucket.PENDING, credited)],
                reason="cashback_pending",
                source_type=SOURCE_TYPE,
                source_id=purchase.pk,
                actor=actor,
            )
            audit = audit_row(
                actor=actor,
                action="purchase.ingested",
                resource_type=SOURCE_TYPE,
                resource_id=purchase.pk,
                details={
                    "external_id": external_id,
                    "merchant_id": str(offer.merchant_id),
                    "offer_id": str(offer.offer_id),
                    "amount": format_amount(amount),
                    "cashback_amount": format_amount(credited),
                },
            )
            # The cashback, wallet, ledger and audit rows, sent as one statement.
            send_together(_cashback_writer.inserting([cashback]), *postings.writes(), audit_inserting([audit]))
            transaction.on_commit(notify_confirmation_job)
    except IntegrityError as exc:
        if inserted or not _is_external_id_violation(exc):
            raise
        # A concurrent duplicate waited on the unique index for the first transaction
        # and got here once it committed, so the first purchase is visible now.
        raise _duplicate_of(external_id, caller.pk) from None
    purchase.cashback = cashback
    return purchase


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


def _lock_purchase(purchase_id: uuid.UUID | str) -> Purchase:
    """Lock the purchase row (its cashback row is read in the same query); 404 when unknown."""
    locked = Purchase.objects.select_for_update(of=("self",)).select_related("cashback")
    return get_object_or_not_found(locked, "purchase", pk=purchase_id)


# Every transition out of pending clears the confirmation job's bookkeeping.
# (A purchase in the review queue leaves it too.)
_CLEARED_CLAIM = {"claimed_until": None, "claim_token": None, "next_attempt_at": None, "review_since": None}


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
        locked = Purchase.objects.select_for_update(of=("self",)).select_related("cashback").order_by("pk")
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
            amount = purchase.cashback.amount
            with bound_request_id(request_ids.get(purchase.pk)):  # the job's ledger rows
                try:
                    if purchase.pk in reject:
                        reason = reject[purchase.pk][:255]
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
                status=PurchaseStatus.REJECTED, rejection_reason=reason, **fields
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
            purchase.rejection_reason = reason
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


def purchase_reverse(*, purchase_id: uuid.UUID | str, actor: Actor, reason: str = "") -> Purchase:
    """pending|confirmed → reversed (admin).

    A confirmed purchase's cashback is taken from available; what available cannot
    cover becomes ``owed`` (a clawback), settled from later confirmed cashback.
    """
    with transaction.atomic():
        purchase = _lock_purchase(purchase_id)
        if purchase.status == PurchaseStatus.REVERSED:
            raise PurchaseAlreadyReversed(details={"current_status": purchase.status})
        if purchase.status == PurchaseStatus.REJECTED:
            raise PurchaseNotReversible(details={"current_status": purchase.status})
        previous = purchase.status
        cashback = purchase.cashback
        amount = cashback.amount
        wallet = wallet_lock(user_id=purchase.user_id)
        clawback = ZERO
        if previous == PurchaseStatus.PENDING:
            movements = [(Bucket.PENDING, -amount)]
        else:
            taken = min(wallet.available_balance, amount)
            clawback = amount - taken
            movements = [(Bucket.AVAILABLE, -taken), (Bucket.OWED, clawback)]
        wallet_post(
            wallet=wallet,
            movements=movements,
            reason="cashback_reversed",
            source_type=SOURCE_TYPE,
            source_id=purchase.pk,
            actor=actor,
        )
        purchase.status = PurchaseStatus.REVERSED
        for name, value in _CLEARED_CLAIM.items():
            setattr(purchase, name, value)
        purchase.save(update_fields=["status", *_CLEARED_CLAIM, "updated_at"])
        cashback.status = CashbackStatus.REVERSED
        cashback.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="purchase.reversed",
            resource_type=SOURCE_TYPE,
            resource_id=purchase.pk,
            details={
                "previous_status": previous,
                "cashback_amount": format_amount(amount),
                "clawback_owed": format_amount(clawback),
                "reason": reason,
            },
        )
        return purchase


def purchase_requeue(*, purchase_id: uuid.UUID | str, actor: Actor) -> Purchase:
    """Give a pending purchase back to the confirmation job (an operator, from the review queue).

    Its verifier errors are forgotten (the last one's text is kept for the record), it
    leaves the review queue and is due at once; attempts already used stay used.
    404; 409 PURCHASE_NOT_PENDING otherwise.
    """
    purchase_id = uuid_or_not_found(purchase_id, "purchase")
    with transaction.atomic():
        purchase = _lock_purchase(purchase_id)
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
