from clicknback.api.routing import route
from clicknback.flags.api import FeatureFlagDetailApi, FeatureFlagEvaluateApi, FeatureFlagListApi

urlpatterns = [
    route("feature-flags", FeatureFlagListApi.as_view(), name="feature-flags"),
    route("feature-flags/<str:key>", FeatureFlagDetailApi.as_view(), name="feature-flag-detail"),
    route("feature-flags/<str:key>/evaluate", FeatureFlagEvaluateApi.as_view(), name="feature-flag-evaluate"),
]
