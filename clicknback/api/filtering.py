"""List filters: django-filter ``FilterSet``s run one way, refused with the contract's 422.

Each app declares its list filters in ``filters.py`` with the filter classes below, and a
view runs them with ``filter_query``::

    filters = filter_query(OfferFilter, request, selectors.offer_list())
    queryset = filters.qs                  # or filters.form.cleaned_data for a SQL fast path

The selector gives the list's base queryset (its owner or visibility scope, joins and
order); the FilterSet narrows it with the client's filters.

A bad value is a 422 ``VALIDATION_ERROR`` with one ``{"field", "reason"}`` violation per
bad parameter (§1.1); a FilterSet may name a parameter whose bad value the contract
gives its own code (``domain_errors``). An empty or blank parameter means "no filter".
``filter_parameters`` describes the same filters to the OpenAPI schema, so the schema
and the validation cannot drift apart.

The filters are django-filter's, made stricter where its form fields accept more than
the contract (booleans other than true/false/1/0 were silently ignored, dates in any
locale format were accepted).
"""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django_filters.fields import ChoiceField as FilterChoiceField
from drf_spectacular.utils import OpenApiParameter

from clicknback.errors import DomainError, ValidationFailed

TEXT_MAX_LENGTH = 255
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- form fields ---------------------------------------------------------------------


class _BooleanField(forms.Field):
    """``true``/``false``/``1``/``0`` (any case); anything else is refused, not ignored."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_python(self, value):
        if isinstance(value, bool) or value is None:
            return value
        text = str(value).strip().lower()
        if text == "":
            return None
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class _DateField(forms.DateField):
    """A calendar date written ``YYYY-MM-DD`` (the contract's only date format)."""

    default_error_messages = {"invalid": "Must be a date in YYYY-MM-DD format."}

    def to_python(self, value):
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        text = "" if value is None else str(value).strip()
        if text == "":
            return None
        if _DATE.match(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class _ChoiceField(FilterChoiceField):
    """One of the choices, surrounding blanks ignored; the reason lists the choices."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = ", ".join(str(value) for value, _ in kwargs.get("choices", ()))
        self.error_messages["invalid_choice"] = f"Must be one of: {allowed}."

    def to_python(self, value):
        return super().to_python(value.strip() if isinstance(value, str) else value)


# --- filters ---------------------------------------------------------------------------


class BooleanFilter(django_filters.BooleanFilter):
    # django-filter takes any form field here; its stubs narrow BooleanFilter's to NullBooleanField.
    field_class = _BooleanField  # type: ignore[assignment]


class DateFilter(django_filters.DateFilter):
    field_class = _DateField


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 timestamp (``2026-11-21T10:15:00Z``); without an offset it is UTC."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": "Must be an ISO 8601 timestamp, e.g. 2026-11-21T10:15:00Z."})
        super().__init__(*args, **kwargs)


class UUIDFilter(django_filters.UUIDFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": "Must be a valid UUID."})
        super().__init__(*args, **kwargs)


class ChoiceFilter(django_filters.ChoiceFilter):
    field_class = _ChoiceField


class TextFilter(django_filters.CharFilter):
    """Exact text, blanks around it removed, at most 255 characters, no NUL character."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", TEXT_MAX_LENGTH)
        super().__init__(*args, **kwargs)


# --- cross-field checks ----------------------------------------------------------------


class FilterForm(forms.Form):
    """Base form of a FilterSet (``Meta.form``): each ``(low, high)`` pair in ``ordered``
    names two bounds of a window; ``low`` after ``high`` is refused on ``low``."""

    ordered: tuple[tuple[str, str], ...] = ()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for low, high in self.ordered:
            start, end = cleaned.get(low), cleaned.get(high)
            if start is not None and end is not None and start > end:
                self.add_error(low, ValidationError(f"Must not be after {high}.", code="reversed"))
        return cleaned


# --- running them ----------------------------------------------------------------------


def filter_query(filterset_class: type[django_filters.FilterSet], request, queryset) -> django_filters.FilterSet:
    """Bind the request's query string to ``filterset_class`` over ``queryset`` and check it.

    Returns the valid FilterSet: ``.qs`` is the filtered queryset, ``.form.cleaned_data``
    the parsed values (``None`` for an absent parameter). Raises the FilterSet's
    ``domain_errors[name](raw value)`` when that parameter is bad, else ``ValidationFailed``
    (422) with a violation per bad parameter, in the FilterSet's order.
    """
    filterset = filterset_class(data=request.query_params, queryset=queryset, request=request)
    if filterset.is_valid():
        return filterset
    errors = filterset.form.errors
    domain_errors: dict[str, Callable[[str], DomainError]] = getattr(filterset_class, "domain_errors", {})
    for name, make_error in domain_errors.items():
        if name in errors:
            raise make_error(request.query_params.get(name, ""))
    violations = [
        {"field": "query" if name == NON_FIELD_ERRORS else name, "reason": str(messages[0])}
        for name, messages in errors.items()
    ]
    if len(violations) == 1:
        message = f"{violations[0]['field']}: {violations[0]['reason']}"
    else:
        message = "The query parameters are not valid."
    raise ValidationFailed(message, details={"violations": violations})


# --- the OpenAPI description -----------------------------------------------------------

_SCHEMAS: list[tuple[type, dict]] = [
    (BooleanFilter, {"type": "boolean"}),
    (DateFilter, {"type": "string", "format": "date"}),
    (DateTimeFilter, {"type": "string", "format": "date-time"}),
    (UUIDFilter, {"type": "string", "format": "uuid"}),
    (ChoiceFilter, {"type": "string"}),
    (TextFilter, {"type": "string"}),
]


def filter_parameters(filterset_class: type[django_filters.FilterSet]) -> list[OpenApiParameter]:
    """The FilterSet's parameters for ``@extend_schema(parameters=...)``: type, format,
    enum, length and pattern as the filters check them, the filter's ``help_text`` as the
    description."""
    parameters = []
    for name, filter_ in filterset_class.base_filters.items():
        schema = next((dict(s) for cls, s in _SCHEMAS if isinstance(filter_, cls)), None)
        if schema is None:
            raise TypeError(f"{filterset_class.__name__}.{name}: use a filter class from clicknback.api.filtering")
        if "max_length" in filter_.extra:
            schema["maxLength"] = filter_.extra["max_length"]
        pattern = next((v.regex.pattern for v in filter_.extra.get("validators", ()) if hasattr(v, "regex")), None)
        choices = filter_.extra.get("choices")
        parameters.append(
            OpenApiParameter(
                name,
                type=schema,
                location=OpenApiParameter.QUERY,
                required=False,
                description=filter_.extra.get("help_text", ""),
                enum=[value for value, _ in choices] if choices else None,
                pattern=pattern,
            )
        )
    return parameters
