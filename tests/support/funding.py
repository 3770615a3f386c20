"""One way to put money in a wallet in tests.

The money arrives the way it does in production: purchases ingested and moved on by the
purchase services (and, for a debt, a payout), so the cached balances, the ledger rows
and the cashback and payout rows agree, and ``reconcile_wallets`` finds no mismatch.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clicknback.audit.services import SYSTEM
from offers.models import CashbackType
from offers.tests.factories import OfferFactory
from payouts.models import Payout, PayoutStatus
from payouts.tests.factories import PayoutFactory
from purchases.services import purchase_confirm, purchase_reverse
from purchases.tests.factories import ingest
from wallets.models import Bucket, Wallet
from wallets.services import wallet_lock, wallet_post

ZERO = Decimal("0.00")


def fund_wallet(
    user,
    *,
    available: Decimal = ZERO,
    pending: Decimal = ZERO,
    owed: Decimal = ZERO,
    merchant_name: str | None = None,
) -> Wallet:
    """Add to ``user``'s wallet and return it, reconciled with the domain.

    * ``available``: a purchase whose cashback is that amount, confirmed by the system;
    * ``pending``: a purchase whose cashback is that amount, still pending (so the
      confirmation job may claim it);
    * ``owed``: a clawback debt, as it happens: cashback of that amount confirmed, paid
      out (a completed payout dated last month, so this month's payout limit is
      untouched), then its purchase reversed. ``paid_balance`` grows by the same amount.

    The purchases are made at one new merchant (``merchant_name``, if given) with a 5 %
    offer whose monthly cap covers them; a cashback of c is a purchase of 20 × c. The
    services settle a debt before anything becomes available, and take a reversal from
    available before it becomes a debt, so a wallet never owes while it has money
    available: ``owed`` is refused on a wallet with money available or owed, and
    ``available`` on a wallet that owes.
    """
    before = _wallet(user)
    if owed > ZERO and (available > ZERO or before.available_balance > ZERO or before.owed_balance > ZERO):
        raise ValueError("owed needs a wallet with nothing available or owed, and no available with it")
    if available > ZERO and before.owed_balance > ZERO:
        raise ValueError("this wallet owes: confirmed cashback would settle the debt before reaching available")
    total = available + pending + owed
    if total > ZERO:
        offer = OfferFactory(
            cashback_type=CashbackType.PERCENT,
            cashback_value=Decimal("5.00"),
            monthly_cap=total,
            **({"merchant__name": merchant_name} if merchant_name else {}),
        )
        if owed > ZERO:
            _owe(user, offer=offer, amount=owed)
        if available > ZERO:
            purchase_confirm(purchase_id=_buy(user, offer=offer, cashback=available).pk, actor=SYSTEM)
        if pending > ZERO:
            _buy(user, offer=offer, cashback=pending)
    return _wallet(user)


def _wallet(user) -> Wallet:
    with transaction.atomic():
        return wallet_lock(user_id=user.pk)  # creates it when the user has none yet


def _buy(user, *, offer, cashback: Decimal):
    return ingest(user, offer=offer, amount=cashback * 20)


def _owe(user, *, offer, amount: Decimal) -> None:
    purchase = purchase_confirm(purchase_id=_buy(user, offer=offer, cashback=amount).pk, actor=SYSTEM)
    last_month = timezone.now().replace(day=1) - dt.timedelta(days=1)
    with transaction.atomic():
        payout = PayoutFactory(user=user, amount=amount, status=PayoutStatus.COMPLETED, processed_at=last_month)
        Payout.objects.filter(pk=payout.pk).update(requested_at=last_month)
        wallet = wallet_lock(user_id=user.pk)
        for bucket, change, reason in (
            (Bucket.AVAILABLE, -amount, "payout_requested"),
            (Bucket.PAID, amount, "payout_completed"),
        ):
            wallet_post(
                wallet=wallet,
                movements=[(bucket, change)],
                reason=reason,
                source_type="payout",
                source_id=payout.pk,
                actor=SYSTEM,
            )
    purchase_reverse(purchase_id=purchase.pk, actor=SYSTEM)
