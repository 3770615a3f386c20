"""Domain errors: services raise these; the API exception handler renders them.

Each error declares its contract ``code`` and ``http_status``; services never import DRF.
"""

from typing import Any


class DomainError(Exception):
    code = "DOMAIN_ERROR"
    http_status = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    """Business validation of a single field, rendered like a schema violation."""

    code = "VALIDATION_ERROR"
    http_status = 422
    default_message = "The request is not valid."

    def __init__(
        self, message: str | None = None, *, field: str | None = None, reason: str | None = None, details=None
    ):
        details = dict(details or {})
        if field is not None:
            details.setdefault("violations", [{"field": field, "reason": reason or message or self.default_message}])
        super().__init__(message, details=details)


class NotFound(DomainError):
    code = "NOT_FOUND"
    http_status = 404
    default_message = "The resource was not found."

    def __init__(self, resource_type: str, resource_id: object, message: str | None = None):
        super().__init__(
            message or f"{resource_type} {resource_id} was not found.",
            details={"resource_type": resource_type, "resource_id": str(resource_id)},
        )


class Forbidden(DomainError):
    code = "FORBIDDEN"
    http_status = 403
    default_message = "You are not allowed to do this."

    def __init__(self, message: str | None = None, *, reason: str | None = None):
        super().__init__(message, details={"reason": reason} if reason else {})


class Conflict(DomainError):
    code = "CONFLICT"
    http_status = 409
    default_message = "The resource is in a state that does not allow this."


class PayloadTooLarge(DomainError):
    """A request body above ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes."""

    code = "PAYLOAD_TOO_LARGE"
    http_status = 413
    default_message = "The request body is too large."

    def __init__(self, max_bytes: int | None = None):
        message = f"The request body is larger than {max_bytes} bytes." if max_bytes else None
        super().__init__(message, details={"max_bytes": max_bytes} if max_bytes else {})
