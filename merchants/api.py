from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from clicknback.api.filtering import filter_parameters, filter_query
from clicknback.api.pagination import OffsetLimitPagination
from clicknback.api.permissions import IsAdmin
from clicknback.api.schema import ADMIN_ERRORS, NOT_FOUND, VALIDATION, errors
from clicknback.audit.services import Actor
from merchants import selectors, services
from merchants.filters import MerchantFilter
from merchants.serializers import (
    MerchantCreateInputSerializer,
    MerchantOutputSerializer,
    MerchantStatusInputSerializer,
    MerchantStatusOutputSerializer,
    MerchantUpdateInputSerializer,
)


class MerchantListCreateApi(ListAPIView):
    permission_classes = [IsAdmin]
    pagination_class = OffsetLimitPagination
    serializer_class = MerchantOutputSerializer

    def get_queryset(self):
        return filter_query(MerchantFilter, self.request, selectors.merchant_list()).qs

    @extend_schema(
        operation_id="merchants_list",
        tags=["merchants"],
        parameters=filter_parameters(MerchantFilter),
        responses={200: MerchantOutputSerializer(many=True), **errors(ADMIN_ERRORS, VALIDATION)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="merchants_create",
        tags=["merchants"],
        request=MerchantCreateInputSerializer,
        responses={
            201: MerchantOutputSerializer,
            **errors(ADMIN_ERRORS, VALIDATION, _409="MERCHANT_NAME_TAKEN (case-insensitive)"),
        },
    )
    def post(self, request):
        data = MerchantCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        merchant = services.merchant_create(**data.validated_data, actor=Actor.of(request.user))
        return Response(MerchantOutputSerializer(merchant).data, status=status.HTTP_201_CREATED)


class MerchantDetailApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="merchants_get",
        tags=["merchants"],
        responses={200: MerchantOutputSerializer, **errors(ADMIN_ERRORS, NOT_FOUND)},
    )
    def get(self, request, merchant_id):
        merchant = selectors.merchant_get(merchant_id=merchant_id)
        return Response(MerchantOutputSerializer(merchant).data)

    @extend_schema(
        operation_id="merchants_update",
        tags=["merchants"],
        request=MerchantUpdateInputSerializer,
        responses={
            200: MerchantOutputSerializer,
            **errors(ADMIN_ERRORS, NOT_FOUND, VALIDATION, _409="MERCHANT_NAME_TAKEN (case-insensitive)"),
        },
        description="Audited with the old and new values.",
    )
    def patch(self, request, merchant_id):
        merchant = selectors.merchant_get(merchant_id=merchant_id)  # 404 before 422
        data = MerchantUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        merchant = services.merchant_update(
            merchant_id=merchant.pk, actor=Actor.of(request.user), **data.validated_data
        )
        return Response(MerchantOutputSerializer(merchant).data)


class MerchantStatusApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="merchants_set_status",
        tags=["merchants"],
        request=MerchantStatusInputSerializer,
        responses={200: MerchantStatusOutputSerializer, **errors(ADMIN_ERRORS, NOT_FOUND, VALIDATION)},
    )
    def patch(self, request, merchant_id):
        data = MerchantStatusInputSerializer(data=request.data)
        selectors.merchant_get(merchant_id=merchant_id)  # 404 before 422 for an unknown merchant
        data.is_valid(raise_exception=True)
        merchant = services.merchant_set_active(
            merchant_id=merchant_id, active=data.validated_data["status"] == "active", actor=Actor.of(request.user)
        )
        status_value = "active" if merchant.active else "inactive"
        return Response(MerchantStatusOutputSerializer({"id": merchant.pk, "status": status_value}).data)
