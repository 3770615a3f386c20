"""Postbacks (contract §13): server-to-server calls for networks that can only call a URL.

``GET`` or ``POST /postbacks/{partner_id}`` with the parameters in the query string (or
a form-encoded ``POST`` body) and ``signature``: the hex HMAC-SHA256, keyed with the
partner's postback secret, of the other parameters sorted by name and joined as
``name=value`` with ``&`` (values URL-decoded). A bad or missing signature, an unknown or
inactive partner, a partner without a secret, or a ``timestamp`` more than
``POSTBACK_TIMESTAMP_WINDOW_SECONDS`` away from now is a 401 ``INVALID_SIGNATURE``.

Each status maps onto the partner API call of the same meaning, through the same
services: ``pending`` → ingest, ``approved`` → approve, ``declined`` → decline,
``returned`` → return. A postback repeated, or one for a state the purchase is already
in, answers ``unchanged`` (or ``duplicate``) and moves nothing.
"""

import hashlib
import hmac
import time
import uuid

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from clicknback.api.fields import MoneyField, StrictCharField, StrictChoiceField, StrictDateTimeField, StrictUUIDField
from clicknback.api.schema import VALIDATION, errors
from clicknback.errors import NotFound
from partners.authentication import PartnerPrincipal, partner_of
from partners.errors import InvalidSignature
from partners.models import Partner
from partners.throttles import PostbackThrottle
from purchases.ingestion import Outcome, PurchaseReport, Reporter, purchases_ingest
from purchases.models import Purchase, PurchaseReturn, PurchaseStatus
from purchases.services import ingested_or_raise, purchase_confirm, purchase_reject, purchase_return

STATUSES = ("pending", "approved", "declined", "returned")
# A "returned" postback without a return_id is named by what it returns: everything left
# ("postback-return"), or its amount ("postback-return-40.00"). So a repeat is recognised,
# and a later return of another amount (or of the rest) is not taken for a repeat.
DEFAULT_RETURN_ID = "postback-return"
POSTBACK_DECLINE_REASON = "Declined by the partner."
POSTBACK_RETURN_REASON = "Returned (reported by the partner)."


def signature_base(params: dict[str, str]) -> str:
    """The signed text: every parameter but ``signature``, sorted by name, ``name=value`` joined by ``&``."""
    return "&".join(f"{name}={params[name]}" for name in sorted(params) if name != "signature")


def sign(params: dict[str, str], secret: str) -> str:
    """The hex HMAC-SHA256 of ``signature_base(params)`` keyed with ``secret``."""
    return hmac.new(secret.encode(), signature_base(params).encode("utf-8", "replace"), hashlib.sha256).hexdigest()


class PostbackInputSerializer(serializers.Serializer):
    external_id = StrictCharField(min_length=1, max_length=255)
    status = StrictChoiceField(choices=STATUSES)
    user_id = StrictUUIDField(required=False)
    merchant_id = StrictUUIDField(required=False)
    amount = MoneyField(required=False)
    currency = StrictCharField(min_length=1, max_length=16, required=False)
    purchased_at = StrictDateTimeField(required=False)
    return_id = StrictCharField(min_length=1, max_length=255, required=False)
    reason = StrictCharField(min_length=1, max_length=500, required=False)

    def validate(self, attrs):
        if attrs["status"] == "pending":
            missing = [name for name in ("user_id", "merchant_id", "amount", "currency") if name not in attrs]
            if missing:
                raise serializers.ValidationError(dict.fromkeys(missing, "Required for a pending postback."))
        if attrs["status"] == "declined" and "reason" not in attrs:
            attrs["reason"] = POSTBACK_DECLINE_REASON
        return attrs


def _verified_partner(partner_id: uuid.UUID | str, params: dict[str, str]) -> PartnerPrincipal:
    try:
        partner_uuid = uuid.UUID(str(partner_id))
    except ValueError:
        raise InvalidSignature() from None
    partner = Partner.objects.filter(pk=partner_uuid, active=True).first()
    supplied = params.get("signature", "")
    if partner is None or not partner.postback_secret or not supplied:
        raise InvalidSignature()
    expected = sign(params, partner.postback_secret).encode()
    if not hmac.compare_digest(expected, supplied.lower().encode("utf-8", "replace")):
        raise InvalidSignature()
    try:
        timestamp = int(params.get("timestamp", ""))
    except ValueError:
        raise InvalidSignature("timestamp must be Unix seconds.") from None
    # Integer arithmetic: a timestamp of hundreds of digits must not overflow a float.
    if abs(int(time.time()) - timestamp) > settings.POSTBACK_TIMESTAMP_WINDOW_SECONDS:
        raise InvalidSignature("The postback's timestamp is too far from now.")
    return partner_of(partner)


