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
    401: error("INVALID_TOKEN, EXPIRED_TOKEN or USER_INACTIVE"),
    429: error("RATE_LIMITED"),
}
ADMIN_ERRORS = {**AUTH_ERRORS, 403: error("FORBIDDEN: admin role required")}
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
