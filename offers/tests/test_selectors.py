import datetime as dt

import pytest
from django.utils import timezone

from merchants.tests.factories import MerchantFactory
from offers.models import OfferStatus
from offers.selectors import offer_active_for_merchant
from offers.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return timezone.now().date()


def test_active_offer_of_active_merchant_valid_today_is_found():
    # given
    offer = OfferFactory()
    # when
    found = offer_active_for_merchant(merchant_id=offer.merchant_id, on_date=_today())
    # then
    assert found == offer


def test_offer_validity_bounds_are_inclusive():
    # given
    today = _today()
    offer = OfferFactory(start_date=today, end_date=today + dt.timedelta(days=3))
    # when / then
    assert offer_active_for_merchant(merchant_id=offer.merchant_id, on_date=today) == offer
    assert offer_active_for_merchant(merchant_id=offer.merchant_id, on_date=today + dt.timedelta(days=3)) == offer


def test_no_offer_outside_its_dates():
    # given
    today = _today()
    offer = OfferFactory(start_date=today + dt.timedelta(days=1), end_date=today + dt.timedelta(days=5))
    # when
    found = offer_active_for_merchant(merchant_id=offer.merchant_id, on_date=today)
    # then
    assert found is None


def test_no_offer_when_offer_is_inactive():
    # given
    offer = OfferFactory(status=OfferStatus.INACTIVE)
    # when
    found = offer_active_for_merchant(merchant_id=offer.merchant_id, on_date=_today())
    # then
    assert found is None


def test_no_offer_when_merchant_is_inactive():
    # given
    offer = OfferFactory(merchant=MerchantFactory(active=False))
    # when
    found = offer_active_for_merchant(merchant_id=offer.merchant_id, on_date=_today())
    # then
    assert found is None


def test_no_offer_for_a_merchant_without_offers():
    # given
    merchant = MerchantFactory()
    # when
    found = offer_active_for_merchant(merchant_id=merchant.id, on_date=_today())
    # then
    assert found is None
