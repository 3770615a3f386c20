"""Back-office pages, mounted under ``<ADMIN_URL>dashboard/`` before the admin's own URLs.

Each view is wrapped in ``admin.site.admin_view``: only active staff get through; anyone
else is redirected to the admin login. Paths end with a slash, like the admin's.
"""

from django.contrib import admin
from django.urls import path

from backoffice import views

urlpatterns = [
    path("", admin.site.admin_view(views.dashboard), name="backoffice-dashboard"),
    path(
        "exports/purchases/",
        admin.site.admin_view(views.export_purchases),
        name="backoffice-export-purchases",
    ),
    path(
        "exports/payouts/",
        admin.site.admin_view(views.export_payouts),
        name="backoffice-export-payouts",
    ),
]
