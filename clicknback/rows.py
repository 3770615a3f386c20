"""Single-row reads for the hottest request paths, without per-call SQL compilation.

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
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
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
