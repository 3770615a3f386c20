"""Posting to many wallets at once: the same checks and ledger rows as ``wallet_post``."""

import uuid
from decimal import Decimal

import pytest
from django.db import transaction

from clicknback.audit.services import SYSTEM
from tests.support.funding import fund_wallet
from users.tests.factories import UserFactory
from wallets.models import Bucket, LedgerEntry, Wallet
from wallets.services import NegativeBalance, WalletBatch, wallet_lock, wallet_post, wallets_lock

pytestmark = pytest.mark.django_db

LEDGER_FIELDS = ("bucket", "amount", "currency", "reason", "source_type", "source_id", "actor_type", "request_id")


def funded(available: str) -> Wallet:
    return fund_wallet(UserFactory(), available=Decimal(available))


def test_wallets_lock_locks_existing_wallets_and_creates_missing_ones():
    # given
    existing = funded("1.00")
    newcomer = UserFactory()
    # when
    with transaction.atomic():
        wallets = wallets_lock(user_ids=[existing.user_id, newcomer.pk, existing.user_id])
    # then
    assert set(wallets) == {existing.user_id, newcomer.pk}
    assert wallets[existing.user_id].available_balance == Decimal("1.00")
    assert Wallet.objects.filter(user=newcomer).count() == 1


def test_a_batch_writes_the_balances_and_ledger_rows_that_wallet_post_writes():
    # given: two wallets in the same state, the same two postings for each
    one, two = funded("10.00"), funded("10.00")
    source = uuid.uuid4()
    postings = [
        ([(Bucket.AVAILABLE, Decimal("-4.00")), (Bucket.PAID, Decimal("4.00")), (Bucket.OWED, Decimal("0"))], "a"),
        ([(Bucket.AVAILABLE, Decimal("-6.00")), (Bucket.PENDING, Decimal("1.50"))], "b"),
    ]
    # when
    with transaction.atomic():
        wallet = wallets_lock(user_ids=[one.user_id])[one.user_id]
        batch = WalletBatch()
        for movements, reason in postings:
            batch.post(
                wallet=wallet, movements=movements, reason=reason, source_type="t", source_id=source, actor=SYSTEM
            )
        batch.write()
    with transaction.atomic():
        for movements, reason in postings:
            wallet_post(
                wallet=wallet_lock(user_id=two.user_id),
                movements=movements,
                reason=reason,
                source_type="t",
                source_id=source,
                actor=SYSTEM,
            )
    # then
    one.refresh_from_db()
    two.refresh_from_db()
    balances = ("pending_balance", "available_balance", "paid_balance", "owed_balance")
    assert [getattr(one, field) for field in balances] == [getattr(two, field) for field in balances]
    assert [getattr(one, field) for field in balances] == [
        Decimal("1.50"),
        Decimal("0.00"),
        Decimal("4.00"),
        Decimal("0.00"),
    ]

    def rows(wallet):
        return list(
            LedgerEntry.objects.filter(wallet=wallet, source_type="t").order_by("id").values_list(*LEDGER_FIELDS)
        )

    assert rows(one) == rows(two)
    assert len(rows(one)) == 4  # the zero movement is skipped


def test_a_refused_posting_changes_nothing_and_later_postings_still_apply():
    # given
    wallet = funded("5.00")
    with transaction.atomic():
        locked = wallets_lock(user_ids=[wallet.user_id])[wallet.user_id]
        batch = WalletBatch()
        # when
        with pytest.raises(NegativeBalance):
            batch.post(
                wallet=locked,
                movements=[(Bucket.PAID, Decimal("9.00")), (Bucket.AVAILABLE, Decimal("-9.00"))],
                reason="too much",
                source_type="t",
                source_id=uuid.uuid4(),
                actor=SYSTEM,
            )
        batch.post(
            wallet=locked,
            movements=[(Bucket.AVAILABLE, Decimal("-5.00"))],
            reason="all of it",
            source_type="t",
            source_id=uuid.uuid4(),
            actor=SYSTEM,
        )
        batch.write()
    # then
    wallet.refresh_from_db()
    assert (wallet.available_balance, wallet.paid_balance) == (Decimal("0.00"), Decimal("0.00"))
    assert list(LedgerEntry.objects.filter(wallet=wallet, source_type="t").values_list("reason", flat=True)) == [
        "all of it"
    ]
