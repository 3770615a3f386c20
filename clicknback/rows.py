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

Every ``RowWriter`` write is sent when it is called, like the ORM's.
"""

from collections.abc import Sequence

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
        """Insert new instances with one statement; auto primary keys are set on them."""
        if not instances:
            return instances
        connection = connections[DEFAULT_DB_ALIAS]
        params = []
        for instance in instances:
            for field in self._insert_fields:
                params.append(field.get_db_prep_save(field.pre_save(instance, True), connection))
        with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
            cursor.execute(self._insert_sql(len(instances)), params)
            keys = cursor.fetchall() if self._auto is not None else []
        if self._auto is not None:
            for instance, (pk,) in zip(instances, keys, strict=True):
                setattr(instance, self._auto.attname, pk)
        for instance in instances:
            instance._state.adding = False
            instance._state.db = DEFAULT_DB_ALIAS
        return instances

    def update(self, instance: Model, fields: Sequence[str]) -> None:
        """Write ``fields`` (plus any ``auto_now`` field) of a stored instance, by primary key.

        Raises the model's ``DoesNotExist`` when no stored row has that key.
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
        with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            updated = cursor.rowcount
        if updated != 1:
            raise self.model.DoesNotExist(f"{self.model.__name__} {instance.pk} is not stored.")
