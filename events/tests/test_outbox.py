"""Every purchase and payout transition records its event in its own transaction (§14)."""

from decimal import Decimal

import pytest
from django.db import transaction

from clicknback.audit.services import SYSTEM
from clicknback.outbox.models import Event
from events.tests.support import partner_purchase, partner_with_merchant
from offers.tests.factories import OfferFactory
from payouts.models import PayoutStatus
from payouts.serializers import PayoutOutputSerializer
from payouts.services import payout_cancel, payout_process
from payouts.tests.factories import process_payout, request_payout
from purchases.ingestion import PurchaseReport, Reporter, purchases_ingest
from purchases.models import Purchase
from purchases.serializers import PurchaseOutputSerializer
from purchases.services import purchase_confirm, purchase_reject, purchase_return, purchase_reverse
from purchases.tests.factories import ingest, next_external_id
from tests.support.funding import fund_wallet
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def events_of(resource) -> list[str]:
    return list(Event.objects.filter(resource_id=resource.pk).order_by("occurred_at").values_list("type", flat=True))


def stored_shape(purchase_id) -> dict:
    return dict(
        PurchaseOutputSerializer(Purchase.objects.select_related("merchant", "cashback").get(pk=purchase_id)).data
    )


def test_each_purchase_transition_records_one_event_with_the_purchase_as_it_stands():
    user = UserFactory()
    confirmed = ingest(user)
    purchase_confirm(purchase_id=confirmed.pk, actor=SYSTEM)
    purchase_reverse(purchase_id=confirmed.pk, actor=SYSTEM, reason="Fraud")
    rejected = ingest(user)
    purchase_reject(purchase_id=rejected.pk, reason="No match", actor=SYSTEM)

    assert events_of(confirmed) == ["purchase.created", "purchase.confirmed", "purchase.reversed"]
    assert events_of(rejected) == ["purchase.created", "purchase.rejected"]
    last = Event.objects.get(resource_id=confirmed.pk, type="purchase.reversed")
    assert last.data == stored_shape(confirmed.pk)
    assert last.data["status_reason"] == "Fraud"
    assert last.user_id == user.pk
    assert Event.objects.get(resource_id=rejected.pk, type="purchase.rejected").data == stored_shape(rejected.pk)
    created = Event.objects.get(resource_id=rejected.pk, type="purchase.created")
    assert created.data["status"] == "pending"
    assert created.data["merchant_name"] == rejected.merchant.name


def test_a_partial_return_is_returned_and_a_full_one_reversed():
    partner, offer = partner_with_merchant()
    purchase = partner_purchase(partner, offer, UserFactory())
    purchase_return(purchase_id=purchase.pk, return_id="r1", amount=Decimal("40.00"), reason="Size", actor=SYSTEM)
    purchase_return(purchase_id=purchase.pk, return_id="r1", amount=Decimal("40.00"), reason="Size", actor=SYSTEM)
    purchase_return(purchase_id=purchase.pk, return_id="r2", amount=None, reason="All back", actor=SYSTEM)

    assert events_of(purchase) == ["purchase.created", "purchase.returned", "purchase.reversed"]
    returned = Event.objects.get(resource_id=purchase.pk, type="purchase.returned")
    assert returned.data["returned_amount"] == "40.00"
    assert returned.data["status_reason"] == "Size"
    assert returned.partner_id == partner.pk


def test_a_batch_records_one_event_per_created_purchase():
    user = UserFactory()
    offer = OfferFactory()
    reports = [
        PurchaseReport(
            external_id=next_external_id(),
            user_id=user.pk,
            merchant_id=offer.merchant_id,
            amount=Decimal("10.00"),
            currency="EUR",
        )
        for _ in range(3)
    ]
    reports.append(reports[0])  # a duplicate: no second event
    purchases_ingest(reports=reports, reporter=Reporter.user(user))

    assert Event.objects.filter(type="purchase.created").count() == 3


def test_each_payout_transition_records_one_event():
    user = UserFactory()
    fund_wallet(user, available=Decimal("50.00"))
    completed = request_payout(user, amount=Decimal("20.00"))
    process_payout(completed, status=PayoutStatus.PROCESSING)
    process_payout(completed, status=PayoutStatus.COMPLETED)
    failed = request_payout(user, amount=Decimal("10.00"))
    process_payout(failed, status=PayoutStatus.FAILED)

    returned = request_payout(user, amount=Decimal("10.00"))
    process_payout(returned, status=PayoutStatus.COMPLETED)
    payout_process(payout_id=returned.pk, status=PayoutStatus.RETURNED, actor=SYSTEM, failure_reason="Account closed")
    cancelled = request_payout(user, amount=Decimal("10.00"))
    payout_cancel(payout_id=cancelled.pk, user_id=user.pk)

    assert events_of(returned) == ["payout.requested", "payout.completed", "payout.returned"]
    assert events_of(cancelled) == ["payout.requested", "payout.cancelled"]
    assert Event.objects.get(type="payout.returned").data["failure_reason"] == "Account closed"
    assert events_of(completed) == ["payout.requested", "payout.processing", "payout.completed"]
    assert events_of(failed) == ["payout.requested", "payout.failed"]
    completed.refresh_from_db()
    assert Event.objects.get(type="payout.completed", resource_id=completed.pk).data == dict(
        PayoutOutputSerializer(completed).data
    )
    assert Event.objects.get(type="payout.failed").data["failure_reason"] == "Bank refused the transfer."


def test_a_rolled_back_transition_leaves_no_event():
    purchase = ingest(UserFactory())

    with pytest.raises(RuntimeError), transaction.atomic():
        purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
        raise RuntimeError("the caller's transaction fails")

    assert events_of(purchase) == ["purchase.created"]
