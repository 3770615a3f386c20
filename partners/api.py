"""Partner endpoints (contract §13): the admin's partner management and the partner API.

Every partner call goes through the services the user API and the admin use
(``purchases.ingestion``, ``purchase_confirm``, ``purchase_reject``, ``purchase_return``),
as the partner (actor type ``partner``, with the key's id in the audit row).
"""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from clicknback.api.exceptions import render_exception
from clicknback.api.filtering import filter_parameters, filter_query
from clicknback.api.pagination import OffsetLimitPagination, SmallPagination
from clicknback.api.permissions import IsAdmin
from clicknback.api.schema import ADMIN_ERRORS, NOT_FOUND, VALIDATION, error, errors
from clicknback.audit.services import Actor
from clicknback.errors import DomainError, NotFound
from clicknback.lookup import uuid_or_not_found
from partners.authentication import IsPartner, PartnerKeyAuthentication, PartnerPrincipal
from partners.filters import PartnerFilter, PartnerPurchaseFilter
from partners.selectors import api_key_list, partner_get, partner_list
from partners.serializers import (
    ApiKeyCreatedOutputSerializer,
    ApiKeyCreateInputSerializer,
    ApiKeyOutputSerializer,
    BatchOutputSerializer,
    PartnerCreateInputSerializer,
    PartnerDeclineInputSerializer,
    PartnerOutputSerializer,
    PartnerPurchaseBatchInputSerializer,
    PartnerPurchaseCreateInputSerializer,
    PartnerReturnInputSerializer,
    PartnerUpdateInputSerializer,
    PostbackSecretOutputSerializer,
)
from partners.services import api_key_create, api_key_revoke, partner_create, partner_update, postback_secret_rotate
from partners.throttles import PartnerKeyThrottle
from purchases.ingestion import Ingested, Outcome, PurchaseReport, Reporter, purchases_ingest
from purchases.models import Purchase
from purchases.selectors import purchase_list
from purchases.serializers import PurchaseOutputSerializer
from purchases.services import ingested_or_raise, purchase_confirm, purchase_reject, purchase_return

PAGE_PARAMS = [
    OpenApiParameter("offset", int, required=False, description="≥ 0, default 0"),
    OpenApiParameter("limit", int, required=False, description="1..100"),
]
PARTNER_AUTH_ERRORS = {
    401: error("INVALID_API_KEY: no key, an unknown, revoked or expired key, or an inactive partner"),
    429: error("RATE_LIMITED (per key, PARTNER_RATE_LIMIT); Retry-After is set"),
}


def _page(name: str, item: type[serializers.Serializer]):
    return inline_serializer(
        name=name,
        fields={
            "data": item(many=True),
            "pagination": inline_serializer(
                name=f"{name}Pagination",
                fields={
                    "offset": serializers.IntegerField(min_value=0),
                    "limit": serializers.IntegerField(min_value=1, max_value=100),
                    "total": serializers.IntegerField(min_value=0),
                },
            ),
        },
    )


# --- admin: partners, keys, postback secret -------------------------------------------


class PartnerListCreateApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="partners_create",
        request=PartnerCreateInputSerializer,
        responses={
            201: PartnerOutputSerializer,
            **errors(
                ADMIN_ERRORS, VALIDATION, _409="PARTNER_NAME_TAKEN", _422="VALIDATION_ERROR (an unknown merchant)"
            ),
        },
    )
    def post(self, request):
        serializer = PartnerCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        partner = partner_create(**serializer.validated_data, actor=Actor.of(request.user))
        return Response(PartnerOutputSerializer(partner_get(partner_id=partner.pk)).data, status=201)

    @extend_schema(
        operation_id="partners_list",
        parameters=[*filter_parameters(PartnerFilter), *PAGE_PARAMS],
        responses={200: _page("PartnerPage", PartnerOutputSerializer), **errors(ADMIN_ERRORS, VALIDATION)},
    )
    def get(self, request):
        queryset: QuerySet = filter_query(PartnerFilter, request, partner_list()).qs
        paginator = OffsetLimitPagination()
        page = paginator.paginate_queryset(queryset, request, self)
        return paginator.get_paginated_response(PartnerOutputSerializer(page, many=True).data)


class PartnerDetailApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="partners_retrieve",
        responses={200: PartnerOutputSerializer, **errors(ADMIN_ERRORS, NOT_FOUND)},
    )
    def get(self, request, partner_id):
        return Response(PartnerOutputSerializer(partner_get(partner_id=partner_id)).data)

    @extend_schema(
        operation_id="partners_update",
        request=PartnerUpdateInputSerializer,
        responses={
            200: PartnerOutputSerializer,
            **errors(ADMIN_ERRORS, NOT_FOUND, VALIDATION, _409="PARTNER_NAME_TAKEN"),
        },
    )
    def patch(self, request, partner_id):
        partner_uuid = uuid_or_not_found(partner_id, "partner")
        serializer = PartnerUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        partner_update(partner_id=partner_uuid, actor=Actor.of(request.user), **serializer.validated_data)
        return Response(PartnerOutputSerializer(partner_get(partner_id=partner_uuid)).data)


class PartnerApiKeyListCreateApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="partners_api_keys_create",
        request=ApiKeyCreateInputSerializer,
        responses={201: ApiKeyCreatedOutputSerializer, **errors(ADMIN_ERRORS, NOT_FOUND, VALIDATION)},
    )
    def post(self, request, partner_id):
        partner_uuid = uuid_or_not_found(partner_id, "partner")
        serializer = ApiKeyCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key_row, key = api_key_create(
            partner_id=partner_uuid, actor=Actor.of(request.user), **serializer.validated_data
        )
        key_row.key = key  # type: ignore[attr-defined]  # shown in this answer only
        return Response(ApiKeyCreatedOutputSerializer(key_row).data, status=201)

    @extend_schema(
        operation_id="partners_api_keys_list",
        parameters=PAGE_PARAMS,
        responses={200: _page("ApiKeyPage", ApiKeyOutputSerializer), **errors(ADMIN_ERRORS, NOT_FOUND, VALIDATION)},
    )
    def get(self, request, partner_id):
        partner = partner_get(partner_id=partner_id)
        paginator = OffsetLimitPagination()
        page = paginator.paginate_queryset(api_key_list(partner_id=partner.pk), request, self)
        return paginator.get_paginated_response(ApiKeyOutputSerializer(page, many=True).data)


class PartnerApiKeyDetailApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="partners_api_keys_revoke",
        responses={204: None, **errors(ADMIN_ERRORS, NOT_FOUND)},
    )
    def delete(self, request, partner_id, key_id):
        partner_uuid = uuid_or_not_found(partner_id, "partner")
        api_key_revoke(partner_id=partner_uuid, key_id=key_id, actor=Actor.of(request.user))
        return Response(status=204)


class PartnerPostbackSecretApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="partners_postback_secret_rotate",
        request=None,
        responses={201: PostbackSecretOutputSerializer, **errors(ADMIN_ERRORS, NOT_FOUND)},
    )
    def post(self, request, partner_id):
        partner_uuid = uuid_or_not_found(partner_id, "partner")
        secret = postback_secret_rotate(partner_id=partner_uuid, actor=Actor.of(request.user))
        return Response({"secret": secret}, status=201)


# --- the partner API -------------------------------------------------------------------


class PartnerApiView(APIView):
    """Open to partner keys only: a JWT (or nothing) is a 401 ``INVALID_API_KEY``."""

    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [IsPartner]
    throttle_classes = [PartnerKeyThrottle]

    @property
    def partner(self) -> PartnerPrincipal:
        return self.request.user  # type: ignore[return-value]

    def reporter(self) -> Reporter:
        partner = self.partner
        return Reporter(actor=partner.actor, partner_id=partner.partner_id, merchant_ids=partner.merchant_ids)

    def purchase(self, external_id: str) -> Purchase:
        """This partner's purchase with that ``external_id``; 404 for any other."""
        found = purchase_list().filter(partner_id=self.partner.partner_id, external_id=external_id).first()
        if found is None:
            raise NotFound("purchase", external_id)
        return found


