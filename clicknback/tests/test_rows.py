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
