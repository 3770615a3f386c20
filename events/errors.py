from clicknback.errors import DomainError


class WebhookUrlNotAllowed(DomainError):
    code = "WEBHOOK_URL_NOT_ALLOWED"
    http_status = 422
    default_message = "The webhook URL is not allowed."


class WebhookEndpointInactive(DomainError):
    code = "WEBHOOK_ENDPOINT_INACTIVE"
    http_status = 409
    default_message = "The webhook endpoint is deactivated; it must be reactivated first."
