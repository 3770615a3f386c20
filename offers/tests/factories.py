import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from merchants.tests.factories import MerchantFactory
from offers.models import CashbackType, Offer, OfferStatus


def _today() -> dt.date:
    return timezone.now().date()


class OfferFactory(factory.django.DjangoModelFactory):
    """An active 5 % offer, cap 50.00, valid from 30 days ago to 30 days ahead."""

    class Meta:
        model = Offer

    merchant = factory.SubFactory(MerchantFactory)
    cashback_type = CashbackType.PERCENT
    cashback_value = Decimal("5.00")
    monthly_cap = Decimal("50.00")
    start_date = factory.LazyFunction(lambda: _today() - dt.timedelta(days=30))
    end_date = factory.LazyFunction(lambda: _today() + dt.timedelta(days=30))
    status = OfferStatus.ACTIVE
