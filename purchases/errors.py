"""Purchase errors (API contract §6): each declares its code and HTTP status."""

from clicknback.errors import DomainError


class DuplicatePurchase(DomainError):
    code = "DUPLICATE_PURCHASE"
    http_status = 409
    default_message = "A purchase with this external_id already exists."


class UnsupportedCurrency(DomainError):
    code = "UNSUPPORTED_CURRENCY"
    http_status = 422
    default_message = "Only EUR purchases are supported."


class MerchantNotEligible(DomainError):
    code = "MERCHANT_NOT_ELIGIBLE"
    http_status = 422
    default_message = "The merchant is unknown or inactive."


class OfferNotAvailable(DomainError):
    code = "OFFER_NOT_AVAILABLE"
    http_status = 422
    default_message = "The merchant has no active offer valid today."


class PurchaseNotPending(DomainError):
    code = "PURCHASE_NOT_PENDING"
    http_status = 409
    default_message = "Only a pending purchase can be confirmed or rejected."


class PurchaseAlreadyReversed(DomainError):
    code = "PURCHASE_ALREADY_REVERSED"
    http_status = 409
    default_message = "The purchase is already reversed."


class PurchaseNotReversible(DomainError):
    code = "PURCHASE_NOT_REVERSIBLE"
    http_status = 409
    default_message = "A rejected purchase cannot be reversed."


class InvalidPurchaseStatus(DomainError):
    code = "INVALID_PURCHASE_STATUS"
    http_status = 422
    default_message = "Unknown purchase status."


class MerchantNotAllowed(DomainError):
    code = "MERCHANT_NOT_ALLOWED"
    http_status = 403
    default_message = "This partner is not linked to the merchant."


class UserNotEligible(DomainError):
    code = "USER_NOT_ELIGIBLE"
    http_status = 422
    default_message = "The user is unknown or deactivated."


class PurchaseDateOutOfRange(DomainError):
    code = "PURCHASE_DATE_OUT_OF_RANGE"
    http_status = 422
    default_message = "purchased_at is too far in the past or in the future."


class ReturnExceedsPurchase(DomainError):
    code = "RETURN_EXCEEDS_PURCHASE"
    http_status = 422
    default_message = "The return is larger than what is left of the purchase."
