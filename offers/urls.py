from clicknback.api.routing import route
from offers.api import OfferActiveListApi, OfferDetailApi, OfferListCreateApi, OfferStatusApi

urlpatterns = [
    route("offers", OfferListCreateApi.as_view(), name="offers"),
    # Before offers/<id>: the id segment would match "active" too.
    route("offers/active", OfferActiveListApi.as_view(), name="offers-active"),
    route("offers/<uuid:offer_id>", OfferDetailApi.as_view(), name="offer-detail"),
    route("offers/<uuid:offer_id>/status", OfferStatusApi.as_view(), name="offer-status"),
]
