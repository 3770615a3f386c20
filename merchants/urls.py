from clicknback.api.routing import route
from merchants.api import MerchantDetailApi, MerchantListCreateApi, MerchantStatusApi

urlpatterns = [
    route("merchants", MerchantListCreateApi.as_view(), name="merchants"),
    route("merchants/<uuid:merchant_id>", MerchantDetailApi.as_view(), name="merchant-detail"),
    route("merchants/<uuid:merchant_id>/status", MerchantStatusApi.as_view(), name="merchant-status"),
]
