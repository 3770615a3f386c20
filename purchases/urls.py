from clicknback.api.routing import route
from purchases import api

urlpatterns = [
    route("purchases", api.PurchaseListCreateApi.as_view(), name="purchases"),
    route("purchases/<uuid:purchase_id>", api.PurchaseDetailApi.as_view(), name="purchase-detail"),
    route(
        "purchases/<uuid:purchase_id>/confirmation", api.PurchaseConfirmationApi.as_view(), name="purchase-confirmation"
    ),
    route("purchases/<uuid:purchase_id>/reverse", api.PurchaseReverseApi.as_view(), name="purchase-reverse"),
    route("users/me/purchases", api.MyPurchaseListApi.as_view(), name="my-purchases"),
]
