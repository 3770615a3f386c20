import datetime as dt

import pytest
from django.utils import timezone

from merchants.tests.factories import MerchantFactory
from offers.models import OfferStatus
from offers.selectors import offer_active_for_merchant, offer_list_active, offers_valid_on, offers_visible
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


def test_offers_valid_on_keeps_active_offers_of_active_merchants_within_their_dates():
    # given
    today = _today()
    valid = OfferFactory(start_date=today, end_date=today + dt.timedelta(days=2))
    OfferFactory(start_date=today + dt.timedelta(days=1), end_date=today + dt.timedelta(days=2))
    OfferFactory(start_date=today - dt.timedelta(days=3), end_date=today - dt.timedelta(days=1))
    OfferFactory(status=OfferStatus.INACTIVE)
    OfferFactory(merchant=MerchantFactory(active=False))
    # when
    found = set(offers_valid_on(day=today))
    # then
    assert found == {valid}


def test_the_active_list_and_the_merchant_lookup_follow_offers_valid_on():
    # given: offers whose validity changes over a week
    today = _today()
    offers = [
        OfferFactory(start_date=today, end_date=today + dt.timedelta(days=2)),
        OfferFactory(start_date=today + dt.timedelta(days=3), end_date=today + dt.timedelta(days=5)),
        OfferFactory(start_date=today + dt.timedelta(days=1), end_date=today + dt.timedelta(days=1)),
        OfferFactory(status=OfferStatus.INACTIVE),
        OfferFactory(merchant=MerchantFactory(active=False)),
    ]
    for day in (today + dt.timedelta(days=n) for n in range(-1, 7)):
        # when
        valid = list(offers_valid_on(day=day).order_by("-created_at", "-id"))
        listed = list(offer_list_active(on_date=day))
        by_merchant = {o.merchant_id: offer_active_for_merchant(merchant_id=o.merchant_id, on_date=day) for o in offers}
        # then
        assert listed == valid, day
        assert {m: o for m, o in by_merchant.items() if o is not None} == {o.merchant_id: o for o in valid}, day


def test_offers_visible_are_the_active_offers_of_active_merchants():
    # given
    visible = OfferFactory(start_date=_today() + dt.timedelta(days=30), end_date=_today() + dt.timedelta(days=31))
    OfferFactory(status=OfferStatus.INACTIVE)
    OfferFactory(merchant=MerchantFactory(active=False))
    # when / then
    assert list(offers_visible()) == [visible]
