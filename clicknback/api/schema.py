"""OpenAPI helpers: the error envelope and standard error responses for @extend_schema."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorEnvelope = inline_serializer(
    name="ErrorEnvelope",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.DictField(),
            },
        )
    },
)


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorEnvelope, description=description)


AUTH_ERRORS = {
    401: error("INVALID_TOKEN, EXPIRED_TOKEN or USER_INACTIVE (INVALID_API_KEY for a bad partner key)"),
    403: error("FORBIDDEN: a partner API key opens only /partner/*"),
    429: error("RATE_LIMITED"),
}
ADMIN_ERRORS = {**AUTH_ERRORS, 403: error("FORBIDDEN: admin role required (a partner key opens only /partner/*)")}
VALIDATION = {422: error("VALIDATION_ERROR")}
NOT_FOUND = {404: error("NOT_FOUND")}


def errors(*groups: dict, **codes: str) -> dict:
    """Merge error response maps: ``errors(AUTH_ERRORS, NOT_FOUND, **{"409": "..."})``."""
    merged: dict = {}
    for group in groups:
        merged.update(group)
    for status, description in codes.items():
        merged[int(status.lstrip("_"))] = error(description)
    return merged


# Answers every operation can give whatever its view says, written into the document by
# a drf-spectacular postprocessing hook (settings.SPECTACULAR_SETTINGS) so that no view
# can forget them. 413 and 415 come from reading a body, so only operations that take one
# list them.
TRANSPORT_ERRORS = {
    "413": ("PAYLOAD_TOO_LARGE: the body is larger than the configured limit (details max_bytes)", True),
    "415": ("UNSUPPORTED_MEDIA_TYPE: the body is not application/json", True),
    "500": ("INTERNAL_SERVER_ERROR: a bug (details request_id)", False),
}
ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}


def document_transport_errors(result, generator, request, public):
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            takes_body = "requestBody" in operation
            for status, (description, needs_body) in TRANSPORT_ERRORS.items():
                if needs_body and not takes_body:
                    continue
                operation["responses"].setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": ENVELOPE_REF}}}
                )
    return result
