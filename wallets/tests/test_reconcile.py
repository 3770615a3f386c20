import uuid
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from clicknback.audit.services import SYSTEM, Actor
from purchases.services import purchase_reverse
from purchases.tests.factories import confirmed, ingest
from wallets.models import Bucket, Wallet
from wallets.reconcile import wallet_reconcile
from wallets.services import wallet_lock, wallet_post

pytestmark = pytest.mark.django_db


def run_command() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("reconcile_wallets", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_reconcile_passes_with_no_wallets():
    assert run_command()[0] == 0


def test_reconcile_passes_after_purchases_in_every_state(user, other_user, admin_user):
    # given
    ingest(user)
    confirmed(user, admin_user)
    purchase_reverse(purchase_id=confirmed(other_user, admin_user).pk, actor=Actor.admin(admin_user))
    # when
    code, out, _ = run_command()
    # then
    assert code == 0
    assert "0 mismatches" in out


def test_a_balance_corrupted_with_raw_sql_is_reported_and_exits_non_zero(user):
    # given
    ingest(user)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE wallets_wallet SET pending_balance = pending_balance + 1 WHERE user_id = %s", [user.pk])
    # when
    code, _, err = run_command()
    # then
    assert code == 1
    assert f"user {user.pk}: ledger pending_balance: wallet has 6.00, ledger says 5.00" in err
    assert f"user {user.pk}: domain pending: wallet has 6.00, domain says 5.00" in err


def test_a_ledger_movement_without_a_domain_source_is_a_domain_mismatch(user):
    # given: the ledger and the wallet agree, but no purchase or payout explains it
    with transaction.atomic():
        wallet_post(
            wallet=wallet_lock(user_id=user.pk),
            movements=[(Bucket.AVAILABLE, Decimal("7.00"))],
            reason="manual",
            source_type="test",
            source_id=uuid.uuid4(),
            actor=SYSTEM,
        )
    # when
    mismatches = wallet_reconcile()
    # then
    assert [(m.check, m.field, m.expected, m.actual) for m in mismatches] == [
        ("domain", "available_minus_owed", Decimal("0.00"), Decimal("7.00"))
    ]


def test_a_wallet_balance_zeroed_behind_the_ledgers_back_is_reported_twice(user):
    # given
    ingest(user)
    Wallet.objects.filter(user=user).update(pending_balance=Decimal("0.00"))
    # when
    fields = {(m.check, m.field) for m in wallet_reconcile()}
    # then
    assert fields == {("ledger", "pending_balance"), ("domain", "pending")}
