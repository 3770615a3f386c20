"""Query-string filters of ``GET /offers`` (contract §5)."""

import django_filters

from clicknback.api.filtering import ChoiceFilter, DateFilter, FilterForm, UUIDFilter
from offers.models import OfferStatus


class OfferFilterForm(FilterForm):
    ordered = (("date_from", "date_to"),)


class OfferFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=OfferStatus.choices)
    merchant_id = UUIDFilter()
    # The window keeps the offers that overlap it.
    date_from = DateFilter(field_name="end_date", lookup_expr="gte", help_text="Offers ending on or after this date.")
    date_to = DateFilter(
        field_name="start_date", lookup_expr="lte", help_text="Offers starting on or before this date."
    )

    class Meta:
        form = OfferFilterForm
