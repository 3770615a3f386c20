"""Per-key rate limit of the partner API (``PARTNER_RATE_LIMIT``, counted in the Redis cache)."""

from clicknback.api.throttling import SettingRateThrottle


class PartnerKeyThrottle(SettingRateThrottle):
    scope = "partner_key"
    rate_setting = "PARTNER_RATE_LIMIT"

    def get_ident(self, request) -> str:
        # Postbacks carry no key: they are counted per partner.
        return str(request.auth or request.user.partner_id)
