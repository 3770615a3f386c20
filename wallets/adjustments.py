"""Operators' corrections of a wallet (contract §8): one service, used by the admin REST
endpoint and the back office page.

In one transaction: the wallet row locked, the adjustment row, its ledger rows (reason
``adjustment``, source the adjustment) and its audit row. A credit settles owed first
(``WalletBatch.credit``, as confirmed cashback does); a debit takes from available and is
refused with 409 ``INSUFFICIENT_BALANCE`` when available cannot cover it.
"""

import uuid
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum

from clicknback.audit.services import Actor, audit_record
from clicknback.errors import DomainError, NotFound, ValidationFailed
from clicknback.money import ZERO, format_amount, quantize
from wallets.models import Bucket, WalletAdjustment
from wallets.services import WalletBatch, wallet_lock

SOURCE_TYPE = "adjustment"


class AdjustmentNotCovered(DomainError):
    code = "INSUFFICIENT_BALANCE"
    http_status = 409
    default_message = "The available balance does not cover this debit."


def wallet_adjust(*, user_id: uuid.UUID | str, amount: Decimal, reason: str, actor: Actor) -> WalletAdjustment:
    """Credit (amount > 0) or debit (amount < 0) the user's available balance, with a reason."""
    amount = quantize(amount)
    reason = (reason or "").strip()
    if amount == ZERO:
        raise ValidationFailed("An adjustment moves money: 0.00 is not one.", field="amount", reason="Must not be 0.")
    if not reason or len(reason) > 500:
        raise ValidationFailed("A reason of 1 to 500 characters is required.", field="reason")
    try:
        user = get_user_model().objects.filter(pk=user_id).only("pk").first()
    except (ValueError, TypeError):
        user = None
    if user is None:
        raise NotFound("user", user_id)
    with transaction.atomic():
        wallet = wallet_lock(user_id=user.pk)
        if amount < ZERO and wallet.available_balance < -amount:
            raise AdjustmentNotCovered(
                f"The available balance {format_amount(wallet.available_balance)} does not cover "
                f"{format_amount(-amount)}.",
                details={
                    "requested_amount": format_amount(-amount),
                    "available_balance": format_amount(wallet.available_balance),
                },
            )
        adjustment = WalletAdjustment.objects.create(
            user_id=user.pk, amount=amount, currency=wallet.currency, reason=reason, actor_id=actor.id
        )
        batch = WalletBatch()
        settled = ZERO
        if amount > ZERO:
            settled = batch.credit(
                wallet=wallet, amount=amount, reason="adjustment", source_type=SOURCE_TYPE, source_id=adjustment.pk,
                actor=actor,
            )  # fmt: skip
        else:
            batch.post(
                wallet=wallet, movements=[(Bucket.AVAILABLE, amount)], reason="adjustment", source_type=SOURCE_TYPE,
                source_id=adjustment.pk, actor=actor,
            )  # fmt: skip
        batch.write()
        audit_record(
            actor=actor,
            action="wallet.adjusted",
            resource_type="wallet",
            resource_id=wallet.pk,
            details={
                "adjustment_id": str(adjustment.pk),
                "user_id": str(user.pk),
                "amount": format_amount(amount),
                "owed_settled": format_amount(settled),
                "reason": reason,
            },
        )
    return adjustment


def contribution() -> dict[uuid.UUID, dict[str, Decimal]]:
    """What adjustments add to available − owed, for ``reconcile_wallets``."""
    totals: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(dict)
    rows = WalletAdjustment.objects.order_by().values("user_id").annotate(total=Sum("amount"))
    for row in rows:
        totals[row["user_id"]] = {"available_minus_owed": row["total"] or ZERO}
    return dict(totals)
