"""Taking cashback back (contract §6 and §13): reversals and returns.

* ``purchase_reverse``: pending|confirmed → reversed (an operator, or a return of
  everything left). Pending cashback leaves pending; available cashback leaves
  available, and what available cannot cover becomes ``owed`` (a clawback settled from
  later confirmed cashback).
* ``purchase_return``: a partner's return. One of everything left (or with no amount)
  is a reversal; a partial one keeps the status, adds to ``returned_amount`` and takes
  back cashback in proportion: round_half_even(credited × returned ÷ purchase amount),
  never more than is left, and the return that brings ``returned_amount`` to the
  purchase amount takes exactly what is left. So the cashback taken back never adds
  up to more than was credited.

Both lock the purchase row, then the wallet (the order of every purchase transition),
and write the ledger and audit rows in the same transaction. ``return_id`` is unique per
purchase (a constraint): a return sent again finds its row under the purchase lock and
moves nothing.
"""

import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clicknback.audit.services import Actor, audit_record
from clicknback.lookup import get_object_or_not_found
from clicknback.money import ZERO, format_amount, quantize
from clicknback.outbox.services import events_record
from purchases.errors import PurchaseAlreadyReversed, PurchaseNotReversible, ReturnExceedsPurchase
from purchases.events import purchase_events
from purchases.models import CashbackStatus, Purchase, PurchaseReturn, PurchaseStatus
from wallets.models import Bucket, Wallet
from wallets.services import wallet_lock, wallet_post

SOURCE_TYPE = "purchase"
# Every transition out of pending clears the confirmation job's bookkeeping (and the
# review queue).
CLEARED_CLAIM = {"claimed_until": None, "claim_token": None, "next_attempt_at": None, "review_since": None}


def lock_purchase(purchase_id: uuid.UUID | str, *, partner_id: uuid.UUID | None = None) -> Purchase:
    """Lock the purchase row and its cashback row; 404 when unknown (or, with ``partner_id``,
    not that partner's).

    Both rows are locked (``FOR UPDATE OF`` both, an inner join): when the lock had to be
    waited for, PostgreSQL re-reads the locked rows as the other transaction left them,
    but would hand back a joined row it does not lock as it was before the wait, so a
    return committed meanwhile would be missing from the cashback's ``returned_amount``.
    """
    locked = (
        Purchase.objects.select_for_update(of=("self", "cashback"))
        .select_related("cashback", "merchant")
        .filter(cashback__isnull=False)
    )
    if partner_id is not None:
        locked = locked.filter(partner_id=partner_id)
    return get_object_or_not_found(locked, "purchase", pk=purchase_id)


def _take_back(*, purchase: Purchase, wallet: Wallet, amount: Decimal, reason: str, actor: Actor) -> Decimal:
    """Take ``amount`` of the purchase's cashback out of the wallet; returns what became owed."""
    if purchase.status == PurchaseStatus.PENDING:
        movements = [(Bucket.PENDING, -amount)]
        owed = ZERO
    else:
        taken = min(wallet.available_balance, amount)
        owed = amount - taken
        movements = [(Bucket.AVAILABLE, -taken), (Bucket.OWED, owed)]
    wallet_post(
        wallet=wallet,
        movements=movements,
        reason=reason,
        source_type=SOURCE_TYPE,
        source_id=purchase.pk,
        actor=actor,
    )
    return owed


def _reverse_locked(*, purchase: Purchase, actor: Actor, reason: str, action: str, extra: dict) -> Purchase:
    if purchase.status == PurchaseStatus.REVERSED:
        raise PurchaseAlreadyReversed(details={"current_status": purchase.status})
    if purchase.status == PurchaseStatus.REJECTED:
        raise PurchaseNotReversible(details={"current_status": purchase.status})
    previous = purchase.status
    cashback = purchase.cashback
    amount = cashback.remaining
    wallet = wallet_lock(user_id=purchase.user_id)
    owed = _take_back(purchase=purchase, wallet=wallet, amount=amount, reason="cashback_reversed", actor=actor)
    now = timezone.now()
    fields = {"status": PurchaseStatus.REVERSED, "status_reason": reason[:500], "updated_at": now, **CLEARED_CLAIM}
    fields.update(extra)
    Purchase.objects.filter(pk=purchase.pk).update(**fields)
    type(cashback).objects.filter(pk=cashback.pk).update(status=CashbackStatus.REVERSED, updated_at=now)
    for name, value in fields.items():
        setattr(purchase, name, value)
    cashback.status = CashbackStatus.REVERSED
    cashback.updated_at = now
    audit_record(
        actor=actor,
        action=action,
        resource_type=SOURCE_TYPE,
        resource_id=purchase.pk,
        details={
            "previous_status": previous,
            "cashback_amount": format_amount(amount),
            "clawback_owed": format_amount(owed),
            "reason": reason,
            **{key: format_amount(value) for key, value in extra.items()},
        },
    )
    events_record(purchase_events("purchase.reversed", [purchase]))
    return purchase


