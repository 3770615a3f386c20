"""Single-row reads and plain writes for the hottest paths, without per-call SQL compilation.

Every authenticated API request reads its user row, and the wallet summary reads one
wallet row. Through the ORM, building and compiling ``Model.objects.get(pk=...)`` costs
several times the database round trip itself (docs/benchmarks.md). ``RowReader`` builds
the ``SELECT`` once from the model's fields and then only executes it:

* it goes through Django's cursor wrapper, so query logging, ``django_assert_num_queries``
  and the database error translation behave as for any ORM query;
* the lookup value is validated by the field first (``to_python``), so a malformed id is
  a ``ValidationError`` as with the ORM, never a database error;
* rows become real model instances (``Model.from_db``) with the same database
  converters the ORM's compiler applies.

Only for ``WHERE <one unique column> = %s`` reads (optionally ``FOR UPDATE``); anything
richer belongs to the ORM.

``RowWriter`` does the same for the inserts and single-row updates every money movement
writes (purchase, cashback, wallet, ledger and audit rows): the statement is built once
per shape, and each call only prepares the values with the fields' own ``pre_save`` and
``get_db_prep_save``, as the ORM's compiler does, so defaults, ``auto_now``/``auto_now_add``
and JSON adaptation are the ORM's. Like ``bulk_create`` and ``QuerySet.update`` it
calls no ``save()`` and sends no signals (the project uses none).

``write_together()`` sends the ``RowWriter`` writes of a block as one statement: a money
movement writes three to five rows in a row (say the cashback, the wallet, the ledger
entry and the audit entry), and on this workload each round trip to PostgreSQL costs
more CPU than the statement it carries (docs/benchmarks.md).
"""

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import AutoField, Model
from django.db.transaction import TransactionManagementError


class RowReader:
    def __init__(self, model: type[Model], *, by: str, for_update: bool = False):
        self.model = model
        self.for_update = for_update
        self.lookup_field = model._meta.get_field(by)
        if not (self.lookup_field.unique or self.lookup_field.primary_key):
            raise ValueError(f"{model.__name__}.{by} is not unique; RowReader reads one row.")
        self._compiled: tuple[str, list[str], list] | None = None

    def _compile(self) -> tuple[str, list[str], list]:
        if self._compiled is None:
            connection = connections[DEFAULT_DB_ALIAS]
            quote = connection.ops.quote_name
            fields = self.model._meta.concrete_fields
            # Identifiers come from the model's metadata, quoted; the value is a bound parameter.
            sql = "SELECT {columns} FROM {table} WHERE {column} = %s LIMIT 1{lock}".format(  # noqa: S608  # nosec B608
                columns=", ".join(quote(field.column) for field in fields),
                table=quote(self.model._meta.db_table),
                column=quote(self.lookup_field.column),
                lock=" FOR UPDATE" if self.for_update else "",
            )
            converters = []
            for index, field in enumerate(fields):
                column = field.get_col(self.model._meta.db_table)
                functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
                if functions:
                    converters.append((index, column, functions))
            self._compiled = (sql, [field.attname for field in fields], converters)
        return self._compiled

    def get(self, value) -> Model | None:
        """The row whose lookup column equals ``value``, or None.

        Raises ``django.core.exceptions.ValidationError`` when ``value`` is not a valid
        value of the lookup field (e.g. a malformed UUID). A ``for_update`` reader locks
        the row until the end of the transaction, and like ``select_for_update()``
        refuses to run outside one.
        """
        sql, attnames, converters = self._compile()
        connection = connections[DEFAULT_DB_ALIAS]
        if self.for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        param = self.lookup_field.get_db_prep_value(self.lookup_field.to_python(value), connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, [param])
            row = cursor.fetchone()
        if row is None:
            return None
        if converters:
            row = list(row)
            for index, column, functions in converters:
                for convert in functions:
                    row[index] = convert(row[index], column, connection)
        return self.model.from_db(DEFAULT_DB_ALIAS, attnames, row)


class RowWriter:
    """Precompiled ``INSERT`` of new instances and ``UPDATE`` of some fields of one row."""

    def __init__(self, model: type[Model]):
        self.model = model
        meta = model._meta
        self._auto = meta.pk if isinstance(meta.pk, AutoField) else None
        self._insert_fields = [field for field in meta.concrete_fields if field is not self._auto]
        self._inserts: dict[int, str] = {}
        self._updates: dict[tuple[str, ...], tuple[str, list]] = {}

    def _quote(self, name: str) -> str:
        return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)

    def _insert_sql(self, count: int) -> str:
        sql = self._inserts.get(count)
        if sql is None:
            row = "({})".format(", ".join(["%s"] * len(self._insert_fields)))
            # Identifiers come from the model's metadata, quoted; values are bound parameters.
            sql = "INSERT INTO {table} ({columns}) VALUES {rows}{returning}".format(  # noqa: S608  # nosec B608
                table=self._quote(self.model._meta.db_table),
                columns=", ".join(self._quote(field.column) for field in self._insert_fields),
                rows=", ".join([row] * count),
                returning=f" RETURNING {self._quote(self._auto.column)}" if self._auto else "",
            )
            self._inserts[count] = sql
        return sql

    def insert(self, instances: Sequence[Model]) -> Sequence[Model]:
        """Insert new instances with one statement; auto primary keys are set on them.

        Inside ``write_together()`` the insert joins the block's statement, and the auto
        primary keys are set when the block ends.
        """
        if not instances:
            return instances
        connection = connections[DEFAULT_DB_ALIAS]
        params = []
        for instance in instances:
            for field in self._insert_fields:
                params.append(field.get_db_prep_save(field.pre_save(instance, True), connection))
        write = _Write(self, self._insert_sql(len(instances)), params, instances)
        batch = _batch.get()
        if batch is not None:
            batch.add(write, connection)
        else:
            write.run(connection)
        for instance in instances:
            instance._state.adding = False
            instance._state.db = DEFAULT_DB_ALIAS
        return instances

    def update(self, instance: Model, fields: Sequence[str]) -> None:
        """Write ``fields`` (plus any ``auto_now`` field) of a stored instance, by primary key.

        Inside ``write_together()`` the update joins the block's statement, and a row that
        is not stored is reported when the block ends.
        """
        key = tuple(fields)
        compiled = self._updates.get(key)
        if compiled is None:
            meta = self.model._meta
            chosen = [meta.get_field(name) for name in fields]
            chosen += [f for f in meta.concrete_fields if getattr(f, "auto_now", False) and f not in chosen]
            # Identifiers come from the model's metadata, quoted; values are bound parameters.
            sql = "UPDATE {table} SET {assignments} WHERE {pk} = %s".format(  # noqa: S608  # nosec B608
                table=self._quote(meta.db_table),
                assignments=", ".join(f"{self._quote(field.column)} = %s" for field in chosen),
                pk=self._quote(meta.pk.column),
            )
            compiled = self._updates[key] = (sql, chosen)
        sql, chosen = compiled
        connection = connections[DEFAULT_DB_ALIAS]
        params = [field.get_db_prep_save(field.pre_save(instance, False), connection) for field in chosen]
        params.append(self.model._meta.pk.get_db_prep_value(instance.pk, connection))
        write = _Write(self, sql, params, [instance], update=True)
        batch = _batch.get()
        if batch is not None:
            batch.add(write, connection)
        else:
            write.run(connection)


