"""write_together(): the RowWriter writes of a block go to PostgreSQL as one statement,
together or not at all, each keeping the meaning it has on its own."""

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from clicknback.audit.models import AuditLog
from clicknback.rows import RowWriter, write_together
from wallets.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db

audit_writer = RowWriter(AuditLog)
wallet_writer = RowWriter(Wallet)
ledger_writer = RowWriter(LedgerEntry)


def _audit(action: str) -> AuditLog:
    return AuditLog(actor_type="system", action=action, resource_type="t", resource_id="1", details={"a": [1, "b"]})


def _entries(wallet: Wallet, *amounts: str) -> list[LedgerEntry]:
    return [
        LedgerEntry(
            wallet=wallet, bucket="pending", amount=Decimal(amount), reason="t", source_type="t", source_id=uuid.uuid4()
        )
        for amount in amounts
    ]


def _write_movement(wallet: Wallet, audit: AuditLog, entries: list[LedgerEntry]) -> None:
    wallet.pending_balance = Decimal("3.75")
    wallet_writer.update(wallet, ["pending_balance"])
    ledger_writer.insert(entries)
    audit_writer.insert([audit])


def test_the_writes_of_a_block_are_one_statement(user):
    # given
    wallet = Wallet.objects.create(user=user)

    # when
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, write_together():
        _write_movement(wallet, _audit("t.together"), _entries(wallet, "1.00", "2.50", "0.25"))

    # then: BEGIN, the one statement, COMMIT
    writes = [query["sql"] for query in queries.captured_queries if query["sql"] not in ("BEGIN", "COMMIT")]
    assert len(writes) == 1 and writes[0].startswith("WITH ")


def test_a_block_stores_what_the_same_writes_store_one_by_one(user, other_user):
    # given: the same movement on two wallets, once one write at a time, once together
    apart, together = Wallet.objects.create(user=user), Wallet.objects.create(user=other_user)
    apart_audit, together_audit = _audit("t.same"), _audit("t.same")
    apart_entries, together_entries = _entries(apart, "1.00", "2.50"), _entries(together, "1.00", "2.50")

    # when
    with transaction.atomic():
        _write_movement(apart, apart_audit, apart_entries)
    with transaction.atomic(), write_together():
        _write_movement(together, together_audit, together_entries)

    # then: the same wallet balances, ledger rows and audit row, but for ids and times
    def stored(wallet, audit):
        fresh = Wallet.objects.get(pk=wallet.pk)
        entries = LedgerEntry.objects.filter(wallet=wallet).order_by("pk")
        log = AuditLog.objects.get(pk=audit.pk)
        return (
            (fresh.pending_balance, fresh.available_balance, fresh.paid_balance, fresh.owed_balance),
            [(entry.bucket, entry.amount, entry.reason) for entry in entries],
            (log.action, log.actor_type, log.resource_type, log.resource_id, log.details, log.outcome),
        )

    assert stored(together, together_audit) == stored(apart, apart_audit)
    assert Wallet.objects.get(pk=together.pk).updated_at > together.created_at


def test_the_generated_keys_are_set_on_the_inserted_instances_in_order(user):
    # given: ledger entries get their primary key from the database
    wallet = Wallet.objects.create(user=user)
    entries = _entries(wallet, "1.00", "2.50", "0.25")

    # when
    with transaction.atomic(), write_together():
        _write_movement(wallet, _audit("t.keys"), entries)
        keys_inside = [entry.pk for entry in entries]

    # then: unknown inside the block, each instance's own key after it
    assert keys_inside == [None, None, None]
    stored = dict(LedgerEntry.objects.filter(wallet=wallet).values_list("pk", "amount"))
    assert stored == {entry.pk: entry.amount for entry in entries}


def test_nothing_is_written_before_the_block_ends(user):
    # given
    audit = _audit("t.later")

    # when
    with transaction.atomic():
        with write_together():
            audit_writer.insert([audit])
            stored_inside = AuditLog.objects.filter(pk=audit.pk).exists()
        stored_after = AuditLog.objects.filter(pk=audit.pk).exists()

    # then
    assert (stored_inside, stored_after) == (False, True)


