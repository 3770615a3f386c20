"""JWT classes. Signing, expiry and type checks are djangorestframework-simplejwt's.

``RotatingRefreshToken`` is simplejwt's plain ``Token`` with the refresh type and
lifetime, deliberately without simplejwt's blacklist mixin: its state (used, revoked,
issued-from) lives in ``users.RefreshTokenRecord``, which also records the lineage the
blacklist does not keep, so reuse of a stolen token can revoke its descendants.
"""

from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, Token

__all__ = ["AccessToken", "RotatingRefreshToken"]


class RotatingRefreshToken(Token):
    token_type = "refresh"  # noqa: S105 - the JWT type claim, not a secret
    lifetime = api_settings.REFRESH_TOKEN_LIFETIME
