"""Query-string filters of ``GET /partner/purchases`` and ``GET /partners`` (contract §13)."""

import django_filters

from clicknback.api.filtering import BooleanFilter, DateTimeFilter, UUIDFilter
from purchases.filters import MyPurchaseFilter


class PartnerPurchaseFilter(MyPurchaseFilter):
    merchant_id = UUIDFilter()
    updated_since = DateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="Purchases changed at or after this instant."
    )


class PartnerFilter(django_filters.FilterSet):
    active = BooleanFilter()
