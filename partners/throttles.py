"""Per-key rate limit of the partner API (``PARTNER_RATE_LIMIT``, counted in the Redis cache)."""

from clicknback.api.throttling import SettingRateThrottle


class PartnerKeyThrottle(SettingRateThrottle):
    scope = "partner_key"
    rate_setting = "PARTNER_RATE_LIMIT"

    def get_ident(self, request) -> str:
        return str(request.auth)


class PostbackThrottle(SettingRateThrottle):
    """Postbacks carry no key: they are counted per partner (the id in the URL), at the
    same ``PARTNER_RATE_LIMIT``."""

    scope = "partner_postback"
    rate_setting = "PARTNER_RATE_LIMIT"

    def get_cache_key(self, request, view):
        self._partner = str(view.kwargs.get("partner_id", ""))
        return super().get_cache_key(request, view)

    def get_ident(self, request) -> str:
        return self._partner
