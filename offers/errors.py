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
    default_message = "Another active offer of this merchant overlaps these dates."

    def __init__(self, merchant_id, active_offer_id=None):
        details = {"merchant_id": str(merchant_id)}
        if active_offer_id is not None:
            details["conflicting_offer_id"] = str(active_offer_id)
            details["active_offer_id"] = str(active_offer_id)  # the name older clients read
        super().__init__(
            f"An active offer of merchant {merchant_id} overlaps these dates: schedule this one after it ends, "
            "or change or deactivate that one first.",
            details=details,
        )
