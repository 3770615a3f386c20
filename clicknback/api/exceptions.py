"""One exception handler renders every error as {"error": {"code", "message", "details"}}."""

import logging
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from clicknback.errors import DomainError, PayloadTooLarge
from clicknback.redact import scrub_database_errors
from clicknback.request_context import get_request_id

logger = logging.getLogger("clicknback.api")


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _violations(detail, prefix: str = "") -> list[dict]:
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = prefix if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else str(key))
            out.extend(_violations(value, name))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"field": prefix or "body", "reason": str(item)} for item in detail[:1]] or []
        out = []
        for index, item in enumerate(detail):
            if item:
                out.extend(_violations(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return [{"field": prefix or "body", "reason": str(detail)}]


def _auth_code(exc: drf.APIException) -> tuple[str, str]:
    code = getattr(exc, "contract_code", None)
    if code:
        return code, str(exc.detail)
    return "INVALID_TOKEN", "Authentication credentials were not provided or are invalid."


def render_exception(exc: Exception) -> tuple[int, dict, dict]:
    """Map an exception to (status, body, headers); unknown ones become a 500."""
    if isinstance(exc, RequestDataTooBig):
        # Django refused the body by its Content-Length, before reading it.
        exc = PayloadTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if isinstance(exc, DomainError):
        return exc.http_status, error_body(exc.code, exc.message, exc.details), {}
    if isinstance(exc, (Http404, drf.NotFound)):
        return 404, error_body("NOT_FOUND", "The requested resource was not found."), {}
    if isinstance(exc, drf.ValidationError):
        violations = _violations(exc.detail)
        message = violations[0]["reason"] if len(violations) == 1 else "The request is not valid."
        if len(violations) == 1 and violations[0]["field"] != "body":
            message = f"{violations[0]['field']}: {violations[0]['reason']}"
        return 422, error_body("VALIDATION_ERROR", message, {"violations": violations}), {}
    if isinstance(exc, drf.ParseError):
        # The API's parser says why (clicknback/api/parsers.py); another parser's detail may quote internals.
        reason = getattr(exc, "contract_reason", None) or "The body is not valid JSON."
        violations = [{"field": "body", "reason": reason}]
        return 422, error_body("VALIDATION_ERROR", reason, {"violations": violations}), {}
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        code, message = _auth_code(exc)
        details = getattr(exc, "contract_details", {}) or {}
        challenge = 'Api-Key realm="partner"' if code == "INVALID_API_KEY" else 'Bearer realm="api"'
        return 401, error_body(code, message, details), {"WWW-Authenticate": challenge}
    if isinstance(exc, (drf.PermissionDenied, DjangoPermissionDenied)):
        return 403, error_body("FORBIDDEN", "You are not allowed to do this.", {"reason": "role"}), {}
    if isinstance(exc, drf.MethodNotAllowed):
        return 405, error_body("METHOD_NOT_ALLOWED", str(exc.detail)), {}
    if isinstance(exc, drf.Throttled):
        # Throttled sets .wait in __init__; djangorestframework-stubs does not declare it.
        wait = math.ceil(exc.wait) if exc.wait is not None else 60  # type: ignore[attr-defined]
        return (
            429,
            error_body("RATE_LIMITED", "Too many requests; try again later.", {"retry_after": wait}),
            {"Retry-After": str(wait)},
        )
    if isinstance(exc, drf.UnsupportedMediaType):
        return 415, error_body("UNSUPPORTED_MEDIA_TYPE", str(exc.detail)), {}
    if isinstance(exc, drf.NotAcceptable):
        return 406, error_body("NOT_ACCEPTABLE", str(exc.detail)), {}
    if isinstance(exc, drf.APIException):
        return exc.status_code, error_body(str(exc.default_code).upper(), str(exc.detail)), {}
    # Database errors quote rows and request data in their DETAIL and CONTEXT lines.
    scrub_database_errors(exc)
    if isinstance(exc, DatabaseOperationalError):
        # The database is unreachable (restart, failover): not a bug, and worth a retry.
        logger.warning("Database unavailable", exc_info=exc, extra={"request_id": get_request_id()})
        body = error_body(
            "SERVICE_UNAVAILABLE", "The service is temporarily unavailable; try again shortly.", {"retry_after": 5}
        )
        return 503, body, {"Retry-After": "5"}
    request_id = get_request_id()
    logger.error("Unhandled exception", exc_info=exc, extra={"request_id": request_id})
    return (
        500,
        error_body("INTERNAL_SERVER_ERROR", "An unexpected error occurred.", {"request_id": request_id}),
        {},
    )


def exception_handler(exc, context):
    status, body, headers = render_exception(exc)
    return Response(body, status=status, headers=headers)


def _wants_json(request) -> bool:
    path = request.path
    return path.startswith(("/api/", "/health")) or "application/json" in request.headers.get("Accept", "")


def json_404(request, exception=None):
    from django.shortcuts import render

    if _wants_json(request):
        return JsonResponse(error_body("NOT_FOUND", f"No route matches {request.path}."), status=404)
    return render(request, "404.html", status=404)


def json_500(request):
    from django.shortcuts import render

    if _wants_json(request):
        body = error_body("INTERNAL_SERVER_ERROR", "An unexpected error occurred.", {"request_id": get_request_id()})
        return JsonResponse(body, status=500)
    return render(request, "500.html", status=500)
