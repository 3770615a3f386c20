"""Partner webhook endpoints and deliveries (contract §14), with the partner's key."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from clicknback.api.filtering import filter_parameters, filter_query
from clicknback.api.pagination import OffsetLimitPagination
from clicknback.api.schema import NOT_FOUND, VALIDATION, errors
from events.deliveries import webhook_delivery_retry
from events.filters import WebhookDeliveryFilter
from events.selectors import webhook_delivery_list, webhook_endpoint_list
from events.serializers import (
    WebhookDeliveryOutputSerializer,
    WebhookDeliveryRetryOutputSerializer,
    WebhookEndpointCreatedOutputSerializer,
    WebhookEndpointCreateInputSerializer,
    WebhookEndpointOutputSerializer,
)
from events.services import webhook_endpoint_create, webhook_endpoint_delete
from partners.api import PAGE_PARAMS, PARTNER_AUTH_ERRORS, PartnerApiView, _page


class WebhookEndpointListCreateApi(PartnerApiView):
    @extend_schema(
        operation_id="partner_webhook_endpoints_create",
        request=WebhookEndpointCreateInputSerializer,
        responses={
            201: WebhookEndpointCreatedOutputSerializer,
            **errors(
                PARTNER_AUTH_ERRORS,
                VALIDATION,
                _422="VALIDATION_ERROR or WEBHOOK_URL_NOT_ALLOWED (not https, or an internal address)",
            ),
        },
    )
    def post(self, request):
        serializer = WebhookEndpointCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_create(
            partner_id=self.partner.partner_id,
            url=serializer.validated_data["url"],
            event_types=serializer.validated_data.get("event_types"),
            actor=self.partner.actor,
        )
        return Response(WebhookEndpointCreatedOutputSerializer(endpoint).data, status=201)

    @extend_schema(
        operation_id="partner_webhook_endpoints_list",
        parameters=PAGE_PARAMS,
        responses={
            200: _page("WebhookEndpointPage", WebhookEndpointOutputSerializer),
            **errors(PARTNER_AUTH_ERRORS, VALIDATION),
        },
    )
    def get(self, request):
        paginator = OffsetLimitPagination()
        page = paginator.paginate_queryset(webhook_endpoint_list(partner_id=self.partner.partner_id), request, self)
        return paginator.get_paginated_response(WebhookEndpointOutputSerializer(page, many=True).data)


class WebhookEndpointDetailApi(PartnerApiView):
    @extend_schema(
        operation_id="partner_webhook_endpoints_delete",
        responses={204: None, **errors(PARTNER_AUTH_ERRORS, NOT_FOUND)},
    )
    def delete(self, request, endpoint_id):
        webhook_endpoint_delete(endpoint_id=endpoint_id, partner_id=self.partner.partner_id, actor=self.partner.actor)
        return Response(status=204)


class WebhookDeliveryListApi(PartnerApiView):
    @extend_schema(
        operation_id="partner_webhook_deliveries_list",
        parameters=[*filter_parameters(WebhookDeliveryFilter), *PAGE_PARAMS],
        responses={
            200: _page("WebhookDeliveryPage", WebhookDeliveryOutputSerializer),
            **errors(PARTNER_AUTH_ERRORS, VALIDATION),
        },
    )
    def get(self, request):
        queryset = webhook_delivery_list(partner_id=self.partner.partner_id)
        filtered = filter_query(WebhookDeliveryFilter, request, queryset).qs
        paginator = OffsetLimitPagination()
        page = paginator.paginate_queryset(filtered, request, self)
        return paginator.get_paginated_response(WebhookDeliveryOutputSerializer(page, many=True).data)


class WebhookDeliveryRetryApi(PartnerApiView):
    @extend_schema(
        operation_id="partner_webhook_deliveries_retry",
        request=None,
        parameters=[OpenApiParameter("delivery_id", str, OpenApiParameter.PATH)],
        responses={
            202: WebhookDeliveryRetryOutputSerializer,
            **errors(PARTNER_AUTH_ERRORS, NOT_FOUND, _409="WEBHOOK_ENDPOINT_INACTIVE (reactivated by an admin)"),
        },
    )
    def post(self, request, delivery_id):
        delivery = webhook_delivery_retry(
            delivery_id=delivery_id, partner_id=self.partner.partner_id, actor=self.partner.actor
        )
        return Response(WebhookDeliveryRetryOutputSerializer(delivery).data, status=202)
