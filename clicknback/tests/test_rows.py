"""RowReader: one-row reads on the hottest paths must behave exactly like the ORM's."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM, audit_record
from clicknback.rows import RowReader
from users.models import User
from wallets.models import Wallet

pytestmark = pytest.mark.django_db


def _field_values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_reads_the_same_instance_as_the_orm(user):
    # given
    reader = RowReader(User, by="id")

    # when
    row = reader.get(user.pk)

    # then
    assert isinstance(row, User)
    assert _field_values(row) == _field_values(User.objects.get(pk=user.pk))
    assert row._state.adding is False and row._state.db == "default"


def test_accepts_the_lookup_value_as_a_string(user):
    # when
    row = RowReader(User, by="id").get(str(user.pk))

    # then
    assert row.pk == user.pk


def test_reads_by_a_unique_foreign_key(user):
    # given
    wallet = Wallet.objects.create(user=user)

    # when
    row = RowReader(Wallet, by="user").get(user.pk)

    # then
    assert row.pk == wallet.pk and row.pending_balance == wallet.pending_balance


def test_applies_the_database_converters_of_the_fields():
    # given: a JSON column needs its converter to come back as a dict
    entry = audit_record(
        actor=SYSTEM, action="test.row", resource_type="test", resource_id="1", details={"a": ["b", 1]}
    )

    # when
    row = RowReader(AuditLog, by="id").get(entry.pk)

    # then
    assert row.details == {"a": ["b", 1]}


def test_a_missing_row_is_none():
    # when / then
    assert RowReader(User, by="id").get(uuid.uuid4()) is None


def test_a_malformed_value_is_a_validation_error_not_a_database_error():
    # when / then
    with pytest.raises(ValidationError):
        RowReader(User, by="id").get("not-a-uuid")


def test_costs_exactly_one_query(user, django_assert_num_queries):
    # given
    reader = RowReader(User, by="id")

    # when / then
    with django_assert_num_queries(1):
        reader.get(user.pk)


def test_refuses_a_column_that_is_not_unique():
    # when / then
    with pytest.raises(ValueError, match="not unique"):
        RowReader(User, by="role")


def test_a_token_whose_subject_is_not_a_uuid_is_an_invalid_token():
    # given: a correctly signed token that names no possible user
    token = AccessToken()
    token["sub"] = "not-a-uuid"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    # when
    response = client.get("/api/v1/users/me/wallet")

    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_holds_the_row_until_the_transaction_ends(user):
    # given: one transaction holds the wallet row through a locking read
    import threading

    from django.db import connection, transaction

    wallet = Wallet.objects.create(user=user)
    reader = RowReader(Wallet, by="user", for_update=True)
    locked, release, waited = threading.Event(), threading.Event(), []

    def hold():
        with transaction.atomic():
            reader.get(user.pk)
            locked.set()
            release.wait(10)
        connection.close()

    def try_lock():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
            try:
                Wallet.objects.select_for_update().get(pk=wallet.pk)
            except Exception as exc:
                waited.append(type(exc).__name__)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)

    # when another transaction asks for the same row
    contender = threading.Thread(target=try_lock)
    contender.start()
    contender.join(10)
    release.set()
    holder.join(10)

    # then it had to wait for the lock
    assert waited == ["OperationalError"]


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_refuses_to_run_outside_a_transaction(user):
    # when / then
    from django.db.transaction import TransactionManagementError

    with pytest.raises(TransactionManagementError):
        RowReader(Wallet, by="user", for_update=True).get(user.pk)


# --- RowWriter ---------------------------------------------------------------------


def _stored_values(model, pk, *, skip=()) -> dict:
    values = _field_values(model.objects.get(pk=pk))
    return {name: value for name, value in values.items() if name not in skip}


def test_an_insert_stores_the_row_the_orm_would_store(user):
    # given: the same audit row, once through the ORM and once through the writer
    from clicknback.rows import RowWriter

    details = {"amount": "12.50", "nested": {"list": [1, "two"]}}
    through_orm = AuditLog.objects.create(
        actor_type="user", actor_id=user.pk, action="t.orm", resource_type="t", resource_id="1", details=details
    )
    written = AuditLog(
        actor_type="user", actor_id=user.pk, action="t.orm", resource_type="t", resource_id="1", details=details
    )

    # when
    RowWriter(AuditLog).insert([written])

    # then: every column equal but the id and the insert time, which auto_now_add filled in
    skip = {"id", "occurred_at"}
    assert _stored_values(AuditLog, written.pk, skip=skip) == _stored_values(AuditLog, through_orm.pk, skip=skip)
    assert AuditLog.objects.get(pk=written.pk).occurred_at == written.occurred_at is not None
    assert written._state.adding is False and written._state.db == "default"


def test_an_insert_of_several_rows_is_one_statement_and_sets_their_auto_keys(user, django_assert_num_queries):
    # given: ledger entries have a database-generated primary key
    from decimal import Decimal

    from clicknback.rows import RowWriter
    from wallets.models import LedgerEntry

    wallet = Wallet.objects.create(user=user)
    entries = [
        LedgerEntry(
            wallet=wallet, bucket="pending", amount=Decimal(amount), reason="t", source_type="t", source_id=uuid.uuid4()
        )
        for amount in ("1.00", "2.50", "-0.75")
    ]

    # when
    with django_assert_num_queries(1):
        RowWriter(LedgerEntry).insert(entries)

    # then
    assert all(entry.pk is not None for entry in entries)
    stored = {entry.pk: entry.amount for entry in LedgerEntry.objects.filter(wallet=wallet)}
    assert stored == {entry.pk: entry.amount for entry in entries}


def test_an_update_writes_the_named_fields_and_the_auto_now_ones_only(user, django_assert_num_queries):
    # given: a stored wallet whose instance also carries a change that must not be written
    from decimal import Decimal

    from clicknback.rows import RowWriter

    wallet = Wallet.objects.create(user=user)
    before = wallet.updated_at
    wallet.pending_balance = Decimal("7.25")
    wallet.currency = "USD"

    # when
    with django_assert_num_queries(1):
        RowWriter(Wallet).update(wallet, ["pending_balance"])

    # then
    stored = Wallet.objects.get(pk=wallet.pk)
    assert stored.pending_balance == Decimal("7.25")
    assert stored.currency == "EUR"
    assert stored.updated_at > before


def test_an_update_of_a_row_that_is_not_stored_raises():
    # given
    from clicknback.rows import RowWriter

    wallet = Wallet(user_id=uuid.uuid4())

    # when / then
    with pytest.raises(Wallet.DoesNotExist):
        RowWriter(Wallet).update(wallet, ["pending_balance"])


def test_a_constraint_violation_is_django_integrity_error_and_marks_the_transaction_for_rollback(user):
    # given: a user has one wallet at most
    from django.db import IntegrityError, transaction

    from clicknback.rows import RowWriter

    Wallet.objects.create(user=user)

    # when
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            RowWriter(Wallet).insert([Wallet(user=user)])

        # then
        assert transaction.get_rollback() is True
