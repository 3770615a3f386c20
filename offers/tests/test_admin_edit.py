"""The back office edits merchants and offers through the same services as the API."""

import datetime as dt
from decimal import Decimal

import pytest

from clicknback.audit.models import AuditLog
from merchants.tests.factories import MerchantFactory
from offers.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


def test_an_operator_edits_an_offer_and_the_change_is_audited(admin_user, client):
    # given
    offer = OfferFactory(cashback_value=Decimal("5.00"), monthly_cap=Decimal("50.00"))
    client.force_login(admin_user)
    url = f"/admin/offers/offer/{offer.pk}/change/"
    page = client.get(url)
    # when
    response = client.post(url, {"end_date": offer.end_date.isoformat(), "monthly_cap": "80.00",
                                 "cashback_value": "6.00", "max_cashback_per_purchase": "3.00"})  # fmt: skip
    # then
    assert page.status_code == 200
    assert response.status_code == 302, response.content.decode()[:2000]
    offer.refresh_from_db()
    assert (offer.monthly_cap, offer.cashback_value, offer.max_cashback_per_purchase) == (
        Decimal("80.00"), Decimal("6.00"), Decimal("3.00"))  # fmt: skip
    assert AuditLog.objects.get(action="offer.edited").details["monthly_cap"] == {"old": "50.00", "new": "80.00"}


def test_an_overlapping_edit_is_an_error_on_the_page_and_changes_nothing(admin_user, client):
    # given
    today = dt.datetime.now(dt.UTC).date()
    current = OfferFactory(start_date=today, end_date=today + dt.timedelta(days=5))
    OfferFactory(
        merchant=current.merchant, start_date=today + dt.timedelta(days=6), end_date=today + dt.timedelta(days=9)
    )
    client.force_login(admin_user)
    # when
    response = client.post(f"/admin/offers/offer/{current.pk}/change/", {
        "end_date": (today + dt.timedelta(days=7)).isoformat(), "monthly_cap": str(current.monthly_cap),
        "cashback_value": str(current.cashback_value), "max_cashback_per_purchase": ""})  # fmt: skip
    # then
    assert response.status_code == 200 and "overlaps" in response.content.decode()
    current.refresh_from_db()
    assert current.end_date == today + dt.timedelta(days=5)


def test_an_operator_renames_a_merchant(admin_user, client):
    # given
    merchant = MerchantFactory(name="Old Name")
    client.force_login(admin_user)
    # when
    response = client.post(f"/admin/merchants/merchant/{merchant.pk}/change/",
                           {"name": "New Name", "default_cashback_percentage": "3.00"})  # fmt: skip
    # then
    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.name == "New Name"
    assert AuditLog.objects.get(action="merchant.edited").details["name"] == {"old": "Old Name", "new": "New Name"}
