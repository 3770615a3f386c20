"""Plain SQL for the few hot-path reads where the ORM costs more than the statement.

Identifiers always come from the models (``table``/``column``), so a renamed table or
field changes the SQL with it (or fails loudly); values are always parameters.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Field, Model


def concrete_field(model: type[Model], field_name: str) -> Field:
    """The model's field ``field_name``, which must be a field of the model itself
    (``get_field`` also answers reverse relations, which have no column)."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, Field):
        raise FieldDoesNotExist(f"{model.__name__}.{field_name} is not a field of the model's table.")
    return field


def table(model: type[Model]) -> str:
    """The model's quoted table name."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], field_name: str) -> str:
    """The quoted, table-qualified column of a model field (``"merchant"`` → ``merchant_id``)."""
    return f"{table(model)}.{connection.ops.quote_name(concrete_field(model, field_name).column)}"


def column_name(model: type[Model], field_name: str) -> str:
    """The quoted, unqualified column of a model field (for INSERT column lists)."""
    return connection.ops.quote_name(concrete_field(model, field_name).column)
