"""Thin Celery tasks: call a service."""

from celery import shared_task

from payouts.idempotency import idempotency_keys_purge


@shared_task(name="payouts.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete Idempotency-Keys older than IDEMPOTENCY_KEY_TTL_HOURS (beat runs it hourly)."""
    return idempotency_keys_purge()
