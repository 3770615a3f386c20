from clicknback.api.routing import route
from partners import api, postbacks

urlpatterns = [
    route("partners", api.PartnerListCreateApi.as_view(), name="partners"),
    route("partners/<uuid:partner_id>", api.PartnerDetailApi.as_view(), name="partner-detail"),
    route("partners/<uuid:partner_id>/api-keys", api.PartnerApiKeyListCreateApi.as_view(), name="partner-api-keys"),
    route(
        "partners/<uuid:partner_id>/api-keys/<uuid:key_id>",
        api.PartnerApiKeyDetailApi.as_view(),
        name="partner-api-key-detail",
    ),
    route(
        "partners/<uuid:partner_id>/postback-secret",
        api.PartnerPostbackSecretApi.as_view(),
        name="partner-postback-secret",
    ),
    route("partner/purchases", api.PartnerPurchaseListCreateApi.as_view(), name="partner-purchases"),
    route("partner/purchases/batch", api.PartnerPurchaseBatchApi.as_view(), name="partner-purchases-batch"),
    route(
        "partner/purchases/<path:external_id>/approve",
        api.PartnerPurchaseApproveApi.as_view(),
        name="partner-purchase-approve",
    ),
    route(
        "partner/purchases/<path:external_id>/decline",
        api.PartnerPurchaseDeclineApi.as_view(),
        name="partner-purchase-decline",
    ),
    route(
        "partner/purchases/<path:external_id>/returns",
        api.PartnerPurchaseReturnApi.as_view(),
        name="partner-purchase-returns",
    ),
    route("partner/purchases/<path:external_id>", api.PartnerPurchaseDetailApi.as_view(), name="partner-purchase"),
    route("postbacks/<uuid:partner_id>", postbacks.PostbackApi.as_view(), name="postbacks"),
]
