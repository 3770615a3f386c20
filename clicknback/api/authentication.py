"""Bearer JWT authentication that reports the contract's 401 codes.

Token parsing and signature checks come from djangorestframework-simplejwt; this class
only translates its failures into INVALID_TOKEN / EXPIRED_TOKEN / USER_INACTIVE.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken

from clicknback.rows import RowReader


@cache
def _users() -> RowReader[AbstractBaseUser]:
    """The user row is re-read on every request, so a deactivation takes effect at once."""
    return RowReader(get_user_model(), by="id")


class ContractAuthenticationFailed(exceptions.AuthenticationFailed):
    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.contract_code = code
        self.contract_details = details or {}


class BearerTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request)
        if not header:
            return None
        parts = header.split()
        if parts and parts[0].lower() == b"api-key":
            return None  # a partner key: partners.authentication answers it
        if len(parts) != 2 or parts[0].lower() != self.keyword:
            raise ContractAuthenticationFailed("INVALID_TOKEN", "The Authorization header must be 'Bearer <token>'.")
        try:
            # simplejwt annotates the encoded token as Token; it takes the encoded string.
            token = AccessToken(parts[1].decode("ascii", errors="strict"))  # type: ignore[arg-type]
        except ExpiredTokenError:
            raise ContractAuthenticationFailed("EXPIRED_TOKEN", "The access token has expired.") from None
        except (TokenError, UnicodeDecodeError):
            raise ContractAuthenticationFailed("INVALID_TOKEN", "The access token is invalid.") from None
        user = self._user_for(token)
        return user, token

    def _user_for(self, token):
        user_id = token.get("sub")
        if not user_id:
            raise ContractAuthenticationFailed("INVALID_TOKEN", "The access token names no user.")
        try:
            user = _users().get(user_id)
        except (ValueError, TypeError, DjangoValidationError):
            user = None
        if user is None:
            raise ContractAuthenticationFailed("INVALID_TOKEN", "The access token's user does not exist.")
        if not user.is_active:
            raise ContractAuthenticationFailed(
                "USER_INACTIVE", "This account is deactivated.", {"user_id": str(user.pk)}
            )
        changed = getattr(user, "password_changed_at", None)
        if changed is not None and token.get("pwd") != int(changed.timestamp() * 1_000_000):
            # issued before a password change or reset (users.tokens.password_stamp): refused (§3)
            raise ContractAuthenticationFailed("INVALID_TOKEN", "The access token predates a password change.")
        return user

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "clicknback.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
