"""Purchase endpoints (contract §6): parse → one service/selector call → render."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clicknback.api.filtering import filter_parameters, filter_query
from clicknback.api.pagination import SmallPagination
from clicknback.api.permissions import IsAdmin
from clicknback.api.schema import ADMIN_ERRORS, AUTH_ERRORS, NOT_FOUND, VALIDATION, errors
from clicknback.api.throttling import PurchaseIngestThrottle
from clicknback.audit.services import Actor
from clicknback.errors import Forbidden
from clicknback.lookup import uuid_or_not_found
from purchases.filters import MyPurchaseFilter, PurchaseFilter
from purchases.selectors import purchase_get, purchase_list
from purchases.serializers import (
    PurchaseCreateInputSerializer,
    PurchaseCreateOutputSerializer,
    PurchaseOutputSerializer,
    PurchaseReverseInputSerializer,
    PurchaseTransitionOutputSerializer,
)
from purchases.services import purchase_confirm, purchase_ingest, purchase_reverse

PAGE_PARAMS = [
    OpenApiParameter("offset", int, required=False, description="≥ 0, default 0"),
    OpenApiParameter("limit", int, required=False, description="1..100, default 10"),
]
PurchasePage = inline_serializer(
    name="PurchasePage",
    fields={
        "data": PurchaseOutputSerializer(many=True),
        "pagination": inline_serializer(
            name="PurchasePagination",
            fields={
                "offset": serializers.IntegerField(min_value=0),
                "limit": serializers.IntegerField(min_value=1, max_value=100),
                "total": serializers.IntegerField(min_value=0),
            },
        ),
    },
)


def _page(view: APIView, request, queryset):
    paginator = SmallPagination()
    page = paginator.paginate_queryset(queryset, request, view)
    return paginator.get_paginated_response(PurchaseOutputSerializer(page, many=True).data)


class PurchaseListCreateApi(APIView):
    def get_throttles(self):
        # Ingestion is throttled per user (§9); the admin's list is not.
        return [PurchaseIngestThrottle()] if self.request.method == "POST" else []

    def get_permissions(self):
        if self.request.method == "GET":
            return [IsAdmin()]
        return super().get_permissions()

    @extend_schema(
        operation_id="purchases_create",
        request=PurchaseCreateInputSerializer,
        responses={
            201: PurchaseCreateOutputSerializer,
            **errors(
                AUTH_ERRORS,
                VALIDATION,
                _403="FORBIDDEN: user_id is not the caller",
                _409="DUPLICATE_PURCHASE",
                _422="VALIDATION_ERROR, UNSUPPORTED_CURRENCY, MERCHANT_NOT_ELIGIBLE or OFFER_NOT_AVAILABLE",
            ),
        },
    )
    def post(self, request):
        serializer = PurchaseCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        purchase = purchase_ingest(caller=request.user, **serializer.validated_data)
        return Response(PurchaseCreateOutputSerializer(purchase).data, status=201)

    @extend_schema(
        operation_id="purchases_list",
        parameters=[*filter_parameters(PurchaseFilter), *PAGE_PARAMS],
        responses={
            200: PurchasePage,
            **errors(ADMIN_ERRORS, VALIDATION, _422="VALIDATION_ERROR or INVALID_PURCHASE_STATUS"),
        },
    )
    def get(self, request):
        filters = filter_query(PurchaseFilter, request, purchase_list())
        return _page(self, request, filters.qs)


class PurchaseDetailApi(APIView):
    @extend_schema(
        operation_id="purchases_retrieve",
        responses={
            200: PurchaseOutputSerializer,
            **errors(AUTH_ERRORS, NOT_FOUND, _403="FORBIDDEN: not the owner"),
        },
    )
    def get(self, request, purchase_id):
        purchase = purchase_get(purchase_id=purchase_id)
        if purchase.user_id != request.user.pk and not request.user.is_admin:
            raise Forbidden("This purchase belongs to another user.", reason="ownership")
        return Response(PurchaseOutputSerializer(purchase).data)


class PurchaseConfirmationApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="purchases_confirm",
        request=None,
        responses={
            200: PurchaseTransitionOutputSerializer,
            **errors(ADMIN_ERRORS, NOT_FOUND, _409="PURCHASE_NOT_PENDING"),
        },
    )
    def post(self, request, purchase_id):
        purchase_uuid = uuid_or_not_found(purchase_id, "purchase")
        purchase = purchase_confirm(purchase_id=purchase_uuid, actor=Actor.of(request.user))
        return Response(PurchaseTransitionOutputSerializer(purchase).data)


class PurchaseReverseApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="purchases_reverse",
        request=PurchaseReverseInputSerializer,
        responses={
            200: PurchaseTransitionOutputSerializer,
            **errors(ADMIN_ERRORS, NOT_FOUND, VALIDATION, _409="PURCHASE_ALREADY_REVERSED or PURCHASE_NOT_REVERSIBLE"),
        },
    )
    def patch(self, request, purchase_id):
        purchase_uuid = uuid_or_not_found(purchase_id, "purchase")
        serializer = PurchaseReverseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        purchase = purchase_reverse(
            purchase_id=purchase_uuid, actor=Actor.of(request.user), reason=serializer.validated_data.get("reason", "")
        )
        return Response(PurchaseTransitionOutputSerializer(purchase).data)

    @extend_schema(
        operation_id="purchases_reverse_post",
        request=PurchaseReverseInputSerializer,
        responses={
            200: PurchaseTransitionOutputSerializer,
            **errors(ADMIN_ERRORS, NOT_FOUND, VALIDATION, _409="PURCHASE_ALREADY_REVERSED or PURCHASE_NOT_REVERSIBLE"),
        },
    )
    def post(self, request, purchase_id):
        return self.patch(request, purchase_id)


class MyPurchaseListApi(APIView):
    @extend_schema(
        operation_id="users_me_purchases_list",
        parameters=[*filter_parameters(MyPurchaseFilter), *PAGE_PARAMS],
        responses={
            200: PurchasePage,
            **errors(AUTH_ERRORS, VALIDATION, _422="VALIDATION_ERROR or INVALID_PURCHASE_STATUS"),
        },
    )
    def get(self, request):
        filters = filter_query(MyPurchaseFilter, request, purchase_list(user_id=request.user.pk))
        return _page(self, request, filters.qs)