def purchase_reverse(*, purchase_id: uuid.UUID | str, actor: Actor, reason: str = "") -> Purchase:
    """pending|confirmed → reversed, with ``reason`` stored as ``status_reason``.

    404; 409 ``PURCHASE_ALREADY_REVERSED``; 409 ``PURCHASE_NOT_REVERSIBLE`` for a rejected one.
    """
    with transaction.atomic():
        purchase = lock_purchase(purchase_id)
        return _reverse_locked(purchase=purchase, actor=actor, reason=reason, action="purchase.reversed", extra={})


def cashback_for_return(
    *, credited: Decimal, already_taken: Decimal, purchase_amount: Decimal, returned: Decimal
) -> Decimal:
    """Cashback a partial return of ``returned`` takes back: the proportional share of what was
    credited, rounded half-even to cents, never more than is left of it."""
    share = quantize(credited * returned / purchase_amount)
    return min(share, credited - already_taken)


def purchase_return(
    *,
    purchase_id: uuid.UUID | str,
    return_id: str,
    amount: Decimal | None,
    reason: str,
    actor: Actor,
    partner_id: uuid.UUID | None = None,
) -> tuple[Purchase, bool]:
    """A return of ``amount`` of the purchase (everything left when None); returns the
    purchase and whether this call moved anything (False for a ``return_id`` seen before).

    404 (not this partner's, with ``partner_id``); a known ``return_id`` answers as
    before and moves nothing; 409 ``PURCHASE_NOT_REVERSIBLE`` for a rejected or reversed
    purchase; 422 ``RETURN_EXCEEDS_PURCHASE`` for more than is left.
    """
    with transaction.atomic():
        purchase = lock_purchase(purchase_id, partner_id=partner_id)
        if PurchaseReturn.objects.filter(purchase=purchase, return_id=return_id).exists():
            return purchase, False
        if purchase.status in (PurchaseStatus.REJECTED, PurchaseStatus.REVERSED):
            raise PurchaseNotReversible(
                f"The purchase is {purchase.status}: nothing is left to return.",
                details={"current_status": purchase.status},
            )
        left = purchase.amount - purchase.returned_amount
        if amount is not None and amount > left:
            raise ReturnExceedsPurchase(
                f"Only {format_amount(left)} of the purchase is left to return.",
                details={"requested_amount": format_amount(amount), "returnable_amount": format_amount(left)},
            )
        cashback = purchase.cashback
        if amount is None or amount == left:
            taken = cashback.remaining
            PurchaseReturn.objects.create(
                purchase=purchase,
                return_id=return_id,
                amount=left,
                currency=purchase.currency,
                cashback_taken=taken,
                full=True,
                reason=reason,
            )
            purchase = _reverse_locked(
                purchase=purchase,
                actor=actor,
                reason=reason,
                action="purchase.returned",
                extra={"returned_amount": purchase.amount},
            )
            return purchase, True
        taken = cashback_for_return(
            credited=cashback.amount,
            already_taken=cashback.returned_amount,
            purchase_amount=purchase.amount,
            returned=amount,
        )
        wallet = wallet_lock(user_id=purchase.user_id)
        owed = _take_back(purchase=purchase, wallet=wallet, amount=taken, reason="cashback_returned", actor=actor)
        PurchaseReturn.objects.create(
            purchase=purchase,
            return_id=return_id,
            amount=amount,
            currency=purchase.currency,
            cashback_taken=taken,
            reason=reason,
        )
        now = timezone.now()
        purchase.returned_amount += amount
        purchase.status_reason = reason[:500]
        purchase.updated_at = now
        Purchase.objects.filter(pk=purchase.pk).update(
            returned_amount=purchase.returned_amount, status_reason=purchase.status_reason, updated_at=now
        )
        cashback.returned_amount += taken
        cashback.updated_at = now
        type(cashback).objects.filter(pk=cashback.pk).update(returned_amount=cashback.returned_amount, updated_at=now)
        audit_record(
            actor=actor,
            action="purchase.returned",
            resource_type=SOURCE_TYPE,
            resource_id=purchase.pk,
            details={
                "return_id": return_id,
                "amount": format_amount(amount),
                "returned_amount": format_amount(purchase.returned_amount),
                "cashback_taken": format_amount(taken),
                "clawback_owed": format_amount(owed),
                "reason": reason,
            },
        )
        events_record(purchase_events("purchase.returned", [purchase]))
        return purchase, True
