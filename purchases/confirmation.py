"""The confirmation job (API contract §7): claim due purchases, verify each one.

* ``purchase_claim_due`` (run by the dispatcher task every beat) claims a batch of
  pending purchases that are due (``next_attempt_at`` passed) and not in flight (no
  live claim), with ``SELECT ... FOR UPDATE SKIP LOCKED``: two dispatchers running at
  once take disjoint batches. A claim is a lease (``claimed_until``) with a token;
  the purchase stays ``pending``, so a worker killed mid-task loses nothing: the claim
  expires and the next dispatcher takes the purchase again with a new token.
* ``purchase_verify`` (one task per purchase) asks the bank verifier outside any
  transaction, then locks the purchase, checks it is still pending and still carries
  its claim token, and confirms, schedules the next attempt, or rejects after the last.
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from clicknback.audit.services import SYSTEM
from clicknback.flags.services import flag_evaluate
from purchases.models import Purchase, PurchaseStatus
from purchases.selectors import JOB_FLAG, auto_confirm_scopes
from purchases.services import apply_confirm, apply_reject
from purchases.verifier import verifier_get


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
    transaction (status, wallet, ledger, audit) is lost together, the purchase is still
    pending with its claim, and it is verified again once the claim expires. The API's
    own writes keep the default, fully durable commit.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


class Outcome:
    SKIPPED = "skipped"
    CONFIRMED = "confirmed"
    RETRY = "retry"
    REJECTED = "rejected"


def purchase_verify(
    *, purchase_id: uuid.UUID | str, claim_token: uuid.UUID | str, now: dt.datetime | None = None
) -> str:
    """One verification attempt for a claimed purchase; safe to run twice."""
    now = now or timezone.now()
    token = uuid.UUID(str(claim_token))
    purchase = Purchase.objects.filter(pk=purchase_id).first()
    if (
        purchase is None
        or purchase.status != PurchaseStatus.PENDING
        or purchase.claim_token != token
        or purchase.claimed_until is None
        or purchase.claimed_until <= now
    ):
        return Outcome.SKIPPED
    matched = verifier_get().verify(purchase)
    with transaction.atomic():
        _relax_durability()
        purchase = (
            Purchase.objects.select_for_update(of=("self",)).select_related("cashback").filter(pk=purchase_id).first()
        )
        if purchase is None or purchase.status != PurchaseStatus.PENDING or purchase.claim_token != token:
            return Outcome.SKIPPED
        purchase.verification_attempts += 1
        attempts = purchase.verification_attempts
        if matched:
            apply_confirm(purchase, actor=SYSTEM, extra_fields=("verification_attempts",))
            return Outcome.CONFIRMED
        if attempts >= settings.PURCHASE_MAX_VERIFICATION_ATTEMPTS:
            reason = f"The bank found no matching transaction after {attempts} attempts."
            apply_reject(purchase, reason=reason, actor=SYSTEM, extra_fields=("verification_attempts",))
            return Outcome.REJECTED
        purchase.claimed_until = None
        purchase.claim_token = None
        purchase.next_attempt_at = now + dt.timedelta(seconds=settings.PURCHASE_CONFIRMATION_INTERVAL_SECONDS)
        purchase.save(
            update_fields=["verification_attempts", "claimed_until", "claim_token", "next_attempt_at", "updated_at"]
        )
        return Outcome.RETRY
