"""The admin sign-in lockout (django-axes), kept to the admin site.

``AXES_ONLY_ADMIN_SITE`` makes axes skip its lockout check outside the admin, but its
database handler still counts every failed ``authenticate()``, the wallet pages'
included, and would lock those out too. This handler counts only the admin's: the
wallet sign-in has its own per-IP throttle (``AUTH_THROTTLE_RATE``), shared with the API.
"""

from axes.handlers.database import AxesDatabaseHandler  # type: ignore[import-untyped]


class AdminOnlyAxesHandler(AxesDatabaseHandler):
    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None or not self.is_admin_request(request):
            return None
        return super().user_login_failed(sender, credentials, request=request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        if request is None or not self.is_admin_request(request):
            return None
        return super().user_logged_in(sender, request, user, **kwargs)
