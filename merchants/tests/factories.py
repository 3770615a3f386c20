from decimal import Decimal

import factory

from merchants.models import Merchant


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Merchant {n}")
    default_cashback_percentage = Decimal("5.00")
    active = True
