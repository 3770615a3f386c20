from clicknback.errors import DomainError


class MerchantNameTaken(DomainError):
    code = "MERCHANT_NAME_TAKEN"
    http_status = 409
    default_message = "A merchant with this name already exists."

    def __init__(self, name: str):
        super().__init__(f"A merchant named {name!r} already exists.", details={"name": name})
