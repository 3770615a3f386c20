"""Per-client-IP throttles for login and registration, counted in the Redis cache.

The rate is read from ``settings.AUTH_THROTTLE_RATE`` on every request (not at import),
so it can be changed per environment and per test; ``"off"`` disables throttling.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

# Cache keys this process has used, so tests can forget them (see reset_auth_throttles).
# Seeded with the local client's keys, so counters left by an earlier run are cleared too.
_touched_keys: set[str] = {
    SimpleRateThrottle.cache_format % {"scope": scope, "ident": "127.0.0.1"}
    for scope in ("auth", "auth_login", "auth_register", "auth_password_reset")
}


class AuthRateThrottle(SimpleRateThrottle):
    scope = "auth"

    def get_rate(self):
        rate = getattr(settings, "AUTH_THROTTLE_RATE", "5/min")
        if not rate or str(rate).strip().lower() == "off":
            return None
        return rate

    def get_cache_key(self, request, view):
        key = self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        _touched_keys.add(key)
        return key


class LoginRateThrottle(AuthRateThrottle):
    scope = "auth_login"


class RegistrationRateThrottle(AuthRateThrottle):
    scope = "auth_register"


class PasswordResetRateThrottle(AuthRateThrottle):
    """Reset requests and confirmations: throttled like login (§3)."""

    scope = "auth_password_reset"


def reset_auth_throttles() -> None:
    """Forget the counters this process created (used between tests)."""
    if not _touched_keys:
        return
    keys = list(_touched_keys)
    _touched_keys.clear()
    AuthRateThrottle.cache.delete_many(keys)
