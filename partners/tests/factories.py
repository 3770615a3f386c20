"""Partners and their keys, made through ``partners.services`` so keys are hashed as in
production and every change has its audit row."""

import datetime as dt
from decimal import Decimal

import factory

from clicknback.audit.services import SYSTEM
from merchants.tests.factories import MerchantFactory
from partners.authentication import partner_of
from partners.models import Partner, PartnerAPIKey
from partners.services import api_key_create, postback_secret_rotate
from purchases.ingestion import PurchaseReport, Reporter, purchases_ingest
from purchases.models import Purchase
from purchases.services import ingested_or_raise
from purchases.tests.factories import next_external_id


class PartnerFactory(factory.django.DjangoModelFactory):
    """An active partner; ``merchants=[...]`` links it (default: one new merchant)."""

    class Meta:
        model = Partner
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Partner {n}")
    active = True

    @factory.post_generation
    def merchants(obj, create, extracted, **kwargs):
        if not create:
            return
        obj.merchants.set(extracted if extracted is not None else [MerchantFactory()])


def create_key(
    partner: Partner, *, name: str = "test key", expires_at: dt.datetime | None = None
) -> tuple[PartnerAPIKey, str]:
    """A new API key of ``partner``: the stored row and the key itself."""
    return api_key_create(partner_id=partner.pk, name=name, expires_at=expires_at, actor=SYSTEM)


def set_postback_secret(partner: Partner) -> str:
    return postback_secret_rotate(partner_id=partner.pk, actor=SYSTEM)


def purchase_body(user, merchant, **overrides) -> dict:
    """A valid body of ``POST /partner/purchases``; ``overrides`` replace (None removes) fields."""
    body = {
        "external_id": next_external_id(),
        "user_id": str(user.pk),
        "merchant_id": str(merchant.pk),
        "amount": "100.00",
        "currency": "EUR",
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not None}


def partner_purchase(
    partner: Partner,
    user,
    *,
    merchant=None,
    amount: Decimal = Decimal("100.00"),
    external_id: str | None = None,
    purchased_at: dt.datetime | None = None,
) -> Purchase:
    """A pending purchase reported by ``partner`` through the one ingestion (no key: a service call)."""
    principal = partner_of(partner)
    report = PurchaseReport(
        external_id=external_id or next_external_id(),
        user_id=user.pk,
        merchant_id=merchant.pk if merchant is not None else next(iter(principal.merchant_ids)),
        amount=amount,
        currency="EUR",
        purchased_at=purchased_at,
    )
    reporter = Reporter(actor=principal.actor, partner_id=partner.pk, merchant_ids=principal.merchant_ids)
    (result,) = purchases_ingest(reports=[report], reporter=reporter)
    return ingested_or_raise(result)