def test_a_block_that_raises_writes_nothing(user):
    # given
    wallet = Wallet.objects.create(user=user)
    audit = _audit("t.raised")

    # when: the error is caught inside the transaction, which then commits
    with transaction.atomic(), pytest.raises(ValueError), write_together():
        _write_movement(wallet, audit, _entries(wallet, "1.00"))
        raise ValueError("refused")

    # then
    assert not AuditLog.objects.filter(pk=audit.pk).exists()
    assert not LedgerEntry.objects.filter(wallet=wallet).exists()
    assert Wallet.objects.get(pk=wallet.pk).pending_balance == Decimal("0.00")


def test_a_constraint_violation_is_integrity_error_writes_nothing_and_marks_the_transaction_for_rollback(user):
    # given: a user has one wallet at most, so the second insert of the block fails
    Wallet.objects.create(user=user)
    audit = _audit("t.violation")

    # when
    with transaction.atomic():
        with pytest.raises(IntegrityError), write_together():
            audit_writer.insert([audit])
            wallet_writer.insert([Wallet(user=user)])

        # then
        assert transaction.get_rollback() is True
    assert not AuditLog.objects.filter(pk=audit.pk).exists()


def test_a_check_constraint_stops_the_whole_block(user):
    # given: balances can never go negative in the database either
    wallet = Wallet.objects.create(user=user)
    audit = _audit("t.negative")

    # when
    with pytest.raises(IntegrityError), transaction.atomic(), write_together():
        audit_writer.insert([audit])
        wallet.available_balance = Decimal("-1.00")
        wallet_writer.update(wallet, ["available_balance"])

    # then
    assert not AuditLog.objects.filter(pk=audit.pk).exists()
    assert Wallet.objects.get(pk=wallet.pk).available_balance == Decimal("0.00")


def test_an_update_of_a_row_that_is_not_stored_raises_when_the_block_ends(user):
    # given
    audit = _audit("t.missing")

    # when
    with transaction.atomic():
        with pytest.raises(Wallet.DoesNotExist), write_together():
            audit_writer.insert([audit])
            wallet_writer.update(Wallet(user_id=uuid.uuid4()), ["pending_balance"])

        # then: the other writes went out in the same statement; the transaction must not commit them
        assert transaction.get_rollback() is True
    assert not AuditLog.objects.filter(pk=audit.pk).exists()


def test_a_block_with_one_write_sends_that_statement_alone():
    # given
    audit = _audit("t.alone")

    # when
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, write_together():
        audit_writer.insert([audit])

    # then
    writes = [query["sql"] for query in queries.captured_queries if query["sql"] not in ("BEGIN", "COMMIT")]
    assert len(writes) == 1 and writes[0].startswith("INSERT ")
    assert AuditLog.objects.filter(pk=audit.pk).exists()


def test_a_block_inside_another_joins_it(user):
    # given
    wallet = Wallet.objects.create(user=user)

    # when
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, write_together():
        audit_writer.insert([_audit("t.outer")])
        with write_together():
            _write_movement(wallet, _audit("t.inner"), _entries(wallet, "1.00"))

    # then
    writes = [query["sql"] for query in queries.captured_queries if query["sql"] not in ("BEGIN", "COMMIT")]
    assert len(writes) == 1
    assert AuditLog.objects.filter(action__in=["t.outer", "t.inner"]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_refuses_to_run_outside_a_transaction():
    # when / then
    with pytest.raises(TransactionManagementError), write_together():
        audit_writer.insert([_audit("t.outside")])
    assert not AuditLog.objects.filter(action="t.outside").exists()


def test_refuses_a_write_inside_a_nested_atomic_block():
    # given: the write would be sent after the inner block ended, beyond its savepoint's reach

    # when / then
    with transaction.atomic(), pytest.raises(TransactionManagementError), write_together(), transaction.atomic():
        audit_writer.insert([_audit("t.nested")])
    assert not AuditLog.objects.filter(action="t.nested").exists()
