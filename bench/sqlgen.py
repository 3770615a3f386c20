"""SQL text built from the Django models, so the seed and the pgbench scripts always match
the real tables: table and column names come from ``_meta``, and every column the bench
does not set explicitly gets the model field's default as a literal."""

import json
import uuid
from datetime import date, datetime
from decimal import Decimal

from django.db import models


def literal(value) -> str:
    """A PostgreSQL literal for a Python default value."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return quote(json.dumps(value)) + "::jsonb"
    if isinstance(value, uuid.UUID | date | datetime):
        return quote(str(value))
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table(model: type[models.Model]) -> str:
    return model._meta.db_table


def columns(model: type[models.Model], exprs: dict[str, str]) -> tuple[list[str], list[str]]:
    """(column names, SQL expressions) for every concrete column of ``model``.

    ``exprs`` maps a field name or column name to an SQL expression; the other columns get
    the field's default, or NULL when nullable. A required column without either is an error,
    so a new NOT NULL column in a migration makes the bench fail loudly instead of lying.
    """
    names, values = [], []
    remaining = dict(exprs)
    for field in model._meta.concrete_fields:
        expr = remaining.pop(field.column, None) or remaining.pop(field.name, None)
        if expr is None:
            if field.has_default():
                expr = _default_sql(field)
            elif field.null:
                expr = "NULL"
            elif isinstance(field, models.AutoField | models.BigAutoField):
                continue
            else:
                raise ValueError(f"{model.__name__}.{field.name} needs a value in the bench SQL")
        names.append(field.column)
        values.append(expr)
    if remaining:
        raise ValueError(f"{model.__name__} has no columns {sorted(remaining)}")
    return names, values


def _default_sql(field: models.Field) -> str:
    default = field.default
    if default is uuid.uuid4:
        return "gen_random_uuid()"
    if callable(default) and getattr(default, "__name__", "") == "now":
        return "now()"
    return literal(field.get_default())


def insert_select(model: type[models.Model], exprs: dict[str, str], source: str) -> str:
    """``INSERT INTO <table> (<all columns>) SELECT <exprs> <source>``."""
    names, values = columns(model, exprs)
    return f"INSERT INTO {table(model)} ({', '.join(names)}) SELECT {', '.join(values)} {source}"


def insert_values(model: type[models.Model], exprs: dict[str, str]) -> str:
    """``INSERT INTO <table> (<all columns>) VALUES (<exprs>)`` for one row."""
    names, values = columns(model, exprs)
    return f"INSERT INTO {table(model)} ({', '.join(names)}) VALUES ({', '.join(values)})"
