"""Single-row reads and plain writes for the hottest paths, without per-call SQL compilation.

Every authenticated API request reads its user row, and the wallet summary reads one
wallet row. Through the ORM, building and compiling ``Model.objects.get(pk=...)`` costs
several times the database round trip itself (bench/NOTEBOOK.md). ``RowReader`` builds
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

``insert`` and ``update`` send their statement at once, like the ORM. ``inserting`` and
``updating`` only build it (a ``Write``), for ``send_together``: the rows of one money
movement (say the cashback, the wallet, the ledger entry and the audit entry) listed at
the call site and sent as one statement of data-modifying CTEs, because on this workload
each round trip to PostgreSQL costs more CPU than the statement it carries
(bench/NOTEBOOK.md, "What a round trip costs"). Nothing is ever deferred behind the
caller's back: a ``Write`` that is not passed to ``send_together`` (or ``send``) is
never written.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import AutoField, Field, Model
from django.db.transaction import TransactionManagementError

from clicknback.sql import concrete_field

M = TypeVar("M", bound=Model)


class RowReader(Generic[M]):
    def __init__(self, model: type[M], *, by: str, for_update: bool = False):
        self.model = model
        self.for_update = for_update
        self.lookup_field = concrete_field(model, by)
        if not (self.lookup_field.unique or self.lookup_field.primary_key):
            raise ValueError(f"{model.__name__}.{by} is not unique; RowReader reads one row.")
        self._compiled: tuple[str, list[str], list[Any]] | None = None

    def _compile(self) -> tuple[str, list[str], list[Any]]:
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
                # Field.get_db_converters exists (Django's compiler calls it) but is missing from django-stubs.
                functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)  # type: ignore[attr-defined]
                if functions:
                    converters.append((index, column, functions))
            self._compiled = (sql, [field.attname for field in fields], converters)
        return self._compiled

    def get(self, value: object) -> M | None:
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


@dataclass(slots=True)
class Write:
    """One built, unsent write: its SQL, its parameters and what it answers.

    An insert answers the generated keys of its rows (set on ``instances``); an update
    answers how many rows it changed, which must be ``expected_rows`` or the model's
    ``DoesNotExist`` is raised.
    """

    model: type[Model]
    sql: str
    params: list
    instances: Sequence[Model] = ()
    auto_attname: str | None = None  # an insert whose rows get generated keys
    expected_rows: int | None = None  # an update

    @property
    def returns_keys(self) -> bool:
        return self.auto_attname is not None

    def send(self) -> None:
        """Send this write alone."""
        send_together(self)

    def _done(self, answers: list) -> None:
        if self.expected_rows is not None:
            changed = answers[0] if answers else 0
            if changed != self.expected_rows:
                # Every concrete model has DoesNotExist; django-stubs gives it only to named model classes.
                raise self.model.DoesNotExist(  # type: ignore[attr-defined]
                    f"{self.model.__name__}: {changed} of {self.expected_rows} rows to update are stored."
                )
            return
        if self.auto_attname is not None:
            for instance, pk in zip(self.instances, answers, strict=True):
                setattr(instance, self.auto_attname, pk)
        for instance in self.instances:
            instance._state.adding = False
            instance._state.db = DEFAULT_DB_ALIAS


class RowWriter(Generic[M]):
    """Precompiled ``INSERT`` of new instances and ``UPDATE`` of some fields of one row."""

    def __init__(self, model: type[M]):
        self.model = model
        meta = model._meta
        self._auto = meta.pk if isinstance(meta.pk, AutoField) else None
        self._insert_fields = [field for field in meta.concrete_fields if field is not self._auto]
        self._inserts: dict[int, str] = {}  # 1: one row (VALUES), 2: several (unnest)
        self._updates: dict[tuple[str, ...], tuple[str, list[Field]]] = {}

    def _quote(self, name: str) -> str:
        return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)

    def _insert_sql(self, count: int) -> str:
        """``INSERT ... VALUES (row)`` for one row; for several, ``INSERT ... SELECT * FROM
        unnest(column arrays)``: one placeholder per column whatever the row count (as
        Django's own ``bulk_create`` does on PostgreSQL), so a batch's statement is the
        same text for any size, parsed and planned as cheaply as a single row's."""
        key = min(count, 2)
        sql = self._inserts.get(key)
        if sql is None:
            connection = connections[DEFAULT_DB_ALIAS]
            if key == 1:
                rows = "VALUES ({})".format(", ".join(["%s"] * len(self._insert_fields)))
            else:
                # Types without their parameters (varchar[], numeric[]), so nothing is truncated.
                casts = [f"%s::{str(field.db_type(connection)).split('(')[0]}[]" for field in self._insert_fields]
                rows = "SELECT * FROM unnest({})".format(", ".join(casts))  # noqa: S608 - types from the models  # nosec B608
            # Identifiers come from the model's metadata, quoted; values are bound parameters.
            sql = "INSERT INTO {table} ({columns}) {rows}{returning}".format(  # nosec B608
                table=self._quote(self.model._meta.db_table),
                columns=", ".join(self._quote(field.column) for field in self._insert_fields),
                rows=rows,
                returning=f" RETURNING {self._quote(self._auto.column)}" if self._auto else "",
            )
            self._inserts[key] = sql
        return sql

    def inserting(self, instances: Sequence[M]) -> Write:
        """The ``INSERT`` of new instances, built (values prepared as the ORM does) but not sent."""
        connection = connections[DEFAULT_DB_ALIAS]
        rows = [
            [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in self._insert_fields]
            for instance in instances
        ]
        params = rows[0] if len(rows) == 1 else [list(column) for column in zip(*rows, strict=True)]
        return Write(
            model=self.model,
            sql=self._insert_sql(len(instances)),
            params=params,
            instances=instances,
            auto_attname=self._auto.attname if self._auto is not None else None,
        )

    def insert(self, instances: Sequence[M]) -> Sequence[M]:
        """Insert new instances with one statement, now; auto primary keys are set on them."""
        if instances:
            self.inserting(instances).send()
        return instances

    def insert_absent(self, instances: Sequence[M], *, unique: str) -> list[M]:
        """Insert the instances whose ``unique`` column holds no stored value yet; return those inserted.

        One ``INSERT ... ON CONFLICT (unique) DO NOTHING``, rows in the order given (callers
        pass them sorted, so two transactions meet their common keys in the same order).
        An instance whose value is stored, or is being inserted by a transaction that then
        commits, is left out, never an error. The primary key must be set on the instances.
        """
        if not instances:
            return []
        write = self.inserting(instances)
        meta = self.model._meta
        pk_column = self._quote(meta.pk.column)
        sql = write.sql.split(" RETURNING ")[0]
        sql += (
            f" ON CONFLICT ({self._quote(concrete_field(self.model, unique).column)}) DO NOTHING RETURNING {pk_column}"
        )
        connection = connections[DEFAULT_DB_ALIAS]
        with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
            cursor.execute(sql, write.params)
            stored = {meta.pk.to_python(row[0]) for row in cursor.fetchall()}
        inserted = [instance for instance in instances if instance.pk in stored]
        for instance in inserted:
            instance._state.adding = False
            instance._state.db = DEFAULT_DB_ALIAS
        return inserted

    def updating(self, instance: M, fields: Sequence[str]) -> Write:
        """The ``UPDATE`` of ``fields`` (plus any ``auto_now`` field) of a stored instance, not sent."""
        key = tuple(fields)
        compiled = self._updates.get(key)
        if compiled is None:
            meta = self.model._meta
            chosen = [concrete_field(self.model, name) for name in fields]
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
        return Write(model=self.model, sql=sql, params=params, expected_rows=1)

    def update(self, instance: M, fields: Sequence[str]) -> None:
        """Write ``fields`` of a stored instance now; ``DoesNotExist`` when no row has its key."""
        self.updating(instance, fields).send()


_combined: dict[tuple[str, ...], str] = {}


def _combined_sql(writes: Sequence[Write]) -> str:
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
            if write.expected_rows is not None:
                ctes.append(f"w{index} AS ({write.sql} RETURNING 1)")
                answers.append(f"SELECT {index}, count(*) FROM w{index}")  # noqa: S608  # nosec B608
            else:
                ctes.append(f"w{index} AS ({write.sql})")
                if write.returns_keys:
                    answers.append(f"SELECT {index}, * FROM w{index}")  # noqa: S608  # nosec B608
        answers = answers or ["SELECT 0, 0 WHERE false"]
        sql = _combined[shape] = "WITH {} {}".format(", ".join(ctes), " UNION ALL ".join(answers))
    return sql


def send_together(*writes: Write) -> None:
    """Send ``writes`` now, as one statement when there are several, inside the caller's transaction.

    They are made together or not at all, and each keeps its meaning: a ``CHECK`` or
    unique violation is Django's ``IntegrityError`` and marks the transaction for
    rollback, an update of a row that is not stored raises ``DoesNotExist``, generated
    keys are set on the inserted instances.
    """
    writes = tuple(write for write in writes if write.instances or write.expected_rows is not None)
    if not writes:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    if len(writes) > 1 and not connection.in_atomic_block:
        raise TransactionManagementError("send_together() of several writes must be inside transaction.atomic().")
    with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
        if len(writes) == 1:
            (write,) = writes
            cursor.execute(write.sql, write.params)
            if write.expected_rows is not None:
                answers = [cursor.rowcount]
            else:
                answers = [row[0] for row in cursor.fetchall()] if write.returns_keys else []
            results = {0: answers}
        else:
            cursor.execute(_combined_sql(writes), [param for write in writes for param in write.params])
            results = {}
            for index, value in cursor.fetchall():
                results.setdefault(index, []).append(value)
    for index, write in enumerate(writes):
        write._done(results.get(index, []))