def report_of(data: dict) -> PurchaseReport:
    return PurchaseReport(
        external_id=data["external_id"],
        user_id=data["user_id"],
        merchant_id=data["merchant_id"],
        amount=data["amount"],
        currency=data["currency"],
        purchased_at=data.get("purchased_at"),
    )


def _item_error(exc: ValidationError) -> DomainError:
    """The 422 ``POST /partner/purchases`` would answer for this item."""
    status, body, _ = render_exception(exc)
    error = DomainError(body["error"]["message"], details=body["error"]["details"])
    error.code, error.http_status = body["error"]["code"], status
    return error


def _purchase_data(purchase: Purchase) -> dict:
    return PurchaseOutputSerializer(purchase).data


def _refreshed(purchase_id) -> Purchase:
    return purchase_list().get(pk=purchase_id)


PURCHASE_CREATE_ERRORS = errors(
    PARTNER_AUTH_ERRORS,
    VALIDATION,
    _403="MERCHANT_NOT_ALLOWED: the merchant is not linked to this partner",
    _409="DUPLICATE_PURCHASE (details.purchase_id when the purchase is this partner's)",
    _422="VALIDATION_ERROR, USER_NOT_ELIGIBLE, PURCHASE_DATE_OUT_OF_RANGE, UNSUPPORTED_CURRENCY, "
    "MERCHANT_NOT_ELIGIBLE or OFFER_NOT_AVAILABLE (in this order, after 403 and 409)",
)


class PartnerPurchaseListCreateApi(PartnerApiView):
    @extend_schema(
        operation_id="partner_purchases_create",
        request=PartnerPurchaseCreateInputSerializer,
        responses={201: PurchaseOutputSerializer, **PURCHASE_CREATE_ERRORS},
    )
    def post(self, request):
        serializer = PartnerPurchaseCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        (result,) = purchases_ingest(reports=[report_of(serializer.validated_data)], reporter=self.reporter())
        purchase = ingested_or_raise(result)
        return Response(_purchase_data(_refreshed(purchase.pk)), status=201)

    @extend_schema(
        operation_id="partner_purchases_list",
        parameters=[*filter_parameters(PartnerPurchaseFilter), *PAGE_PARAMS],
        responses={
            200: _page("PartnerPurchasePage", PurchaseOutputSerializer),
            **errors(PARTNER_AUTH_ERRORS, VALIDATION, _422="VALIDATION_ERROR or INVALID_PURCHASE_STATUS"),
        },
    )
    def get(self, request):
        queryset = purchase_list().filter(partner_id=self.partner.partner_id)
        filtered = filter_query(PartnerPurchaseFilter, request, queryset).qs
        paginator = SmallPagination()
        page = paginator.paginate_queryset(filtered, request, self)
        return paginator.get_paginated_response(PurchaseOutputSerializer(page, many=True).data)


def _result(index: int, raw, result: Ingested, purchase_data: dict | None) -> dict:
    external_id = raw.get("external_id") if isinstance(raw, dict) else None
    row: dict = {
        "index": index,
        "external_id": external_id if isinstance(external_id, str) else None,
        "outcome": result.outcome,
    }
    if purchase_data is not None:
        row["purchase"] = purchase_data
    if result.error is not None and result.outcome != Outcome.CREATED:
        row["error"] = {"code": result.error.code, "message": result.error.message, "details": result.error.details}
    return row


