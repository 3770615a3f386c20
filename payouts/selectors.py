"""Payout reads: single payout, the user's and the admin's lists, wallet transactions."""

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import CharField, F, QuerySet, UUIDField, Value

from clicknback.errors import NotFound
from payouts.models import Payout
from purchases.models import CashbackTransaction

CASHBACK_CREDIT = "cashback_credit"
PAYOUT_DEBIT = "payout_debit"
TRANSACTION_FIELDS = ("tx_id", "tx_type", "tx_amount", "tx_status", "tx_purchase_id", "tx_payout_id", "tx_created_at")


def payout_get(*, payout_id: uuid.UUID | str) -> Payout:
    try:
        return Payout.objects.get(pk=payout_id)
    except (Payout.DoesNotExist, ValueError, DjangoValidationError):
        raise NotFound("payout", payout_id) from None


def payout_list(*, user_id: uuid.UUID | None = None, status: str | None = None) -> QuerySet[Payout]:
    """Newest first (``requested_at`` desc, then id); one query per page, no joins needed."""
    queryset = Payout.objects.all()
    if user_id is not None:
        queryset = queryset.filter(user_id=user_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-requested_at", "-id")


def wallet_transaction_list(*, user_id: uuid.UUID) -> QuerySet:
    """One ``cashback_credit`` per cashback transaction and one ``payout_debit`` per payout.

    A ``UNION ALL`` of two ``values()`` querysets ordered newest first, so a page costs
    two queries (count and rows) whatever its size. Every column is an annotation with
    the same name and position on both sides, which keeps the union's columns aligned.
    """
    no_id = Value(None, output_field=UUIDField())
    credits = (
        CashbackTransaction.objects.filter(user_id=user_id)
        .order_by()
        .annotate(
            tx_id=F("id"),
            tx_type=Value(CASHBACK_CREDIT, output_field=CharField()),
            tx_amount=F("amount"),
            tx_status=F("status"),
            tx_purchase_id=F("purchase_id"),
            tx_payout_id=no_id,
            tx_created_at=F("created_at"),
        )
        .values(*TRANSACTION_FIELDS)
    )
    debits = (
        Payout.objects.filter(user_id=user_id)
        .order_by()
        .annotate(
            tx_id=F("id"),
            tx_type=Value(PAYOUT_DEBIT, output_field=CharField()),
            tx_amount=F("amount"),
            tx_status=F("status"),
            tx_purchase_id=no_id,
            tx_payout_id=F("id"),
            tx_created_at=F("requested_at"),
        )
        .values(*TRANSACTION_FIELDS)
    )
    return credits.union(debits, all=True).order_by("-tx_created_at", "-tx_id")
