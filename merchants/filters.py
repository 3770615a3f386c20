"""Query-string filters of ``GET /merchants`` (contract §4)."""

import django_filters

from clicknback.api.filtering import BooleanFilter


class MerchantFilter(django_filters.FilterSet):
    active = BooleanFilter(help_text="Only active (true) or inactive (false) merchants.")
