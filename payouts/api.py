"""Payout endpoints (contract §9) and the wallet transactions list (§8)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework import status as http
from rest_framework.response import Response
from rest_framework.views import APIView

from clicknback.api.filtering import filter_parameters, filter_query
from clicknback.api.pagination import SmallPagination
from clicknback.api.permissions import IsAdmin
from clicknback.api.schema import ADMIN_ERRORS, AUTH_ERRORS, NOT_FOUND, VALIDATION, error, errors
from clicknback.api.throttling import PayoutRequestThrottle
from clicknback.audit.services import Actor
from clicknback.lookup import uuid_or_not_found
from payouts.filters import AdminPayoutFilter, PayoutFilter
from payouts.idempotency import IdempotentRequest, idempotency_key_validate, request_hash
from payouts.selectors import payout_list
from payouts.serializers import (
    PayoutCreateInputSerializer,
    PayoutOutputSerializer,
    PayoutProcessInputSerializer,
)
from payouts.services import payout_cancel, payout_process, payout_request

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    type=str,
    description="Up to 255 characters, per user, kept 24 hours. A repeat with the same body returns the "
    "first response; with another body → 422 IDEMPOTENCY_KEY_REUSED; while the first is in flight → 409 "
    "IDEMPOTENCY_KEY_IN_USE.",
)
PAGE_PARAMS = [
    OpenApiParameter(name="offset", type=int, required=False, description="≥ 0, default 0."),
    OpenApiParameter(name="limit", type=int, required=False, description="1..100, default 10."),
]
PaginationInfo = inline_serializer(
    name="PayoutsPaginationInfo",
    fields={
        "offset": serializers.IntegerField(),
        "limit": serializers.IntegerField(),
        "total": serializers.IntegerField(),
    },
)


def paged(name: str, item_serializer) -> serializers.Serializer:
    """The list envelope ``{"data": [...], "pagination": {offset, limit, total}}``."""
    return inline_serializer(name=name, fields={"data": item_serializer(many=True), "pagination": PaginationInfo})


CREATE_RESPONSES = {
    201: PayoutOutputSerializer,
    **errors(
        AUTH_ERRORS,
        _409="INSUFFICIENT_BALANCE (details requested_amount, available_balance) or IDEMPOTENCY_KEY_IN_USE",
        _422="VALIDATION_ERROR, PAYOUT_POLICY_VIOLATION (details violations) or IDEMPOTENCY_KEY_REUSED",
    ),
}


def _page(view, request, queryset, serializer_class) -> Response:
    paginator = SmallPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class PayoutCreateMixin:
    def get_throttles(self):
        # Payout requests are throttled per user (§9); reading the list is not.
        return [PayoutRequestThrottle()] if self.request.method == "POST" else []  # type: ignore[attr-defined]

    def post(self, request):
        key = idempotency_key_validate(request.headers.get("Idempotency-Key"))
        serializer = PayoutCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        payout = payout_request(
            user=request.user,
            amount=data["amount"],
            method=data["method"],
            details=data["details"],
            actor=Actor.of(request.user),
            idempotency=IdempotentRequest(key=key, request_hash=request_hash(request.data)) if key else None,
        )
        headers = {"Idempotent-Replayed": "true"} if payout.replayed else {}
        return Response(PayoutOutputSerializer(payout).data, status=http.HTTP_201_CREATED, headers=headers)


class UserPayoutListCreateApi(PayoutCreateMixin, APIView):
    @extend_schema(
        operation_id="users_payouts_list",
        summary="The caller's payouts, newest first",
        parameters=[*filter_parameters(PayoutFilter), *PAGE_PARAMS],
        responses={200: paged("UserPayoutPage", PayoutOutputSerializer), **errors(AUTH_ERRORS, VALIDATION)},
    )
    def get(self, request):
        filters = filter_query(PayoutFilter, request, payout_list(user_id=request.user.pk))
        return _page(self, request, filters.qs, PayoutOutputSerializer)

    @extend_schema(
        operation_id="users_payouts_create",
        summary="Request a payout (withdraw from the available balance)",
        parameters=[IDEMPOTENCY_HEADER],
        request=PayoutCreateInputSerializer,
        responses=CREATE_RESPONSES,
    )
    def post(self, request):
        return super().post(request)


class WalletWithdrawApi(PayoutCreateMixin, APIView):
    @extend_schema(
        operation_id="users_wallet_withdraw",
        summary="Request a payout (alias of POST /users/payouts)",
        parameters=[IDEMPOTENCY_HEADER],
        request=PayoutCreateInputSerializer,
        responses=CREATE_RESPONSES,
    )
    def post(self, request):
        return super().post(request)


class AdminPayoutListApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="admin_payouts_list",
        summary="Every payout, newest first (admin)",
        parameters=[*filter_parameters(AdminPayoutFilter), *PAGE_PARAMS],
        responses={200: paged("AdminPayoutPage", PayoutOutputSerializer), **errors(ADMIN_ERRORS, VALIDATION)},
    )
    def get(self, request):
        filters = filter_query(AdminPayoutFilter, request, payout_list())
        return _page(self, request, filters.qs, PayoutOutputSerializer)


class AdminPayoutProcessApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="admin_payouts_process",
        summary="Move a payout to processing, completed or failed (admin)",
        request=PayoutProcessInputSerializer,
        responses={
            200: PayoutOutputSerializer,
            **errors(ADMIN_ERRORS, NOT_FOUND, VALIDATION),
            409: error("INVALID_PAYOUT_TRANSITION (details current_status, allowed)"),
        },
    )
    def patch(self, request, payout_id):
        serializer = PayoutProcessInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payout = payout_process(payout_id=payout_id, actor=Actor.of(request.user), **serializer.validated_data)
        return Response(PayoutOutputSerializer(payout).data)


class UserPayoutCancelApi(APIView):
    @extend_schema(
        operation_id="users_payouts_cancel",
        summary="Cancel a requested payout (owner): the amount goes back to available",
        request=None,
        responses={
            200: PayoutOutputSerializer,
            **errors(AUTH_ERRORS, NOT_FOUND),
            409: error("INVALID_PAYOUT_TRANSITION: the payout is no longer requested (details current_status)"),
        },
    )
    def post(self, request, payout_id):
        payout = payout_cancel(payout_id=uuid_or_not_found(payout_id, "payout"), user_id=request.user.pk)
        return Response(PayoutOutputSerializer(payout).data)