class PartnerPurchaseBatchApi(PartnerApiView):
    @extend_schema(
        operation_id="partner_purchases_batch",
        request=PartnerPurchaseBatchInputSerializer,
        responses={
            200: BatchOutputSerializer,
            **errors(PARTNER_AUTH_ERRORS, _422="VALIDATION_ERROR: not a list of 1 to 1,000 items (nothing done)"),
        },
        description="Each item is checked and ingested on its own; results in item order. "
        "An external_id repeated in the batch: the first wins, the rest are duplicates.",
    )
    def post(self, request):
        serializer = PartnerPurchaseBatchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = serializer.validated_data["items"]
        # One item serializer validates every item (its fields are built once, not per item).
        item_serializer = PartnerPurchaseCreateInputSerializer()
        reports: list[PurchaseReport | DomainError] = []
        for raw in items:
            try:
                reports.append(report_of(item_serializer.run_validation(raw)))
            except ValidationError as exc:
                reports.append(_item_error(exc))
        results = purchases_ingest(reports=reports, reporter=self.reporter())
        # Created purchases are read back (with their merchant) in one query, and every
        # purchase shown is rendered by one list serializer.
        created = [r.purchase.pk for r in results if r.outcome == Outcome.CREATED and r.purchase is not None]
        fresh = {p.pk: p for p in purchase_list().filter(pk__in=created)} if created else {}
        shown = [fresh.get(r.purchase.pk, r.purchase) if r.purchase is not None else None for r in results]
        rendered = iter(PurchaseOutputSerializer([p for p in shown if p is not None], many=True).data)
        rows = [
            _result(index, raw, result, next(rendered) if purchase is not None else None)
            for index, (raw, result, purchase) in enumerate(zip(items, results, shown, strict=True))
        ]
        summary = dict.fromkeys((Outcome.CREATED, Outcome.DUPLICATE, Outcome.REJECTED), 0)
        for row in rows:
            summary[row["outcome"]] += 1
        return Response({"results": rows, "summary": summary})

    @extend_schema(exclude=True)  # documented as GET /partner/purchases/{external_id}
    def get(self, request):
        """A purchase whose ``external_id`` is "batch" is looked up like any other."""
        return Response(_purchase_data(self.purchase("batch")))


class PartnerPurchaseDetailApi(PartnerApiView):
    @extend_schema(
        operation_id="partner_purchases_retrieve",
        responses={200: PurchaseOutputSerializer, **errors(PARTNER_AUTH_ERRORS, NOT_FOUND)},
    )
    def get(self, request, external_id):
        return Response(_purchase_data(self.purchase(external_id)))


class PartnerPurchaseApproveApi(PartnerApiView):
    @extend_schema(
        operation_id="partner_purchases_approve",
        request=None,
        responses={
            200: PurchaseOutputSerializer,
            **errors(PARTNER_AUTH_ERRORS, NOT_FOUND, _409="PURCHASE_NOT_PENDING"),
        },
    )
    def post(self, request, external_id):
        purchase = self.purchase(external_id)
        purchase_confirm(purchase_id=purchase.pk, actor=self.partner.actor)
        return Response(_purchase_data(_refreshed(purchase.pk)))


class PartnerPurchaseDeclineApi(PartnerApiView):
    @extend_schema(
        operation_id="partner_purchases_decline",
        request=PartnerDeclineInputSerializer,
        responses={
            200: PurchaseOutputSerializer,
            **errors(PARTNER_AUTH_ERRORS, NOT_FOUND, VALIDATION, _409="PURCHASE_NOT_PENDING"),
        },
    )
    def post(self, request, external_id):
        purchase = self.purchase(external_id)
        serializer = PartnerDeclineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        purchase_reject(purchase_id=purchase.pk, reason=serializer.validated_data["reason"], actor=self.partner.actor)
        return Response(_purchase_data(_refreshed(purchase.pk)))


class PartnerPurchaseReturnApi(PartnerApiView):
    @extend_schema(
        operation_id="partner_purchases_return",
        request=PartnerReturnInputSerializer,
        responses={
            200: PurchaseOutputSerializer,
            **errors(
                PARTNER_AUTH_ERRORS,
                NOT_FOUND,
                VALIDATION,
                _409="PURCHASE_NOT_REVERSIBLE: rejected or already fully reversed",
                _422="VALIDATION_ERROR or RETURN_EXCEEDS_PURCHASE",
            ),
        },
        description="Without an amount, or with everything left, the purchase is reversed. "
        "A return_id sent again answers as the first time and moves nothing.",
    )
    def post(self, request, external_id):
        purchase = self.purchase(external_id)
        serializer = PartnerReturnInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        purchase_return(
            purchase_id=purchase.pk,
            partner_id=self.partner.partner_id,
            actor=self.partner.actor,
            **serializer.validated_data,
        )
        return Response(_purchase_data(_refreshed(purchase.pk)))
