"""The error envelope is the contract: every error class renders through one handler."""

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions as drf

from clicknback.api.authentication import ContractAuthenticationFailed
from clicknback.api.exceptions import exception_handler
from clicknback.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed


def _all_domain_errors():
    from django.apps import apps

    import clicknback.errors  # noqa: F401 - make sure every app's errors are imported

    for config in apps.get_app_configs():
        try:
            __import__(f"{config.name}.errors")
        except ModuleNotFoundError:
            pass
        try:
            __import__(f"{config.name}.services")
        except ModuleNotFoundError:
            pass
    seen, stack = [], [DomainError]
    while stack:
        cls = stack.pop()
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen


def _instantiate(cls):
    if issubclass(cls, NotFound):
        return cls("thing", "42")
    try:
        return cls()
    except TypeError:
        return cls("message")


@pytest.mark.parametrize("cls", _all_domain_errors(), ids=lambda c: c.__name__)
def test_every_domain_error_renders_the_envelope_with_its_code_and_status(cls):
    # given
    exc = _instantiate(cls)
    # when
    response = exception_handler(exc, {})
    # then
    assert response.status_code == cls.http_status
    assert set(response.data) == {"error"}
    assert set(response.data["error"]) == {"code", "message", "details"}
    assert response.data["error"]["code"] == cls.code
    assert isinstance(response.data["error"]["details"], dict)
    assert response.data["error"]["message"]


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (drf.ValidationError({"amount": ["Must be greater than 0."]}), 422, "VALIDATION_ERROR"),
        (drf.ParseError(), 422, "VALIDATION_ERROR"),
        (drf.NotAuthenticated(), 401, "INVALID_TOKEN"),
        (drf.AuthenticationFailed(), 401, "INVALID_TOKEN"),
        (ContractAuthenticationFailed("EXPIRED_TOKEN", "expired"), 401, "EXPIRED_TOKEN"),
        (drf.PermissionDenied(), 403, "FORBIDDEN"),
        (DjangoPermissionDenied(), 403, "FORBIDDEN"),
        (drf.NotFound(), 404, "NOT_FOUND"),
        (Http404(), 404, "NOT_FOUND"),
        (drf.MethodNotAllowed("DELETE"), 405, "METHOD_NOT_ALLOWED"),
        (drf.Throttled(wait=12), 429, "RATE_LIMITED"),
        (drf.UnsupportedMediaType("text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (drf.NotAcceptable(), 406, "NOT_ACCEPTABLE"),
        (RuntimeError("secret SQL here"), 500, "INTERNAL_SERVER_ERROR"),
        (OperationalError("connection refused: secret SQL here"), 503, "SERVICE_UNAVAILABLE"),
    ],
)
def test_framework_and_unknown_errors_render_the_envelope(exc, status, code):
    # when
    response = exception_handler(exc, {})
    # then
    assert response.status_code == status
    assert response.data["error"]["code"] == code
    assert "secret SQL" not in str(response.data)


def test_validation_errors_list_violations_with_dotted_field_names():
    # given
    exc = drf.ValidationError({"details": {"iban": ["Invalid checksum."]}, "amount": ["Required."]})
    # when
    body = exception_handler(exc, {}).data
    # then
    assert body["error"]["details"]["violations"] == [
        {"field": "details.iban", "reason": "Invalid checksum."},
        {"field": "amount", "reason": "Required."},
    ]


def test_throttled_sets_retry_after_header():
    response = exception_handler(drf.Throttled(wait=7.2), {})
    assert response["Retry-After"] == "8"


def test_domain_helpers_carry_their_details():
    assert exception_handler(NotFound("purchase", "abc"), {}).data["error"]["details"] == {
        "resource_type": "purchase",
        "resource_id": "abc",
    }
    assert exception_handler(Forbidden(reason="ownership"), {}).data["error"]["details"] == {"reason": "ownership"}
    violations = exception_handler(ValidationFailed("bad", field="limit", reason="too big"), {}).data["error"]
    assert violations["details"]["violations"] == [{"field": "limit", "reason": "too big"}]
    assert exception_handler(Conflict(), {}).status_code == 409
