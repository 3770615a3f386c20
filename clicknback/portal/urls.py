from django.urls import re_path
from django.views.generic import RedirectView

urlpatterns = [
    re_path(r"^$", RedirectView.as_view(url="/wallet/", permanent=False)),
]