@dataclass(slots=True)
class _Write:
    """One statement of a ``RowWriter``: its SQL, its parameters and the rows it writes."""

    writer: RowWriter
    sql: str
    params: list
    instances: Sequence[Model]
    update: bool = False

    def run(self, connection) -> None:
        """Send this statement alone."""
        with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            if self.update:
                self.done([(cursor.rowcount,)])
            else:
                self.done(cursor.fetchall() if self.writer._auto else [])

    def done(self, results: list[tuple]) -> None:
        """Take the statement's answer: the row count of an update, the keys of an insert."""
        if self.update:
            if results != [(1,)]:
                instance = self.instances[0]
                raise self.writer.model.DoesNotExist(f"{self.writer.model.__name__} {instance.pk} is not stored.")
            return
        if self.writer._auto is not None:
            for instance, (pk,) in zip(self.instances, results, strict=True):
                setattr(instance, self.writer._auto.attname, pk)


class _Batch:
    def __init__(self, connection, depth: int):
        self.connection = connection
        self.depth = depth
        self.writes: list[_Write] = []

    def add(self, write: _Write, connection) -> None:
        if connection is not self.connection or len(connection.atomic_blocks) != self.depth:
            # A write deferred past the end of an inner atomic block would escape its rollback.
            raise TransactionManagementError("RowWriter writes inside write_together() cannot be in a nested atomic().")
        self.writes.append(write)

    def flush(self) -> None:
        if len(self.writes) < 2:
            for write in self.writes:
                write.run(self.connection)
            return
        sql = _combined_sql(self.writes)
        params = [param for write in self.writes for param in write.params]
        with transaction.mark_for_rollback_on_error(), self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            results: dict[int, list[tuple]] = {}
            for index, value in cursor.fetchall():
                results.setdefault(index, []).append((value,))
            for index, write in enumerate(self.writes):
                write.done(results.get(index, []))


_batch: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("clicknback_rows_batch", default=None)
_combined: dict[tuple[str, ...], str] = {}


def _combined_sql(writes: list[_Write]) -> str:
    """One statement running each write as a data-modifying CTE, built once per shape.

    Its rows are ``(write index, value)``: the generated key of each inserted row (in the
    order of the VALUES list, as Django's ``bulk_create`` relies on) and each update's
    row count. PostgreSQL runs every data-modifying CTE exactly once, read or not.
    """
    shape = tuple(write.sql for write in writes)
    sql = _combined.get(shape)
    if sql is None:
        ctes, answers = [], []
        for index, write in enumerate(writes):
            auto = write.writer._auto
            if write.update:
                ctes.append(f"w{index} AS ({write.sql} RETURNING 1)")
                answers.append(f"SELECT {index}, count(*) FROM w{index}")  # noqa: S608  # nosec B608
            else:
                ctes.append(f"w{index} AS ({write.sql})")
                if auto is not None:
                    key = write.writer._quote(auto.column)
                    answers.append(f"SELECT {index}, {key}::bigint FROM w{index}")  # noqa: S608  # nosec B608
        answers = answers or ["SELECT 0, 0::bigint WHERE false"]
        sql = _combined[shape] = "WITH {} {}".format(", ".join(ctes), " UNION ALL ".join(answers))
    return sql


@contextmanager
def write_together() -> Iterator[None]:
    """Send the block's ``RowWriter`` inserts and updates as one statement when it ends.

    For a run of writes whose results nothing in the block reads back, like the rows of
    one money movement. The writes are made together or not at all: if the block raises,
    none is sent. When they are sent, each keeps its meaning: a constraint violation is
    Django's ``IntegrityError`` and marks the transaction for rollback, an update of a row
    that is not stored raises ``DoesNotExist``, auto primary keys are set on the instances.
    Must run inside ``transaction.atomic()`` and contain no nested ``atomic()`` around a
    write; a block inside another joins it.
    """
    if _batch.get() is not None:
        yield
        return
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block:
        raise TransactionManagementError("write_together() must be used inside transaction.atomic().")
    batch = _Batch(connection, len(connection.atomic_blocks))
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    batch.flush()
