"""Thin Celery tasks of the confirmation job: beat → dispatcher → one task per purchase."""

from celery import shared_task
from django.conf import settings
from django.db import transaction

from purchases.confirmation import purchase_claim_due, purchase_verify


@shared_task(name="purchases.tasks.dispatch_purchase_confirmations")
def dispatch_purchase_confirmations() -> int:
    """Claim a batch of due purchases and fan out one ``verify_purchase`` per purchase.

    A full batch means there may be more: the dispatcher queues itself again, so a
    backlog drains at worker speed instead of one batch per beat.
    """
    limit = settings.PURCHASE_DISPATCH_BATCH_SIZE
    claims = purchase_claim_due(limit=limit)

    def fan_out() -> None:
        # One broker connection for the whole batch instead of one pool checkout per message.
        with verify_purchase.app.producer_or_acquire() as producer:
            for claim in claims:
                verify_purchase.apply_async((str(claim.purchase_id), str(claim.token)), producer=producer)
            if len(claims) >= limit:
                dispatch_purchase_confirmations.apply_async(producer=producer)

    transaction.on_commit(fan_out)
    return len(claims)


@shared_task(name="purchases.tasks.verify_purchase")
def verify_purchase(purchase_id: str, claim_token: str) -> str:
    return purchase_verify(purchase_id=purchase_id, claim_token=claim_token)
