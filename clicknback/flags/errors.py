from clicknback.errors import DomainError


class FeatureFlagScopeIdRequired(DomainError):
    code = "FEATURE_FLAG_SCOPE_ID_REQUIRED"
    http_status = 422
    default_message = "A merchant or user scoped flag needs a scope_id."

    def __init__(self, scope_type: str):
        super().__init__(
            f"A {scope_type} scoped flag needs a scope_id.",
            details={"violations": [{"field": "scope_id", "reason": f"Required when scope_type is {scope_type}."}]},
        )


class FeatureFlagNotFound(DomainError):
    code = "FEATURE_FLAG_NOT_FOUND"
    http_status = 404
    default_message = "No such feature flag."

    def __init__(self, key: str = "", scope_type: str = "global", scope_id=None):
        scope = scope_type if scope_id is None else f"{scope_type}:{scope_id}"
        super().__init__(
            f"No feature flag {key!r} for scope {scope}.",
            details={"key": key, "scope_type": scope_type, "scope_id": None if scope_id is None else str(scope_id)},
        )
