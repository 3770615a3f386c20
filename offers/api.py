from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from clicknback.api.filtering import filter_parameters, filter_query
from clicknback.api.pagination import OffsetLimitPagination, parse_page_params
from clicknback.api.permissions import IsAdmin, IsUser
from clicknback.api.schema import ADMIN_ERRORS, AUTH_ERRORS, NOT_FOUND, VALIDATION, error, errors
from clicknback.audit.services import Actor
from clicknback.catalog_cache import cached_page
from clicknback.errors import Forbidden
from offers import selectors, services
from offers.filters import OfferFilter
from offers.models import OfferStatus
from offers.serializers import (
    OfferCreateInputSerializer,
    OfferOutputSerializer,
    OfferStatusInputSerializer,
    OfferStatusOutputSerializer,
    OfferUpdateInputSerializer,
)


class OfferListCreateApi(ListAPIView):
    pagination_class = OffsetLimitPagination
    serializer_class = OfferOutputSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAdmin()]
        return [IsUser()]

    def get_queryset(self):
        user = self.request.user
        queryset = selectors.offer_list(visible_only=not (user.is_authenticated and user.is_admin))
        return filter_query(OfferFilter, self.request, queryset).qs

    @extend_schema(
        operation_id="offers_list",
        tags=["offers"],
        description="Admins see every offer; other users see active offers of active merchants.",
        parameters=filter_parameters(OfferFilter),
        responses={200: OfferOutputSerializer(many=True), **errors(AUTH_ERRORS, VALIDATION)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="offers_create",
        tags=["offers"],
        request=OfferCreateInputSerializer,
        responses={
            201: OfferOutputSerializer,
            **errors(
                ADMIN_ERRORS,
                NOT_FOUND,
                _409="ACTIVE_OFFER_ALREADY_EXISTS",
            ),
            422: error("VALIDATION_ERROR or MERCHANT_NOT_ACTIVE"),
        },
    )
    def post(self, request):
        data = OfferCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = services.offer_create(**data.validated_data, actor=Actor.of(request.user))
        return Response(OfferOutputSerializer(offer).data, status=status.HTTP_201_CREATED)


class OfferActiveListApi(ListAPIView):
    pagination_class = OffsetLimitPagination
    serializer_class = OfferOutputSerializer

    def get_queryset(self):
        return selectors.offer_list_active(on_date=services.utc_today())

    @extend_schema(
        operation_id="offers_active",
        tags=["offers"],
        description="Active offers of active merchants valid today (UTC).",
        responses={200: OfferOutputSerializer(many=True), **errors(AUTH_ERRORS, VALIDATION)},
    )
    def get(self, request, *args, **kwargs):
        # The page is the same for every caller: built once per catalog version and day.
        offset, limit = parse_page_params(request.query_params, self.pagination_class.default_limit)
        key = f"offers-active:{services.utc_today().isoformat()}:{offset}:{limit}"
        return Response(cached_page(key, lambda: self.list(request, *args, **kwargs).data))


class OfferDetailApi(APIView):
    def get_permissions(self):
        if self.request.method == "PATCH":
            return [IsAdmin()]
        return super().get_permissions()

    @extend_schema(
        operation_id="offers_update",
        tags=["offers"],
        request=OfferUpdateInputSerializer,
        responses={
            200: OfferOutputSerializer,
            **errors(
                ADMIN_ERRORS,
                NOT_FOUND,
                VALIDATION,
                _409="ACTIVE_OFFER_ALREADY_EXISTS: the dates overlap another active offer (conflicting_offer_id)",
            ),
        },
        description="Changes what later purchases earn, never what was already credited; audited with the "
        "old and new values.",
    )
    def patch(self, request, offer_id):
        offer = selectors.offer_get(offer_id=offer_id)  # 404 before 422 for an unknown offer
        data = OfferUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.offer_update(offer_id=offer.pk, actor=Actor.of(request.user), **data.validated_data)
        return Response(OfferOutputSerializer(selectors.offer_get(offer_id=offer.pk)).data)

    @extend_schema(
        operation_id="offers_get",
        tags=["offers"],
        responses={
            200: OfferOutputSerializer,
            **errors(AUTH_ERRORS, NOT_FOUND),
            403: error("FORBIDDEN: inactive offer or inactive merchant (non-admins)"),
        },
    )
    def get(self, request, offer_id):
        offer = selectors.offer_get(offer_id=offer_id)
        if not request.user.is_admin:
            if offer.status != OfferStatus.ACTIVE:
                raise Forbidden("This offer is not active.", reason="offer_inactive")
            if not offer.merchant.active:
                raise Forbidden("This offer's merchant is not active.", reason="merchant_inactive")
        return Response(OfferOutputSerializer(offer).data)


class OfferStatusApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="offers_set_status",
        tags=["offers"],
        request=OfferStatusInputSerializer,
        responses={
            200: OfferStatusOutputSerializer,
            **errors(ADMIN_ERRORS, NOT_FOUND, VALIDATION, _409="ACTIVE_OFFER_ALREADY_EXISTS"),
        },
    )
    def patch(self, request, offer_id):
        offer = selectors.offer_get(offer_id=offer_id)  # 404 before 422 for an unknown offer
        data = OfferStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = services.offer_set_status(
            offer_id=offer.pk, status=data.validated_data["status"], actor=Actor.of(request.user)
        )
        return Response(OfferStatusOutputSerializer({"id": offer.pk, "status": offer.status}).data)
