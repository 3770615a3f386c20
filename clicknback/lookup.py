"""One way to say "no such row": the contract's 404 ``NOT_FOUND`` (§1.1).

A malformed id names no row, so it is a 404 like an unknown one, never a 422 or a 500.
Selectors, services and views all look rows up through these two functions.
"""

import uuid
from typing import Any, TypeVar, overload

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from clicknback.errors import NotFound

M = TypeVar("M", bound=Model)
R = TypeVar("R")  # what a queryset yields: instances, or values with values_list()

# What Django raises for a value that cannot be an id of the column: a malformed UUID
# string is a ValidationError, other shapes a ValueError or a TypeError.
MALFORMED_ID_ERRORS = (ValueError, TypeError, ValidationError)


@overload
def get_object_or_not_found(queryset_or_model: type[M], resource_type: str, **lookup: object) -> M: ...
@overload
def get_object_or_not_found(queryset_or_model: QuerySet[Any, R], resource_type: str, **lookup: object) -> R: ...
def get_object_or_not_found(
    queryset_or_model: type[Model] | QuerySet[Any, Any], resource_type: str, **lookup: object
) -> Any:
    """``queryset.get(**lookup)``, or ``NotFound(resource_type, <the looked-up value>)``.

    ``get_object_or_not_found(Merchant, "merchant", pk=merchant_id)``, or with a queryset
    for joins and locks: ``get_object_or_not_found(Offer.objects.select_for_update(),
    "offer", pk=offer_id)``. The 404 names the first lookup value as ``resource_id``.
    """
    if not lookup:
        raise TypeError("get_object_or_not_found needs at least one lookup, e.g. pk=...")
    if isinstance(queryset_or_model, type):
        queryset: QuerySet[Any, Any] = queryset_or_model._default_manager.all()
    else:
        queryset = queryset_or_model
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, *MALFORMED_ID_ERRORS):
        raise NotFound(resource_type, next(iter(lookup.values()))) from None


def uuid_or_not_found(value: object, resource_type: str) -> uuid.UUID:
    """``value`` as a UUID, or ``NotFound(resource_type, value)`` when it cannot be one.

    For an id handed on before any read (e.g. to a service that locks the row), so a
    malformed one is refused as a 404 at the door.
    """
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(resource_type, value) from None
