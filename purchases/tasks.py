"""Thin Celery tasks of the confirmation job: beat → dispatcher → one task per chunk of claims.

The dispatcher runs on the default queue (with the other beat tasks), the chunks on
``CELERY_VERIFY_QUEUE`` (``CELERY_TASK_ROUTES``): each has workers of its own, so the
dispatcher never waits behind a verification.
"""

from celery import shared_task
from django.conf import settings
from django.db import transaction

from purchases.confirmation import purchase_claim_due, purchase_verify, purchase_verify_chunk
from purchases.metrics import dispatches_observe


@shared_task(name="purchases.tasks.dispatch_purchase_confirmations")
def dispatch_purchase_confirmations() -> int:
    """Claim a batch of due purchases and fan out one ``verify_purchases`` per chunk of them.

    A chunk holds up to ``PURCHASE_VERIFY_CHUNK_SIZE`` claimed purchases (1 gives one
    message per purchase). A full batch means there may be more: the dispatcher queues
    itself again, so a backlog drains at worker speed instead of one batch per beat.
    """
    limit = settings.PURCHASE_DISPATCH_BATCH_SIZE
    size = max(1, settings.PURCHASE_VERIFY_CHUNK_SIZE)
    claims = purchase_claim_due(limit=limit)

    def fan_out() -> None:
        # One broker connection for the whole batch instead of one pool checkout per message.
        with verify_purchases.app.producer_or_acquire() as producer:
            for start in range(0, len(claims), size):
                chunk = claims[start : start + size]
                ids = [str(claim.purchase_id) for claim in chunk]
                verify_purchases.apply_async((ids, str(chunk[0].token)), producer=producer)
            if len(claims) >= limit:
                dispatch_purchase_confirmations.apply_async(producer=producer)

    transaction.on_commit(fan_out)
    dispatches_observe(claimed=len(claims))
    return len(claims)


@shared_task(name="purchases.tasks.verify_purchases")
def verify_purchases(purchase_ids: list[str], claim_token: str) -> dict[str, int]:
    return purchase_verify_chunk(purchase_ids=purchase_ids, claim_token=claim_token)


# Kept for messages queued by a dispatcher that sent one task per purchase.
@shared_task(name="purchases.tasks.verify_purchase")
def verify_purchase(purchase_id: str, claim_token: str) -> str:
    return purchase_verify(purchase_id=purchase_id, claim_token=claim_token)
