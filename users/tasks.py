"""Thin Celery tasks: call a service."""

from celery import shared_task

from users.services import refresh_tokens_purge


@shared_task(name="users.tasks.purge_expired_refresh_tokens")
def purge_expired_refresh_tokens() -> int:
    """Delete the records of expired refresh tokens (beat runs it hourly)."""
    return refresh_tokens_purge()
