"""Editing offers, scheduling them back to back, and the per-purchase maximum (contract §5)."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from clicknback.audit.models import AuditLog
from offers.models import OfferStatus
from offers.tests.factories import OfferFactory
from purchases.services import purchase_ingest

pytestmark = pytest.mark.django_db
URL = "/api/v1/offers"
D = Decimal


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def test_an_edit_changes_later_purchases_never_what_was_credited(user, admin_client):
    # given: 5 % on a 100.00 purchase credited 5.00
    offer = OfferFactory(cashback_value=D("5.00"), monthly_cap=D("500.00"))
    first = purchase_ingest(caller=user, external_id=f"e-{uuid.uuid4()}", user_id=user.pk,
                            merchant_id=offer.merchant_id, amount=D("100.00"), currency="EUR")  # fmt: skip
    # when
    response = admin_client.patch(f"{URL}/{offer.pk}", {"cashback_value": "10.00"}, format="json")
    later = purchase_ingest(caller=user, external_id=f"e-{uuid.uuid4()}", user_id=user.pk,
                            merchant_id=offer.merchant_id, amount=D("100.00"), currency="EUR")  # fmt: skip
    # then
    assert response.status_code == 200 and response.json()["cashback_value"] == "10.00"
    first.cashback.refresh_from_db()
    assert first.cashback.amount == D("5.00") and later.cashback.amount == D("10.00")
    row = AuditLog.objects.get(action="offer.edited")
    assert row.details == {"cashback_value": {"old": "5.00", "new": "10.00"}}


def test_an_edit_follows_the_creation_rules(admin_client):
    offer = OfferFactory()
    for body in ({"end_date": (offer.start_date - dt.timedelta(days=1)).isoformat()}, {"monthly_cap": "0"},
                 {"cashback_value": "20.01"}, {"max_cashback_per_purchase": "0"}):  # fmt: skip
        assert admin_client.patch(f"{URL}/{offer.pk}", body, format="json").status_code == 422, body


def test_extending_an_offer_into_the_next_scheduled_one_is_409(admin_client):
    # given: this month's offer and next month's, back to back
    current = OfferFactory(start_date=today(), end_date=today() + dt.timedelta(days=10))
    scheduled = OfferFactory(merchant=current.merchant, start_date=today() + dt.timedelta(days=11),
                             end_date=today() + dt.timedelta(days=40))  # fmt: skip
    # when
    response = admin_client.patch(
        f"{URL}/{current.pk}", {"end_date": (today() + dt.timedelta(days=11)).isoformat()}, format="json"
    )
    # then
    assert response.status_code == 409
    assert response.json()["error"]["details"]["conflicting_offer_id"] == str(scheduled.pk)


def test_activating_an_offer_that_overlaps_an_active_one_is_409(admin_client):
    # given
    active = OfferFactory(start_date=today(), end_date=today() + dt.timedelta(days=10))
    other = OfferFactory(merchant=active.merchant, status=OfferStatus.INACTIVE)
    # when
    response = admin_client.patch(f"{URL}/{other.pk}/status", {"status": "active"}, format="json")
    # then
    assert response.status_code == 409


def test_the_scheduled_offer_applies_on_its_dates_and_an_ended_one_never(user):
    # given: an offer that ended yesterday (still marked active) and one running today
    merchant_offer = OfferFactory(start_date=today() - dt.timedelta(days=10), end_date=today() - dt.timedelta(days=1),
                                  cashback_value=D("2.00"), monthly_cap=D("500.00"))  # fmt: skip
    running = OfferFactory(merchant=merchant_offer.merchant, start_date=today(),
                           end_date=today() + dt.timedelta(days=5), cashback_value=D("7.00"),
                           monthly_cap=D("500.00"))  # fmt: skip
    # when
    purchase = purchase_ingest(caller=user, external_id=f"s-{uuid.uuid4()}", user_id=user.pk,
                               merchant_id=running.merchant_id, amount=D("100.00"), currency="EUR")  # fmt: skip
    # then
    assert purchase.offer_id == running.pk and purchase.cashback.amount == D("7.00")


def test_the_per_purchase_maximum_applies_before_the_monthly_cap(user, admin_client):
    # given: 10 % at most 4.00 per purchase, 10.00 a month
    offer = OfferFactory(cashback_value=D("10.00"), monthly_cap=D("10.00"))
    admin_client.patch(f"{URL}/{offer.pk}", {"max_cashback_per_purchase": "4.00"}, format="json")

    def buy(amount):
        bought = purchase_ingest(caller=user, external_id=f"m-{uuid.uuid4()}", user_id=user.pk,
                                 merchant_id=offer.merchant_id, amount=D(amount), currency="EUR")  # fmt: skip
        return bought.cashback.amount

    # when / then: 4.00, 4.00, then the 2.00 left of the cap
    assert [buy("100.00"), buy("100.00"), buy("100.00")] == [D("4.00"), D("4.00"), D("2.00")]


def test_an_offer_is_created_with_a_per_purchase_maximum(admin_client):
    from merchants.tests.factories import MerchantFactory

    merchant = MerchantFactory()
    body = {"merchant_id": str(merchant.pk), "cashback_type": "percent", "cashback_value": "5.00",
            "start_date": today().isoformat(), "end_date": (today() + dt.timedelta(days=3)).isoformat(),
            "monthly_cap": "50.00", "max_cashback_per_purchase": "2.50"}  # fmt: skip
    response = admin_client.post(URL, body, format="json")
    assert response.status_code == 201 and response.json()["max_cashback_per_purchase"] == "2.50"
