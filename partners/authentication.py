"""``Authorization: Api-Key <key>``: the partner's credential (contract §1 and §13).

The key is ``<prefix>.<secret>`` as djangorestframework-api-key makes it. One query
reads the key by its prefix together with its partner; the secret is checked against
the stored hash (constant time). Every refusal (no key, unknown, revoked, expired, an
inactive partner) is the same 401 ``INVALID_API_KEY``, decided on every request, so a
revocation or a deactivation takes effect at once.
"""

import uuid
from dataclasses import dataclass

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from clicknback.api.authentication import ContractAuthenticationFailed
from clicknback.audit.models import ActorType
from clicknback.audit.services import Actor
from partners.models import Partner, PartnerAPIKey

KEYWORD = b"api-key"


@dataclass(frozen=True)
class PartnerPrincipal:
    """``request.user`` of a partner call: the partner, its linked merchants and the key used."""

    partner_id: uuid.UUID
    name: str
    merchant_ids: frozenset[uuid.UUID]
    key_id: uuid.UUID | None  # None for a signed postback

    is_authenticated = True
    is_admin = False
    pk = None  # not a user: user-keyed code (throttles, ownership checks) never matches it

    @property
    def actor(self) -> Actor:
        return Actor(ActorType.PARTNER, self.partner_id, key_id=self.key_id)


def _invalid(message: str = "A valid partner API key is required.") -> ContractAuthenticationFailed:
    return ContractAuthenticationFailed("INVALID_API_KEY", message)


def principal_for_key(raw_key: str) -> PartnerPrincipal:
    """The partner a key belongs to; ``INVALID_API_KEY`` for any key that does not open the API."""
    prefix, dot, _secret = raw_key.partition(".")
    if not dot or not prefix:
        raise _invalid()
    key = (
        PartnerAPIKey.objects.select_related("partner")
        .filter(prefix=prefix)
        .only(
            "id",
            "hashed_key",
            "revoked",
            "expiry_date",
            "last_used_at",
            "partner__id",
            "partner__name",
            "partner__active",
        )
        .first()
    )
    if key is None or not key.is_valid(raw_key):
        raise _invalid()
    if key.revoked:
        raise _invalid("This API key has been revoked.")
    now = timezone.now()
    if key.expiry_date is not None and key.expiry_date <= now:
        raise _invalid("This API key has expired.")
    if not key.partner.active:
        raise _invalid("This partner is deactivated.")
    # Every use is recorded (§13): one UPDATE by primary key, in its own short transaction.
    PartnerAPIKey.objects.filter(pk=key.pk).update(last_used_at=now)
    merchant_ids = frozenset(key.partner.merchants.values_list("id", flat=True))
    return PartnerPrincipal(partner_id=key.partner.pk, name=key.partner.name, merchant_ids=merchant_ids, key_id=key.pk)


class PartnerKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request)
        parts = header.split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise _invalid("The Authorization header must be 'Api-Key <key>'.")
        try:
            raw_key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise _invalid() from None
        principal = principal_for_key(raw_key)
        return principal, principal.key_id

    def authenticate_header(self, request):
        return 'Api-Key realm="partner"'


class IsPartner(BasePermission):
    """Only a partner key opens ``/partner/*``: anything else (a JWT included) is a 401."""

    def has_permission(self, request, view):
        if isinstance(request.user, PartnerPrincipal):
            return True
        raise _invalid()


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "partners.authentication.PartnerKeyAuthentication"
    name = "partnerApiKey"

    def get_security_requirement(self, auto_schema):
        # Every view recognises a partner key (to refuse it with a 403), but only the
        # partner API is opened by one: only there is it a security requirement.
        if IsPartner in getattr(auto_schema.view, "permission_classes", ()):
            return {self.name: []}
        return None

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: a partner key (contract §13). Opens `/partner/*` only.",
        }


def partner_of(partner: Partner) -> PartnerPrincipal:
    """A principal for ``partner`` without a key (postbacks are signed, not keyed)."""
    return PartnerPrincipal(
        partner_id=partner.pk,
        name=partner.name,
        merchant_ids=frozenset(partner.merchants.values_list("id", flat=True)),
        key_id=None,
    )
