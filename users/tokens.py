"""JWT classes. Signing, expiry and type checks are djangorestframework-simplejwt's.

``RotatingRefreshToken`` is simplejwt's plain ``Token`` with the refresh type and
lifetime, deliberately without simplejwt's blacklist mixin: its state (used, revoked,
issued-from) lives in ``users.RefreshTokenRecord``, which also records the lineage the
blacklist does not keep, so reuse of a stolen token can revoke its descendants.
"""

from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, Token

__all__ = ["AccessToken", "RotatingRefreshToken", "access_token_for", "password_stamp"]

# The claim that ties an access token to the password it was issued under: a password
# change or reset changes the user's stamp, so every older token stops matching.
PASSWORD_CLAIM = "pwd"  # noqa: S105 - a claim name, not a secret


def password_stamp(user) -> int:
    """0 until the password is first changed or reset, then the microsecond of that change."""
    changed = getattr(user, "password_changed_at", None)
    return 0 if changed is None else int(changed.timestamp() * 1_000_000)


def access_token_for(user) -> AccessToken:
    token = AccessToken.for_user(user)
    token[PASSWORD_CLAIM] = password_stamp(user)
    return token


class RotatingRefreshToken(Token):
    token_type = "refresh"  # noqa: S105 - the JWT type claim, not a secret
    lifetime = api_settings.REFRESH_TOKEN_LIFETIME