def _answer(outcome: str, purchase_id) -> Response:
    return Response({"outcome": outcome, "purchase_id": str(purchase_id) if purchase_id else None})


PostbackOutput = inline_serializer(
    name="PostbackOutput",
    fields={
        "outcome": serializers.ChoiceField(
            choices=["created", "duplicate", "approved", "declined", "returned", "unchanged"]
        ),
        "purchase_id": serializers.UUIDField(allow_null=True),
    },
)
POSTBACK_PARAMS = [
    OpenApiParameter(name, str, required=name in ("external_id", "status", "timestamp", "signature"))
    for name in (
        "external_id",
        "user_id",
        "merchant_id",
        "amount",
        "currency",
        "status",
        "purchased_at",
        "return_id",
        "reason",
        "timestamp",
        "signature",
    )
]
POSTBACK_ERRORS = errors(
    VALIDATION,
    _401="INVALID_SIGNATURE: bad or missing signature, or timestamp more than 300 s away",
    _403="MERCHANT_NOT_ALLOWED",
    _404="NOT_FOUND: no purchase of this partner with that external_id (approved, declined, returned)",
    _409="PURCHASE_NOT_PENDING or PURCHASE_NOT_REVERSIBLE",
    _422="VALIDATION_ERROR and the ingestion's and return's 422 codes",
)


class PostbackApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser]
    throttle_classes = [PostbackThrottle]

    @extend_schema(
        operation_id="postbacks_get",
        parameters=POSTBACK_PARAMS,
        responses={200: PostbackOutput, **POSTBACK_ERRORS},
    )
    def get(self, request, partner_id):
        return self._handle(partner_id, {name: request.query_params[name] for name in request.query_params})

    @extend_schema(
        operation_id="postbacks_post",
        parameters=POSTBACK_PARAMS,
        request=inline_serializer(
            name="PostbackForm", fields={name.name: serializers.CharField(required=False) for name in POSTBACK_PARAMS}
        ),
        responses={200: PostbackOutput, **POSTBACK_ERRORS},
    )
    def post(self, request, partner_id):
        params = {name: request.query_params[name] for name in request.query_params}
        params.update({name: request.data[name] for name in request.data})
        return self._handle(partner_id, params)

    def _handle(self, partner_id, params: dict[str, str]) -> Response:
        partner = _verified_partner(partner_id, params)
        serializer = PostbackInputSerializer(
            data={k: v for k, v in params.items() if k not in ("timestamp", "signature")}
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        status = data["status"]
        if status == "pending":
            report = PurchaseReport(
                external_id=data["external_id"],
                user_id=data["user_id"],
                merchant_id=data["merchant_id"],
                amount=data["amount"],
                currency=data["currency"],
                purchased_at=data.get("purchased_at"),
            )
            reporter = Reporter(actor=partner.actor, partner_id=partner.partner_id, merchant_ids=partner.merchant_ids)
            (result,) = purchases_ingest(reports=[report], reporter=reporter)
            if result.outcome == Outcome.DUPLICATE:
                owned = result.purchase.pk if result.purchase is not None else None
                return _answer(Outcome.DUPLICATE, owned)
            return _answer(Outcome.CREATED, ingested_or_raise(result).pk)
        purchase = Purchase.objects.filter(partner_id=partner.partner_id, external_id=data["external_id"]).first()
        if purchase is None:
            raise NotFound("purchase", data["external_id"])
        if status == "approved":
            if purchase.status == PurchaseStatus.CONFIRMED:
                return _answer("unchanged", purchase.pk)
            purchase_confirm(purchase_id=purchase.pk, actor=partner.actor)
            return _answer("approved", purchase.pk)
        if status == "declined":
            if purchase.status == PurchaseStatus.REJECTED:
                return _answer("unchanged", purchase.pk)
            purchase_reject(purchase_id=purchase.pk, reason=data["reason"], actor=partner.actor)
            return _answer("declined", purchase.pk)
        amount = data.get("amount")
        return_id = data.get("return_id") or (
            DEFAULT_RETURN_ID if amount is None else f"{DEFAULT_RETURN_ID}-{amount:.2f}"
        )
        seen = PurchaseReturn.objects.filter(purchase=purchase, return_id=return_id).exists()
        if seen or purchase.status == PurchaseStatus.REVERSED:
            return _answer("unchanged", purchase.pk)
        _, moved = purchase_return(
            purchase_id=purchase.pk,
            partner_id=partner.partner_id,
            return_id=return_id,
            amount=data.get("amount"),
            reason=data.get("reason", POSTBACK_RETURN_REASON),
            actor=partner.actor,
        )
        return _answer("returned" if moved else "unchanged", purchase.pk)
