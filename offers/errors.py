from clicknback.errors import DomainError


class MerchantNotActive(DomainError):
    code = "MERCHANT_NOT_ACTIVE"
    http_status = 422
    default_message = "The merchant is not active."

    def __init__(self, merchant_id):
        super().__init__(
            f"Merchant {merchant_id} is not active; activate it before creating offers.",
            details={"merchant_id": str(merchant_id)},
        )


class ActiveOfferAlreadyExists(DomainError):
    code = "ACTIVE_OFFER_ALREADY_EXISTS"
    http_status = 409
    default_message = "This merchant already has an active offer."

    def __init__(self, merchant_id, active_offer_id=None):
        details = {"merchant_id": str(merchant_id)}
        if active_offer_id is not None:
            details["active_offer_id"] = str(active_offer_id)
        super().__init__(f"Merchant {merchant_id} already has an active offer; deactivate it first.", details=details)
