"""Payout writes: request (withdraw) and back-office processing.

Lock order, everywhere: the payout row first, then the wallet row (``wallet_lock``).
``payout_request`` only locks the wallet (the payout row it inserts is new, so no other
transaction can hold it), which keeps the order acyclic with ``payout_process`` and with
the purchase services (purchase row, then wallet row).
"""

import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clicknback.audit.models import ActorType
from clicknback.audit.services import Actor, audit_inserting, audit_record, audit_row
from clicknback.errors import ValidationFailed
from clicknback.lookup import get_object_or_not_found
from clicknback.money import ZERO, format_amount, quantize
from clicknback.outbox.services import events_inserting, events_record
from clicknback.rows import RowWriter, send_together
from payouts.destinations import destination_parse
from payouts.errors import InsufficientBalance, InvalidPayoutTransition, PayoutPolicyViolation
from payouts.events import payout_event
from payouts.idempotency import IdempotentRequest, idempotency_key_find, idempotency_key_lock
from payouts.models import IdempotencyKey, Payout, PayoutStatus
from payouts.policy import monthly_remaining, payout_min_amount, payout_monthly_limit, policy_violations
from wallets.models import Bucket
from wallets.services import WalletBatch, wallet_lock, wallet_post

SOURCE_TYPE = "payout"

# Which status a payout may move to from its current one; completed and failed are final.
# Which status a payout may move to from its current one (an operator's processing):
# a completed transfer can still bounce (returned); failed, cancelled and returned are final.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PayoutStatus.REQUESTED: (PayoutStatus.PROCESSING, PayoutStatus.COMPLETED, PayoutStatus.FAILED),
    PayoutStatus.PROCESSING: (PayoutStatus.COMPLETED, PayoutStatus.FAILED),
    PayoutStatus.COMPLETED: (PayoutStatus.RETURNED,),
    PayoutStatus.FAILED: (),
    PayoutStatus.CANCELLED: (),
    PayoutStatus.RETURNED: (),
}
# Payouts that gave the money back: they count toward no monthly limit.
NOT_COUNTED = (PayoutStatus.FAILED, PayoutStatus.CANCELLED, PayoutStatus.RETURNED)


# Every payout request writes these rows: the INSERTs are built once (clicknback/rows.py).
_payout_writer = RowWriter(Payout)
_key_writer = RowWriter(IdempotencyKey)


def _as_requested(payout: Payout) -> Payout:
    """The payout as it stood when it was requested: what an idempotent replay answers."""
    payout.status = PayoutStatus.REQUESTED
    payout.external_reference = ""
    payout.failure_reason = ""
    payout.processed_at = None
    payout.replayed = True
    return payout


def payout_request(
    *,
    user,
    amount: Decimal,
    method: str,
    details: object,
    actor: Actor | None = None,
    idempotency: IdempotentRequest | None = None,
) -> Payout:
    """Withdraw ``amount`` from the available balance: a ``requested`` payout.

    Checks, in order: the destination (422 VALIDATION_ERROR), the idempotency key when
    one is given (409 IDEMPOTENCY_KEY_IN_USE, 422 IDEMPOTENCY_KEY_REUSED, or the replay
    of the payout it made, with ``replayed`` set), the policy — minimum and what remains
    of the monthly limit — (422 PAYOUT_POLICY_VIOLATION), then the balance (409
    INSUFFICIENT_BALANCE). The policy and the balance are read under the wallet lock, so
    concurrent requests of one user are decided one after the other; the key's row is
    written in the same transaction as the payout (``payouts.idempotency``). The actor
    defaults to the user themself (API and wallet page).
    """
    actor = actor or Actor.of(user)
    user_id = user.pk
    destination = destination_parse(method=method, details=details)
    amount = quantize(amount)
    if amount <= ZERO:
        raise ValidationFailed("amount must be greater than 0.", field="amount", reason="Must be greater than 0.")
    minimum, limit = payout_min_amount(), payout_monthly_limit()
    with transaction.atomic():
        if idempotency is not None:
            idempotency_key_lock(user_id=user_id, key=idempotency.key)
            existing = idempotency_key_find(user_id=user_id, request=idempotency)
            if existing is not None:
                return _as_requested(existing.payout)
        wallet = wallet_lock(user_id=user_id)
        now = timezone.now()
        remaining = monthly_remaining(user_id=user_id, now=now, limit=limit)
        violations = policy_violations(amount=amount, minimum=minimum, limit=limit, remaining=remaining)
        if violations:
            raise PayoutPolicyViolation(
                violations[0]["reason"],
                details={
                    "violations": violations,
                    "min_amount": format_amount(minimum),
                    "monthly_limit": format_amount(limit),
                    "monthly_remaining": format_amount(remaining),
                },
            )
        if wallet.available_balance < amount:
            raise InsufficientBalance(
                f"The available balance {format_amount(wallet.available_balance)} does not cover "
                f"{format_amount(amount)}.",
                details={
                    "requested_amount": format_amount(amount),
                    "available_balance": format_amount(wallet.available_balance),
                },
            )
        payout = Payout(
            user_id=user_id,
            amount=amount,
            currency=wallet.currency,
            method=destination.method,
            status=PayoutStatus.REQUESTED,
            destination=destination.data,
            destination_masked=destination.masked,
        )
        postings = WalletBatch()
        postings.post(
            wallet=wallet,
            movements=[(Bucket.AVAILABLE, -amount)],
            reason="payout_requested",
            source_type=SOURCE_TYPE,
            source_id=payout.pk,
            actor=actor,
        )
        audit = audit_row(
            actor=actor,
            action="payout.requested",
            resource_type=SOURCE_TYPE,
            resource_id=payout.pk,
            details={
                "user_id": str(user_id),
                "amount": format_amount(amount),
                "currency": payout.currency,
                "method": payout.method,
                "destination": payout.destination_masked,
            },
        )
        writes = [_payout_writer.inserting([payout]), *postings.writes(), audit_inserting([audit])]
        writes.append(events_inserting([payout_event(payout)]))
        if idempotency is not None:
            key = IdempotencyKey(
                user_id=user_id, key=idempotency.key, request_hash=idempotency.request_hash, payout=payout
            )
            writes.append(_key_writer.inserting([key]))
        # The payout, wallet, ledger, audit, event (and key) rows, sent as one statement.
        send_together(*writes)
    return payout


