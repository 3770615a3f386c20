from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backoffice.prometheus import metrics
from clicknback import health
from clicknback.api.views import api_not_found

api_v1: list[URLPattern | URLResolver] = [
    path("", include("users.urls")),
    path("", include("merchants.urls")),
    path("", include("offers.urls")),
    path("", include("purchases.urls")),
    path("", include("wallets.urls")),
    path("", include("payouts.urls")),
    path("", include("statements.urls")),
    path("", include("clicknback.flags.urls")),
    path("", include("clicknback.audit.urls")),
    path("", include("events.urls")),
    path("", include("partners.urls")),
    re_path(r"^.*$", api_not_found),
]

urlpatterns = [
    re_path(r"^health/live/?$", health.live, name="health-live"),
    re_path(r"^health/ready/?$", health.ready, name="health-ready"),
    re_path(r"^health/.*$", api_not_found),
    re_path(r"^metrics/?$", metrics, name="metrics"),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^docs/?$", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/.*$", api_not_found),
    # The back-office dashboard and CSV exports (staff only), before the admin's catch-all.
    path(settings.ADMIN_URL + "dashboard/", include("backoffice.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("portal.urls")),
]

handler404 = "clicknback.api.exceptions.json_404"
handler500 = "clicknback.api.exceptions.json_500"
