"""The ingestion's plain-SQL reads answer exactly what their ORM twins answer."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from merchants.tests.factories import MerchantFactory
from offers.models import CashbackType, OfferStatus
from offers.selectors import offer_active_for_merchant, offers_valid_on
from offers.tests.factories import OfferFactory
from purchases.models import CashbackStatus, CashbackTransaction
from purchases.selectors import OfferTerms, cashback_earned_in_month, month_bounds, offer_terms_for_purchase
from purchases.tests.factories import ingest

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def offers_in_every_state() -> list:
    """One merchant per case: the offer (or lack of one) that decides eligibility."""
    day = today()
    return [
        OfferFactory(),
        OfferFactory(cashback_type=CashbackType.FIXED, cashback_value=Decimal("3.00"), monthly_cap=Decimal("20.00")),
        OfferFactory(start_date=day, end_date=day),
        OfferFactory(start_date=day + dt.timedelta(days=1)),
        OfferFactory(start_date=day - dt.timedelta(days=9), end_date=day - dt.timedelta(days=1)),
        OfferFactory(status=OfferStatus.INACTIVE),
        OfferFactory(merchant=MerchantFactory(active=False)),
    ]


def test_offer_terms_match_the_active_offer_rule_in_every_state():
    # given
    day = today()
    merchant_ids = [offer.merchant_id for offer in offers_in_every_state()]
    merchant_ids += [MerchantFactory().pk, uuid.uuid4()]
    for merchant_id in merchant_ids:
        # when
        terms = offer_terms_for_purchase(merchant_id=merchant_id, on_date=day)
        # then
        offer = offer_active_for_merchant(merchant_id=merchant_id, on_date=day)
        expected = (
            None
            if offer is None
            else OfferTerms(offer.pk, offer.merchant_id, offer.cashback_type, offer.cashback_value, offer.monthly_cap)
        )
        assert terms == expected, merchant_id


def test_offer_terms_match_offers_valid_on_on_every_day_around_the_offers_dates():
    # given
    day = today()
    offers = offers_in_every_state()
    for on_date in (day + dt.timedelta(days=n) for n in range(-10, 12)):
        # when
        found = {
            offer.merchant_id: offer_terms_for_purchase(merchant_id=offer.merchant_id, on_date=on_date)
            for offer in offers
        }
        # then
        valid = offers_valid_on(day=on_date).filter(merchant_id__in=[offer.merchant_id for offer in offers])
        assert {m: t.offer_id for m, t in found.items() if t is not None} == {o.merchant_id: o.pk for o in valid}


def test_offer_terms_of_a_valid_offer():
    # given
    offer = OfferFactory(cashback_type=CashbackType.FIXED, cashback_value=Decimal("3.00"), monthly_cap=Decimal("20.00"))
    # when
    terms = offer_terms_for_purchase(merchant_id=offer.merchant_id, on_date=today())
    # then
    assert terms == OfferTerms(offer.pk, offer.merchant_id, "fixed", Decimal("3.00"), Decimal("20.00"))


def test_the_cap_sum_matches_the_orm_sum_in_every_state(user, other_user, admin_user):
    # given: pending, available and reversed cashback of this offer, others' and other offers'
    from clicknback.audit.services import Actor
    from purchases.services import purchase_confirm, purchase_reverse

    offer = OfferFactory(monthly_cap=Decimal("1000.00"))
    admin = Actor.admin(admin_user)
    ingest(user, offer=offer, amount=Decimal("10.00"))
    purchase_confirm(purchase_id=ingest(user, offer=offer, amount=Decimal("30.00")).pk, actor=admin)
    purchase_reverse(purchase_id=ingest(user, offer=offer, amount=Decimal("70.00")).pk, actor=admin)
    ingest(other_user, offer=offer, amount=Decimal("90.00"))
    ingest(user, amount=Decimal("50.00"))
    last_month = ingest(user, offer=offer, amount=Decimal("20.00"))
    # the month is the purchase's (purchased_at), not the ingestion's
    CashbackTransaction.objects.filter(purchase=last_month).update(
        purchased_at=month_bounds(timezone.now())[0] - dt.timedelta(seconds=1)
    )
    partly_returned = ingest(user, offer=offer, amount=Decimal("40.00"))
    CashbackTransaction.objects.filter(purchase=partly_returned).update(returned_amount=Decimal("0.50"))
    now = timezone.now()
    start, end = month_bounds(now)
    # when
    earned = cashback_earned_in_month(user_id=user.pk, offer_id=offer.pk, moment=now)
    # then
    expected = CashbackTransaction.objects.filter(
        user=user,
        offer=offer,
        purchased_at__gte=start,
        purchased_at__lt=end,
        status__in=[CashbackStatus.PENDING, CashbackStatus.AVAILABLE],
    ).aggregate(total=Sum(F("amount") - F("returned_amount")))["total"]
    assert earned == expected == Decimal("3.50")


def test_the_cap_sum_is_zero_without_cashback(user):
    # given
    offer = OfferFactory()
    # when
    earned = cashback_earned_in_month(user_id=user.pk, offer_id=offer.pk, moment=timezone.now())
    # then
    assert earned == Decimal("0.00")
    assert str(earned) == "0.00"
