"""Partner errors (contract §13): each declares its code and HTTP status."""

from clicknback.errors import DomainError


class PartnerNameTaken(DomainError):
    code = "PARTNER_NAME_TAKEN"
    http_status = 409
    default_message = "A partner with this name already exists."


class InvalidSignature(DomainError):
    code = "INVALID_SIGNATURE"
    http_status = 401
    default_message = "The postback signature is missing, wrong or too old."
