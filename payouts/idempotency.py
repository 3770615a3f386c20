"""``Idempotency-Key`` for payout requests (contract §9).

How a request with a key runs:

1. ``idempotency_key_claim`` inserts ``(user, key, request hash)`` with ``INSERT … ON
   CONFLICT DO NOTHING``, one statement that commits on its own, *before* any money
   moves. A concurrent duplicate's insert does nothing (PostgreSQL makes it wait for
   the first insert to commit), so it looks at the stored row: still no response → 409
   IDEMPOTENCY_KEY_IN_USE; another body → 422 IDEMPOTENCY_KEY_REUSED; done with the
   same body → the stored response, replayed.
2. The payout is requested (its own transaction).
3. Success: ``idempotency_key_complete`` stores the status and body of the response
   (one UPDATE). Failure (a refused payout, or a crash): ``idempotency_key_release``
   deletes the key. A refused request changed nothing, so the client may retry it with
   the same key, e.g. after its balance grew; only a payout that exists is ever replayed.

Keys live ``IDEMPOTENCY_KEY_TTL_HOURS`` (24 h): an older key counts as absent (a claim
that finds one deletes it and claims afresh) and the periodic task
``payouts.tasks.purge_idempotency_keys`` deletes them.
"""

import functools
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from clicknback.errors import ValidationFailed
from clicknback.sql import column_name, table
from payouts.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from payouts.models import IdempotencyKey

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Claim:
    """Either a fresh claim (``key`` set, run the request) or a stored response to replay."""

    key: IdempotencyKey | None = None
    replay_status: int | None = None
    replay_body: dict | None = None

    @property
    def is_replay(self) -> bool:
        return self.replay_status is not None


def idempotency_key_validate(raw: str | None) -> str | None:
    """The header value, or None when absent; 422 when empty or longer than 255 characters."""
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        reason = f"Must be 1 to {MAX_KEY_LENGTH} characters."
        raise ValidationFailed(f"Idempotency-Key: {reason}", field="Idempotency-Key", reason=reason)
    return key


def request_hash(body: object) -> str:
    """SHA-256 of the body as canonical JSON (sorted keys; decimals as written)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


@functools.cache
def _claim_sql() -> str:
    columns = ", ".join(column_name(IdempotencyKey, name) for name in ("user", "key", "request_hash", "created_at"))
    return (
        f"INSERT INTO {table(IdempotencyKey)} ({columns}) VALUES (%s, %s, %s, %s) "  # noqa: S608 - model identifiers  # nosec B608
        f"ON CONFLICT ({column_name(IdempotencyKey, 'user')}, {column_name(IdempotencyKey, 'key')}) DO NOTHING "
        f"RETURNING {column_name(IdempotencyKey, 'id')}"
    )


def _insert_claim(*, user_id: uuid.UUID, key: str, request_hash: str) -> IdempotencyKey | None:
    """The new claim row, or None when the user already has a row for this key."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_claim_sql(), [user_id, key, request_hash, now])
        row = cursor.fetchone()
    if row is None:
        return None
    return IdempotencyKey(pk=row[0], user_id=user_id, key=key, request_hash=request_hash, created_at=now)


def idempotency_key_claim(*, user_id: uuid.UUID, key: str, request_hash: str) -> Claim:
    """Claim ``key`` for this request, or return the first response to replay.

    Must run outside any transaction: the claim has to be committed (visible to the
    duplicates) before the payout starts. A fresh key costs one statement; no error is
    raised on a conflict, so no transaction or savepoint is needed around the insert.
    """
    claimed = _insert_claim(user_id=user_id, key=key, request_hash=request_hash)
    if claimed is not None:
        return Claim(key=claimed)
    existing = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
    if existing is not None and existing.created_at < idempotency_cutoff():
        # An expired key counts as absent: forget it and claim afresh (a concurrent
        # claimer may win the new insert, which is then read like any other holder).
        IdempotencyKey.objects.filter(pk=existing.pk, created_at__lt=idempotency_cutoff()).delete()
        claimed = _insert_claim(user_id=user_id, key=key, request_hash=request_hash)
        if claimed is not None:
            return Claim(key=claimed)
        existing = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
    if existing is None:
        # The holder released it between our insert and our read: the caller may retry.
        raise IdempotencyKeyInUse()
    if existing.request_hash != request_hash:
        raise IdempotencyKeyReused(details={"idempotency_key": key})
    if existing.response_status is None:
        raise IdempotencyKeyInUse(details={"idempotency_key": key})
    return Claim(replay_status=existing.response_status, replay_body=existing.response_body)


def idempotency_key_complete(*, key: IdempotencyKey, status: int, body: dict) -> IdempotencyKey:
    """Store the first response so repeats replay it (one UPDATE, atomic on its own)."""
    IdempotencyKey.objects.filter(pk=key.pk).update(response_status=status, response_body=body)
    key.response_status, key.response_body = status, body
    return key


def idempotency_key_release(*, key: IdempotencyKey) -> None:
    """Forget a claim whose request failed, so it can be retried with the same key."""
    with transaction.atomic():
        IdempotencyKey.objects.filter(pk=key.pk, response_status__isnull=True).delete()


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete keys older than the TTL; returns how many."""
    with transaction.atomic():
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=idempotency_cutoff(now)).delete()
    return deleted


def idempotency_run(
    *, user_id: uuid.UUID, key: str | None, body: object, run: Callable[[], tuple[int, dict]]
) -> tuple[int, dict, bool]:
    """Run ``run()`` (which returns ``(status, body)``) at most once per key.

    Returns ``(status, body, replayed)``. Without a key, ``run()`` simply runs.
    """
    if key is None:
        status, response = run()
        return status, response, False
    claim = idempotency_key_claim(user_id=user_id, key=key, request_hash=request_hash(body))
    if claim.is_replay:
        return claim.replay_status, claim.replay_body, True
    try:
        status, response = run()
    except BaseException:
        idempotency_key_release(key=claim.key)
        raise
    idempotency_key_complete(key=claim.key, status=status, body=response)
    return status, response, False
