"""``Idempotency-Key`` for payout requests (contract §9).

The key belongs to the payout it protects: ``payout_request`` writes the key's row (user,
key, request hash, payout) in the payout's own transaction, so a crash, a refused
request or a rollback leaves both or neither. How a request with a key runs, inside
that transaction:

1. ``idempotency_key_lock`` takes a transaction-scoped PostgreSQL advisory lock on
   (user, key) without waiting: when another request holds it, the first is still in
   flight → 409 IDEMPOTENCY_KEY_IN_USE. The lock ends with the transaction, whatever
   happens to the process.
2. ``idempotency_key_find`` reads the stored row: another body → 422
   IDEMPOTENCY_KEY_REUSED; the same body → the payout it made, replayed as it stood
   when requested; an expired row (older than ``IDEMPOTENCY_KEY_TTL_HOURS``) counts as
   absent and is deleted.
3. Otherwise the payout is requested and the row is written with it.

A refused request (policy, balance, validation) stores nothing, so the client may retry
it with the same key, e.g. after its balance grew; only a payout that exists is ever
replayed. ``UNIQUE(user, key)`` backs the advisory lock.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from clicknback.errors import ValidationFailed
from clicknback.text import text_problem
from payouts.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from payouts.models import IdempotencyKey

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class IdempotentRequest:
    """A client's key and the hash of the request it came with."""

    key: str
    request_hash: str


def idempotency_key_validate(raw: str | None) -> str | None:
    """The header value exactly as sent, or None when absent.

    422 when empty, longer than 255 characters, or carrying control characters or
    whitespace at either end (so ``" k "`` can never be mistaken for ``"k"``).
    """
    if raw is None:
        return None
    if not raw or len(raw) > MAX_KEY_LENGTH:
        reason = f"Must be 1 to {MAX_KEY_LENGTH} characters."
        raise ValidationFailed(f"Idempotency-Key: {reason}", field="Idempotency-Key", reason=reason)
    problem = text_problem(raw)
    if problem is not None:
        raise ValidationFailed(f"Idempotency-Key: {problem}", field="Idempotency-Key", reason=problem)
    return raw


def request_hash(body: object) -> str:
    """SHA-256 of the body as canonical JSON (sorted keys; decimals as written)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def idempotency_key_lock(*, user_id: uuid.UUID, key: str) -> None:
    """Hold (user, key) until the end of the transaction; 409 IN_USE when a request holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", [f"payout:{user_id}:{key}"])
        (locked,) = cursor.fetchone()
    if not locked:
        raise IdempotencyKeyInUse(details={"idempotency_key": key})


def idempotency_key_find(*, user_id: uuid.UUID, request: IdempotentRequest) -> IdempotencyKey | None:
    """The live row of this key (locked by ``idempotency_key_lock``), or None.

    422 IDEMPOTENCY_KEY_REUSED when it was used with another body. An expired row is
    deleted and counts as absent.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("idempotency_key_find must be called inside transaction.atomic().")
    existing = IdempotencyKey.objects.select_related("payout").filter(user_id=user_id, key=request.key).first()
    if existing is None:
        return None
    if existing.created_at < idempotency_cutoff():
        existing.delete()
        return None
    if existing.request_hash != request.request_hash:
        raise IdempotencyKeyReused(details={"idempotency_key": request.key})
    return existing


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete keys older than the TTL; returns how many."""
    with transaction.atomic():
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=idempotency_cutoff(now)).delete()
    return deleted
