"""Errors of registration, login and token refresh (API contract §3)."""

from clicknback.errors import DomainError


class PasswordNotComplexEnough(DomainError):
    code = "PASSWORD_NOT_COMPLEX_ENOUGH"
    http_status = 400
    default_message = "The password is not complex enough."

    def __init__(self, reason: str):
        super().__init__(
            f"The password is not complex enough: {reason[0].lower()}{reason[1:]}",
            details={"violations": [{"field": "password", "reason": reason}]},
        )


class EmailAlreadyRegistered(DomainError):
    code = "EMAIL_ALREADY_REGISTERED"
    http_status = 409
    default_message = "This email is already registered."

    def __init__(self, email: str):
        super().__init__(f"The email {email} is already registered.", details={"email": email})


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"
    http_status = 401
    default_message = "The email or password is incorrect."


class UserInactive(DomainError):
    code = "USER_INACTIVE"
    http_status = 401
    default_message = "This account is deactivated."

    def __init__(self, user_id):
        super().__init__(details={"user_id": str(user_id)})


class InvalidRefreshToken(DomainError):
    code = "INVALID_REFRESH_TOKEN"
    http_status = 401
    default_message = "The refresh token is invalid or expired."


class TokenRevoked(DomainError):
    code = "TOKEN_REVOKED"
    http_status = 401
    default_message = "This refresh token was already used or has been revoked; sign in again."


class InvalidResetToken(DomainError):
    code = "INVALID_RESET_TOKEN"
    http_status = 400
    default_message = "This password reset link is invalid, used or expired."


class CannotDeactivateSelf(DomainError):
    code = "CANNOT_DEACTIVATE_SELF"
    http_status = 409
    default_message = "You cannot deactivate your own account."