def _refund(*, payout: Payout, wallet, reason: str, actor: Actor, from_paid: bool = False) -> None:
    """Give the payout's amount back: first to any owed clawback (as confirmed cashback
    does, so money owed to the platform is not withdrawn again), the rest to available;
    taken out of paid when the transfer had been completed."""
    refund = WalletBatch()
    refund.credit(
        wallet=wallet,
        amount=payout.amount,
        reason=reason,
        source_type=SOURCE_TYPE,
        source_id=payout.pk,
        actor=actor,
        taken_from=Bucket.PAID if from_paid else None,
    )
    refund.write()


def payout_process(
    *,
    payout_id: uuid.UUID | str,
    status: str,
    actor: Actor,
    external_reference: str = "",
    failure_reason: str = "",
) -> Payout:
    """Move a payout along requested → processing → completed | failed (the one door).

    ``completed``: paid += amount (available was already debited at request time).
    ``failed``: the amount is refunded — first to any owed clawback, the rest to
    available. ``returned`` (a completed transfer that bounced; ``failure_reason``
    required): paid −= amount, refunded as a failure is. Anything not in
    ``ALLOWED_TRANSITIONS`` → 409 INVALID_PAYOUT_TRANSITION and nothing changes, so a
    payout completes or fails exactly once even when two admins race.
    """
    external_reference = (external_reference or "").strip()
    failure_reason = (failure_reason or "").strip()
    with transaction.atomic():
        payout = get_object_or_not_found(Payout.objects.select_for_update(), "payout", pk=payout_id)
        allowed = ALLOWED_TRANSITIONS.get(payout.status, ())
        if status not in allowed:
            raise InvalidPayoutTransition(
                f"A {payout.status} payout cannot become {status}.",
                details={"current_status": payout.status, "allowed": list(allowed)},
            )
        wallet = wallet_lock(user_id=payout.user_id)
        now = timezone.now()
        if status == PayoutStatus.COMPLETED:
            wallet_post(
                wallet=wallet,
                movements=[(Bucket.PAID, payout.amount)],
                reason="payout_completed",
                source_type=SOURCE_TYPE,
                source_id=payout.pk,
                actor=actor,
            )
            payout.processed_at = now
        elif status in (PayoutStatus.FAILED, PayoutStatus.RETURNED):
            if status == PayoutStatus.RETURNED and not failure_reason:
                raise ValidationFailed(
                    "A returned payout needs the reason the transfer bounced.",
                    field="failure_reason",
                    reason="Required when the status is returned.",
                )
            _refund(
                payout=payout, wallet=wallet, reason=f"payout_{status}", actor=actor, from_paid=status == "returned"
            )
            payout.processed_at = now
            payout.failure_reason = failure_reason
        previous = payout.status
        payout.status = status
        if external_reference:
            payout.external_reference = external_reference
        payout.save(update_fields=["status", "external_reference", "failure_reason", "processed_at", "updated_at"])
        details = {"from_status": previous, "to_status": status, "amount": format_amount(payout.amount)}
        if external_reference:
            details["external_reference"] = external_reference
        if status in (PayoutStatus.FAILED, PayoutStatus.RETURNED) and failure_reason:
            details["failure_reason"] = failure_reason
        audit_record(
            actor=actor,
            action=f"payout.{status}",
            resource_type=SOURCE_TYPE,
            resource_id=payout.pk,
            details=details,
        )
        events_record([payout_event(payout)])
    return payout


def payout_cancel(*, payout_id: uuid.UUID | str, user_id: uuid.UUID) -> Payout:
    """The owner cancels a requested payout: requested → cancelled, the amount refunded
    (owed first, as a failure is). 404 for another user's payout; 409
    ``INVALID_PAYOUT_TRANSITION`` once it is processing or later."""
    with transaction.atomic():
        payout = get_object_or_not_found(
            Payout.objects.select_for_update().filter(user_id=user_id), "payout", pk=payout_id
        )
        if payout.status != PayoutStatus.REQUESTED:
            raise InvalidPayoutTransition(
                f"A {payout.status} payout can no longer be cancelled.",
                details={"current_status": payout.status, "allowed": []},
            )
        actor = Actor(ActorType.USER, user_id)
        wallet = wallet_lock(user_id=payout.user_id)
        _refund(payout=payout, wallet=wallet, reason="payout_cancelled", actor=actor)
        payout.status = PayoutStatus.CANCELLED
        payout.processed_at = timezone.now()
        payout.save(update_fields=["status", "processed_at", "updated_at"])
        audit_record(
            actor=actor,
            action="payout.cancelled",
            resource_type=SOURCE_TYPE,
            resource_id=payout.pk,
            details={"from_status": PayoutStatus.REQUESTED, "amount": format_amount(payout.amount)},
        )
        events_record([payout_event(payout)])
    return payout
